#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The NMI-context sample path: the test-only source (an hrtimer on each CPU
# sends the next CPU an NMI; there is no PMU under TCG), --kmod_source nmi-test.
# The same assertions as 10_hot, and the guest's NMI count rose by about as
# many NMIs as there are samples.
. "$(dirname "$0")/lib.sh" "$@"

nmis() {
	awk '$1 == "NMI:" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts
}

if [ "$MODE" = collect ]; then
	nmis >"$OUT/nmi-before"
	vm_hrprof nmi 120 -F 499 -l debug --kmod_source nmi-test -- "$WORKLOADS/hot" 3
	nmis >"$OUT/nmi-after"
	exit 0
fi

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
