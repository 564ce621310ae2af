#!/bin/bash
# Named threads: threads runs 4 threads named worker-0..worker-3 (all in
# thread_spin). Each name appears with its own thread id, all under the
# workload's process_id (which is not a worker's thread id).
. "$(dirname "$0")/lib.sh"
require_workload threads

WL_PID_FILE=$T/pid wrap "$T/out" -F 99 -- "$WORKLOADS/threads" 2.5
P=$PROFILE
pid=$(cat "$T/pid")
assert_share "$P" thread_spin 90 100
assert_chain "$P" worker thread_spin
tids=()
for i in 0 1 2 3; do
	assert_label "$P" thread_name "worker-$i"
	tid=$(pprof_stacks "$P" | awk -F'\t' -v w="worker-$i" '
		{ n = split($2, l, "|"); name = ""; tid = ""; for (j = 1; j <= n; j++) {
			if (l[j] == "thread_name=" w) name = 1; if (l[j] ~ /^thread id=/) tid = substr(l[j], 11) }
		  if (name) print tid }' | sort -u)
	[ "$(echo "$tid" | wc -l)" -eq 1 ] && [ -n "$tid" ] ||
		fail "worker-$i has thread ids '$(echo $tid)', expected exactly one"
	[ "$tid" != "$pid" ] || fail "worker-$i's thread id is the process id $pid"
	[ "$(label_samples "$P" 'thread id' "$tid")" -eq "$(label_samples "$P" thread_name "worker-$i")" ] ||
		fail "thread id $tid is not only worker-$i"
	tids+=("$tid")
done
[ "$(printf '%s\n' "${tids[@]}" | sort -u | wc -l)" -eq 4 ] || fail "thread ids not distinct: ${tids[*]}"
pids=$(label_values "$P" process_id | tr '\n' ' ')
[ "$pids" = "$pid " ] || fail "process_id labels '$pids', expected only the workload's pid $pid"
for i in 0 1 2 3; do
	[ "$(label_samples "$P" thread_name "worker-$i")" -ge 20 ] ||
		fail "worker-$i has only $(label_samples "$P" thread_name "worker-$i") samples"
done
log "ok: worker-0..3 = thread ids ${tids[*]}, process_id $pid"
pass
