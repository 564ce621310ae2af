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
# Three measurements, all in one guest:
#
# 1. Cost per sample in the kernel: BENCH_COST_RUNS (default 3) traced runs
#    per rate of each profiler, with the kernel's timer:hrtimer_expire_entry
#    and _exit tracepoints on; the time between the two (the interquartile
#    mean over a run's callbacks: see trace_mean) is the time the sampling
#    interrupt spends in the profiler's timer
#    function: hrprof_clock_timer for the module, perf_swevent_hrtimer for
#    perf (cpu-clock), both walking the same stacks. Tracing adds the same
#    constant to both, so the ratio is a conservative one.
# 2. All CPUs busy at BENCH_PERCPU_RATE (default 20000) Hz per CPU: the
#    threads workload (4 busy threads) for BENCH_PERCPU_S (default 2)
#    seconds under the module and the perf backend: samples against rate x
#    the workload's CPU time (its getrusage), lost and missed.
# 3. Slowdown: the bench workload does a fixed amount of work, scaled so that
#    it runs about BENCH_TARGET_S seconds alone (default 1.0), and writes its
#    own run time (main to the end of the work) to WL_ELAPSED_FILE. For each
#    rate in BENCH_RATES (default "1000 10000 50000") it runs, interleaved,
#    BENCH_RUNS times (default 3): the workload alone, under `hrprof --backend
#    kmod`, under `hrprof --backend perf`, under `perf record -g -e
#    cpu-clock`, and under $VMBIN/kmod_stats (the module with a bare reader,
#    no daemon). Medians, as slowdown ratios against alone, with the module's
#    own cost per sample (HRPROF_IOC_GET_STATS: sample_ns / samples, from the
#    daemon's "kmod stats:" debug line) and lost samples.
#
# 4. CFI walks: the same traced cost per sample (as 1.) at BENCH_CFI_RATE
#    (default 1000) Hz on the bench workload built without frame pointers
#    (nofp/bench), for: the module walking with CFI tables (--unwind auto),
#    the module by frame pointers (--unwind fp), the perf backend copying
#    32 KiB of stack per sample, and `perf record --call-graph dwarf` with
#    8 KiB and 32 KiB copies; BENCH_COST_RUNS runs each. BENCH_CFI_CONFIGS
#    names fewer columns, to compare builds of the module quickly (default
#    "kmodcfi kmodfp kmodfpb perfbe perfdw8 perfdw32"; a column left out
#    shows "-").
#
# Tables go to OUTDIR/bench.md (Markdown), raw numbers to OUTDIR/raw/.
#
# Environment: HRPROF, WORKLOADS, VMBIN (as for the cases; defaults under
# <repo>/build), BENCH_RATES, BENCH_RUNS, BENCH_TARGET_S, BENCH_SCALE (fixes
# the workload's scale instead of calibrating it), BENCH_STEPS (default
# "cost percpu slowdown": the steps to run), BENCH_COST_RUNS,
# BENCH_PERCPU_RATE, BENCH_PERCPU_S, BENCH_CFI_RATE, BENCH_DEADLINE_S (default 600: past it
# no new round of step 3 starts, and the table says how many runs it has;
# bench_host.sh gives the case VM_CASE_TIMEOUT=900 s).
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
DEADLINE=${BENCH_DEADLINE_S:-600}
STEPS=" ${BENCH_STEPS:-cost percpu slowdown cfi} "
CFI_RATE=${BENCH_CFI_RATE:-1000}
CFI_CONFIGS=${BENCH_CFI_CONFIGS:-kmodcfi kmodfp kmodfpb perfbe perfdw8 perfdw32}
COST_RUNS=${BENCH_COST_RUNS:-3}
PERCPU_RATE=${BENCH_PERCPU_RATE:-20000}
PERCPU_S=${BENCH_PERCPU_S:-2}
TR=/sys/kernel/tracing
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
	trace_stop
	rm -rf "$T"
}
# Tracing of hrtimer callbacks (step 1).
trace_stop() {
	[ -w "$TR/tracing_on" ] || return 0
	echo 0 >"$TR/tracing_on"
	echo 0 >"$TR/events/timer/hrtimer_expire_entry/enable"
	echo 0 >"$TR/events/timer/hrtimer_expire_exit/enable"
}
trace_start() {
	trace_stop
	echo >"$TR/trace"
	echo 1 >"$TR/events/timer/hrtimer_expire_entry/enable" &&
		echo 1 >"$TR/events/timer/hrtimer_expire_exit/enable" &&
		echo 1 >"$TR/tracing_on"
}
# trace_mean FUNC: "us callbacks" of FUNC's hrtimer callbacks traced: the
# interquartile mean of their durations (the middle half's mean), which a
# callback stretched by the host descheduling qemu's vCPU thread does not
# move, while the mean smooths the trace's microsecond resolution.
trace_mean() {
	awk -v want="$1" '
	function cpu_ts() {
		match($0, /\[[0-9]+\]/); c = substr($0, RSTART, RLENGTH)
		match($0, / [0-9]+\.[0-9]+:/); t = substr($0, RSTART + 1, RLENGTH - 2)
	}
	/hrtimer_expire_entry:/ {
		cpu_ts()
		match($0, /function=[^ ]+/)
		if (substr($0, RSTART + 9, RLENGTH - 9) == want) start[c] = t
		else delete start[c]
		next
	}
	/hrtimer_expire_exit:/ {
		cpu_ts()
		if (c in start) { printf "%.3f\n", (t - start[c]) * 1e6; delete start[c] }
	}' "$TR/trace" | sort -g | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) { print "- 0"; exit }
		lo = int(NR / 4) + 1; hi = NR - int(NR / 4)
		for (i = lo; i <= hi; i++) s += v[i]
		printf "%.3f %d\n", s / (hi - lo + 1), NR }'
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
have_trace=0
if [[ $STEPS == *" cost "* || $STEPS == *" cfi "* ]]; then
	if [ -d "$TR/events/timer/hrtimer_expire_entry" ] && echo 32768 >"$TR/buffer_size_kb"; then
		have_trace=1
	else
		say "no hrtimer tracepoints in $TR: the cost table is left out"
	fi
fi
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

# daemon_counts LOG: "samples lost" from hrprof's exit line in LOG ("- -" if
# none). (No process substitution here: the guest has no /dev/fd.)
daemon_counts() {
	grep -oE '[0-9]+ samples, [0-9]+ lost' "$1" | tail -n 1 | awk '{ print $1, $3 } END { if (!NR) print "- -" }'
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
		e=$(elapsed_of "$HRPROF" --backend kmod -F "$r" -l debug --output "$T/prof" -- "$W" "$SCALE") || return 1
		grep 'kmod stats:' "$T/log" | tail -n 1 >"$T/kstats"
		s=$(kv samples "$T/kstats")
		l=$(kv lost "$T/kstats")
		ns=$(kv sample_ns "$T/kstats")
		if [ -z "$s" ]; then
			# No stats line: the daemon's own count.
			s=$(daemon_counts "$T/log") l=${s#* } s=${s% *}
		fi
		;;
	perfbe)
		e=$(elapsed_of "$HRPROF" --backend perf -F "$r" --output "$T/prof" -- "$W" "$SCALE") || return 1
		s=$(daemon_counts "$T/log") l=${s#* } s=${s% *}
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

# sum_of FILE COLUMN
sum_of() {
	awk -v c="$2" '$c != "-" { s += $c; n++ } END { if (n) print s; else print "-" }' "$1" 2>/dev/null
}

# per_sample CONFIG RATE ALONE: (median run time - ALONE) / median samples, in us.
per_sample() {
	awk -v e="$(median "$OUT/raw/$1-$2" 1)" -v n="$(median "$OUT/raw/$1-$2" 2)" -v a="$3" \
		'BEGIN { if (e == "-" || n == "-" || n <= 0) print "-"; else printf "%.1f", (e - a) / n * 1e6 }'
}

ratio() { # value base
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2fx", a / b }'
}

# ---- 1. cost per sample in the kernel
COST_CONFIGS="kmod perfbe perfrec"
have_cost=0
[[ $STEPS == *" cost "* ]] && have_cost=$have_trace
if [ $have_cost = 1 ]; then
	for r in $RATES; do
		for c in $COST_CONFIGS; do
			: >"$OUT/raw/cost-$c-$r"
		done
		for ((i = 1; i <= COST_RUNS; i++)); do
			for c in $COST_CONFIGS; do
				[ $c = perfrec ] && [ $have_perf = 0 ] && continue
				say "cost: $c at $r Hz, traced, run $i/$COST_RUNS"
				fn=perf_swevent_hrtimer
				[ $c = kmod ] && fn=hrprof_clock_timer
				: >"$OUT/raw/$c-$r"
				trace_start || { say "cannot start tracing"; exit 1; }
				run_one $c "$r" || exit 1
				trace_stop
				# mean_us callbacks | elapsed samples lost sample_ns
				echo "$(trace_mean $fn) $(cat "$OUT/raw/$c-$r")" >>"$OUT/raw/cost-$c-$r"
			done
		done
	done
fi

# ---- 2. every CPU busy at PERCPU_RATE Hz per CPU (without frame pointers:
# the module walks with CFI tables)
PERCPU_W=$WORKLOADS/nofp/threads
[ -x "$PERCPU_W" ] || PERCPU_W=$WORKLOADS/threads
# percpu_one CONFIG: appends "cpu_s samples lost missed" to raw/percpu-CONFIG.
percpu_one() {
	local c=$1 log=$T/percpu.log rc=0 s l m=-
	rm -rf "$T/prof" "$T/rusage"
	mkdir -p "$T/prof"
	case $c in
	kmod) set -- "$HRPROF" --backend kmod -l debug ;;
	perfbe) set -- "$HRPROF" --backend perf ;;
	esac
	WL_RUSAGE_FILE=$T/rusage timeout -k 5 120 "$@" -F "$PERCPU_RATE" --output "$T/prof" -- \
		"$PERCPU_W" "$PERCPU_S" >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ ! -s "$T/rusage" ]; then
		say "percpu $c failed (exit $rc): $(tail -n 5 "$log")"
		return 1
	fi
	if [ $c = kmod ]; then
		grep 'kmod stats:' "$log" | tail -n 1 >"$T/kstats"
		s=$(kv samples "$T/kstats")
		l=$(kv lost "$T/kstats")
		m=$(kv missed "$T/kstats")
	else
		s=$(daemon_counts "$log") l=${s#* } s=${s% *}
	fi
	echo "$(awk '{ printf "%.3f", $1 + $2 }' "$T/rusage") ${s:--} ${l:--} ${m:--}" >>"$OUT/raw/percpu-$c"
}
: >"$OUT/raw/percpu-kmod"
: >"$OUT/raw/percpu-perfbe"
if [[ $STEPS != *" percpu "* ]]; then
	:
elif [ -x "$PERCPU_W" ]; then
	for c in kmod perfbe; do
		say "percpu: $c, 4 busy threads at $PERCPU_RATE Hz per CPU"
		percpu_one $c || exit 1
	done
else
	say "no $WORKLOADS/threads: the per-CPU table is left out"
fi

# ---- 3. slowdown
for r in $RATES; do
	for c in $CONFIGS; do
		: >"$OUT/raw/$c-$r"
	done
done
cut=
[[ $STEPS == *" slowdown "* ]] || RATES_SLOW=
for r in ${RATES_SLOW-$RATES}; do
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

# ---- 4. CFI walks: cost per sample in the interrupt, nofp/bench
# cfi_one CONFIG: one traced run; appends "mean_us callbacks elapsed" to
# raw/cfi-CONFIG.
cfi_one() {
	local c=$1 fn=perf_swevent_hrtimer e
	local wl=("$WORKLOADS/nofp/bench" "$SCALE")
	rm -rf "$T/prof" "$T/perf.data"
	mkdir -p "$T/prof"
	trace_start || { say "cannot start tracing"; return 1; }
	case $c in
	kmodcfi)
		fn=hrprof_clock_timer
		e=$(elapsed_of "$HRPROF" --backend kmod -F "$CFI_RATE" -l info --output "$T/prof" -- "${wl[@]}") ;;
	kmodfp)
		fn=hrprof_clock_timer
		e=$(elapsed_of "$HRPROF" --backend kmod --unwind fp -F "$CFI_RATE" --output "$T/prof" -- "${wl[@]}") ;;
	kmodfpb)
		# The same program built with frame pointers: the walk the CFI one
		# replaces, over the same stacks (on nofp/bench a frame-pointer
		# walk stops at the first frame).
		fn=hrprof_clock_timer
		e=$(elapsed_of "$HRPROF" --backend kmod --unwind fp -F "$CFI_RATE" --output "$T/prof" -- "$W" "$SCALE") ;;
	perfbe) e=$(elapsed_of "$HRPROF" --backend perf -F "$CFI_RATE" --output "$T/prof" -- "${wl[@]}") ;;
	perfdw8) e=$(elapsed_of perf record --call-graph dwarf,8192 -e cpu-clock -F "$CFI_RATE" -o "$T/perf.data" -- "${wl[@]}") ;;
	perfdw32) e=$(elapsed_of perf record --call-graph dwarf,32768 -e cpu-clock -F "$CFI_RATE" -o "$T/perf.data" -- "${wl[@]}") ;;
	esac || { trace_stop; return 1; }
	trace_stop
	[ $c = kmodcfi ] && grep -o 'kmod unwind: .*' "$T/log" | tail -n 1 >"$OUT/raw/cfi-kmodcfi-unwind"
	echo "$(trace_mean $fn) $e" >>"$OUT/raw/cfi-$c"
}
have_cfi=0
if [[ $STEPS == *" cfi "* ]] && [ $have_trace = 1 ] && [ -x "$WORKLOADS/nofp/bench" ]; then
	have_cfi=1
	for c in $CFI_CONFIGS; do
		: >"$OUT/raw/cfi-$c"
	done
	for ((i = 1; i <= COST_RUNS; i++)); do
		for c in $CFI_CONFIGS; do
			[[ $c == perfdw* ]] && [ $have_perf = 0 ] && continue
			say "cfi: $c at $CFI_RATE Hz on nofp/bench, traced, run $i/$COST_RUNS"
			cfi_one $c || exit 1
		done
	done
fi

{
	echo "### hrprof in a test VM: $(uname -r), $(nproc) vCPUs, qemu TCG (no PMU: cpu-clock everywhere)"
	if [[ $STEPS == *" slowdown "* ]]; then
		echo
		echo "bench workload, fixed work (scale $SCALE), its own run time; medians of $RUNS interleaved runs; slowdown = median / median alone."
		echo
		echo "| rate Hz | alone s | hrprof --backend kmod | hrprof --backend perf | perf record -g | module + bare reader | module ns/sample | kmod samples | kmod lost | perf-backend samples | perf record samples | workload time added per sample, us (kmod / perf backend / perf record) |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		for r in $RATES; do
			a=$(median "$OUT/raw/alone-$r" 1)
			nsps=$(awk '$2 != "-" && $4 != "-" && $2 > 0 { print $4 / $2 }' "$OUT/raw/kmod-$r" | sort -g |
				awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.0f", v[int((NR + 1) / 2)] }')
			[ "$nsps" = - ] && nsps=$(awk '$2 != "-" && $4 != "-" && $2 > 0 { print $4 / $2 }' "$OUT/raw/kstats-$r" |
				sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else printf "%.0f (bare)", v[int((NR + 1) / 2)] }')
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s |\n' "$r" \
				"$(awk -v a="$a" 'BEGIN { printf "%.3f", a }')" \
				"$(ratio "$(median "$OUT/raw/kmod-$r" 1)" "$a")" \
				"$(ratio "$(median "$OUT/raw/perfbe-$r" 1)" "$a")" \
				"$(ratio "$(median "$OUT/raw/perfrec-$r" 1)" "$a")" \
				"$(ratio "$(median "$OUT/raw/kstats-$r" 1)" "$a")" \
				"$nsps" \
				"$(median "$OUT/raw/kmod-$r" 2)" \
				"$(awk '$3 != "-" { s += $3; n++ } END { if (n) printf "%d (sum of %d)", s, n; else print "-" }' "$OUT/raw/kmod-$r")" \
				"$(median "$OUT/raw/perfbe-$r" 2)" \
				"$(median "$OUT/raw/perfrec-$r" 2)" \
				"$(per_sample kmod "$r" "$a")" "$(per_sample perfbe "$r" "$a")" "$(per_sample perfrec "$r" "$a")"
		done
		echo
		echo "Module ns/sample: HRPROF_IOC_GET_STATS sample_ns / samples (time in the module's sample path), as the"
		echo "daemon logs it at exit. Module + bare reader: tests/vm/kmod_stats (no daemon, records discarded)."
		echo "Workload time added per sample: (median run time - median alone) / median samples: the whole cost of"
		echo "a sample to the workload (interrupt entry and exit, the profiler's handler, its cache footprint)."
		echo "Timings under TCG are not native: compare columns, not absolute numbers."
		[ -n "$cut" ] && echo "Cut short by BENCH_DEADLINE_S ($DEADLINE s):$cut"
	fi
	if [ $have_cost = 1 ]; then
		echo
		echo "Time in the sampling interrupt per sample (the profiler's hrtimer callback, from the kernel's"
		echo "timer:hrtimer_expire_entry/exit tracepoints; the median of $COST_RUNS traced runs' interquartile means, same"
		echo "workload and stacks):"
		echo
		echo "| rate Hz | module (hrprof_clock_timer) | perf backend (perf_swevent_hrtimer) | perf record -g | module / perf backend | module / perf record | module's stats ns/sample | callbacks (module / perf backend / perf record) |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
		for r in $RATES; do
			km=$(median "$OUT/raw/cost-kmod-$r" 1) kn=$(sum_of "$OUT/raw/cost-kmod-$r" 2)
			pm=$(median "$OUT/raw/cost-perfbe-$r" 1) pn=$(sum_of "$OUT/raw/cost-perfbe-$r" 2)
			rm=$(median "$OUT/raw/cost-perfrec-$r" 1) rn=$(sum_of "$OUT/raw/cost-perfrec-$r" 2)
			ks=$(sum_of "$OUT/raw/cost-kmod-$r" 4) kns=$(sum_of "$OUT/raw/cost-kmod-$r" 6)
			printf '| %s | %s us | %s us | %s us | %s | %s | %s | %s / %s / %s |\n' "$r" "$km" "$pm" "$rm" \
				"$(awk -v a="$km" -v b="$pm" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }')" \
				"$(awk -v a="$km" -v b="$rm" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }')" \
				"$(awk -v s="${ks:--}" -v n="${kns:--}" 'BEGIN { if (s == "-" || n == "-" || s <= 0) print "-"; else printf "%.0f", n / s }')" \
				"${kn:--}" "${pn:--}" "${rn:--}"
		done
	fi
	if [ -s "$OUT/raw/percpu-kmod" ]; then
		echo
		echo "Every CPU busy ($(nproc) vCPUs, 4 threads for ${PERCPU_S} s) at $PERCPU_RATE Hz per CPU:"
		echo
		echo "| profiler | workload CPU s | samples | expected (rate x CPU) | samples / expected | lost | missed periods |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for c in kmod perfbe; do
			read -r cpu s l m <"$OUT/raw/percpu-$c" 2>/dev/null || continue
			printf '| %s | %s | %s | %s | %s | %s | %s |\n' \
				"$([ $c = kmod ] && echo "hrprof --backend kmod" || echo "hrprof --backend perf")" "$cpu" "$s" \
				"$(awk -v c="$cpu" -v r="$PERCPU_RATE" 'BEGIN { printf "%d", c * r }')" \
				"$(awk -v c="$cpu" -v r="$PERCPU_RATE" -v s="$s" 'BEGIN { if (s == "-" || c <= 0) print "-"; else printf "%.0f%%", 100 * s / (c * r) }')" \
				"$l" "$m"
		done
		echo
		echo "Lost: dropped for want of ring space (the module's stats; the daemon's count for perf). Missed: timer"
		echo "periods that passed before the interrupt could run (the next sample's period covers them)."
	fi
	if [ $have_cfi = 1 ]; then
		echo
		echo "Code without frame pointers (nofp/bench) at $CFI_RATE Hz: time in the sampling interrupt per sample"
		echo "(as above; the median of $COST_RUNS traced runs), with the module walking CFI tables; each ratio is the"
		echo "median of the $COST_RUNS rounds' own ratios (a round runs every column once, one after the other):"
		echo
		echo "| module, CFI tables | module, frame pointers | module, frame pointers, FP build | perf backend (32 KiB copies) | perf record dwarf,8192 | perf record dwarf,32768 | module CFI / perf dwarf 8 KiB | module CFI / module FP | module CFI / module FP, FP build |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		mc=$(median "$OUT/raw/cfi-kmodcfi" 1) mf=$(median "$OUT/raw/cfi-kmodfp" 1) mb=$(median "$OUT/raw/cfi-kmodfpb" 1)
		pb=$(median "$OUT/raw/cfi-perfbe" 1) d8=$(median "$OUT/raw/cfi-perfdw8" 1) d32=$(median "$OUT/raw/cfi-perfdw32" 1)
		# ratio A B: the median over rounds of A's time / B's (line i of each raw file is round i)
		ratio() {
			[ -f "$OUT/raw/cfi-$1" ] && [ -f "$OUT/raw/cfi-$2" ] || { echo -; return; }
			paste -d' ' "$OUT/raw/cfi-$1" "$OUT/raw/cfi-$2" | awk '$1 != "-" && $4 != "-" && $4 > 0 { printf "%.6f\n", $1 / $4 }' |
				sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2];
					else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
		}
		printf '| %s us | %s us | %s us | %s us | %s us | %s us | %s | %s | %s |\n' "$mc" "$mf" "$mb" "$pb" "$d8" "$d32" \
			"$(ratio kmodcfi perfdw8)" "$(ratio kmodcfi kmodfp)" "$(ratio kmodcfi kmodfpb)"
		echo
		echo "Module, frame pointers: nofp/bench walked by frame pointers (the walk stops at the first frame);"
		echo "FP build: the same program built with frame pointers (bench), whose stacks the walk climbs whole."
		echo
		echo "The module's walks (the last run's exit summary): $(sed 's/^kmod unwind: //' "$OUT/raw/cfi-kmodcfi-unwind" 2>/dev/null)"
	fi
} >"$OUT/bench.md"
cat "$OUT/bench.md"
