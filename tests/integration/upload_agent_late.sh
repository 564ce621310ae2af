#!/bin/bash
# The Agent is down for the first ~3 s of a 5 s run with -u 1: hrprof warns
# "Failure to establish connection, check url <url>" once, keeps the profiles,
# and delivers every one exactly once, profile_seq contiguous from 0, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

port=$(agent_free_port)
url=http://127.0.0.1:$port
start=$(date +%s.%N)
bg timeout -k 5 40 "$HRPROF" -U "$url" -u 1 --upload_timeout 6 --spool_dir "$T/spool" -l debug \
	-- "$WORKLOADS/hot" 5 >"$T/hrprof.out" 2>"$T/hrprof.err"
hp=$BG_PID
sleep 3
agent_start --port "$port"
wait_pid "$hp" 30
[ $WAIT_RC -eq 0 ] || fail "hrprof exited $WAIT_RC: $(tail -5 "$T/hrprof.err")"
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
up_counts
c=$(grep -c "Failure to establish connection, check url $url" "$T/hrprof.err")
[ "$c" -ge 1 ] || fail "no 'Failure to establish connection, check url $url' warning:
$(head -20 "$T/hrprof.err")"
[ "$c" -le 1 ] || log "note: the connection warning was printed $c times"
[ "$TAKEN" -ge 5 ] || fail "$TAKEN profiles taken in 5 s with -u 1"
[ "$UPLOADED" = "$TAKEN" ] && [ "$DROPPED" = 0 ] ||
	fail "hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped: expected all uploaded"
agent_assert_seqs "$TAKEN"
[ "$(agent_query 'len(set(tag(r, "runtime-id") for r in ok))')" = 1 ] || fail "several runtime-ids:
$(agent_dump)"
[ "$(agent_requests)" = "$TAKEN" ] || fail "$(agent_requests) requests for $TAKEN profiles (each should arrive once):
$(agent_dump)"
agent_assert_clean
log "ok: $TAKEN profiles delivered once each after a late agent, in ${secs}s"
agent_stop
pass
