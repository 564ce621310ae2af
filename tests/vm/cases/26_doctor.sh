#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hrprof doctor with the module loaded: the module line says loaded with
# this hrprof's ABI, the kernel line knows the series, and with nothing
# failing the exit status is 0 (uploads off: no Agent in the guest).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_run doctor 60 "$HRPROF" doctor --no-upload
	cat "$OUT/doctor.out" "$OUT/doctor.err"
	exit 0
fi

rc=$(cat "$OUT/doctor.rc" 2>/dev/null) || fail "hrprof doctor did not run"
abi=$(sed -n 's/^#define HRPROF_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$VM_REPO/include/hrprof.h")
grep -q "^ok    module: the module is loaded (ABI $abi); this hrprof speaks ABI $abi" "$OUT/doctor.out" ||
	fail "no 'ok module: ... loaded (ABI $abi)' line: $(cat "$OUT/doctor.out" "$OUT/doctor.err")"
grep -q "^ok    kernel: .*, this kernel's series" "$OUT/doctor.out" ||
	fail "the kernel line does not know this series: $(grep kernel "$OUT/doctor.out")"
grep -q "^ok    agent: uploads are off" "$OUT/doctor.out" || fail "agent line: $(grep agent "$OUT/doctor.out")"
grep -q "^summary: .* 0 fail: profiling can work (the kernel module)" "$OUT/doctor.out" ||
	fail "summary: $(tail -n 1 "$OUT/doctor.out")"
[ "$rc" = 0 ] || fail "hrprof doctor exited $rc: $(grep -E '^(fail|warn)' "$OUT/doctor.out")"
log "$(grep -E '^(warn|fail)' "$OUT/doctor.out")"
pass "module loaded, ABI $abi ok"
