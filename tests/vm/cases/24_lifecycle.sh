#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module cannot go while a session lives: rmmod fails (in use) while the
# daemon's session runs, and while only a mapping of a closed session's rings
# holds it (tests/vm/kmod_hold.c -c); either session keeps working through
# the refused rmmod; once it is gone, rmmod works.
. "$(dirname "$0")/lib.sh" "$@"

# try_rmmod NAME: rmmod must fail and leave the module loaded.
try_rmmod() {
	local rc=0
	module_refcnt >"$OUT/$1.refcnt"
	rmmod hrprof >"$OUT/$1.rmmod" 2>&1 || rc=$?
	echo $rc >>"$OUT/$1.rmmod"
	[ $rc -ne 0 ] || die "$1: rmmod succeeded while a session was open"
	[ -d /sys/module/hrprof ] || die "$1: rmmod failed but the module is gone"
	log "$1: rmmod refused: $(head -n 1 "$OUT/$1.rmmod"), use count $(cat "$OUT/$1.refcnt")"
}

# unload_load NAME: the session is gone: rmmod works (use count 0), insmod back.
unload_load() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(module_refcnt)" = 0 ] && break
		sleep 0.05
	done
	rmmod hrprof 2>"$OUT/$1.rmmod-after" ||
		die "$1: rmmod after the session failed: $(cat "$OUT/$1.rmmod-after"), use count $(module_refcnt)"
	insmod "$HRPROF_KO" "$HRPROF_KO_ARGS" || die "$1: insmod failed"
}

if [ "$MODE" = collect ]; then
	# The daemon's session.
	mkdir -p "$OUT/held"
	WL_PID_FILE=$OUT/wl.pid "$HRPROF" --backend kmod -F 499 --output "$OUT/held" -- "$WORKLOADS/hot" 4 \
		>"$OUT/held.out" 2>"$OUT/held.err" &
	hp=$!
	wait_for "$OUT/wl.pid" 60 || {
		kill -KILL $hp
		die "the workload did not start within 60 s: $(tail -n 5 "$OUT/held.err")"
	}
	sleep 0.5
	try_rmmod daemon
	wait $hp
	echo $? >"$OUT/held.rc"
	[ "$(cat "$OUT/held.rc")" = 0 ] || die "hrprof exited $(cat "$OUT/held.rc") after the refused rmmod: $(tail -n 5 "$OUT/held.err")"
	unload_load daemon

	# A closed session that only its mappings hold.
	[ -x "$VMBIN/kmod_hold" ] || die "no $VMBIN/kmod_hold"
	rm -f /tmp/hold.ready /tmp/hold.go
	"$VMBIN/kmod_hold" -c /tmp/hold.ready /tmp/hold.go >"$OUT/hold.out" 2>&1 &
	kp=$!
	for ((i = 0; i < 1200; i++)); do
		[ -e /tmp/hold.ready ] && break
		kill -0 $kp 2>/dev/null || break
		sleep 0.05
	done
	[ -e /tmp/hold.ready ] || die "kmod_hold did not get ready: $(cat "$OUT/hold.out")"
	try_rmmod mapped
	sleep 0.5
	touch /tmp/hold.go
	wait $kp
	rc=$?
	[ $rc = 0 ] || die "kmod_hold exited $rc (1: no samples after the refused rmmod): $(cat "$OUT/hold.out")"
	unload_load mapped
	log "kmod_hold: $(cat "$OUT/hold.out")"
	exit 0
fi

vm_rc held
vm_profile "$OUT/held"
P=$PROFILE
assert_backend_kmod "$P"
assert_hot "$P" 70
for n in daemon mapped; do
	[ "$(cat "$OUT/$n.refcnt")" -ge 1 ] || fail "$n: use count $(cat "$OUT/$n.refcnt") while the session lived"
done
pass "rmmod refused: $(head -n 1 "$OUT/daemon.rmmod")"
