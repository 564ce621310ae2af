#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-vm`, the guest's side: the module's overhead next to the perf
# backend and `perf record -g`, inside one test VM (TCG: no PMU, so every
# profiler samples on cpu-clock; timings are only meaningful as ratios taken
# in the same guest).
#
#   tests/vm/bench.sh [collect] OUTDIR     in the guest, module loaded, as root
#   tests/vm/bench.sh check OUTDIR         prints OUTDIR/bench.md (host)
#
# The bench workload does a fixed amount of work, scaled so that it runs
# about BENCH_TARGET_S seconds alone (default 1.0), and writes its own run
# time (main to the end of the work) to WL_ELAPSED_FILE. For each rate in
# BENCH_RATES (default "1000 10000 50000") it runs, interleaved, BENCH_RUNS
# times (default 3): the workload alone, under `hrprof --backend kmod`, under
# `hrprof --backend perf`, under `perf record -g -e cpu-clock`, and under
# $VMBIN/kmod_stats (the module with a bare reader, no daemon). Medians,
# as slowdown ratios against alone, go to OUTDIR/bench.md (Markdown) with
# the module's own cost per sample (HRPROF_IOC_GET_STATS: sample_ns /
# samples, from the daemon's "kmod stats:" debug line) and lost samples;
# raw numbers to OUTDIR/raw/.
#
# Environment: HRPROF, WORKLOADS, VMBIN (as for the cases; defaults under
# <repo>/build), BENCH_RATES, BENCH_RUNS, BENCH_TARGET_S, BENCH_SCALE (fixes
# the workload's scale instead of calibrating it), BENCH_DEADLINE_S (default
# 260: guest.sh gives a case 300 s; past it no new round starts, and the
# table says how many runs it has).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=collect
case ${1:-} in collect | check)
	mode=$1
	shift
	;;
esac
OUT=${1:?usage: bench.sh [collect|check] OUTDIR}
if [ "$mode" = check ]; then
	[ -s "$OUT/bench.md" ] || {
		echo "bench: no $OUT/bench.md" >&2
		exit 1
	}
	cat "$OUT/bench.md"
	exit 0
fi

HRPROF=${HRPROF:-$repo/build/release/hrprof}
WORKLOADS=${WORKLOADS:-$repo/build/workloads}
VMBIN=${VMBIN:-$repo/build/vm/bin}
RATES=${BENCH_RATES:-1000 10000 50000}
RUNS=${BENCH_RUNS:-3}
TARGET=${BENCH_TARGET_S:-1.0}
DEADLINE=${BENCH_DEADLINE_S:-260}
W=$WORKLOADS/bench
CONFIGS="alone kmod perfbe perfrec kstats"

mkdir -p "$OUT/raw" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/hrprof-vmbench.XXXXXX")
old_rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate 2>/dev/null)
old_pct=$(cat /proc/sys/kernel/perf_cpu_time_max_percent 2>/dev/null)
cleanup() {
	# The rate cannot be written while the percent is 0 or 100: percent last.
	[ -n "$old_pct" ] && echo 25 >/proc/sys/kernel/perf_cpu_time_max_percent
	[ -n "$old_rate" ] && echo "$old_rate" >/proc/sys/kernel/perf_event_max_sample_rate
	[ -n "$old_pct" ] && echo "$old_pct" >/proc/sys/kernel/perf_cpu_time_max_percent
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() {
	echo "bench: $*" >&2
}

[ -x "$HRPROF" ] || { say "no hrprof at $HRPROF"; exit 1; }
[ -x "$W" ] || { say "no workload at $W (make workloads)"; exit 1; }
[ -c /dev/hrprof ] || { say "no /dev/hrprof: the module is not loaded"; exit 1; }
have_perf=1
perf record -q -e cpu-clock -o "$T/probe.data" -- true >/dev/null 2>&1 || {
	have_perf=0
	say "perf record does not work here: its column is left out"
}
have_kstats=1
[ -x "$VMBIN/kmod_stats" ] || {
	have_kstats=0
	say "no $VMBIN/kmod_stats: its column is left out"
}

# Every profiler gets the rates asked for: no sample-rate cap, no throttling
# (cpu-clock is not throttled by perf's NMI-time accounting anyway).
echo 100000 >/proc/sys/kernel/perf_event_max_sample_rate 2>/dev/null
echo 0 >/proc/sys/kernel/perf_cpu_time_max_percent 2>/dev/null

# elapsed_of CMD...: runs CMD with WL_ELAPSED_FILE; prints the workload's own
# seconds; its output goes to $T/log. Fails when CMD fails.
elapsed_of() {
	local rc=0
	rm -f "$T/elapsed"
	WL_ELAPSED_FILE=$T/elapsed timeout -k 5 600 "$@" >"$T/log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ ! -s "$T/elapsed" ]; then
		say "'$*' failed (exit $rc): $(tail -n 5 "$T/log")"
		return 1
	fi
	cat "$T/elapsed"
}

# Calibration: the scale for TARGET seconds alone.
"$W" 0.01 2>/dev/null
if [ -n "${BENCH_SCALE:-}" ]; then
	SCALE=$BENCH_SCALE
else
	# Twice: a short first run overstates the per-unit time.
	SCALE=0.05
	for _ in 1 2; do
		e=$(elapsed_of "$W" "$SCALE") || exit 1
		SCALE=$(awk -v s="$SCALE" -v e="$e" -v t="$TARGET" 'BEGIN { s = s * t / e; if (s > 5) s = 5; printf "%.4f", s }')
	done
fi
say "$(nproc) CPUs, $(uname -r), bench scale $SCALE (~$TARGET s alone), $RUNS runs per cell, rates $RATES"

# kv KEY FILE: the last "KEY=N" in FILE.
kv() {
	grep -oE "(^|[ :])$1=[0-9]+" "$2" 2>/dev/null | tail -n 1 | sed 's/.*=//'
}

# run_one CONFIG RATE: one measurement; appends "elapsed samples lost
# sample_ns" (- where unknown) to $OUT/raw/CONFIG-RATE.
run_one() {
	local c=$1 r=$2 e s=- l=- ns=- f=$OUT/raw/$1-$2
	rm -rf "$T/prof" "$T/perf.data"
	mkdir -p "$T/prof"
	case $c in
	alone) e=$(elapsed_of "$W" "$SCALE") || return 1 ;;
	kmod)
		e=$(elapsed_of "$HRPROF" --backend kmod -F "$r" -l debug -o "$T/prof" -- "$W" "$SCALE") || return 1
		grep 'kmod stats:' "$T/log" | tail -n 1 >"$T/kstats"
		s=$(kv samples "$T/kstats")
		l=$(kv lost "$T/kstats")
		ns=$(kv sample_ns "$T/kstats")
		if [ -z "$s" ]; then
			# No stats line: the daemon's own count.
			s=$(grep -oE '[0-9]+ samples, [0-9]+ lost' "$T/log" | tail -n 1 | cut -d' ' -f1)
			l=$(grep -oE '[0-9]+ samples, [0-9]+ lost' "$T/log" | tail -n 1 | cut -d' ' -f3)
		fi
		;;
	perfbe)
		e=$(elapsed_of "$HRPROF" --backend perf -F "$r" -o "$T/prof" -- "$W" "$SCALE") || return 1
		s=$(grep -oE '[0-9]+ samples, [0-9]+ lost' "$T/log" | tail -n 1 | cut -d' ' -f1)
		l=$(grep -oE '[0-9]+ samples, [0-9]+ lost' "$T/log" | tail -n 1 | cut -d' ' -f3)
		;;
	perfrec)
		e=$(elapsed_of perf record -g -e cpu-clock -F "$r" -o "$T/perf.data" -- "$W" "$SCALE") || return 1
		s=$(grep -oE '\(([0-9]+) samples\)' "$T/log" | tail -n 1 | tr -dc 0-9)
		l=$(grep -oE 'Processed [0-9]+ events and lost [0-9]+' "$T/log" | tail -n 1 | awk '{ print $NF }')
		;;
	kstats)
		e=$(elapsed_of "$VMBIN/kmod_stats" -F "$r" -- "$W" "$SCALE") || return 1
		s=$(kv samples "$T/log")
		l=$(kv lost "$T/log")
		ns=$(kv sample_ns "$T/log")
		;;
	esac
	echo "$e ${s:--} ${l:--} ${ns:--}" >>"$f"
}

# median FILE COLUMN
median() {
	awk -v c="$2" '$c != "-" { print $c }' "$1" 2>/dev/null | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { # value base
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2fx", a / b }'
}

for r in $RATES; do
	for c in $CONFIGS; do
		: >"$OUT/raw/$c-$r"
	done
done
cut=
for r in $RATES; do
	for ((i = 1; i <= RUNS; i++)); do
		if [ $SECONDS -ge "$DEADLINE" ] && [ $i -gt 1 ]; then
			cut="$cut $r Hz: $((i - 1)) runs;"
			break
		fi
		say "rate $r Hz, run $i/$RUNS"
		for c in $CONFIGS; do
			[ $c = perfrec ] && [ $have_perf = 0 ] && continue
			[ $c = kstats ] && [ $have_kstats = 0 ] && continue
			run_one $c "$r" || exit 1
		done
	done
done

{
	echo "### hrprof in a test VM: $(uname -r), $(nproc) vCPUs, qemu TCG (no PMU: cpu-clock everywhere)"
	echo
	echo "bench workload, fixed work (scale $SCALE), its own run time; medians of $RUNS interleaved runs; slowdown = median / median alone."
	echo
	echo "| rate Hz | alone s | hrprof --backend kmod | hrprof --backend perf | perf record -g | module + bare reader | module ns/sample | kmod samples | kmod lost | perf-backend samples | perf record samples |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for r in $RATES; do
		a=$(median "$OUT/raw/alone-$r" 1)
		nsps=$(awk '$2 != "-" && $4 != "-" && $2 > 0 { print $4 / $2 }' "$OUT/raw/kmod-$r" | sort -g |
			awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.0f", v[int((NR + 1) / 2)] }')
		[ "$nsps" = - ] && nsps=$(awk '$2 != "-" && $4 != "-" && $2 > 0 { print $4 / $2 }' "$OUT/raw/kstats-$r" |
			sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.0f (bare)", v[int((NR + 1) / 2)] }')
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$r" \
			"$(awk -v a="$a" 'BEGIN { printf "%.3f", a }')" \
			"$(ratio "$(median "$OUT/raw/kmod-$r" 1)" "$a")" \
			"$(ratio "$(median "$OUT/raw/perfbe-$r" 1)" "$a")" \
			"$(ratio "$(median "$OUT/raw/perfrec-$r" 1)" "$a")" \
			"$(ratio "$(median "$OUT/raw/kstats-$r" 1)" "$a")" \
			"$nsps" \
			"$(median "$OUT/raw/kmod-$r" 2)" \
			"$(awk '$3 != "-" { s += $3; n++ } END { if (n) printf "%d (sum of %d)", s, n; else print "-" }' "$OUT/raw/kmod-$r")" \
			"$(median "$OUT/raw/perfbe-$r" 2)" \
			"$(median "$OUT/raw/perfrec-$r" 2)"
	done
	echo
	echo "Module ns/sample: HRPROF_IOC_GET_STATS sample_ns / samples (time in the module's sample path), as the"
	echo "daemon logs it at exit. Module + bare reader: tests/vm/kmod_stats (no daemon, records discarded)."
	echo "Timings under TCG are not native: compare columns, not absolute numbers."
	[ -n "$cut" ] && echo "Cut short by BENCH_DEADLINE_S ($DEADLINE s):$cut"
} >"$OUT/bench.md"
cat "$OUT/bench.md"
