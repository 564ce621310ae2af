#!/bin/bash
# The Agent answers the first request only after 3 s; --upload_timeout 1: the
# client gives up, retries, and the profile arrives (the agent may have
# recorded the abandoned copy too). Every seq is accepted at least once and
# hrprof reports nothing dropped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start --delay 3 --delay-first 1
start=$(date +%s.%N)
up_run -U "$AGENT_URL" -u 1 --upload_timeout 1 -l debug -- "$WORKLOADS/hot" 3
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
_between "$secs" 0 8 || fail "hrprof took ${secs}s for a 3 s command with --upload_timeout 1"
up_counts
[ "$DROPPED" = 0 ] && [ "$UPLOADED" = "$TAKEN" ] ||
	fail "hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped; the agent saw:
$(agent_dump)"
missing=$(agent_query "[s for s in range($TAKEN) if str(s) not in [tag(r, 'profile_seq') for r in ok if r['mode'] != 'delayed']]")
[ -z "$missing" ] || fail "profile_seq $(echo $missing) never answered in time:
$(agent_dump)"
[ "$(agent_query '[r["mode"] for r in reqs[:2]]' | tr '\n' ' ')" = "delayed normal " ] &&
	[ "$(agent_query 'tag(reqs[1], "profile_seq")')" = 0 ] || fail "profile 0 was not retried after the timeout:
$(agent_dump)"
grep -qiE 'timed? ?out|timeout' "$T/hrprof.err" || log "note: no timeout mentioned in the debug log"
agent_assert_clean
log "ok: $TAKEN profiles, the first retried after a timeout, ${secs}s"
agent_stop
pass
