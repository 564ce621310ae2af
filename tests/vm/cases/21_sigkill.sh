#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon SIGKILLed mid-session: the module lets go of the session as the
# daemon dies (the module's use count back to 0 while the workload still runs,
# so no descriptor leaked into it), and a new session works.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	mkdir -p "$OUT/killed"
	WL_PID_FILE=$OUT/wl.pid "$HRPROF" --backend kmod -F 999 --output "$OUT/killed" -- "$WORKLOADS/hot" 30 \
		>"$OUT/killed.out" 2>"$OUT/killed.err" &
	hp=$!
	wait_for "$OUT/wl.pid" 60 || {
		kill -KILL $hp
		die "the workload did not start within 60 s: $(tail -n 5 "$OUT/killed.err")"
	}
	wl=$(cat "$OUT/wl.pid")
	sleep 1
	kill -0 $hp 2>/dev/null || die "hrprof exited before the SIGKILL: $(tail -n 5 "$OUT/killed.err")"
	module_refcnt >"$OUT/refcnt-running"
	kill -KILL $hp
	wait $hp
	echo $? >"$OUT/killed.rc"
	for ((i = 0; i < 100; i++)); do
		[ "$(module_refcnt)" = 0 ] && break
		sleep 0.05
	done
	module_refcnt >"$OUT/refcnt-killed"
	kill -0 "$wl" 2>/dev/null && echo alive >"$OUT/wl-alive"
	[ -e "/proc/$wl/fd" ] && ls -l "/proc/$wl/fd" >"$OUT/wl-fds" 2>&1
	kill -KILL "$wl" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[ "$(module_refcnt)" = 0 ] && break
		sleep 0.05
	done
	module_refcnt >"$OUT/refcnt-after"
	vm_hrprof after 120 -F 499 -- "$WORKLOADS/hot" 2
	exit 0
fi

[ "$(cat "$OUT/killed.rc")" = 137 ] || fail "the SIGKILLed hrprof exited $(cat "$OUT/killed.rc")"
[ "$(cat "$OUT/refcnt-running")" -ge 1 ] || fail "module use count $(cat "$OUT/refcnt-running") while the session ran"
[ -f "$OUT/wl-alive" ] || log "note: the workload died with the daemon"
[ "$(cat "$OUT/refcnt-killed")" = 0 ] ||
	fail "module use count $(cat "$OUT/refcnt-killed") 5 s after the daemon's SIGKILL, workload alive: a leaked descriptor? its fds: $(grep -i hrprof "$OUT/wl-fds" 2>/dev/null)"
[ "$(cat "$OUT/refcnt-after")" = 0 ] || fail "module use count $(cat "$OUT/refcnt-after") after the workload's death"
vm_rc after
vm_profile "$OUT/after"
P=$PROFILE
assert_backend_kmod "$P"
assert_hot "$P" 70
pass
