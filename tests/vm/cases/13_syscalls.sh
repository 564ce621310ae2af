#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel frames through the module: syscalls (read of /dev/zero, getppid from
# syscall_loop) has stacks main -> syscall_loop -> entry_SYSCALL_64 ->
# do_syscall_64 -> ..., user and kernel frames in one stack, the kernel's
# named from the guest's kallsyms (tests/integration/kernel_syscalls.sh).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_hrprof syscalls 120 -F 499 -- "$WORKLOADS/syscalls" 3
	exit 0
fi

vm_rc syscalls
vm_profile "$OUT/syscalls"
P=$PROFILE
assert_backend_kmod "$P"
assert_chain "$P" -re main syscall_loop 'entry_SYSCALL_64(_after_hwframe)?' do_syscall_64
assert_cum_share "$P" do_syscall_64 40 100
assert_cum_share "$P" syscall_loop 90 100
# Kernel frames go down to the syscall's work, not just the entry.
assert_cum_share "$P" vfs_read 20 100
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;do_syscall_64;.*vfs_read/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no stack with do_syscall_64 ... vfs_read: $(show_traces "$P" 4)"
pass
