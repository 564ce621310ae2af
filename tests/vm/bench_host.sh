#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-vm`, the host's side: prints the tables tests/vm/bench.sh wrote
# in the test VMs.
#
#   tests/vm/bench_host.sh [DIR...]
#
# DIR: a bench output directory (holding bench.md) or a results tree to
# search; default: every bench.md under $BUILD_ROOT/vm (default build/vm).
# Also callable as a VM case: `collect OUT` does nothing, `check OUT` prints
# the tables of the results tree that OUT belongs to.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
case ${1:-} in
collect) exit 0 ;;
check) set -- "$(cd "${2:?}/../.." 2>/dev/null && pwd)" ;;
esac
[ $# -gt 0 ] || set -- "${BUILD_ROOT:-$repo/build}/vm"
found=0
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
	exit 1
}
