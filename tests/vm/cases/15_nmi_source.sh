#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The NMI-context sample path: the test-only source (an hrtimer on each CPU
# sends the next CPU an NMI; there is no PMU under TCG), --kmod_source nmi-test.
# The same assertions as 10_hot, and the guest's NMI count rose by about as
# many NMIs as there are samples. The source exists only when the module is
# loaded with nmi_test=1: loaded without it, the module does not offer it,
# and hrprof says so in one error line naming the parameter, writes no
# profile and (as it does whenever profiling cannot start) runs the command
# unprofiled.
. "$(dirname "$0")/lib.sh" "$@"

nmis() {
	awk '$1 == "NMI:" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts
}

if [ "$MODE" = collect ]; then
	rmmod hrprof || die "rmmod failed: use count $(module_refcnt)"
	insmod "$HRPROF_KO" || die "insmod without nmi_test failed"
	mkdir -p "$OUT/absent"
	vm_run absent 60 "$HRPROF" --backend kmod -F 499 --output "$OUT/absent" --kmod_source nmi-test -- "$WORKLOADS/hot" 1
	rmmod hrprof || die "rmmod failed: use count $(module_refcnt)"
	reload
	[ "$(cat /sys/module/hrprof/parameters/nmi_test)" = Y ] || die "reloaded without nmi_test=1"
	nmis >"$OUT/nmi-before"
	vm_hrprof nmi 120 -F 499 -l debug --kmod_source nmi-test -- "$WORKLOADS/hot" 3
	nmis >"$OUT/nmi-after"
	exit 0
fi

rc=$(cat "$OUT/absent.rc")
[ "$(grep -c 'error:.*nmi_test=1' "$OUT/absent.err")" = 1 ] ||
	fail "without nmi_test=1, no one error line naming it (exit $rc): $(cat "$OUT/absent.err")"
! ls "$OUT/absent/"*.pb.gz >/dev/null 2>&1 || fail "a profile was written without the NMI source: $(ls "$OUT/absent")"
grep -q 'runs without it' "$OUT/absent.err" || fail "the command was not run unprofiled: $(cat "$OUT/absent.err")"
log "ok: without nmi_test=1 (exit $rc): $(grep -m1 nmi_test "$OUT/absent.err")"
vm_rc nmi
vm_profile "$OUT/nmi"
P=$PROFILE
assert_backend_kmod "$P"
# Flat share: under emulation an NMI often finds its CPU inside that CPU's own
# timer interrupt (17 % seen), where the kernel frames sit on top of hot_loop:
# the stack is whole, so hot_loop's cumulative share stays high.
assert_hot "$P" 55
assert_cum_share "$P" hot_loop 75 100
n=$(total_samples "$P")
before=$(cat "$OUT/nmi-before") after=$(cat "$OUT/nmi-after")
[ -n "$before" ] && [ -n "$after" ] || fail "no NMI line in the guest's /proc/interrupts"
[ $((after - before)) -ge $((n / 2)) ] ||
	fail "the guest took $((after - before)) NMIs during the session, for $n samples: not the NMI source? $(grep -i -m5 'source\|nmi' "$OUT/nmi.err")"
pass "$n samples, $((after - before)) NMIs"
