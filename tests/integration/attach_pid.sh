#!/bin/bash
# -p PID: attach to a running threads workload whose 4 named threads already
# run; all of them are profiled and hrprof stops when the process exits.
. "$(dirname "$0")/lib.sh"
require_workload threads

WL_PID_FILE=$T/pid bg "$WORKLOADS/threads" 3.5
wait_file "$T/pid"
pid=$(cat "$T/pid")
sleep 0.5 # the threads are named by now
start=$(date +%s.%N)
run_hrprof -p "$pid" -F 99 --output "$T/out"
end=$(date +%s.%N)
[ $HRPROF_RC -eq 0 ] || fail "hrprof -p $pid exited $HRPROF_RC; stderr: $(tail -5 "$T/hrprof.err")"
took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
_between "$took" 0 6 || fail "hrprof -p took ${took}s; the process exited after ~3 s"
P=$(profile_of "$T/out") || exit 1
for i in 0 1 2 3; do
	assert_label "$P" thread_name "worker-$i"
	[ "$(label_samples "$P" thread_name "worker-$i" thread_spin)" -ge 10 ] ||
		fail "worker-$i: only $(label_samples "$P" thread_name "worker-$i" thread_spin) samples in thread_spin"
done
[ "$(label_values "$P" 'thread id' | wc -l)" -ge 4 ] || fail "fewer than 4 thread ids: $(label_values "$P" 'thread id' | tr '\n' ' ')"
pids=$(label_values "$P" process_id | tr '\n' ' ')
[ "$pids" = "$pid " ] || fail "process_id labels '$pids', expected only $pid"
assert_share "$P" thread_spin 90 100
pass
