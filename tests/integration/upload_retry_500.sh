#!/bin/bash
# The Agent answers 500 twice, then 200: the first profile is retried and
# every profile arrives exactly once, in order, none dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start --fail-first 2
up_run -U "$AGENT_URL" -u 1 -l debug -- "$WORKLOADS/hot" 3
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
up_counts
[ "$UPLOADED" = "$TAKEN" ] && [ "$DROPPED" = 0 ] && [ "$SPOOLED" = 0 ] ||
	fail "hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped; the agent saw:
$(agent_dump)"
agent_assert_seqs "$TAKEN"
[ "$(agent_requests)" = $((TAKEN + 2)) ] || fail "$(agent_requests) requests for $TAKEN profiles and 2 failures:
$(agent_dump)"
[ "$(agent_query '[tag(r, "profile_seq") for r in reqs[:3]]' | tr '\n' ' ')" = "0 0 0 " ] ||
	fail "the failed profile was not the one retried first:
$(agent_dump)"
grep -q 'status=500' "$T/hrprof.err" || fail "no 'status=500' in the debug log"
agent_assert_clean
agent_stop
pass
