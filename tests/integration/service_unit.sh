#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hrprof.service as systemd would run it, where systemd is not PID 1 (the
# package test runs `systemd-analyze verify` on the installed unit): its
# ExecStart, with the environment of an /etc/default/hrprof made from the
# shipped one (the fake Agent's URL, a service name, a 2 s upload period,
# HRPROF_OPTS), under the unit's CapabilityBoundingSet and
# NoNewPrivileges. With only those capabilities and kptr_restrict=1 it
# profiles every process: a workload of another user (nobody) is in the
# uploads with its functions named (its program in a directory only
# nobody can read) and its
# kernel frames named (kallsyms' addresses). SIGTERM, as systemctl stop
# sends it, ends it with status 0 well within TimeoutStopSec, the last
# profile uploaded; the local copies of the profiles make a flame graph.
# The shipped settings file sets only variables hrprof reads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload syscalls

case $HRPROF in */asan/*) skip "runs with the release build only (ASan's shadow memory needs more than the unit allows)" ;; esac
[ "$(id -u)" = 0 ] || skip "needs root (the unit runs as root)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
id nobody >/dev/null 2>&1 || skip "no user nobody"
unit=$REPO/dkms/debian/hrprof.service defaults=$REPO/dkms/hrprof.default

# ---- the unit's settings
val() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
exec_start=$(val ExecStart)
[ "${exec_start%% *}" = /usr/bin/hrprof ] || fail "ExecStart is '$exec_start'"
[ "$(val EnvironmentFile)" = -/etc/default/hrprof ] || fail "EnvironmentFile is '$(val EnvironmentFile)'"
[ "$(val Restart)" = on-failure ] || fail "Restart is '$(val Restart)'"
[ "$(val NoNewPrivileges)" = yes ] && [ "$(val PrivateTmp)" = yes ] && [ "$(val ProtectSystem)" = strict ] ||
	fail "NoNewPrivileges, PrivateTmp or ProtectSystem not set as expected"
stop_s=$(val TimeoutStopSec | tr -d s)
caps=$(val CapabilityBoundingSet)
[ -n "$caps" ] && [ -n "$stop_s" ] || fail "no CapabilityBoundingSet or TimeoutStopSec in $unit"
bounding=-all
for c in $caps; do
	bounding+=",+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
done

# ---- the settings file: comments and NAME=value lines, each name one hrprof reads
help=$("$HRPROF" --help 2>&1)
while IFS= read -r line; do
	case $line in '' | '# '* | '#') continue ;; esac
	name=${line#\#}
	name=${name%%=*}
	[[ $name =~ ^[A-Z_]+$ ]] || fail "$defaults: line '$line' is neither a comment nor NAME=value"
	[ "$name" = HRPROF_OPTS ] || grep -qw "$name" <<<"$help" || fail "$defaults sets $name, which hrprof --help does not name"
done <"$defaults"

agent_start
mkdir -p "$T/lib"
cat >"$T/default" <<EOT
$(cat "$defaults")
DD_TRACE_AGENT_URL=$AGENT_URL
DD_SERVICE=unit-test
DD_PROFILING_UPLOAD_PERIOD=2
HRPROF_OPTS=-F 199 --spool_dir $T/spool --debug_pprof_prefix $T/lib/ -l informational
EOT
# systemd's EnvironmentFile: NAME=value lines, comments left out.
env_args=()
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	env_args+=("$line")
done <"$T/default"
opts=$(sed -n 's/^HRPROF_OPTS=//p' "$T/default")

old_kptr=$(cat /proc/sys/kernel/kptr_restrict)
restore() {
	echo "$old_kptr" >/proc/sys/kernel/kptr_restrict
}
trap 'rc=$?; restore; (exit $rc); _cleanup' EXIT
echo 1 >/proc/sys/kernel/kptr_restrict

# ExecStart's arguments, $HRPROF_OPTS replaced and split on spaces, as
# systemd does.
args=${exec_start#/usr/bin/hrprof }
args=${args//\$HRPROF_OPTS/$opts}
# shellcheck disable=SC2086
bg env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env_args[@]}" \
	setpriv --bounding-set="$bounding" --inh-caps=-all --no-new-privs -- "$HRPROF" $args
hp=$BG_PID
sleep 1
kill -0 "$hp" 2>/dev/null || { wait "$hp"; fail "the service's command exited at once with $?"; }
grep CapBnd "/proc/$hp/status" | grep -q "$(printf '%016x' 0)" && fail "bounding set empty"
log "running: bounding set $(awk '/CapBnd/ { print $2 }' "/proc/$hp/status"), NoNewPrivs $(awk '/NoNewPrivs/ { print $2 }' "/proc/$hp/status")"
# Its program in a directory only nobody may read.
chmod 711 "$T" && mkdir -m 777 "$T/nobody" && mkdir -m 700 "$T/nobody/own" &&
	cp "$WORKLOADS/syscalls" "$T/nobody/own/" && chown -R nobody "$T/nobody/own" || fail "cannot make $T/nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- env WL_PID_FILE="$T/nobody/wl.pid" "$T/nobody/own/syscalls" 3 ||
	fail "the workload failed as nobody"
wl=$(cat "$T/nobody/wl.pid")
agent_wait_ok 2 20
before=$(agent_ok_requests)
start=$(date +%s.%N)
kill -TERM "$hp"
wait_pid "$hp" "$stop_s"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$WAIT_RC" = 0 ] || fail "after SIGTERM the service's command exited $WAIT_RC"
after=$(agent_ok_requests)
[ "$after" -gt "$before" ] || fail "no upload after SIGTERM ($before before, $after after)"
log "ok: stopped by SIGTERM in $took s (TimeoutStopSec=${stop_s}s), status 0, the last profile uploaded ($after in all)"

# The workload's samples, in whichever upload they landed.
: >"$T/stacks"
for ((i = 0; i < after; i++)); do
	pprof_stacks "$(agent_pprof $i)" | awk -F'\t' -v p="process_id=$wl" 'index("|" $2 "|", "|" p "|")' >>"$T/stacks"
done
n=$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$T/stacks")
[ "$n" -ge 100 ] || fail "$n samples of the workload (pid $wl, user nobody, 3 s at 199 Hz)"
# Naming, not shares (those are kernel_syscalls.sh's, against perf): its
# code is all under main;syscall_loop but its start, and every kernel
# frame has a name (without kallsyms' addresses they are [kernel]+0x...).
named=$(awk -F'\t' '$3 ~ /;main;syscall_loop/ { s += $1 } END { print s + 0 }' "$T/stacks")
kernel=$(awk -F'\t' '$3 ~ /;do_syscall_64/ { s += $1 } END { print s + 0 }' "$T/stacks")
unnamed=$(awk -F'\t' '$3 ~ /\[kernel\]\+0x/ { s += $1 } END { print s + 0 }' "$T/stacks")
_between "$(awk -v a="$named" -v n="$n" 'BEGIN { print 100 * a / n }')" 90 100 ||
	fail "$named of $n samples of nobody's workload under main;syscall_loop: $(sort -rn "$T/stacks" | head -3)"
[ "$kernel" -gt 0 ] && [ "$unnamed" = 0 ] ||
	fail "nobody's workload: $kernel samples through do_syscall_64, $unnamed with unnamed kernel frames: $(grep -m3 '\[kernel\]' "$T/stacks")"
log "ok: nobody's workload: $n samples, $named under main;syscall_loop, $kernel through do_syscall_64, no kernel frame unnamed"

# The local copies (--debug_pprof_prefix, as the settings file suggests)
# make the flame graph of what was uploaded.
copies=("$T"/lib/*.pb.gz)
[ ${#copies[@]} = "$after" ] || fail "${#copies[@]} local copies for $after uploads"
"$HRPROF" report --flamegraph "$T/host.html" "${copies[@]}" 2>"$T/fg.err" || fail "report --flamegraph: $(cat "$T/fg.err")"
grep -q syscall_loop "$T/host.html" || fail "the flame graph $T/host.html does not name syscall_loop"
log "ok: flame graph of the ${#copies[@]} profiles: $(wc -c <"$T/host.html") bytes"
pass
