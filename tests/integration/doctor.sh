#!/bin/bash
# hrprof doctor: each bad state a test can make, and the line and exit status
# that name it (0: ok or warnings, 1: a check failed, 2: bad usage).
#  - as it is (root): kernel and libc as uname -r and ldd --version say; the
#    module's state; exit 0
#  - perf_event_paranoid 3 and 4 as an unprivileged user: perf refused, exit 1
#    (with the module loaded and open to that user: warnings, exit 0);
#    2: user frames only, a warning, exit 0
#  - locked memory: ulimit -l 0 unprivileged fails; root is not limited
#  - kptr_restrict 2: a warning about kernel symbols
#  - seccomp refusing perf_event_open (tests/workloads/seccomp_deny), at
#    perf_event_paranoid 3 too (the paranoid line points elsewhere), io_uring
#    refused: fail lines naming them, exit 1
#  - -F above kernel.perf_event_max_sample_rate: a fail line, exit 1;
#    --output where nothing can be written: a fail line; doctor creates
#    neither the --output directory nor the --log_mode file
#  - dkms status that does not answer: a warning after 20 s
#  - the Agent: nobody listening (a warning naming the URL), the fake Agent
#    over TCP and a unix socket (ok, /info lists /profiling/v1/input), an
#    Agent that does not list it (a warning); URL, host and port from flags
#    and from DD_* variables
#  - -p: symbols, debug info and CFI of each mapping for the workload
#    variants (debug info embedded, a debug link, stripped bare,
#    MiniDebugInfo, no frame pointers, CFI only in the debug file); a
#    process of another user; a kernel thread (kthreadd); a dead pid, a
#    non-number, a command: exit 2
# The sysctls are put back on exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot stripped minidebug seccomp_deny nofp/hot nofp/hot_dsplit
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 missing (the probe run as nobody)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
[ "$(id -u)" = 0 ] || skip "needs root to change sysctls and drop privileges"

PARANOID=/proc/sys/kernel/perf_event_paranoid
KPTR=/proc/sys/kernel/kptr_restrict
MLOCK=/proc/sys/kernel/perf_event_mlock_kb
paranoid0=$(cat $PARANOID)
kptr0=$(cat $KPTR)
mlock0=$(cat $MLOCK)
restore() {
	local rc=$?
	echo "$paranoid0" >$PARANOID
	echo "$kptr0" >$KPTR
	echo "$mlock0" >$MLOCK
	return $rc
}
trap 'restore; _cleanup' EXIT
chmod 755 "$T"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)
# As nobody, with room in locked memory for the perf rings whatever the CPU
# count and 'ulimit -l': no limit (raised by root, before setpriv), or where
# root may not raise it (no CAP_SYS_RESOURCE), perf_event_mlock_kb raised
# for the test (mlock_room).
mlock_room=$mlock0
if prlimit --memlock=unlimited true 2>/dev/null; then
	NOBODY_MEM=(prlimit --memlock=unlimited "${NOBODY[@]}")
else
	NOBODY_MEM=("${NOBODY[@]}")
	mlock_room=1048576
	echo $mlock_room >$MLOCK
fi
module=0
[ -e /dev/hrprof ] && module=1
# doc [RUNNER...] :: ARGS...: runs `RUNNER... hrprof doctor ARGS...` from $T;
# output in $T/doc.out and $T/doc.err, exit status in $DOC_RC.
DOC_RC=0
doc() {
	local runner=()
	while [ "$1" != :: ]; do
		runner+=("$1")
		shift
	done
	shift
	DOC_RC=0
	(cd "$T" && timeout -k 5 60 "${runner[@]}" "$HRPROF" doctor "$@") >"$T/doc.out" 2>"$T/doc.err" || DOC_RC=$?
	[ "${V:-0}" = 1 ] && cat "$T/doc.out" "$T/doc.err" >&2
	[ $DOC_RC -ne 124 ] && [ $DOC_RC -ne 137 ] || fail "doctor $* did not finish within 60 s"
	return 0
}

# has LINE_PREFIX: doc.out has a line starting with it (fixed string).
has() {
	awk -v p="$1" 'index($0, p) == 1 { found = 1 } END { exit !found }' "$T/doc.out" ||
		fail "no line starting '$1' in doctor's output (exit $DOC_RC):
$(cat "$T/doc.out" "$T/doc.err")"
}

# has_in LINE_PREFIX TEXT: that line also holds TEXT.
has_in() {
	has "$1"
	awk -v p="$1" -v t="$2" 'index($0, p) == 1 && index($0, t) { found = 1 } END { exit !found }' "$T/doc.out" ||
		fail "the '$1' line does not say '$2': $(grep -F -- "$1" "$T/doc.out")"
}

exit_is() {
	[ "$DOC_RC" -eq "$1" ] || fail "doctor exited $DOC_RC, expected $1 ($2):
$(cat "$T/doc.out" "$T/doc.err")"
}

# 1. As it is, root: kernel and libc as the system tools say.
echo 1 >$KPTR
doc :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "root on this host"
has_in "ok    kernel: $(uname -r) " "perf_event_open path supported"
libc=$(ldd --version | head -1 | awk '{ print $NF }')
has "ok    libc: glibc $libc ("
has_in "ok    capabilities: root, uid 0" "CAP_PERFMON"
has "ok    perf_event_open: a cpu-clock event on this process opens, kernel frames included"
has "ok    io_uring: "
if [ $module = 1 ]; then
	has_in "ok    module: " "ABI"
else
	has_in "warn  module: not loaded (/dev/hrprof is missing)" "perf_event_open samples instead"
fi
has "ok    kptr_restrict: 1: /proc/kallsyms shows addresses"
grep -q "^summary: [0-9]* ok, [0-9]* warn, 0 fail: profiling can work" "$T/doc.out" || fail "summary: $(tail -1 "$T/doc.out")"
log "ok: as root: exit 0, kernel $(uname -r), glibc $libc"

# 2. perf_event_paranoid, unprivileged. Debian's kernels refuse every
#    unprivileged perf_event_open above 2; mainline ones take 3 and 4 as 2.
#    Which this kernel does, an independent probe says (a user-only
#    cpu-clock event on itself, through ctypes, as nobody).
perf_refused() {
	local rc=0
	"${NOBODY[@]}" /usr/bin/python3 -c '
import ctypes, struct, sys
attr = bytearray(128)
struct.pack_into("IIQQQQQ", attr, 0, 1, 128, 0, 10000000, 0, 0, 1 | 1 << 5 | 1 << 6)
buf = (ctypes.c_char * 128).from_buffer(attr)
fd = ctypes.CDLL(None, use_errno=True).syscall(298, buf, 0, -1, -1, 0)
sys.exit(0 if fd < 0 else 1)' || rc=$?
	[ $rc -le 1 ] || fail "the perf_event_open probe as nobody could not run (exit $rc)"
	return $rc
}
for p in 3 4; do
	echo $p >$PARANOID
	doc "${NOBODY_MEM[@]}" :: -U "http://127.0.0.1:$(agent_free_port)"
	has_in "warn  capabilities: uid 65534 without CAP_PERFMON or CAP_SYS_ADMIN" "fix:"
	has "ok    locked memory: "
	if ! perf_refused; then
		exit_is 0 "perf_event_paranoid $p, unprivileged, this kernel allows user frames"
		has_in "warn  perf_event_paranoid: $p: this kernel takes it as 2" "fix: echo 1 | sudo tee"
		has_in "warn  perf_event_open: a cpu-clock event on this process opens for user frames only" "perf_event_paranoid $p"
		log "ok: perf_event_paranoid $p unprivileged, taken as 2 by this kernel: warn, exit 0"
	else
		# The module, loaded or not, is not nobody's: its device needs
		# CAP_SYS_ADMIN (tests/vm/cases/26_doctor.sh runs this on Debian's
		# kernels, which refuse).
		exit_is 1 "perf_event_paranoid $p, unprivileged"
		if [ $module = 1 ]; then
			has_in "warn  module: " "perf_event_open samples instead"
		fi
		has_in "fail  perf_event_paranoid: $p: perf_event_open is refused" "fix: echo 1 | sudo tee /proc/sys/kernel/perf_event_paranoid"
		has_in "fail  perf_event_open: a cpu-clock event on this process is refused: EACCES" "perf_event_paranoid is $p"
		grep -q "^summary: .* [1-9][0-9]* fail: profiling cannot work" "$T/doc.out" || fail "summary: $(tail -1 "$T/doc.out")"
		log "ok: perf_event_paranoid $p unprivileged, refused (module $module): fail, exit 1"
	fi
done
echo 2 >$PARANOID
doc "${NOBODY_MEM[@]}" :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "perf_event_paranoid 2, unprivileged: user frames"
has_in "warn  perf_event_paranoid: 2: user frames only" "fix:"
has_in "warn  perf_event_open: a cpu-clock event on this process opens for user frames only" "perf_event_paranoid 2"
log "ok: perf_event_paranoid 2 unprivileged: warnings, exit 0"

# 3. Locked memory: unprivileged with ulimit -l 0 and perf_event_mlock_kb 4
#    (less than one CPU's ring, whatever the rate), the rings do not fit;
#    root is exempt.
echo 4 >$MLOCK
if nobody_kmod; then
	doc "${NOBODY[@]}" prlimit --memlock=0 :: -U "http://127.0.0.1:$(agent_free_port)"
	has_in "warn  locked memory: the perf rings take" "'ulimit -l' (0 KiB)"
	log "ok: ulimit -l 0 unprivileged, the module open to nobody: warn"
else
	doc "${NOBODY[@]}" prlimit --memlock=0 :: -U "http://127.0.0.1:$(agent_free_port)"
	exit_is 1 "ulimit -l 0, unprivileged"
	has_in "fail  locked memory: the perf rings take" "'ulimit -l' (0 KiB)"
	has_in "fail  locked memory: " "fix: raise 'ulimit -l'"
	log "ok: ulimit -l 0 unprivileged: fail, exit 1"
fi
doc prlimit --memlock=0 :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "ulimit -l 0 as root"
has_in "ok    locked memory: " "CAP_IPC_LOCK held: 'ulimit -l' (0 KiB) does not apply"
echo "$mlock_room" >$MLOCK

# 4. kptr_restrict 2: kernel frames unnamed, even for root.
echo 2 >$KPTR
doc :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "kptr_restrict 2"
has_in "warn  kptr_restrict: 2: /proc/kallsyms shows no addresses" "fix:"
echo "$kptr0" >$KPTR
log "ok: kptr_restrict 2: warn"

# 5. seccomp refusing perf_event_open; io_uring refused.
doc "$WORKLOADS/seccomp_deny" perf_event_open EPERM :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "seccomp refuses perf_event_open"
has_in "fail  seccomp: a filter (Seccomp: 2) refuses perf_event_open: EPERM" "fix: allow perf_event_open in the seccomp profile"
has_in "fail  perf_event_open: " "by the seccomp filter"
# At perf_event_paranoid 3, a filter's EACCES is not the setting's.
echo 3 >$PARANOID
doc "${NOBODY_MEM[@]}" "$WORKLOADS/seccomp_deny" perf_event_open EACCES :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "seccomp refuses perf_event_open with EACCES, perf_event_paranoid 3"
has_in "warn  perf_event_paranoid: 3: perf_event_open fails here for another reason (EACCES" "see the seccomp and perf_event_open lines"
has_in "fail  seccomp: a filter (Seccomp: 2) refuses perf_event_open: EACCES" "fix:"
has_in "fail  perf_event_open: " "by the seccomp filter"
echo "$paranoid0" >$PARANOID
doc "$WORKLOADS/seccomp_deny" io_uring_setup ENOSYS :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "io_uring refused"
has "ok    seccomp: a filter is on (Seccomp: 2) and lets perf_event_open through"
has_in "fail  io_uring: io_uring_queue_init: ENOSYS" "fix:"
log "ok: seccomp and io_uring refusals: fail, exit 1"

# 5b. What doctor reads from the options and the daemon would refuse, as
#     lines, with nothing created: -F above the kernel's limit, an --output
#     directory that cannot be made; a missing one, or a log file, is left
#     alone.
max_rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
doc :: -F $((max_rate + 1)) -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "-F above perf_event_max_sample_rate"
has_in "fail  sample rate: $((max_rate + 1)) Hz is above kernel.perf_event_max_sample_rate ($max_rate)" "fix: lower -F"
doc :: --output /proc/nonexistent/x -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "--output under /proc"
has_in "fail  output: '/proc/nonexistent/x': /proc is in /proc or /sys" "fix:"
[ ! -e /proc/nonexistent ] || fail "doctor created /proc/nonexistent"
mkdir "$T/rootonly"
doc "${NOBODY_MEM[@]}" :: --output "$T/rootonly/x" -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "--output in a directory nobody cannot write"
has_in "fail  output: '$T/rootonly/x': $T/rootonly is not writable: EACCES" "fix:"
doc :: --output "$T/new/dir" --log_mode "$T/doctor.log" -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "--output missing, in a writable directory"
has "ok    output: '$T/new/dir' is missing; the daemon creates it in $T, which is writable"
[ ! -e "$T/new" ] || fail "doctor created the --output directory $T/new"
[ ! -e "$T/doctor.log" ] || fail "doctor created the --log_mode file"
log "ok: -F too high, --output unwritable: fail lines; nothing created"

# 5c. dkms status that hangs: a warning after 20 s, not a hung doctor.
mkdir "$T/bin"
printf '#!/bin/sh\nexec sleep 120\n' >"$T/bin/dkms"
chmod 755 "$T/bin/dkms"
start=$SECONDS
doc env PATH="$T/bin:$PATH" :: -U "http://127.0.0.1:$(agent_free_port)"
exit_is 0 "dkms status hangs"
has "warn  dkms: dkms status did not answer in 20 s"
[ $((SECONDS - start)) -lt 40 ] || fail "doctor took $((SECONDS - start)) s with a hanging dkms"
log "ok: a hanging dkms status: warn after $((SECONDS - start)) s"

# 6. The Agent.
port=$(agent_free_port)
doc :: -U "http://127.0.0.1:$port"
has_in "warn  agent: http://127.0.0.1:$port does not answer" "fix: start the Datadog Agent"
DD_AGENT_HOST=127.0.0.1 DD_TRACE_AGENT_PORT=$port doc env ::
has "warn  agent: http://127.0.0.1:$port does not answer"
agent_start
DD_TRACE_AGENT_URL=$AGENT_URL doc env ::
exit_is 0 "the fake Agent"
has "ok    agent: $AGENT_URL answers (Agent 7.99.0-fake) and lists /profiling/v1/input"
doc :: -H 127.0.0.1 -P "$AGENT_PORT"
has "ok    agent: http://127.0.0.1:$AGENT_PORT answers (Agent 7.99.0-fake)"
[ "$(grep -c 'GET /info' "$AGENT_OUT/info.log")" -ge 2 ] || fail "the fake Agent saw no GET /info"
[ "$(agent_requests)" = 0 ] || fail "doctor uploaded something: $(agent_dump)"
agent_stop
agent_start --unix "$T/apm.socket"
doc :: -U "unix://$T/apm.socket"
has "ok    agent: unix://$T/apm.socket answers (Agent 7.99.0-fake) and lists /profiling/v1/input"
agent_stop
agent_start --info-no-profiling
doc :: -U "$AGENT_URL"
has_in "warn  agent: $AGENT_URL answers (Agent 7.99.0-fake) but does not list /profiling/v1/input" "fix:"
agent_stop
log "ok: the Agent: absent, fake (TCP, unix, env, flags), without the profiling endpoint"

# 7. -p: each mapping's symbols, debug info and CFI.
# start_wl PATH ARGS...: starts a workload, waits until it runs PATH; $WL.
WL=
start_wl() {
	local i exe=$1
	bg "$@"
	WL=$BG_PID
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$WL/exe")" = "$exe" ] &&
			grep -q '/libc\.so' "/proc/$WL/maps" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$exe did not start, or did not map libc.so"
}
strip --strip-all -o "$T/bare" "$WORKLOADS/hot"
cp "$WORKLOADS/hot" "$T/hot"
chmod 755 "$T/bare" "$T/hot"
pdoc() {
	start_wl "$@"
	doc :: -p "$WL" -U "http://127.0.0.1:$(agent_free_port)"
	exit_is 0 "-p $1"
	has_in "ok    process: pid $WL (" "its mappings are readable; a perf event on it opens"
	has "ok    process libc: glibc "
	kill "$WL"
}
pdoc "$WORKLOADS/hot" 10
has_in "ok    mapping $WORKLOADS/hot: symbols: .symtab (" "debug info: embedded .debug_info; CFI: "
has_in "ok    mapping $WORKLOADS/hot: " ".eh_frame"
pdoc "$WORKLOADS/stripped" 10
has_in "ok    mapping $WORKLOADS/stripped: symbols: stripped, .symtab in its debug file" "debug info: debug file $WORKLOADS/stripped.debug; CFI: "
pdoc "$T/bare" 10
has_in "warn  mapping $T/bare: symbols: stripped: .dynsym only" "fix: install its debug symbols"
has_in "warn  mapping $T/bare: " "debug info: none"
pdoc "$WORKLOADS/minidebug" 10
has_in "ok    mapping $WORKLOADS/minidebug: symbols: stripped, .symtab in .gnu_debugdata (MiniDebugInfo" "debug info: MiniDebugInfo only"
pdoc "$WORKLOADS/nofp/hot" 10
has_in "ok    mapping $WORKLOADS/nofp/hot: symbols: .symtab" "CFI: "
has_in "ok    mapping $WORKLOADS/nofp/hot: " "(.eh_frame)"
pdoc "$WORKLOADS/nofp/hot_dsplit" 10
has_in "ok    mapping $WORKLOADS/nofp/hot_dsplit: symbols: stripped, .symtab in its debug file" ".debug_frame of its debug file"
log "ok: -p: symbols, debug info and CFI of each variant"

# Another user's process, unprivileged: no access.
start_wl "$T/hot" 10
doc "${NOBODY[@]}" :: -p "$WL" -U "http://127.0.0.1:$(agent_free_port)"
exit_is 1 "-p of root's process as nobody"
has_in "fail  process: pid $WL (hot, uid 0): cannot read /proc/$WL/maps" "fix: run hrprof as the process's user, or as root"
kill "$WL"
log "ok: another user's process: fail, exit 1"

# A kernel thread: an empty maps file is no access error.
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	doc :: -p 2 -U "http://127.0.0.1:$(agent_free_port)"
	exit_is 0 "-p 2 (kthreadd)"
	grep -q "^\(ok  \|warn\)  process: pid 2 (kthreadd, uid 0): its mappings are readable" "$T/doc.out" ||
		fail "-p 2: no process line: $(cat "$T/doc.out" "$T/doc.err")"
	has "warn  mappings: no executable file mapping (a kernel thread?)"
	! grep -q "^fail" "$T/doc.out" || fail "-p 2: $(grep "^fail" "$T/doc.out")"
	log "ok: a kernel thread: no fail line, exit 0"
else
	log "skip: pid 2 is not kthreadd here (a PID namespace?)"
fi

# 8. Bad usage: one line on stderr, exit 2.
bg sleep 0
dead=$BG_PID
wait "$dead" 2>/dev/null
for args in "-p $dead" "-p abc" "--no-such-flag" "-- true"; do
	# shellcheck disable=SC2086
	doc :: $args
	exit_is 2 "doctor $args"
	[ "$(wc -l <"$T/doc.err")" = 1 ] && [ ! -s "$T/doc.out" ] ||
		fail "doctor $args: expected one line on stderr and nothing on stdout, got:
$(cat "$T/doc.out" "$T/doc.err")"
	log "ok: doctor $args: $(cat "$T/doc.err")"
done
doc :: -p "$dead"
grep -q "no process with pid $dead" "$T/doc.err" || fail "the dead pid is not named: $(cat "$T/doc.err")"
pass
