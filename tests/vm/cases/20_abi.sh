#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The device's ABI from userspace (tests/vm/kmod_abi.c): every bad ioctl
# argument, wrong-state call and bad mmap refused with the errno
# include/hrprof.h gives, a second and an unprivileged open refused, the ring
# protocol (a full ring, consumer_pos written back, poll, REMOVE_TARGET),
# then 200 whole sessions whose every record is checked.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ -x "$VMBIN/kmod_abi" ] || die "no $VMBIN/kmod_abi (tests/vm/run.sh compiles it)"
	vm_run abi 240 "$VMBIN/kmod_abi" 200
	cat "$OUT/abi.out" "$OUT/abi.err"
	exit 0
fi

rc=$(cat "$OUT/abi.rc" 2>/dev/null) || fail "kmod_abi did not run"
[ "$rc" = 77 ] && skip "$(tail -n 1 "$OUT/abi.out")"
grep -q '^sessions: ' "$OUT/abi.out" || fail "kmod_abi (exit $rc) did not reach the sessions: $(tail -n 15 "$OUT/abi.out" "$OUT/abi.err")"
[ "$rc" = 0 ] || fail "kmod_abi exited $rc:
$(grep -E '^FAIL|checks' "$OUT/abi.out" | head -n 40)
$(tail -n 5 "$OUT/abi.err")"
log "$(grep -E '^(info|sessions|full ring):' "$OUT/abi.out")"
pass "$(tail -n 1 "$OUT/abi.out")"
