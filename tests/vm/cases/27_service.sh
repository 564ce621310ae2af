#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hrprof.service under systemd as PID 1 (run.sh's VM_SYSTEMD=1; the package
# test installs hrprof on the host, whose root the guest boots): started by
# systemctl with the shipped unit and settings and a drop-in of /run's
# (upload period, service name: as `systemctl edit` would), it profiles
# every process through the module and uploads to a fake Agent on
# localhost:8126, the default address; killed with SIGKILL it is restarted
# (Restart=on-failure); `systemctl stop` ends it within TimeoutStopSec, its
# last profile uploaded, with a clean result.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ "$(cat /proc/1/comm)" = systemd ] || skip "PID 1 is not systemd (run.sh's VM_SYSTEMD=1 boots it)"
	[ -f /lib/systemd/system/hrprof.service ] && [ -x /usr/bin/hrprof ] ||
		skip "hrprof's package is not installed on the host (tests/integration/deb_package.sh installs it)"
	show() { # FILE: the unit's state
		systemctl show hrprof -p ActiveState,SubState,MainPID,NRestarts,Result,ExecMainStatus >"$OUT/$1"
	}
	mkdir -p "$OUT/agent"
	python3 "$VM_REPO/tests/agent/fake_agent.py" --out "$OUT/agent" --port 8126 2>"$OUT/agent.err" &
	agent=$!
	for i in $(seq 100); do
		[ -s "$OUT/agent/ready" ] && break
		sleep 0.1
	done
	mkdir -p /run/systemd/system/hrprof.service.d
	printf '[Service]\nEnvironment=DD_PROFILING_UPLOAD_PERIOD=3 DD_SERVICE=vm-service\n' \
		>/run/systemd/system/hrprof.service.d/test.conf
	systemctl daemon-reload
	systemctl start hrprof >"$OUT/start.log" 2>&1
	echo $? >"$OUT/start.rc"
	sleep 2
	show started
	WL_PID_FILE=$OUT/hot.pid "$WORKLOADS/hot" 4
	# Two uploads at least (3 s each) before the kill.
	for i in $(seq 600); do
		[ "$(grep -c '"status": 200' "$OUT/agent/requests.jsonl" 2>/dev/null)" -ge 2 ] && break
		sleep 0.1
	done
	pid=$(systemctl show hrprof -p MainPID --value)
	echo "$pid" >"$OUT/killed.pid"
	kill -KILL "$pid"
	# RestartSec=5s
	for i in $(seq 300); do
		p=$(systemctl show hrprof -p MainPID --value)
		[ "$p" != 0 ] && [ "$p" != "$pid" ] && [ "$(systemctl is-active hrprof)" = active ] && break
		sleep 0.1
	done
	show restarted
	sleep 4
	t0=$(date +%s.%N)
	systemctl stop hrprof
	echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f\n", $1 - $2 }' >"$OUT/stop.secs"
	show stopped
	journalctl -u hrprof --no-pager >"$OUT/journal.txt" 2>&1
	sleep 0.5
	kill "$agent"
	wait "$agent" 2>/dev/null
	exit 0
fi

. "$VM_REPO/tests/agent/agent_lib.sh"
AGENT_OUT=$OUT/agent
kv() { sed -n "s/^$1=//p" "$OUT/$2"; }
[ "$(cat "$OUT/start.rc")" = 0 ] || fail "systemctl start hrprof: $(cat "$OUT/start.log")"
[ "$(kv ActiveState started)" = active ] ||
	fail "after systemctl start: $(tr '\n' ' ' <"$OUT/started"); journal: $(tail -n 15 "$OUT/journal.txt")"
killed=$(cat "$OUT/killed.pid")
[ "$(kv ActiveState restarted)" = active ] && [ "$(kv NRestarts restarted)" = 1 ] &&
	[ "$(kv MainPID restarted)" != "$killed" ] ||
	fail "after SIGKILL of $killed: $(tr '\n' ' ' <"$OUT/restarted") (expected active, NRestarts=1, another MainPID)"
secs=$(cat "$OUT/stop.secs")
_between "$secs" 0 45 || fail "systemctl stop took $secs s (TimeoutStopSec=45s)"
[ "$(kv ActiveState stopped)" = inactive ] && [ "$(kv Result stopped)" = success ] ||
	fail "after systemctl stop: $(tr '\n' ' ' <"$OUT/stopped"); journal: $(tail -n 15 "$OUT/journal.txt")"
n=$(agent_ok_requests)
[ "$n" -ge 3 ] || fail "$n uploads accepted: $(agent_dump)"
[ "$(agent_tag 0 service)" = vm-service ] && [ "$(agent_tag 0 backend)" = kmod ] ||
	fail "upload 0: service '$(agent_tag 0 service)', backend '$(agent_tag 0 backend)' (expected vm-service, kmod)"
# hot's samples, in whichever uploads they landed: hot_loop holds most of
# them (its share, as global_mode.sh asks; how many samples the emulated
# timers give is not asked here).
hot=$(cat "$OUT/hot.pid")
: >"$T/hot.stacks"
for ((i = 0; i < n; i++)); do
	pprof_stacks "$(agent_pprof $i)" | awk -F'\t' -v p="process_id=$hot" 'index("|" $2 "|", "|" p "|")' >>"$T/hot.stacks"
done
all=$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$T/hot.stacks")
s=$(awk -F'\t' '$3 ~ /;hot_loop$/ { s += $1 } END { print s + 0 }' "$T/hot.stacks")
[ "$all" -ge 20 ] || fail "$all samples of hot (pid $hot, 4 s) in the $n uploads"
_between "$(awk -v a="$s" -v n="$all" 'BEGIN { print 100 * a / n }')" 75 100 ||
	fail "hot_loop holds $s of hot's $all samples: $(sort -rn "$T/hot.stacks" | head -3)"
pass "started, $n uploads (backend kmod, hot_loop $s of hot's $all samples), restarted after SIGKILL, stopped in $secs s"
