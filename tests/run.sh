#!/usr/bin/env bash
# The test runner: the tree's own checks (tests/lint/), every unit test
# program in the release and the ASan/UBSan build, then every integration
# test against each build's hrprof. A test
# exits 0 (pass), 77 (skip) or anything else (fail); a test that leaves a
# kernel splat in dmesg fails too. Ends with "N passed, N failed, N skipped".
#
# usage: tests/run.sh BUILD_ROOT [PATTERN]
set -u
# debuginfod servers only where a test starts its own (tests/integration/debuginfod.sh)
unset DEBUGINFOD_URLS
root=${1:-build}
pattern=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
logdir=$root/test-logs
mkdir -p "$logdir"
pass=0 fail=0 skip=0
failed=()

splat_re='BUG:|WARNING:|Oops|scheduling while atomic|possible recursive locking|inconsistent lock state|circular locking dependency'

kmsg_mark() {
	[ -w /dev/kmsg ] && echo "hrprof-test: $1" > /dev/kmsg 2>/dev/null
}

kmsg_splat_since() {
	# Prints splat lines logged after the marker, if dmesg is readable.
	dmesg 2>/dev/null | awk -v m="hrprof-test: $1" 'index($0, m) { on = 1; next } on' |
		grep -E "$splat_re" | head -5
}

run_one() { # name, command...
	local name=$1 log rc splat start limit
	shift
	[ -n "$pattern" ] && [[ $name != *$pattern* ]] && return
	log=$logdir/$(echo "$name" | tr '/ ' '__').log
	kmsg_mark "start $name $$"
	start=$(date +%s.%N)
	# 300 s, unless the script says "# hrprof-test-timeout: N" near its top
	limit=$(head -n 5 "${@: -1}" 2>/dev/null | sed -n 's/^# hrprof-test-timeout: \([0-9]*\)$/\1/p')
	timeout --kill-after=10 "${limit:-300}" "$@" > "$log" 2>&1
	rc=$?
	splat=$(kmsg_splat_since "start $name $$")
	if [ -n "$splat" ]; then
		echo "kernel log after the test:" >> "$log"
		echo "$splat" >> "$log"
		rc=1
	fi
	local secs
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %-40s %5ss\n' "$name" "$secs" ;;
	77) skip=$((skip + 1)); printf 'SKIP %-40s %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*)
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL %-40s (exit %d, log %s)\n' "$name" "$rc" "$log"
		sed 's/^/    | /' "$log" | tail -n 25
		;;
	esac
}

# The tree's own checks (tests/lint/): the layering of userspace/, the
# option reference against the option table.
for t in "$here"/lint/*.sh; do
	run_one "lint/$(basename "$t" .sh)" env BUILD="$root/release" bash "$t"
done

for variant in release asan; do
	for t in "$root/$variant"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$variant/$(basename "$t")" "$t"
	done
done

for variant in release asan; do
	hr=$root/$variant/hrprof
	[ -x "$hr" ] || continue
	for t in "$here"/integration/*.sh; do
		[ "$(basename "$t")" = lib.sh ] && continue
		run_one "integration/$variant/$(basename "$t" .sh)" \
			env HRPROF="$hr" WORKLOADS="$root/workloads" bash "$t"
	done
done

# The fuzzers (make fuzz-bins), FUZZ_TIME seconds each (20 by default).
for b in "$root"/fuzz/bin/fuzz_*; do
	[ -x "$b" ] || continue
	run_one "fuzz/$(basename "$b")" "$here/fuzz/run.sh" "$root/fuzz" "${FUZZ_TIME:-20}" "$(basename "$b")"
done

# vm_cases [ARGS]: tests/vm/run.sh's lines, counted.
vm_cases() {
	local line vmname
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"PASS "*) pass=$((pass + 1)) ;;
		"SKIP "*) skip=$((skip + 1)) ;;
		"FAIL "*)
			fail=$((fail + 1))
			read -r _ vmname _ <<<"$line"
			failed+=("$vmname")
			;;
		esac
	done < <(BUILD_ROOT=$root "$here/vm/run.sh" "$@" 2>&1)
}

# The module, in qemu (tests/vm/run.sh): unless HRPROF_NO_VM=1, or a PATTERN
# that does not contain "vm" was given. Then on the debug kernel
# (tests/vm/debug_kernel.sh) when it is built and cached, with the module
# built for it (make check does both; make check-debug-kernel builds it).
if [ "${HRPROF_NO_VM:-0}" != 1 ] && { [ -z "$pattern" ] || [[ $pattern == *vm* ]]; }; then
	vm_cases
	if dtree=$("$here/vm/debug_kernel.sh" path 2>/dev/null); then
		vm_cases "$dtree"
	fi
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
