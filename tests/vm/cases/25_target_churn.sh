#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The target set stays O(1): a wrapped target forks 20,000 short-lived
# children (each a target while it lives, tests/vm/switch_cost.c), and a
# context switch between two processes that are not targets costs what it
# did at the start of the session (the sched_switch probe looks each one up).
# Measured in the same boot: two threads on CPU 0 hand a turn back and
# forth through a futex, and the fastest of 100 rounds of 2,000 switches (a
# round the emulator ran undisturbed) gives the cost of a switch, before
# and after, in getppid system calls timed in the same rounds (the
# emulator's speed varies with the host's load): within 25 %. The daemon and its targets run on CPU 1, so that
# their own work (20,000 forks and exits to follow, profiles to build) does
# not share CPU 0 with the measurement, and the second measurement waits 5 s
# for the kernel to finish freeing the exited tasks, then for CPU 1 to be
# quiet (a busy vCPU slows the others under TCG: 6.1 once measured 10.5
# then 16.7 us with hrprof, 9.7 then 9.7 us without). The kernel's own drift
# is measured first, by the same churn without hrprof (6.12 under TCG has
# shown switches twice as slow after it without hrprof: 10.8 then 21.6 us,
# and 11.5 then 19.0 us with it, in one boot): hrprof's
# after may exceed its before by 25 % on top of that drift. The module's
# stats at the end count no target left.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	if [ "${VM_DEBUG_KERNEL:-}" = 1 ]; then
		# 40,000 forks under KASAN and lockdep outlast the case's time
		echo "a cost measurement: not on the debug kernel"
		exit 77
	fi
	[ -x "$VMBIN/switch_cost" ] || die "no $VMBIN/switch_cost (tests/vm/run.sh compiles it)"
	# wait_quiet CPU SECS: until CPU was busy less than 5 % of a second
	# (/proc/stat), at most SECS seconds; prints how long it waited.
	wait_quiet() {
		local cpu=$1 max=$2 t=0 a b
		while [ $t -lt "$max" ]; do
			a=$(grep "^cpu$cpu " /proc/stat)
			sleep 1
			t=$((t + 1))
			b=$(grep "^cpu$cpu " /proc/stat)
			awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); tot = 0
				for (i = 2; i <= 9; i++) tot += y[i] - x[i]
				idle = (y[5] - x[5]) + (y[6] - x[6])
				exit !(tot > 0 && (tot - idle) / tot < 0.05) }' && break
		done
		echo "waited $t s for CPU $cpu to be quiet"
	}
	# churn NAME CMD...: CMD (ending in switch_cost fork 20000 SYNC) on CPU 1;
	# a measurement before its forks and one after, into OUT/NAME.before,
	# .after.
	churn() {
		local name=$1 pid
		shift
		mkdir -p "$OUT/$name.sync"
		taskset -c 1 "$@" "$OUT/$name.sync" >"$OUT/$name.out" 2>"$OUT/$name.err" &
		pid=$!
		wait_for "$OUT/$name.sync/ready" 60 || {
			kill -KILL $pid
			die "$name: the target did not start: $(tail -n 5 "$OUT/$name.err")"
		}
		"$VMBIN/switch_cost" measure 100 2000 >"$OUT/$name.before" || die "measure before failed"
		: >"$OUT/$name.sync/go"
		wait_for "$OUT/$name.sync/forked" 240 || {
			kill -KILL $pid
			die "$name: 20,000 forks did not end within 240 s"
		}
		# Let the kernel finish with the 20,000 exits (RCU callbacks and
		# workers free their tasks, on every CPU) and the daemon with
		# their records before measuring again: CPU 1 quiet. Under TCG a
		# busy vCPU takes the host's cores from the measuring one.
		sleep 5
		wait_quiet 1 60 >>"$OUT/$name.quiet"
		"$VMBIN/switch_cost" measure 100 2000 >"$OUT/$name.after" || die "measure after failed"
		: >"$OUT/$name.sync/done"
		wait $pid
		echo $? >"$OUT/$name.rc"
	}
	churn control "$VMBIN/switch_cost" fork 20000
	mkdir -p "$OUT/churn"
	churn churn "$HRPROF" --backend kmod -F 99 -l debug --output "$OUT/churn" -- "$VMBIN/switch_cost" fork 20000
	exit 0
fi

vm_rc control
vm_rc churn
grep -q '^20000 forked, 0 failed' "$OUT/churn.out" || fail "the target's forks: $(cat "$OUT/churn.out")"
before=$(cat "$OUT/churn.before") after=$(cat "$OUT/churn.after")
cb=$(cat "$OUT/control.before") ca=$(cat "$OUT/control.after")
[ -n "$before" ] && [ -n "$after" ] && [ -n "$cb" ] && [ -n "$ca" ] ||
	fail "no measurement: before '$before', after '$after'; without hrprof '$cb', '$ca'"
stats=$(grep -m1 'kmod stats' "$OUT/churn.err")
[ -n "$stats" ] || fail "no kmod stats line in hrprof's debug log"
case $stats in *" targets=0"*) ;; *) fail "targets left in the set after the session: $stats" ;; esac
# Each measurement is "switch_ns syscall_ns": a switch's cost in system
# calls (getppid, timed in the same rounds) is what is compared, so that the
# emulator's speed, which varies with the host's load, divides out.
for m in "$before" "$after" "$cb" "$ca"; do
	[[ $m =~ ^[0-9]+\ [1-9][0-9]*$ ]] || fail "a measurement is not 'switch_ns syscall_ns': '$m'"
done
awk -v b="$before" -v a="$after" -v cb="$cb" -v ca="$ca" \
	'BEGIN { split(b, x, " "); split(a, y, " "); split(cb, u, " "); split(ca, v, " ")
		c = (v[1] / v[2]) / (u[1] / u[2]); if (c < 1) c = 1
		exit !(y[1] / y[2] <= x[1] / x[2] * 1.25 * c) }' ||
	fail "a non-target's context switch cost ${before% *} ns (${before#* } ns a system call) at start, ${after% *} ns (${after#* }) after 20,000 targets came and went (the same churn without hrprof: ${cb% *} ns (${cb#* }), then ${ca% *} ns (${ca#* }))"
log "$(cat "$OUT/control.quiet" "$OUT/churn.quiet" 2>/dev/null | tr '\n' ';')"
pass "a non-target's context switch: ${before% *} ns (${before#* } ns a system call) at start, ${after% *} ns (${after#* }) after 20,000 short-lived targets (without hrprof: ${cb% *} ns (${cb#* }), then ${ca% *} ns (${ca#* }))"
