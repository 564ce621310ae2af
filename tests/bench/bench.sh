#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: hrprof's overhead next to `perf record -g`.
#
#   tests/bench/bench.sh HRPROF WORKLOADS
#
# The bench workload does a fixed amount of CPU work (~2.5 s alone) with
# stacks 10 to 42 frames deep, and times itself from main to the end of its
# work (WL_ELAPSED_FILE), so neither profiler's startup nor teardown counts.
# For each rate it runs, interleaved, RUNS times each: the workload alone,
# under `hrprof -F R --output DIR --`, and under `perf record -g -F R -e cpu-clock`;
# and prints the medians as a Markdown table.
#
# Environment: BENCH_RATES (default "99 1000 10000"), BENCH_RUNS (default 5),
# BENCH_SCALE (the workload's work, default 1), BENCH_WORKLOAD (default bench;
# nofp/bench: the same built without frame pointers), BENCH_PERF_CG (perf's
# call-graph flags, default -g; e.g. "--call-graph dwarf,32768" beside
# hrprof's CFI unwinding).

set -u
HRPROF=${1:-build/release/hrprof}
WORKLOADS=${2:-build/workloads}
RATES=${BENCH_RATES:-99 1000 10000}
RUNS=${BENCH_RUNS:-5}
SCALE=${BENCH_SCALE:-1}
W=$WORKLOADS/${BENCH_WORKLOAD:-bench}
PERF_CG=${BENCH_PERF_CG:--g}

[ -x "$HRPROF" ] || { echo "bench: no hrprof at $HRPROF" >&2; exit 1; }
[ -x "$W" ] || { echo "bench: no workload at $W (make workloads)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 needed" >&2; exit 1; }
have_perf=1
if ! perf record -q -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
	have_perf=0
	echo "bench: perf record does not work here: perf columns left out" >&2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/hrprof-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# measure NAME CMD...: runs CMD; appends "elapsed cpu_total maxrss_kib
# workload_cpu" to $T/NAME. cpu_total and maxrss cover CMD and every process
# it waited for (wait4's rusage); the workload reports its own CPU time.
measure() {
	local name=$1
	shift
	rm -f "$T/elapsed" "$T/rusage"
	WL_ELAPSED_FILE=$T/elapsed WL_RUSAGE_FILE=$T/rusage python3 -c '
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1); os.dup2(fd, 2)
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
print("%d %.6f %d" % (os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
' "$T/$name.log" "$@" >"$T/ru" || return 1
	local rc cpu rss elapsed wcpu
	read -r rc cpu rss <"$T/ru"
	if [ "$rc" != 0 ] || [ ! -s "$T/elapsed" ]; then
		echo "bench: '$*' failed (exit $rc):" >&2
		tail -5 "$T/$name.log" >&2
		return 1
	fi
	elapsed=$(cat "$T/elapsed")
	wcpu=$(awk '{ print $1 + $2 }' "$T/rusage")
	echo "$elapsed $cpu $rss $wcpu" >>"$T/$name"
}

# median FILE COLUMN
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median of a derived column: median_expr FILE AWK_EXPR
median_expr() {
	awk "{ print $2 }" "$1" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "bench: $(nproc) CPUs, $(uname -r), workload $W (scale $SCALE), $RUNS runs per column, rates: $RATES" >&2
"$W" 0.05 2>/dev/null # warm the page cache

rows=()
cpurows=()
notes=()
for r in $RATES; do
	: >"$T/alone-$r"
	: >"$T/hrprof-$r"
	: >"$T/perf-$r"
	: >"$T/lost-$r"
	: >"$T/hsamples-$r"
	: >"$T/psamples-$r"
	: >"$T/pthrottle-$r"
	for ((i = 1; i <= RUNS; i++)); do
		echo "bench: rate $r Hz, run $i/$RUNS" >&2
		measure "alone-$r" "$W" "$SCALE" || exit 1

		rm -rf "$T/prof"
		mkdir -p "$T/prof"
		measure "hrprof-$r" "$HRPROF" -F "$r" --output "$T/prof" -- "$W" "$SCALE" || exit 1
		f=$(ls "$T"/prof/*.pb.gz 2>/dev/null | head -1)
		if [ -n "$f" ]; then
			"$HRPROF" report "$f" >"$T/report" 2>&1
			grep -i lost "$T/report" | head -1 | grep -oE '[0-9]+' | head -1 >>"$T/lost-$r"
			python3 "$(dirname "$0")/../integration/pprof_info.py" "$T"/prof/*.pb.gz |
				tr ' ' '\n' | sed -n 's/^cpu-samples=//p' | awk '{ s += $1 } END { print s + 0 }' >>"$T/hsamples-$r"
		else
			echo "bench: hrprof wrote no profile at $r Hz" >&2
		fi

		if [ $have_perf = 1 ]; then
			# shellcheck disable=SC2086
			measure "perf-$r" perf record -q $PERF_CG -F "$r" -e cpu-clock -o "$T/perf.data" -- "$W" "$SCALE" || exit 1
			perf report -i "$T/perf.data" --stats 2>/dev/null |
				awk '/SAMPLE events:/ { print $3; exit }' >>"$T/psamples-$r"
			perf report -i "$T/perf.data" --stats 2>/dev/null |
				awk '/THROTTLE events:/ { print $3; exit }' >>"$T/pthrottle-$r"
			rm -f "$T/perf.data"
		fi
	done

	alone=$(median "$T/alone-$r" 1)
	h=$(median "$T/hrprof-$r" 1)
	hslow=$(awk -v a="$alone" -v b="$h" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
	# The daemon's own CPU: everything hrprof waited for minus the workload's.
	hcpu=$(median_expr "$T/hrprof-$r" '$2 - $4')
	hrss=$(median "$T/hrprof-$r" 3)
	lost=$(awk '{ s += $1; n++ } END { if (n) printf "%d", s / n; else print "?" }' "$T/lost-$r")
	wcpu=$(median "$T/hrprof-$r" 4)
	hs=$(median "$T/hsamples-$r" 1)
	expect=$(awk -v c="$wcpu" -v r="$r" 'BEGIN { printf "%d", c * r }')
	if [ $have_perf = 1 ]; then
		p=$(median "$T/perf-$r" 1)
		pslow=$(awk -v a="$alone" -v b="$p" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
		ratio=$(awk -v h="$hslow" -v p="$pslow" 'BEGIN { if (p > 0.5 && h > -0.5) printf "%.2f", h / p; else print "n/a" }')
		pcpu=$(printf "%.3f" "$(median_expr "$T/perf-$r" '$2 - $4')")
		ps=$(median "$T/psamples-$r" 1)
		pt=$(awk '{ s += $1 } END { print s + 0 }' "$T/pthrottle-$r")
	else
		pslow=n/a ratio=n/a pcpu=n/a ps=n/a pt=0
	fi
	# The same in the workload's own CPU time: sampling work lands there (the
	# interrupt runs on its CPU), time spent waiting for a neighbour does not.
	acpu=$(median "$T/alone-$r" 4)
	hcslow=$(awk -v a="$acpu" -v b="$wcpu" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
	pcslow=n/a
	[ $have_perf = 1 ] && pcslow=$(awk -v a="$acpu" -v b="$(median "$T/perf-$r" 4)" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
	cpurows+=("$(printf '| %s | %.3f | %s | %s |' "$r" "$acpu" "$hcslow" "$pcslow")")
	rows+=("$(printf '| %s | %.3f | %s | %s | %s | %.3f | %.1f | %s |' "$r" "$alone" "$hslow" "$pslow" "$ratio" \
		"$hcpu" "$(awk -v k="$hrss" 'BEGIN { print k / 1024 }')" "$lost")")
	notes+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$r" "$expect" "$hs" "$ps" "$pt" "$pcpu")")
done

echo
echo "hrprof vs perf record $PERF_CG: ${BENCH_WORKLOAD:-bench} workload (fixed work), medians of $RUNS interleaved runs, $(nproc) CPUs, $(uname -r)"
echo
echo "| rate Hz | alone s | hrprof slowdown % | perf record $PERF_CG slowdown % | ratio | hrprof CPU s | hrprof max RSS MiB | lost samples |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "| rate Hz | workload CPU alone s | hrprof CPU-time slowdown % | perf record $PERF_CG CPU-time slowdown % |"
echo "|---:|---:|---:|---:|"
printf '%s\n' "${cpurows[@]}"
echo
echo "| rate Hz | expected samples (rate x workload CPU) | hrprof samples | perf samples | perf THROTTLE events (all runs) | perf CPU s |"
echo "|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${notes[@]}"
echo
echo "Slowdown: the workload's own run time (main to end of work) against alone; CPU-time slowdown: its"
echo "user+sys time (getrusage), which the sampling interrupts add to and waiting does not. CPU: the profiler's"
echo "user+sys, its children's minus the workload's. Max RSS: wait4's, the larger of the profiler's and"
echo "the workload's (~1.5 MiB). Lost: the mean of \`hrprof report\`'s lost count."
