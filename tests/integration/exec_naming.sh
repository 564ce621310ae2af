#!/bin/bash
# A process that works, then execs (same pid): the CPU spent before the exec
# is named with the old program's mappings and name (process_name execlater,
# root frame execlater, before_exec), the rest with the new one's (hot,
# hot_loop), however long after the exec the profile is built. The oracle is
# perf record on the same command in the same run: the shares of each side
# within 5 points of perf's.
. "$(dirname "$0")/lib.sh"
require_workload execlater hot
have_perf || skip "perf record does not work here"

perf_run -F 199 -- "$WORKLOADS/execlater" 1.2 "$WORKLOADS/hot" 1.2
perf_before=$(perf_share execlater before_exec)
perf_hot=$(perf_share hot hot_loop)
_between "$perf_before" 20 80 || fail "perf record: before_exec has $perf_before% under execlater: the workload misbehaved"

wrap "$T/out" -F 199 -- "$WORKLOADS/execlater" 1.2 "$WORKLOADS/hot" 1.2
P=$PROFILE
before=$(label_share "$P" process_name execlater before_exec)
hot=$(label_share "$P" process_name hot hot_loop)
assert_near "before_exec under process_name execlater" "$before" "$perf_before" 5
assert_near "hot_loop under process_name hot" "$hot" "$perf_hot" 5
assert_chain "$P" main before_exec
assert_chain "$P" main do_work hot_loop
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;before_exec$/ && $3 !~ /^execlater;/ { s += $1 } END { print s + 0 }')
[ "$n" -eq 0 ] || fail "$n before_exec samples not rooted at execlater: $(show_traces "$P" 5)"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;hot_loop$/ && $3 !~ /^hot;/ { s += $1 } END { print s + 0 }')
[ "$n" -eq 0 ] || fail "$n hot_loop samples not rooted at hot: $(show_traces "$P" 5)"
unknown=$(cum_share "$P" "[unknown mapping]")
_between "$unknown" 0 1 || fail "[unknown mapping] holds $unknown% of the samples:
$(show_traces "$P" 5)"
[ "$(label_values "$P" process_id | wc -l)" -eq 1 ] ||
	fail "one pid expected, found: $(label_values "$P" process_id | tr '\n' ' ')"
pass
