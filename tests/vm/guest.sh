#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest side of tests/vm/run.sh: runs as root inside the test VM, chrooted
# into the host's root (read-only, over 9p; /tmp and /run are tmpfs).
#
# usage: tests/vm/guest.sh KVER RESULTS
#
# Loads the module (pseudo-case "load"), runs each case's collect step, then
# unloads it (pseudo-case "unload"). For each case it writes into RESULTS
# (the writable results share; the host reads it after the VM is off):
#   <case>/rc      exit status of `bash <case>.sh collect <case>/out`
#   <case>/secs    how long it ran
#   <case>/log     its stdout and stderr
#   <case>/dmesg   the kernel's log while it ran (between its kmsg markers)
#   <case>/out/    what it produced, for the host's check step
#   guest.log, dmesg.all, and done (last).
# RESULTS/vm.env (written by run.sh) sets VM_CASES, VM_CASES_DIR, BUILD_ROOT,
# VM_DEBUG_KERNEL,
# and VM_RESUME=1 on a boot that continues a guest that died: cases that
# already have a result are not run again.
set -u
KVER=$1
RES=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
# Under emulation every fork and exec costs milliseconds: builtins where they do.
case $0 in
/*) here=${0%/*} ;;
*) here=$(cd "$(dirname "$0")" && pwd) ;;
esac
REPO=${here%/tests/vm}

# /init mounted the guest's /proc, /sys, /dev, /tmp and /run. Do not trust
# mountpoint(1) here: through 9p with multidevs=remap, the host's own mount
# points look like mount points too.
mounted=" $(cut -d' ' -f2 /proc/self/mounts | tr '\n' ' ') "
mnt() { # type source dir [options]
	[[ $mounted == *" $3 "* ]] || mount -t "$1" ${4:+-o "$4"} "$2" "$3"
}
mkdir -p /dev/pts /dev/shm
mnt devpts devpts /dev/pts
mnt tmpfs shm /dev/shm mode=1777
mnt tmpfs tmp /tmp mode=1777
mnt tmpfs run /run mode=0755
mnt debugfs debugfs /sys/kernel/debug
mnt tracefs tracefs /sys/kernel/tracing
mnt cgroup2 cgroup2 /sys/fs/cgroup

export HOME=/tmp/home TMPDIR=/tmp GOCACHE=/tmp/gocache XDG_CACHE_HOME=/tmp/cache \
	GOFLAGS=-mod=mod GOTOOLCHAIN=local PPROF_TMPDIR=/tmp/pprof
mkdir -p "$HOME" "$GOCACHE" "$XDG_CACHE_HOME" "$PPROF_TMPDIR"
ulimit -l unlimited
ulimit -c 0

VM_CASES='' VM_CASES_DIR='' BUILD_ROOT='' VM_CASE_TIMEOUT='' VM_DEBUG_KERNEL=''
# shellcheck source=/dev/null
[ -f "$RES/vm.env" ] && . "$RES/vm.env"
BUILD_ROOT=${BUILD_ROOT:-$REPO/build}
case_timeout=${VM_CASE_TIMEOUT:-300}
cases_dir=${VM_CASES_DIR:-$REPO/tests/vm/cases}

export KVER
# 1 on the debug kernel (a TREE of run.sh): cases that only measure costs skip there
export VM_DEBUG_KERNEL
export HRPROF=$BUILD_ROOT/release/hrprof
export WORKLOADS=$BUILD_ROOT/workloads
export HRPROF_KO=$BUILD_ROOT/kmod/$KVER/kmod/hrprof.ko
# The harness offers the test-only NMI source (15_nmi_source checks both ways).
export HRPROF_KO_ARGS=nmi_test=1
export VMBIN=$BUILD_ROOT/vm/bin

log() {
	echo "hrprof-vm: $*"
	echo "hrprof-vm: $*" >>"$RES/guest.log"
}
exec 2>>"$RES/guest.log"

# Every kernel message from boot on, in the guest's RAM: a case's messages are
# cut out of it between its markers, so a chatty case cannot push its own
# start marker out of the kernel's ring.
KMSG=/run/hrprof-vm-kmsg.log
dmesg -w >"$KMSG" &
kmsg_pid=$!

kmsg_mark() {
	echo "hrprof-vm: $1" >/dev/kmsg
}

# kmsg_since NAME: the kernel's log between "start NAME" and "end NAME".
kmsg_since() {
	local i
	kmsg_mark "end $1"
	for ((i = 0; i < 100; i++)); do
		grep -q "hrprof-vm: end $1\$" "$KMSG" && break
		sleep 0.05
	done
	awk -v s="hrprof-vm: start $1" -v e="hrprof-vm: end $1" '
	function ends(str, suf) { return length(str) >= length(suf) && substr(str, length(str) - length(suf) + 1) == suf }
	ends($0, e) { on = 0 }
	on { print }
	ends($0, s) { on = 1 }' "$KMSG"
}

now() {
	local up _
	read -r up _ </proc/uptime
	echo "$up"
}

# record NAME RC START: writes NAME's rc, secs and dmesg.
record() {
	local d=$RES/$1
	echo "$2" >"$d/rc"
	awk -v a="$3" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }' >"$d/secs"
	kmsg_since "$1" >"$d/dmesg"
	log "$1: rc $2, $(cat "$d/secs") s"
}

selected() {
	local p
	[ -z "$VM_CASES" ] && return 0
	for p in $VM_CASES; do
		# shellcheck disable=SC2053
		[[ $1 == *$p* ]] && return 0
	done
	return 1
}

log "guest.sh on $(uname -r), uptime $(now) s, cases from $cases_dir"

loaded=0
load() { # NAME: insmod as pseudo-case NAME
	local d=$RES/$1 start rc
	rm -rf "$d" && mkdir -p "$d/out"
	kmsg_mark "start $1"
	start=$(now)
	if [ -f "$HRPROF_KO" ]; then
		insmod "$HRPROF_KO" "$HRPROF_KO_ARGS" >"$d/log" 2>&1
		rc=$?
	else
		echo "$HRPROF_KO: no such file (make kmod)" >"$d/log"
		rc=1
	fi
	[ $rc -eq 0 ] && loaded=1
	record "$1" $rc "$start"
}
# Keep the perf_sched_events static key and those of the module's
# tracepoints on for the guest's life (see tests/vm/perf_hold.c): no live
# code patching when hrprof opens events or the module comes and goes.
"$VMBIN/perf_hold" 2>"$RES/perf_hold.err" &
sleep 0.2
kill -0 $! 2>/dev/null || log "perf_hold failed: $(cat "$RES/perf_hold.err"); code patching may hit the emulator's fault"

load load

for c in "$cases_dir"/*.sh; do
	[ -f "$c" ] || continue
	name=${c##*/}
	name=${name%.sh}
	case $name in load | unload | lib) continue ;; esac
	selected "$name" || continue
	d=$RES/$name
	[ "${VM_RESUME:-0}" = 1 ] && [ -f "$d/rc" ] && continue
	rm -rf "$d" && mkdir -p "$d/out"
	log "$name: collect"
	kmsg_mark "start $name"
	start=$(now)
	(cd /tmp && exec timeout -k 10 "$case_timeout" bash "$c" collect "$d/out") >"$d/log" 2>&1 </dev/null
	rc=$?
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "vm: $name: collect timed out ($case_timeout s)" >>"$d/log"
	record "$name" $rc "$start"
	if [ $loaded = 1 ] && [ ! -d /sys/module/hrprof ]; then
		log "$name left the module unloaded: insmod again"
		insmod "$HRPROF_KO" "$HRPROF_KO_ARGS" || log "insmod after $name failed"
	fi
done

if [ -d /sys/module/hrprof ]; then
	d=$RES/unload
	rm -rf "$d" && mkdir -p "$d/out"
	kmsg_mark "start unload"
	start=$(now)
	rmmod hrprof >"$d/log" 2>&1
	record unload $? "$start"
fi

log "all done, uptime $(now) s"
kmsg_mark "all done"
sleep 0.2
kill "$kmsg_pid" 2>/dev/null
cp "$KMSG" "$RES/dmesg.all"
sync
date +%s >"$RES/done"
sync
echo o >/proc/sysrq-trigger
