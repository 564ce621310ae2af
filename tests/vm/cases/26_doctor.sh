#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hrprof doctor with the module loaded: the module line says loaded with
# this hrprof's ABI, the kernel line knows the series, and with nothing
# failing the exit status is 0 (uploads off: no Agent in the guest). Then
# as nobody at perf_event_paranoid 3, which Debian's kernels (these) refuse
# to every unprivileged perf_event_open: the module is there but not
# nobody's (its device needs CAP_SYS_ADMIN), so perf's refusal fails, exit 1.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_run doctor 60 "$HRPROF" doctor --no-upload
	cat "$OUT/doctor.out" "$OUT/doctor.err"
	old=$(cat /proc/sys/kernel/perf_event_paranoid)
	echo 3 >/proc/sys/kernel/perf_event_paranoid
	cd /tmp || exit 1
	vm_run nobody 60 prlimit --memlock=unlimited setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$HRPROF" doctor --no-upload
	echo "$old" >/proc/sys/kernel/perf_event_paranoid
	cat "$OUT/nobody.out" "$OUT/nobody.err"
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

rc=$(cat "$OUT/nobody.rc" 2>/dev/null) || fail "hrprof doctor as nobody did not run"
for want in "warn  module: " "fail  perf_event_paranoid: 3: perf_event_open is refused" \
	"fail  perf_event_open: a cpu-clock event on this process is refused: EACCES"; do
	grep -qF -- "$want" "$OUT/nobody.out" || fail "as nobody at paranoid 3, no '$want' line: $(cat "$OUT/nobody.out" "$OUT/nobody.err")"
done
grep -q "^summary: .* [1-9][0-9]* fail: profiling cannot work" "$OUT/nobody.out" ||
	fail "as nobody, summary: $(tail -n 1 "$OUT/nobody.out")"
[ "$rc" = 1 ] || fail "hrprof doctor as nobody at paranoid 3 exited $rc, expected 1"
pass "module loaded, ABI $abi ok; nobody at paranoid 3: refused, exit 1"
