#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Named threads through the module: worker-0..3, each with its own thread id,
# all under the workload's process_id (tests/integration/threads_named.sh).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	WL_PID_FILE=$OUT/pid vm_hrprof threads 120 -F 199 -- "$WORKLOADS/threads" 3
	exit 0
fi

vm_rc threads
vm_profile "$OUT/threads"
P=$PROFILE
pid=$(cat "$OUT/pid")
assert_backend_kmod "$P"
assert_share "$P" thread_spin 85 100
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
	[ "$(label_samples "$P" thread_name "worker-$i")" -ge 10 ] ||
		fail "worker-$i has only $(label_samples "$P" thread_name "worker-$i") samples"
	tids+=("$tid")
done
[ "$(printf '%s\n' "${tids[@]}" | sort -u | wc -l)" -eq 4 ] || fail "thread ids not distinct: ${tids[*]}"
pids=$(label_values "$P" process_id | tr '\n' ' ')
[ "$pids" = "$pid " ] || fail "process_id labels '$pids', expected only the workload's pid $pid"
pass "worker-0..3 = thread ids ${tids[*]}, process_id $pid"
