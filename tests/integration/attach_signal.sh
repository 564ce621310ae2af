#!/bin/bash
# -p PID stops on SIGINT or SIGTERM: hrprof writes its final profile and
# exits, and the process it attached to keeps running, unharmed.
. "$(dirname "$0")/lib.sh"
require_workload hot

WL_PID_FILE=$T/pid bg env --default-signal=INT "$WORKLOADS/hot" 20
wait_file "$T/pid"
pid=$(cat "$T/pid")
for sig in INT TERM; do
	mkdir -p "$T/out$sig"
	bg "$HRPROF" -p "$pid" -F 99 --output "$T/out$sig"
	hp=$BG_PID
	sleep 2
	kill -0 $hp 2>/dev/null || fail "hrprof -p $pid exited early"
	kill -$sig $hp
	wait_pid $hp 10
	log "SIG$sig: hrprof -p exited $WAIT_RC"
	kill -0 "$pid" 2>/dev/null || fail "SIG$sig to hrprof -p killed the process it attached to"
	grep -q '^State:.*[RS]' "/proc/$pid/status" || fail "the attached process is left $(grep ^State: "/proc/$pid/status")"
	P=$(profile_of "$T/out$sig") || exit 1
	n=$(label_samples "$P" process_id "$pid" hot_loop)
	[ "$n" -ge 40 ] || fail "SIG$sig: $n hot_loop samples of process $pid in the final profile, expected ~180"
	assert_share "$P" hot_loop 75 100
done
pass
