#!/usr/bin/env bash
# The Debian packages hrprof needs, installed only when missing: with none
# missing it runs no apt-get (and needs no root).
#
#   tools/deps.sh build     the build (make, make demo)
#   tools/deps.sh check     and the tests (make check): Go, perf, clang,
#                           chromium, qemu and Debian's 6.1 and 6.12 kernels
#   tools/deps.sh all       and make bench's debug files and make deb's tools
#   tools/deps.sh GROUP...  any of: build test kmod bench deb kdebug
#   tools/deps.sh -n GROUP  print what is missing, install nothing
#
# Exit 0 when everything is there (or was installed), 1 when something is
# missing and cannot be installed (not root, apt failed), 2 for bad usage.
set -eu

# The build: compiler, elfutils (libelf, libdw, debuginfod), libcurl,
# protobuf-c, liburing, zstd, zlib, xz.
build=(gcc g++ make pkg-config binutils libelf-dev libdw-dev libdebuginfod-dev libcurl4-openssl-dev
	libprotobuf-c-dev protobuf-c-compiler liburing-dev libzstd-dev zlib1g-dev liblzma-dev)
# The tests: go tool pprof decodes profiles, perf is the oracle, clang builds
# the fuzzers, chromium (driven by python3-websocket) runs the flame graph.
test=(golang-go linux-perf python3 clang-format zstd util-linux xz-utils perl ripgrep elfutils
	debuginfod dwz clang chromium python3-websocket debhelper dh-dkms lintian groff-base)
# The module's tests: both Debian 12 kernels, booted under qemu.
kmod=(qemu-system-x86 busybox-static cpio kmod xz-utils dwarves dkms linux-image-amd64
	linux-headers-amd64 linux-image-6.12-amd64 linux-headers-6.12-amd64)
# make deb.
deb=(dpkg-dev debhelper dh-dkms lintian)
# make check-debug-kernel: Debian's 6.1 sources, built with the checkers.
kdebug=(linux-source-6.1 bc flex bison libssl-dev libelf-dev)

# The version of the Debian package a command's compiler comes from, as
# the packages that go with it are named (clang 14's runtime is
# libclang-rt-14-dev): asked of the installed compiler, else of apt.
compiler_major() { # command package
	if command -v "$1" >/dev/null 2>&1; then
		"$1" -dumpversion | cut -d. -f1
	else
		apt-cache show "$2" 2>/dev/null | sed -n "s/^Depends:.*\b$2-\([0-9][0-9]*\)\b.*/\1/p" | head -n 1
	fi
}

group() {
	local v
	case $1 in
	build) printf '%s\n' "${build[@]}" ;;
	test)
		printf '%s\n' "${test[@]}"
		# the fuzzers' sanitizer runtime, of the clang installed
		v=$(compiler_major clang clang)
		[ -z "$v" ] || echo "libclang-rt-$v-dev"
		;;
	kmod) printf '%s\n' "${kmod[@]}" ;;
	# make bench names C++ and C with their debug info
	bench)
		v=$(compiler_major gcc gcc)
		echo "libstdc++6-${v:-12}-dbg"
		echo libc6-dbg
		;;
	deb) printf '%s\n' "${deb[@]}" ;;
	kdebug) printf '%s\n' "${kdebug[@]}" ;;
	check) group build; group test; group kmod ;;
	all) group check; group bench; group deb ;;
	*)
		echo "tools/deps.sh: unknown group '$1' (build, check, all, test, kmod, bench, deb, kdebug)" >&2
		exit 2
		;;
	esac
}

missing() {
	local p
	for p; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

dry=0
if [ "${1:-}" = -n ]; then
	dry=1
	shift
fi
[ $# -gt 0 ] || { sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2; }
mapfile -t want < <(for g; do group "$g"; done | sort -u)
[ ${#want[@]} -gt 0 ] || exit 2
mapfile -t need < <(missing "${want[@]}")
[ ${#need[@]} -eq 0 ] && exit 0
if [ $dry = 1 ]; then
	printf '%s\n' "${need[@]}"
	exit 0
fi
echo "missing packages: ${need[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "run as root to install them (sudo make ..., or sudo tools/deps.sh $*)"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
# Packages named after a compiler's version (libclang-rt-N-dev), known
# only once the compiler is installed.
mapfile -t need < <(missing $(for g; do group "$g"; done | sort -u))
[ ${#need[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${need[@]}"
