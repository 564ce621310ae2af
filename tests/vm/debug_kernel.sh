#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The debug kernel: Debian's 6.1 (linux-source-6.1) built with lockdep
# (PROVE_LOCKING, PROVE_RCU), KASAN, UBSAN, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT,
# KFENCE and DEBUG_OBJECTS, on allnoconfig plus tests/vm/debug.config (what
# the qemu harness and hrprof need, nothing else), so that it builds in about
# 12 minutes on 2 cores and boots in qemu with software emulation.
#
# usage: tests/vm/debug_kernel.sh build   build it unless cached; print its tree
#        tests/vm/debug_kernel.sh path    print the cached tree; exit 1 if none
#
# The tree is cached outside the clone, in $HRPROF_KDEBUG_CACHE (default
# /var/cache/hrprof-kdebug), under a key made of linux-source-6.1's version
# and the hash of debug.config and $recipe below: a second run reuses it, a
# changed fragment builds a new one. The tree's directory is named after the
# kernel's release (6.1.N-hrprof-debug), so `make kmod KDIR=<tree>` puts the
# module in build/kmod/<release>/ where tests/vm/run.sh <tree> looks for it.
# Exit status: 0 built or cached, 1 failure (the build's log is named), 2 usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cache=${HRPROF_KDEBUG_CACHE:-/var/cache/hrprof-kdebug}
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/debug.config
# Part of the cache key with the fragment: raise it when build() changes what
# it makes (comments and messages need not).
recipe=1

die() {
	echo "debug_kernel: $*" >&2
	exit 1
}

# key: what the tree is built from
key() {
	local ver
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) || return 1
	[ -n "$ver" ] || return 1
	printf '6.1-%s-%s\n' "$ver" "$( (cat "$fragment" && echo "$recipe") | sha256sum | cut -c1-12)"
}

# tree KEY: the built tree of KEY, if complete
tree() {
	local d
	for d in "$cache/$1"/*-hrprof-debug; do
		[ -f "$d/.hrprof-done" ] && [ -f "$d/arch/x86/boot/bzImage" ] && {
			echo "$d"
			return 0
		}
	done
	return 1
}

build() {
	local k=$1 top=$cache/$1 src rel out log t0 opt want got missing=''
	[ -f "$tarball" ] || die "no $tarball: apt-get install linux-source-6.1"
	for t in gcc make bc flex bison perl; do
		command -v $t >/dev/null || die "$t missing: apt-get install build-essential bc flex bison"
	done
	[ -f /usr/include/openssl/ssl.h ] && [ -f /usr/include/libelf.h ] ||
		die "headers missing: apt-get install libssl-dev libelf-dev"
	# Trees of other keys are out of date: only the newest is kept.
	rm -rf "$cache"/6.1-* && mkdir -p "$top" || die "cannot create $top"
	log=$top/build.log
	t0=$(date +%s)
	echo "debug_kernel: building $k in $top (about 12 minutes on 2 cores; log: $log)" >&2
	tar -xJf "$tarball" -C "$top" || die "cannot unpack $tarball"
	src=$top/linux-source-6.1
	out=$top/obj
	mkdir -p "$out"
	{
		make -C "$src" O="$out" allnoconfig &&
			"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" &&
			make -C "$src" O="$out" olddefconfig &&
			make -C "$src" O="$out" syncconfig
	} >"$log" 2>&1 || die "configuration failed; see $log"
	# Every option the fragment asks for must have survived olddefconfig.
	while IFS= read -r opt; do
		case $opt in CONFIG_*=*) ;; *) continue ;; esac
		want=${opt#*=}
		got=$(grep -E "^${opt%%=*}=|^# ${opt%%=*} is not set" "$out/.config" | head -n 1)
		if [ "$want" = n ]; then
			case $got in "" | "# "*) ;; *) missing+=" ${opt%%=*}" ;; esac
		elif [ "$got" != "$opt" ]; then
			missing+=" ${opt%%=*}"
		fi
	done <"$fragment"
	[ -z "$missing" ] || die "olddefconfig dropped:$missing (see $log)"
	# The tree is named after the release before it is built (kbuild writes
	# absolute paths into it).
	rel=$(make -s -C "$src" O="$out" kernelrelease 2>>"$log")
	case $rel in *-hrprof-debug) ;; *) die "unexpected kernel release '$rel'; see $log" ;; esac
	mv "$out" "$top/$rel" || die "cannot rename $out"
	out=$top/$rel
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
		die "the build failed; see the end of $log"
	touch "$top/$rel/.hrprof-done"
	printf 'debug_kernel: %s built in %d s\n' "$rel" $(($(date +%s) - t0)) >&2
	echo "$top/$rel"
}

k=$(key) || die "linux-source-6.1 is not installed: apt-get install linux-source-6.1"
case ${1:-} in
path) tree "$k" ;;
build)
	tree "$k" && exit 0
	mkdir -p "$cache" || die "cannot create $cache"
	exec 9>"$cache/.lock" || die "cannot lock $cache/.lock"
	flock 9
	tree "$k" && exit 0
	build "$k"
	;;
*)
	echo "usage: $0 build|path" >&2
	exit 2
	;;
esac
