#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-vm`, the host's side: boots a test VM whose only case is
# tests/vm/bench.sh (through tests/vm/run.sh), then a 1-vCPU one for the
# per-CPU step (see below), then prints the Markdown tables they wrote.
#
#   tests/vm/bench_host.sh [KVER]     boot KVER (default: $BENCH_KVER, else the
#                                     oldest kernel with a built module) and bench
#   tests/vm/bench_host.sh --print [DIR...]
#                                     only print the tables already under DIR
#                                     (default $BUILD_ROOT/vm)
#
# The table goes to $BUILD_ROOT/vm/bench-KVER.md.
#
# Environment: BUILD_ROOT (default <repo>/build), VM_TIMEOUT (default 1200),
# VM_CASE_TIMEOUT (default 900), VM_SMP (default 2), BENCH_SMP1 (default 1:
# see below), and bench.sh's BENCH_* settings, which the guest sees through
# a small wrapper.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD_ROOT:-$repo/build}

print_tables() {
	local d f found=0
	for d; do
		while IFS= read -r f; do
			found=1
			echo
			echo "<!-- $f -->"
			cat "$f"
		done < <(find "$d" -maxdepth 1 -name 'bench-*.md' ! -name '*-1cpu.md' -type f 2>/dev/null | sort)
	done
	[ $found = 1 ] || {
		echo "bench_host: no bench-*.md under $*: run make bench-vm" >&2
		return 1
	}
}

if [ "${1:-}" = --print ]; then
	shift
	[ $# -gt 0 ] || set -- "$build/vm"
	print_tables "$@"
	exit
fi

kver=${1:-${BENCH_KVER:-}}
if [ -z "$kver" ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
		if [ -d "/lib/modules/$k" ] && [ -f "$build/kmod/$k/kmod/hrprof.ko" ]; then
			kver=$k
			break
		fi
	done
fi
[ -n "$kver" ] || {
	echo "bench_host: no kernel with a built module (make kmod)" >&2
	exit 1
}

# The guest runs cases from a directory: one holding only a wrapper of
# bench.sh that carries the BENCH_* settings into the guest.
cases=$(mktemp -d "${TMPDIR:-/tmp}/hrprof-benchvm.XXXXXX") || exit 1
trap 'rm -rf "$cases"' EXIT

# guest_bench SMP TABLE [VAR=VALUE...]: boots a guest of SMP vCPUs that runs
# bench.sh (with the BENCH_* settings and the VAR=VALUE given); copies its
# table to TABLE.
guest_bench() {
	local smp=$1 saved=$2 v rc table=$build/vm/$kver/results/bench/out/bench.md
	shift 2
	{
		echo '#!/bin/bash'
		for v in BENCH_RATES BENCH_RUNS BENCH_TARGET_S BENCH_SCALE BENCH_STEPS BENCH_COST_RUNS \
			BENCH_PERCPU_RATE BENCH_PERCPU_S BENCH_CFI_RATE BENCH_DEADLINE_S; do
			[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
		done
		for v; do
			printf 'export %q\n' "$v"
		done
		printf 'exec bash %q "$@"\n' "$here/bench.sh"
	} >"$cases/bench.sh"
	echo "bench_host: booting $kver ($smp vCPUs) for the benchmark (a few minutes)" >&2
	BUILD_ROOT=$build VM_CASES_DIR=$cases VM_CASES='' VM_TIMEOUT=${VM_TIMEOUT:-1200} \
		VM_CASE_TIMEOUT=${VM_CASE_TIMEOUT:-900} VM_SMP=$smp "$here/run.sh" "$kver"
	rc=$?
	if [ ! -s "$table" ]; then
		echo "bench_host: the guest wrote no $table (run.sh exited $rc; see $build/vm/$kver/results/bench/log)" >&2
		return 1
	fi
	cp "$table" "$saved"
}

# The whole bench on the usual test guest (2 vCPUs, or VM_SMP); then, unless
# BENCH_SMP1=0, the per-CPU step again on a 1-vCPU guest: with two vCPUs
# both busy, qemu's own timer thread waits for this 2-core machine's cores,
# so guest timers fire late whichever profiler runs; with one, it has a core.
out=$build/vm/bench-$kver.md
guest_bench "${VM_SMP:-2}" "$out" || exit 1
if [ "${BENCH_SMP1:-1}" != 0 ] && [ "${VM_SMP:-2}" != 1 ]; then
	guest_bench 1 "$build/vm/bench-$kver-1cpu.md" BENCH_STEPS=percpu || exit 1
	{
		echo
		echo "#### The per-CPU step again, on a 1-vCPU guest"
		sed -n '/^Every CPU busy/,$p' "$build/vm/bench-$kver-1cpu.md"
	} >>"$out"
fi
echo
cat "$out"
