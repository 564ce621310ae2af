#!/bin/bash
# Without root: hrprof says which setting blocks it and how to fix it.
#  - wrap as an unprivileged user: with perf_event_paranoid <= 2 user frames
#    are still allowed, so the profile is taken without kernel frames and
#    says so (a warning, a profile comment); above 2 it is refused, naming
#    the setting.
#  - global as an unprivileged user: refused, naming perf_event_paranoid and
#    CAP_PERFMON, exit 1.
#  - io_uring refused (seccomp): the error names its causes; the command
#    still runs.
#  - a ring larger than the unprivileged mlock allowance with `ulimit -l 64`:
#    the error names ulimit -l, CAP_IPC_LOCK and perf_event_mlock_kb; the
#    command still runs.
. "$(dirname "$0")/lib.sh"
require_workload hot seccomp_deny
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
[ "$(id -u)" = 0 ] || skip "needs root to switch to an unprivileged user"

paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
mkdir -p "$T/out"
chmod 777 "$T/out"
chmod 755 "$T"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

# 1. wrap, unprivileged
rc=0
as_nobody "$HRPROF" --output "$T/out" -- "$WORKLOADS/hot" 1 >"$T/wrap.out" 2>"$T/wrap.err" || rc=$?
if [ "$paranoid" -le 2 ]; then
	[ $rc -eq 0 ] || fail "unprivileged wrap exited $rc: $(cat "$T/wrap.err")"
	grep -q "kernel frames are not permitted (perf_event_paranoid=$paranoid" "$T/wrap.err" ||
		fail "no warning about kernel frames: $(cat "$T/wrap.err")"
	P=$(profile_of "$T/out") || exit 1
	go tool pprof -raw "$P" 2>/dev/null | grep -q "kernel frames excluded" ||
		fail "the profile does not say kernel frames were excluded"
	assert_share "$P" hot_loop 70 100
else
	grep -q "perf_event_paranoid is $paranoid" "$T/wrap.err" ||
		fail "refusal does not name perf_event_paranoid: $(cat "$T/wrap.err")"
fi

# 2. global, unprivileged: refused
rc=0
as_nobody timeout 20 "$HRPROF" -g --output "$T/out" >"$T/global.out" 2>"$T/global.err" || rc=$?
[ $rc -eq 1 ] || fail "unprivileged --global exited $rc, expected 1: $(cat "$T/global.err")"
grep -q "perf_event_paranoid is $paranoid and hrprof lacks CAP_PERFMON" "$T/global.err" ||
	fail "the refusal does not name the setting: $(cat "$T/global.err")"
grep -q "perf_event_paranoid" "$T/global.err" && grep -q "echo 1 | sudo tee" "$T/global.err" ||
	fail "the refusal gives no fix: $(cat "$T/global.err")"

# 3. io_uring refused (a seccomp filter, as a container runtime sets): the
#    error names the causes; the command still runs, with its exit status.
rc=0
WL_PID_FILE=$T/uring.pid "$WORKLOADS/seccomp_deny" io_uring_setup ENOSYS "$HRPROF" --output "$T/out-uring" -- "$WORKLOADS/hot" 0.2 \
	>"$T/uring.out" 2>"$T/uring.err" || rc=$?
grep -q "io_uring setup failed (Function not implemented): io_uring is disabled here" "$T/uring.err" ||
	fail "io_uring refusal not explained: $(cat "$T/uring.err")"
grep -q "runs without it" "$T/uring.err" || fail "no word that the command runs unprofiled: $(cat "$T/uring.err")"
[ $rc -eq 0 ] || fail "the command should still run (exit 0) when io_uring is refused, got $rc: $(cat "$T/uring.err")"
[ -s "$T/uring.pid" ] || fail "the command did not run when io_uring was refused"
[ ! -e "$T/out-uring" ] || [ -z "$(ls -A "$T/out-uring")" ] || fail "a profile without profiling: $(ls "$T/out-uring")"

# 4. ring mmap refused (only reachable where unprivileged sampling is allowed)
if [ "$paranoid" -le 2 ]; then
	rc=0
	as_nobody bash -c "ulimit -l 64; exec \"$HRPROF\" -F 10000 --output \"$T/out\" -- \"$WORKLOADS/hot\" 0.5" \
		>"$T/mlock.out" 2>"$T/mlock.err" || rc=$?
	grep -q "ulimit -l" "$T/mlock.err" && grep -q "CAP_IPC_LOCK" "$T/mlock.err" &&
		grep -q "perf_event_mlock_kb" "$T/mlock.err" ||
		fail "mmap refusal does not name ulimit -l / CAP_IPC_LOCK / perf_event_mlock_kb: $(cat "$T/mlock.err")"
	[ $rc -eq 0 ] || fail "the command should still run (exit 0) when profiling cannot start, got $rc"
fi
log "ok: refusals name their cause (perf_event_paranoid=$paranoid)"
pass
