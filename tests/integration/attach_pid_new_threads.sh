#!/bin/bash
# -p PID on a process whose threads start after the attach: threads sleeps
# 1.5 s before creating worker-0..3; they must be profiled too.
. "$(dirname "$0")/lib.sh"
require_workload threads

WL_PID_FILE=$T/pid bg "$WORKLOADS/threads" 3.5 1.5
wait_file "$T/pid"
pid=$(cat "$T/pid")
[ "$(ls "/proc/$pid/task" | wc -l)" -eq 1 ] || fail "workload already has threads"
run_hrprof -p "$pid" -F 99 --output "$T/out"
[ $HRPROF_RC -eq 0 ] || fail "hrprof -p $pid exited $HRPROF_RC; stderr: $(tail -5 "$T/hrprof.err")"
P=$(profile_of "$T/out") || exit 1
for i in 0 1 2 3; do
	assert_label "$P" thread_name "worker-$i"
	[ "$(label_samples "$P" thread_name "worker-$i" thread_spin)" -ge 10 ] ||
		fail "worker-$i: only $(label_samples "$P" thread_name "worker-$i" thread_spin) samples in thread_spin"
done
pids=$(label_values "$P" process_id | tr '\n' ' ')
[ "$pids" = "$pid " ] || fail "process_id labels '$pids', expected only $pid"
pass
