#!/bin/bash
# The Agent on a unix socket: -U unix:///path, -U /path and
# DD_TRACE_AGENT_URL=unix:///path all reach it at /profiling/v1/input.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start --unix "$T/apm.socket"
i=0
for how in "-U unix://$T/apm.socket" "-U $T/apm.socket" "env"; do
	if [ "$how" = env ]; then
		DD_TRACE_AGENT_URL=unix://$T/apm.socket up_run -- "$WORKLOADS/hot" 0.3
	else
		up_run $how -- "$WORKLOADS/hot" 0.3
	fi
	[ $HRPROF_RC -eq 0 ] || fail "hrprof $how exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
	i=$((i + 1))
	[ "$(agent_ok_requests)" = $i ] || fail "$how: nothing arrived on the socket; stderr:
$(tail -5 "$T/hrprof.err")
$(agent_dump)"
	agent_check_tags $((i - 1)) profile_seq=0 language=native
	log "ok: $how"
done
[ "$(agent_query 'sorted(set(r["path"] for r in ok))')" = /profiling/v1/input ] || fail "paths: $(agent_dump)"
agent_assert_clean
agent_stop
pass
