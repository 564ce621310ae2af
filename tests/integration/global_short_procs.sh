#!/bin/bash
# --global while 300 short processes run one after another (a shell loop
# that forks and execs hot for 10 ms each): each sample is named as its
# process was when it was taken, though most of those processes are gone
# when the profile is built. The oracle is perf record -a on the same run:
# the share of hot_loop under process_name hot within 5 points of perf's,
# [unknown mapping] frames in hot no more often than perf's [unknown]; no
# sample with a pid of -1 (perf's "no pid") shown as a process, none under a
# process without a name.
. "$(dirname "$0")/lib.sh"
require_workload hot
have_perf || skip "perf record does not work here"

mkdir -p "$T/out"
bg "$HRPROF" -g -F 499 --output "$T/out"
hp=$BG_PID
bg perf record -q -a -g -e cpu-clock -F 499 -o "$T/perf.data"
pp=$BG_PID
sleep 1
kill -0 $hp 2>/dev/null || { wait $hp; fail "hrprof -g exited early with $?"; }
kill -0 $pp 2>/dev/null || { wait $pp; fail "perf record -a exited early with $?"; }
for ((i = 0; i < 300; i++)); do
	"$WORKLOADS/hot" 0.01
done
kill -INT $hp $pp
wait_pid $hp 30
[ $WAIT_RC -eq 0 ] || fail "hrprof -g exited $WAIT_RC after SIGINT: $(tail -3 "$T/hrprof.err" 2>/dev/null)"
wait_pid $pp 30
P=$(profile_of "$T/out") || exit 1

# Each profiler sees the other's CPU, and perf record does not show its own:
# both profilers' processes are left out of the shares, and so are samples
# lost (a loaded host, an ASan build: hrprof shows them as [lost], perf
# record as nothing).
perf_hot=$(perf_stacks | awk -F'\t' '$2 == 0 || $1 == "perf" || $1 == "hrprof" { next }
	{ all++; if ($1 == "hot" && (";" $3 ";") ~ /;hot_loop;/) hit++ }
	END { printf "%.1f\n", all ? 100 * hit / all : 0 }')
_between "$perf_hot" 15 100 || fail "perf record -a: hot_loop under hot is only $perf_hot%: the loop did not run"
hot=$(pprof_stacks "$P" | awk -F'\t' '{ name = ""; n = split($2, l, "|")
		for (i = 1; i <= n; i++) if (l[i] ~ /^process_name=/) name = substr(l[i], 14)
		if (name == "perf" || name == "hrprof" || $3 == "[lost]") next
		all += $1; if (name == "hot" && (";" $3 ";") ~ /;hot_loop;/) hit += $1 }
	END { printf "%.1f\n", all ? 100 * hit / all : 0 }')
assert_near "hot_loop under process_name hot (the profilers left out)" "$hot" "$perf_hot" 5
# Frames that frame pointers cannot walk (ld.so, libc) are [unknown] to perf
# as to hrprof: hrprof may have no more of them than perf.
unknown=$(awk -v n="$(label_samples "$P" process_name hot "[unknown mapping]")" \
	-v t="$(label_samples "$P" process_name hot)" 'BEGIN { printf "%.1f\n", t ? 100 * n / t : 0 }')
perf_unknown=$(awk -v n="$(perf_share hot "[unknown]")" -v t="$(perf_share hot "")" \
	'BEGIN { printf "%.1f\n", t ? 100 * n / t : 0 }')
awk -v a="$unknown" -v b="$perf_unknown" 'BEGIN { exit !(a <= b + 3) }' ||
	fail "$unknown% of the samples of hot have an [unknown mapping] frame, perf record $perf_unknown% [unknown]:
$(pprof_stacks "$P" | grep 'process_name=hot' | grep 'unknown mapping' | sort -rn | head -5)"
log "ok: [unknown mapping] in $unknown% of hot's samples, perf record [unknown] in $perf_unknown%"
n=$(label_samples "$P" process_id 4294967295)
[ "$n" -eq 0 ] || fail "$n samples labelled process_id 4294967295"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^(<unknown>|\[pid [0-9]+\]);/ || $3 == "" { s += $1 } END { print s + 0 }')
[ "$n" -eq 0 ] || fail "$n samples under a process with no name: $(pprof_stacks "$P" | awk -F"\t" '$3 ~ /^(<unknown>|\[pid [0-9]+\]);/ || $3 == ""' | head -5)"
log "ok: $(label_values "$P" process_id | wc -l) processes in the profile"
pass
