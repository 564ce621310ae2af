#!/bin/bash
# Kernel frames: syscalls spends most of its CPU in the kernel (read of
# /dev/zero and getppid, issued from syscall_loop itself). Stacks must go on
# from syscall_loop into the kernel's syscall entry, named from kallsyms, and
# its kernel functions hold the shares perf record gives them.
. "$(dirname "$0")/lib.sh"
require_workload syscalls

grep -qw do_syscall_64 /proc/kallsyms || skip "no do_syscall_64 in /proc/kallsyms"
[ "$(awk '$3 == "do_syscall_64" { print $1; exit }' /proc/kallsyms)" != 0000000000000000 ] ||
	skip "kallsyms addresses hidden (kptr_restrict)"

have_perf || skip "perf record does not work here"

wrap "$T/out" -F 199 -- "$WORKLOADS/syscalls" 2.5
P=$PROFILE
# The entry symbol is entry_SYSCALL_64 or, as perf names the return address,
# the local label entry_SYSCALL_64_after_hwframe.
assert_chain "$P" -re main syscall_loop 'entry_SYSCALL_64(_after_hwframe)?' do_syscall_64
assert_cum_share "$P" syscall_loop 95 100
# How the kernel's share splits depends on the host (where its interrupts
# land, what its read of /dev/zero costs): perf record on the same workload
# in the same run is the measure.
perf_run -F 199 -- "$WORKLOADS/syscalls" 2.5
for fn in do_syscall_64 vfs_read; do
	assert_near "$fn cumulative" "$(cum_share "$P" "$fn")" "$(perf_share syscalls "$fn")" 8
done
pass
