#!/bin/bash
# SIGINT / SIGTERM to hrprof while it wraps a long workload: it writes a final
# profile (with the ~2 s profiled so far) and exits within a few seconds.
# (A background job of a non-interactive shell starts with SIGINT ignored,
# which the workload would inherit: env --default-signal=INT undoes that, as
# for a command started from a terminal.)
. "$(dirname "$0")/lib.sh"
require_workload hot

for sig in INT TERM; do
	rm -f "$T/pid"
	mkdir -p "$T/out$sig"
	WL_PID_FILE=$T/pid bg env --default-signal=INT "$HRPROF" -F 99 --output "$T/out$sig" -- "$WORKLOADS/hot" 30
	hp=$BG_PID
	wait_file "$T/pid"
	BG_PIDS+=("$(cat "$T/pid")")
	sleep 2
	kill -$sig $hp
	wait_pid $hp 10
	log "SIG$sig: hrprof exited $WAIT_RC; workload $(kill -0 "$(cat "$T/pid")" 2>/dev/null && echo 'still running' || echo 'gone')"
	P=$(profile_of "$T/out$sig") || exit 1
	n=$(total_samples "$P")
	[ "$n" -ge 40 ] || fail "SIG$sig: final profile has $n samples, expected ~200 (2 s at 99 Hz)"
	assert_share "$P" hot_loop 75 100
	kill -KILL "$(cat "$T/pid")" 2>/dev/null
done
# A workload that ignores SIGINT (started with it ignored, as here without
# env): the first SIGINT is forwarded to no effect, a second one stops hrprof,
# which still writes its final profile.
rm -f "$T/pid"
mkdir -p "$T/outINT2"
WL_PID_FILE=$T/pid bg "$HRPROF" -F 99 --output "$T/outINT2" -- "$WORKLOADS/hot" 30
hp=$BG_PID
wait_file "$T/pid"
BG_PIDS+=("$(cat "$T/pid")")
sleep 2
kill -INT $hp
sleep 0.5
kill -0 $hp 2>/dev/null || log "note: hrprof exited after one SIGINT with the workload ignoring it"
kill -INT $hp 2>/dev/null
wait_pid $hp 10
log "SIGINT x2, workload ignoring SIGINT: hrprof exited $WAIT_RC; workload $(kill -0 "$(cat "$T/pid")" 2>/dev/null && echo 'still running' || echo 'gone')"
P=$(profile_of "$T/outINT2") || exit 1
n=$(total_samples "$P")
[ "$n" -ge 40 ] || fail "SIGINT x2: final profile has $n samples, expected ~200 (2 s at 99 Hz)"
assert_share "$P" hot_loop 75 100
pass
