#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-vm`, the host's side: boots one test VM whose only case is
# tests/vm/bench.sh (through tests/vm/run.sh), then prints the Markdown
# table it wrote.
#
#   tests/vm/bench_host.sh [KVER]     boot KVER (default: $BENCH_KVER, else the
#                                     oldest kernel with a built module) and bench
#   tests/vm/bench_host.sh --print [DIR...]
#                                     only print the tables already under DIR
#                                     (default $BUILD_ROOT/vm)
#
# Environment: BUILD_ROOT (default <repo>/build), VM_TIMEOUT (default 900),
# and bench.sh's BENCH_RATES, BENCH_RUNS, BENCH_TARGET_S, BENCH_SCALE, which
# the guest sees through a small wrapper.
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
		done < <(find "$d" -name bench.md -type f 2>/dev/null | sort)
	done
	[ $found = 1 ] || {
		echo "bench_host: no bench.md under $*: run make bench-vm" >&2
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
{
	echo '#!/bin/bash'
	for v in BENCH_RATES BENCH_RUNS BENCH_TARGET_S BENCH_SCALE; do
		[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'exec bash %q "$@"\n' "$here/bench.sh"
} >"$cases/bench.sh"

echo "bench_host: booting $kver for the benchmark (a few minutes)" >&2
BUILD_ROOT=$build VM_CASES_DIR=$cases VM_CASES='' VM_TIMEOUT=${VM_TIMEOUT:-900} \
	"$here/run.sh" "$kver"
rc=$?
table=$build/vm/$kver/results/bench/out/bench.md
if [ ! -s "$table" ]; then
	echo "bench_host: the guest wrote no $table (run.sh exited $rc; see $build/vm/$kver/results/bench/log)" >&2
	exit 1
fi
echo
cat "$table"
