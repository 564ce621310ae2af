#!/bin/bash
# A process that works, then execs (same pid): the CPU spent before the exec
# is named with the old program's mappings and name (process_name execlater,
# root frame execlater, before_exec), the rest with the new one's (hot,
# hot_loop), however long after the exec the profile is built. The oracles:
# the CPU the process used before the exec (the workload measures it), and
# perf record on the same command in the same test. Each run splits its CPU
# as the machine lets it, so each profiler's before_exec share is held to its
# own run's split (5 points), and hrprof's hot_loop share of hot to perf's.
. "$(dirname "$0")/lib.sh"
require_workload execlater hot
have_perf || skip "perf record does not work here"

# The truth of each run: the CPU used before the exec, of the whole.
truth() {
	awk -v pre="$(cat "$T/pre.cpu")" '{ printf "%.1f", 100 * pre / ($1 + $2) }' "$T/all.rusage"
}
EXECLATER_CPU_FILE=$T/pre.cpu WL_RUSAGE_FILE=$T/all.rusage \
	perf_run -F 499 -- "$WORKLOADS/execlater" 1.2 "$WORKLOADS/hot" 1.2
perf_truth=$(truth)
perf_before=$(perf_share execlater before_exec)
perf_hot=$(perf_share hot hot_loop)
_between "$perf_before" 15 85 || fail "perf record: before_exec has $perf_before% under execlater: the workload misbehaved"
assert_near "perf record's before_exec against its run's CPU split (the oracle's check)" \
	"$perf_before" "$perf_truth" 5 "perf record" "CPU before the exec"

EXECLATER_CPU_FILE=$T/pre.cpu WL_RUSAGE_FILE=$T/all.rusage \
	wrap "$T/out" -F 499 -- "$WORKLOADS/execlater" 1.2 "$WORKLOADS/hot" 1.2
P=$PROFILE
before=$(label_share "$P" process_name execlater before_exec)
assert_near "before_exec under process_name execlater, against its run's CPU split" \
	"$before" "$(truth)" 5 hrprof "CPU before the exec"
# Within hot, hot_loop and cold_loop run in a fixed ratio: the same for both
# (8 points: hot is short, its start-up weighs on a slow machine).
share_of_hot() { # HOT_LOOP_PCT HOT_PCT
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'
}
assert_near "hot_loop's share of process hot" \
	"$(share_of_hot "$(label_share "$P" process_name hot hot_loop)" "$(label_share "$P" process_name hot)")" \
	"$(share_of_hot "$perf_hot" "$(perf_share hot "")")" 8
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
