#!/bin/bash
# SIGINT / SIGTERM to hrprof while it wraps a long workload: it writes a final
# profile (with the ~2 s profiled so far) and exits within a few seconds.
. "$(dirname "$0")/lib.sh"
require_workload hot

for sig in INT TERM; do
	rm -f "$T/pid"
	mkdir -p "$T/out$sig"
	WL_PID_FILE=$T/pid bg "$HRPROF" -F 99 -o "$T/out$sig" -- "$WORKLOADS/hot" 30
	hp=$BG_PID
	wait_file "$T/pid"
	BG_PIDS+=("$(cat "$T/pid")")
	sleep 2
	kill -$sig $hp
	wait_pid $hp 10
	log "SIG$sig: hrprof exited $WAIT_RC; workload $(kill -0 "$(cat "$T/pid")" 2>/dev/null && echo 'still running' || echo 'gone')"
	P=$(profile_of "$T/out$sig") || exit 1
	n=$(total_samples "$P")
	[ "$n" -ge 100 ] || fail "SIG$sig: final profile has $n samples, expected ~200 (2 s at 99 Hz)"
	assert_share "$P" hot_loop 75 100
	kill -KILL "$(cat "$T/pid")" 2>/dev/null
done
pass
