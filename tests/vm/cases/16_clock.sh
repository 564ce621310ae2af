#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The cpu-clock source follows its targets: with a target set, a CPU's timer
# runs only while a target runs there, so the other CPU (idle) and a
# sleeping target take no interrupts, and the samples add up to the
# target's CPU time; a busy process that hrprof attaches to (-p) is sampled
# from the start; in all-processes mode every CPU is sampled, idle ones
# too. Counts come from the module's stats (the daemon's "kmod stats:" line).
. "$(dirname "$0")/lib.sh" "$@"

RATE=1000
if [ "$MODE" = collect ]; then
	nproc >"$OUT/nproc"
	WL_RUSAGE_FILE=$OUT/hot.rusage vm_hrprof hot 120 -F $RATE -l debug -- "$WORKLOADS/hot" 3
	WL_RUSAGE_FILE=$OUT/idle.rusage vm_hrprof idle 60 -F $RATE -l debug -- "$WORKLOADS/idle" 2
	# A busy process already running when hrprof attaches (-p): its CPU's
	# timer starts then, not at its next context switch (there may be none).
	# It runs until killed, 3 s after hrprof says it follows it, so it is
	# certainly alive when hrprof attaches, however slow the guest.
	WL_PID_FILE=$OUT/attach.pid "$WORKLOADS/hot" 600 &
	wp=$!
	wait_for "$OUT/attach.pid" 10 || die "hot wrote no pid file"
	mkdir -p "$OUT/attach"
	timeout -k 5 60 "$HRPROF" --backend kmod --output "$OUT/attach" -p "$(cat "$OUT/attach.pid")" \
		-F $RATE -l debug >"$OUT/attach.out" 2>"$OUT/attach.err" &
	hp=$!
	for ((i = 0; i < 600; i++)); do
		grep -q 'backend kmod:' "$OUT/attach.err" 2>/dev/null && break
		kill -0 $hp 2>/dev/null || break
		sleep 0.05
	done
	grep -q 'backend kmod:' "$OUT/attach.err" || die "hrprof -p did not attach: $(tail -n 5 "$OUT/attach.err")"
	sleep 3
	kill $wp
	wait $wp
	rc=0
	wait $hp || rc=$?
	echo $rc >"$OUT/attach.rc"
	mkdir -p "$OUT/global"
	"$HRPROF" --backend kmod -g -F $RATE -l debug --output "$OUT/global" 2>"$OUT/global.err" &
	hp=$!
	sleep 1
	WL_RUSAGE_FILE=$OUT/global-hot.rusage "$WORKLOADS/hot" 2
	kill -INT $hp
	wait $hp
	echo $? >"$OUT/global.rc"
	exit 0
fi

# stat NAME KEY: KEY's value in NAME's "kmod stats:" line.
stat() {
	grep 'kmod stats:' "$OUT/$1.err" | tail -n 1 | grep -oE "(^| )$2=[0-9]+" | cut -d= -f2
}
# cpu_of FILE: user + sys seconds.
cpu_of() {
	awk '{ printf "%.3f", $1 + $2 }' "$1"
}

vm_rc hot
vm_rc idle
vm_rc global
vm_rc attach
ncpu=$(cat "$OUT/nproc")
for n in hot idle global attach; do
	grep -q 'kmod stats:' "$OUT/$n.err" || fail "$n: no 'kmod stats:' line in its log: $(tail -n 5 "$OUT/$n.err")"
done

# One busy target on a $ncpu-CPU guest: no interrupts on the idle CPU.
s=$(stat hot samples) k=$(stat hot skipped) m=$(stat hot missed)
[ "$k" -le $((5 + s / 100)) ] ||
	fail "hot: $k interrupts skipped for $s samples: the timer ran where no target did"
cpu=$(cpu_of "$OUT/hot.rusage")
expect=$(awk -v c="$cpu" -v r=$RATE 'BEGIN { printf "%d", c * r }')
_between $((s + m)) "$(awk -v e="$expect" 'BEGIN { print e * 0.85 }')" "$(awk -v e="$expect" 'BEGIN { print e * 1.15 }')" ||
	fail "hot: $s samples + $m missed periods for ${cpu}s of CPU at $RATE Hz, expected $expect +-15%"
vm_profile "$OUT/hot"
secs=$(pprof_secs "$PROFILE" cpu-time)
_between "$secs" "$(awk -v c="$cpu" 'BEGIN { print c * 0.85 }')" "$(awk -v c="$cpu" 'BEGIN { print c * 1.15 }')" ||
	fail "hot: cpu-time adds up to ${secs}s, the workload used ${cpu}s (expected +-15%)"
log "ok: hot: $s samples ($m missed periods, $k skipped) for ${cpu}s CPU; cpu-time ${secs}s"

# A sleeping target: interrupts only for the little CPU time it uses
# (starting up), none while it sleeps.
s=$(stat idle samples) k=$(stat idle skipped)
cpu=$(cpu_of "$OUT/idle.rusage")
most=$(awk -v c="$cpu" -v r=$RATE 'BEGIN { printf "%d", c * r * 1.3 + 10 }')
[ $((s + k)) -le "$most" ] ||
	fail "idle: $s samples and $k skipped interrupts for a process that used ${cpu}s of CPU in 2 s (at most $most)"
log "ok: idle: $s samples, $k skipped for ${cpu}s CPU"

# Attached to a running busy process: sampled at the rate from the start.
s=$(stat attach samples) m=$(stat attach missed)
vm_profile "$OUT/attach"
secs=$(pprof_secs "$PROFILE" duration_nanos)
floor=$(awk -v d="$secs" -v r=$RATE 'BEGIN { printf "%d", d * r * 0.7 }')
[ $((s + m)) -ge "$floor" ] ||
	fail "attach: $s samples + $m missed in a ${secs}s profile of a busy process at $RATE Hz (expected >= $floor)"
log "ok: attach: $s samples ($m missed) in ${secs}s"

# All processes: every CPU, idle or not, at the rate; nothing skipped.
s=$(stat global samples) k=$(stat global skipped) m=$(stat global missed)
cpu=$(cpu_of "$OUT/global-hot.rusage")
[ "$k" -eq 0 ] || fail "global: $k interrupts skipped in all-processes mode"
floor=$(awk -v c="$cpu" -v r=$RATE -v n="$ncpu" 'BEGIN { printf "%d", c * r * (n > 1 ? 1.5 : 0.9) }')
[ $((s + m)) -ge "$floor" ] ||
	fail "global: $s samples + $m missed on $ncpu CPUs while hot ran ${cpu}s at $RATE Hz: expected the idle CPU too (>= $floor)"
log "ok: global: $s samples ($m missed) on $ncpu CPUs"
pass
