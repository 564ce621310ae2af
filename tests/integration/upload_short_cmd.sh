#!/bin/bash
# A 2 s command with the default 59 s period: its one profile reaches the
# Agent before hrprof exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start
up_run -U "$AGENT_URL" -- "$WORKLOADS/hot" 2
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
n=$(agent_ok_requests)
[ "$n" = 1 ] || fail "$n accepted uploads right after hrprof returned, expected 1:
$(agent_dump)"
agent_check_tags 0 profile_seq=0
up_counts
[ "$TAKEN" = 1 ] && [ "$UPLOADED" = 1 ] || fail "hrprof: $TAKEN taken, $UPLOADED uploaded"
P=$(agent_pprof 0)
assert_share "$P" hot_loop 75 100
agent_assert_clean
agent_stop
pass
