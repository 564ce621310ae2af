#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CFI table ioctls from userspace (tests/vm/kmod_cfi.c): every bad table
# and mapping list refused with its errno, the memory limit, then sessions
# that sample a busy child while random and mutated tables are mapped over
# its code, replaced and deleted thousands of times: no splat (the harness
# checks the kernel log), the module's counters back to nothing held, the
# kernel's slab and vmalloc use back near its start. A walk that meets an
# address outside the child's given mappings flags its record and counts
# (every record, with a mapping away from its code); with no mappings, none.
# Hostile registers (SP and BP in the kernel half, non-canonical, at
# TASK_SIZE_MAX, near 0 and 2^64) under rows of every kind, and a readable
# frame whose caller's slot lies at 2^64 - 8: every walk refused and counted.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ -x "$VMBIN/kmod_cfi" ] || die "no $VMBIN/kmod_cfi (tests/vm/run.sh compiles it)"
	vm_run cfi 240 "$VMBIN/kmod_cfi" 3
	cat "$OUT/cfi.out" "$OUT/cfi.err"
	exit 0
fi

rc=$(cat "$OUT/cfi.rc" 2>/dev/null) || fail "kmod_cfi did not run"
[ "$rc" = 77 ] && skip "$(tail -n 1 "$OUT/cfi.out")"
[ "$rc" = 0 ] || fail "kmod_cfi exited $rc:
$(grep -E '^FAIL|checks|^round' "$OUT/cfi.out" | head -n 40)
$(tail -n 5 "$OUT/cfi.err")"
grep -c '^round ' "$OUT/cfi.out" | grep -qx 3 || fail "kmod_cfi ran $(grep -c '^round ' "$OUT/cfi.out") fuzzing rounds, not 3"
grep -q '^unmapped: ' "$OUT/cfi.out" && grep -q '^no mappings: ' "$OUT/cfi.out" ||
	fail "kmod_cfi did not run its unmapped-address round"
log "$(grep -E '^(limit|round|kernel memory|unmapped|no mappings)' "$OUT/cfi.out")"
pass "$(tail -n 1 "$OUT/cfi.out")"
