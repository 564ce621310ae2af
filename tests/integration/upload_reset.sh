#!/bin/bash
# The Agent resets the first connection (RST) in the middle of the body: the
# profile is retried and delivered; all profiles arrive once, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start --reset-first 1
up_run -U "$AGENT_URL" -u 1 -l debug -- "$WORKLOADS/hot" 2.5
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
up_counts
[ "$UPLOADED" = "$TAKEN" ] && [ "$DROPPED" = 0 ] ||
	fail "hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped; the agent saw:
$(agent_dump)"
agent_assert_seqs "$TAKEN"
[ "$(agent_query 'reqs[0]["mode"]')" = reset ] && [ "$(agent_requests)" = $((TAKEN + 1)) ] ||
	fail "expected one reset then $TAKEN accepted:
$(agent_dump)"
agent_assert_clean
agent_stop
pass
