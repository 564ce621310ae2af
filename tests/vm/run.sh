#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tests the module inside qemu: one VM per kernel, software emulation (TCG),
# the host's root shared read-only over 9p so the guest runs the tree's own
# build outputs.
#
# usage: tests/vm/run.sh [KVER|TREE...]
#
# Without arguments, every /boot/vmlinuz-<V> whose /lib/modules/<V> exists. A
# TREE is a kernel's build directory (the debug kernel's, tests/vm/
# debug_kernel.sh): its arch/x86/boot/bzImage boots, V is its release, and its
# virtio and 9p must be built in; there a case fails on any splat (lockdep,
# KASAN, UBSAN, KFENCE, DEBUG_OBJECTS, sleeping in atomic...) or a dead
# guest, and its own assertions, judged on the stock kernels, are reported
# as SKIP when they fail. Per kernel V it:
#   1. compiles tests/vm/*.c into $BUILD_ROOT/vm/bin/ (once, for all kernels);
#   2. builds $BUILD_ROOT/vm/initrd-V.img (busybox, V's 9p modules, tests/vm/init);
#   3. boots it: /init mounts the host's root at / (read-only; /tmp and /run
#      are tmpfs) and the writable results share at the host's own path of
#      $BUILD_ROOT/vm/V/results, then runs tests/vm/guest.sh, which loads
#      $BUILD_ROOT/kmod/V/kmod/hrprof.ko and runs `<case>.sh collect OUT` for
#      each tests/vm/cases/*.sh (see guest.sh for the results it writes);
#   4. judges each case on the host: its collect step exited 0, the kernel
#      logged no splat while it ran, and `<case>.sh check OUT` exits 0 (77:
#      skip), with HRPROF, WORKLOADS, KVER, HRPROF_KO, VMBIN set.
# Prints PASS/FAIL/SKIP lines like tests/run.sh; exits 1 if any failed.
#
# Environment:
#   BUILD_ROOT    build outputs (default: <repo>/build)
#   VM_CASES      only the cases whose names contain one of these words
#   VM_CASES_DIR  where the cases are (default: tests/vm/cases)
#   VM_TIMEOUT    seconds one VM may run in all (default 900)
#   VM_CASE_TIMEOUT  seconds one case's collect step may run (default 300)
#   VM_MEM VM_SMP the guest's memory (MiB, default 1536) and CPUs (default 2)
#   VM_KEEP_CONSOLE=1  print the whole console log of each VM
#   VM_TREE_SLOW  a TREE's kernel gets this many times VM_TIMEOUT and
#                 VM_CASE_TIMEOUT (default 3)
#   VM_NO_MODULE_OK=1  boot even without the module (its "load" then fails)
#   VM_SYSTEMD=1  the guest boots the host's systemd as PID 1, which runs
#                 guest.sh as a unit (tests/vm/init), for cases that need
#                 it (27_service)
# Outputs: $BUILD_ROOT/vm/V/{console.log,qemu.log,results/} (see guest.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD_ROOT:-$repo/build}
mkdir -p "$build/vm" || exit 1
build=$(cd "$build" && pwd)
cases_dir=${VM_CASES_DIR:-$here/cases}
[ -d "$cases_dir" ] && cases_dir=$(cd "$cases_dir" && pwd)
vm_timeout=${VM_TIMEOUT:-900}
systemd_args=
[ "${VM_SYSTEMD:-0}" = 1 ] && systemd_args=" vmsystemd=1"
qemu="qemu-system-x86_64"

splat_re='BUG:|WARNING:|ODEBUG:|Oops|scheduling while atomic|possible recursive locking|inconsistent lock state|circular locking dependency|lockdep|general protection|stack-protector|Call Trace|Kernel panic|blocked for more than|detected stalls|UBSAN:|KASAN:|kfence:|NMI received for unknown reason'

failed=0

pass() { # name secs
	printf 'PASS %-40s %5ss\n' "$1" "$2"
}
skip() { # name why
	printf 'SKIP %-40s (%s)\n' "$1" "$2"
}
fail() { # name why [detail lines on stdin when "-"]
	failed=1
	printf 'FAIL %-40s (%s)\n' "$1" "$2"
	if [ "${3:-}" = - ]; then
		sed 's/^/    | /'
	fi
}

command -v "$qemu" >/dev/null 2>&1 || {
	skip vm "$qemu not installed: apt-get install qemu-system-x86"
	exit 0
}
busybox=$(command -v busybox 2>/dev/null)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || busybox=/bin/busybox
[ -x "$busybox" ] || {
	skip vm "busybox not installed: apt-get install busybox-static"
	exit 0
}
for t in cpio modprobe xz; do
	command -v $t >/dev/null 2>&1 || {
		skip vm "$t not installed: apt-get install cpio kmod xz-utils"
		exit 0
	}
done

# tree[V]: the build tree of V when given as a TREE (the debug kernel: its
# image is there, virtio and 9p are built in, its checkers slow it down).
declare -A tree=()
is_tree() { [ -n "${tree[$1]:-}" ]; }
image_of() { if is_tree "$1"; then echo "${tree[$1]}/arch/x86/boot/bzImage"; else echo "/boot/vmlinuz-$1"; fi; }
slow_of() { if is_tree "$1"; then echo "${VM_TREE_SLOW:-3}"; else echo 1; fi; }
kvers=()
for a in "$@"; do
	if [ -d "$a" ]; then
		v=$(cat "$a/include/config/kernel.release" 2>/dev/null)
		if [ -z "$v" ] || [ ! -f "$a/arch/x86/boot/bzImage" ]; then
			fail "vm/$(basename "$a")/boot" "$a is not a built kernel tree"
			continue
		fi
		grep -qx 'CONFIG_NET_9P_VIRTIO=y' "$a/.config" && grep -qx 'CONFIG_9P_FS=y' "$a/.config" &&
			grep -qx 'CONFIG_VIRTIO_PCI=y' "$a/.config" || {
			fail "vm/$v/boot" "$a: virtio-pci and 9p are not built in"
			continue
		}
		tree[$v]=$a
		kvers+=("$v")
	else
		kvers+=("$a")
	fi
done
if [ $# -eq 0 ]; then
	for k in /boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		v=${k#/boot/vmlinuz-}
		[ -d "/lib/modules/$v" ] && kvers+=("$v")
	done
fi
[ ${#kvers[@]} -gt 0 ] || {
	skip vm "no kernel: no /boot/vmlinuz-<V> with /lib/modules/<V>"
	exit 0
}

# One harness run at a time per build tree: they share build/vm.
exec 9>"$build/vm/.lock"
if ! flock -n 9; then
	echo "vm: waiting for another tests/vm/run.sh on $build"
	flock 9
fi

# ---------------------------------------------------------------- programs

# Each tests/vm/*.c becomes $build/vm/bin/<name>; the cases run them in the guest.
# A program is rebuilt when its .c, a tests/vm/*.h or include/ is newer.
compile_programs() {
	local c name bin
	mkdir -p "$build/vm/bin"
	for c in "$here"/*.c; do
		[ -f "$c" ] || continue
		name=$(basename "$c" .c)
		bin=$build/vm/bin/$name
		if [ -x "$bin" ] && [ -z "$(find "$c" "$here"/*.h "$repo"/include -newer "$bin" -print -quit 2>/dev/null)" ]; then
			continue
		fi
		if ! gcc -O2 -g -Wall -Wextra -Werror -I"$repo/include" -pthread -o "$bin" "$c" \
			>"$build/vm/bin/$name.log" 2>&1; then
			rm -f "$bin"
			fail "vm/build/$name" "gcc failed" - < <(head -n 20 "$build/vm/bin/$name.log")
		fi
	done
}

# ---------------------------------------------------------------- initramfs

# mod_files V: the 9p modules of kernel V (and what they need), in load order.
mod_files() {
	local m
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -S "$1" --show-depends "$m" || return 1
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# build_initrd V: $build/vm/initrd-V.img, rebuilt when an input is newer.
build_initrd() {
	local v=$1 img=$build/vm/initrd-$1.img mods='' m i=0 d name
	if ! is_tree "$v"; then
		mods=$(mod_files "$v") || return 1
	fi
	[ -n "$mods" ] || is_tree "$v" || {
		echo "no 9p modules for $v"
		return 1
	}
	# shellcheck disable=SC2086
	if [ -s "$img" ] && [ -z "$(find "$here/init" "$here/run.sh" "$busybox" $mods -newer "$img" -print -quit)" ]; then
		return 0
	fi
	d=$build/vm/initrd-$v.d
	rm -rf "$d" && mkdir -p "$d"/{bin,dev,proc,sys,newroot,lib/9p} || return 1
	cp "$busybox" "$d/bin/busybox" || return 1
	for name in $("$busybox" --list); do
		[ "$name" = busybox ] || ln -s busybox "$d/bin/$name"
	done
	cp "$here/init" "$d/init" && chmod 755 "$d/init" || return 1
	: >"$d/lib/9p/order"
	for m in $mods; do
		i=$((i + 1))
		name=$(printf '%02d-%s' $i "$(basename "$m")")
		case $m in
		*.xz) name=${name%.xz} && xz -dc "$m" >"$d/lib/9p/$name" ;;
		*.zst) name=${name%.zst} && zstd -qdc "$m" >"$d/lib/9p/$name" ;;
		*.gz) name=${name%.gz} && gzip -dc "$m" >"$d/lib/9p/$name" ;;
		*) cp "$m" "$d/lib/9p/$name" ;;
		esac || {
			echo "cannot copy $m"
			return 1
		}
		echo "$name" >>"$d/lib/9p/order"
	done
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$img.tmp" &&
		mv "$img.tmp" "$img" && rm -rf "$d"
}

# ---------------------------------------------------------------- one kernel

# tail_of FILE N: its last N lines, without the console's carriage returns.
tail_of() {
	tail -n "$2" "$1" 2>/dev/null | tr -d '\r'
}

# judge V RESULTS CASE: one PASS/FAIL/SKIP line for a case that ran.
judge() {
	local v=$1 res=$2 c=$3 d=$2/$3 name=vm/$1/$3 rc secs splat crc start
	rc=$(cat "$d/rc" 2>/dev/null)
	secs=$(cat "$d/secs" 2>/dev/null || echo 0)
	splat=$(grep -E "$splat_re" "$d/dmesg" 2>/dev/null | head -n 10)
	# The debug kernel (a TREE): its checkers are what is judged. A case's
	# own assertions (shares, rates, timings, made for a stock kernel under
	# emulation, and judged there) are reported, not judged, on a kernel
	# its checkers slow down several times; a splat still fails the case.
	if is_tree "$v" && [ "$c" != load ] && [ "$c" != unload ]; then
		if [ -n "$splat" ]; then
			fail "$name" "kernel splat" - <<<"$splat"
			return
		fi
		if [ "$rc" != 0 ]; then
			skip "$name" "no splat; collect exited ${rc:-nothing} on the debug kernel: $(tail_of "$d/log" 1 | cut -c1-120)"
			return
		fi
	fi
	if [ "$rc" = 77 ]; then
		skip "$name" "$(tail_of "$d/log" 1)"
		return
	fi
	if [ "$rc" != 0 ]; then
		fail "$name" "collect exited ${rc:-nothing}" - < <(tail_of "$d/log" 20)
		if [ "$c" = load ] || [ "$c" = unload ]; then
			splat=$(tail -n 10 "$d/dmesg" 2>/dev/null)
		fi
		[ -n "$splat" ] && echo "$splat" | sed 's/^/    | kernel: /'
		return
	fi
	if [ -n "$splat" ]; then
		fail "$name" "kernel splat" - <<<"$splat"
		return
	fi
	if [ ! -f "$cases_dir/$c.sh" ]; then
		pass "$name" "$secs"
		return
	fi
	start=$(date +%s.%N)
	(cd "$repo" && exec env HRPROF="$build/release/hrprof" WORKLOADS="$build/workloads" KVER="$v" \
		HRPROF_KO="$build/kmod/$v/kmod/hrprof.ko" VMBIN="$build/vm/bin" \
		timeout -k 10 300 bash "$cases_dir/$c.sh" check "$d/out") >"$d/check.log" 2>&1 </dev/null
	crc=$?
	secs=$(awk -v s="$secs" -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", s + b - a }')
	case $crc in
	0) pass "$name" "$secs" ;;
	77) skip "$name" "$(tail_of "$d/check.log" 1)" ;;
	*)
		if is_tree "$v"; then
			skip "$name" "no splat; its check failed on the debug kernel: $(grep -m1 '^FAIL' "$d/check.log" | cut -c1-120)"
		else
			fail "$name" "check exited $crc" - < <(tail_of "$d/check.log" 20)
		fi
		;;
	esac
}

# keep_paths: the host directories under /tmp that the guest must still see.
keep_paths() {
	local p
	for p in "$repo" "$build" "$cases_dir"; do
		case $p in /tmp/*) echo "$p" ;; esac
	done | sort -u | paste -sd: -
}

# boot_guest V RESULTS CONSOLE: one boot of the guest; sets qrc.
boot_guest() {
	local v=$1 res=$2 console=$3 vmdir=$build/vm/$1 t0 t1 boot
	t0=$(date +%s.%N)
	timeout -k 10 "$((vm_timeout * $(slow_of "$v")))" "$qemu" -accel tcg -cpu max -m "${VM_MEM:-1536}" -smp "${VM_SMP:-2}" \
		-kernel "$(image_of "$v")" -initrd "$build/vm/initrd-$v.img" \
		-append "console=ttyS0 quiet panic=-1 log_buf_len=8M vmrepo=$repo vmres=$res vmkver=$v vmkeep=$(keep_paths)$systemd_args" \
		-nodefaults -display none -serial "file:$console" -no-reboot \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$res,mount_tag=results,security_model=none" \
		</dev/null >"$vmdir/qemu.log" 2>&1
	qrc=$?
	t1=$(date +%s.%N)
	[ "${VM_KEEP_CONSOLE:-0}" = 1 ] && tr -d '\r' <"$console" | sed "s|^|    vm/$v console: |"
	boot=$(awk '/vm-init: chroot/ { for (i = 1; i <= NF; i++) if ($i == "(uptime") { print $(i + 1); exit } }' "$console" 2>/dev/null | tr -d '\r')
	printf '     vm/%s: qemu ran %.1f s, guest userspace up at %s s of uptime\n' "$v" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "${boot:-?}"
}

# emulator_crash CONSOLE: true when the guest died of a fault seen with qemu's
# multi-threaded emulation whatever runs in the guest, hrprof or not, with no
# hrprof frame in the trace: an int3 Oops while the kernel patches its own
# code, or a double fault whose saved EFLAGS has reserved bits set (bits 22
# to 31: no x86 CPU can be in that state, the emulator's own is corrupt;
# seen once in perf_event_alloc under a thread-creating workload). A crash of
# any other kind is a failure, never retried.
emulator_crash() {
	local c e
	c=$(tr -d '\r' <"$1" 2>/dev/null)
	! grep -q '\[hrprof\]' <<<"$c" || return 1
	grep -q 'Oops: int3' <<<"$c" && return 0
	grep -q 'Oops: double fault' <<<"$c" || return 1
	e=$(grep -m1 -o 'EFLAGS: [0-9a-f]*' <<<"$c" | cut -d' ' -f2)
	[ -n "$e" ] && ((0x$e >= 0x400000))
}

run_kernel() {
	local v=$1 vmdir=$build/vm/$1 res=$build/vm/$1/results console c
	local ko=$build/kmod/$v/kmod/hrprof.ko
	if [ ! -f "$(image_of "$v")" ]; then
		fail "vm/$v/boot" "no $(image_of "$v")"
		return
	fi
	if [ ! -f "$ko" ] && [ "${VM_NO_MODULE_OK:-0}" != 1 ]; then
		fail "vm/$v/build" "module not built: run make kmod"
		return
	fi
	local initrd_log
	initrd_log=$(build_initrd "$v" 2>&1) || {
		fail "vm/$v/initrd" "cannot build the initramfs" - <<<"$initrd_log"
		return
	}
	rm -rf "$res" && mkdir -p "$res" || return
	console=$vmdir/console.log
	case "$repo$res$build$cases_dir" in *[[:space:]]*)
		fail "vm/$v/boot" "a path has a space: the kernel command line cannot carry it"
		return
		;;
	esac
	# A guest that dies of qemu's emulation (see emulator_crash) is booted
	# again and resumes after the cases that finished, up to VM_BOOTS boots.
	local nboot resume=0 running
	for ((nboot = 1; nboot <= ${VM_BOOTS:-3}; nboot++)); do
		{
			printf 'VM_CASES=%q\n' "${VM_CASES:-}"
			printf 'VM_CASES_DIR=%q\n' "$cases_dir"
			printf 'BUILD_ROOT=%q\n' "$build"
			printf 'VM_RESUME=%q\n' "$resume"
			printf 'VM_CASE_TIMEOUT=%q\n' "$((${VM_CASE_TIMEOUT:-300} * $(slow_of "$v")))"
			printf 'VM_DEBUG_KERNEL=%q\n' "$(is_tree "$v" && echo 1)"
		} >"$res/vm.env"
		boot_guest "$v" "$res" "$console"
		[ -f "$res/done" ] && break
		emulator_crash "$console" || break
		running=$(cd "$res" && for c in */; do [ -d "$c" ] && [ ! -f "$c/rc" ] && echo "${c%/}"; done | head -n 1)
		printf '     vm/%s: the guest died of an emulator fault (no hrprof frame: see emulator_crash) during %s; booting again to resume\n' \
			"$v" "${running:-the boot}"
		cp "$console" "$vmdir/console.crash$nboot.log"
		[ -n "$running" ] && rm -rf "${res:?}/$running"
		resume=1
	done

	# load first, unload last, the cases in between in their order
	for c in load $(cd "$res" && LC_ALL=C ls -d -- */ 2>/dev/null | tr -d / | grep -vxE 'load|unload') unload; do
		[ -d "$res/$c" ] || continue
		if [ ! -f "$res/$c/rc" ]; then
			fail "vm/$v/$c" "did not finish: the VM died or timed out while it ran" - < <(tail_of "$res/$c/log" 10)
			continue
		fi
		judge "$v" "$res" "$c"
	done
	if [ ! -f "$res/done" ]; then
		local why="the guest did not finish"
		[ $qrc -eq 124 ] || [ $qrc -eq 137 ] && why="timed out after $((vm_timeout * $(slow_of "$v"))) s (VM_TIMEOUT)"
		fail "vm/$v/boot" "$why; console $console" - < <(
			tail_of "$vmdir/qemu.log" 5
			if grep -qE "$splat_re" "$console" 2>/dev/null; then
				tr -d '\r' <"$console" | grep -E -A1 "$splat_re|RIP: 0010" | head -n 20
				echo ...
				tail_of "$console" 3
			else
				tail_of "$console" 30
			fi
		)
	fi
}

compile_programs
for v in "${kvers[@]}"; do
	run_kernel "$v"
done
exit $failed
