#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module builds through DKMS for every kernel with headers here: the tree
# `make dkms-tree` makes (written into $T, not /usr/src), `dkms add`, `dkms
# build -k V` per kernel, a GPL hrprof.ko whose vermagic is the kernel's own,
# then `dkms remove --all`. DKMS's trees and its signing key stay in $T.
. "$(dirname "$0")/lib.sh"

case $HRPROF in */asan/*) skip "runs with the release build only (the module is the same)" ;; esac
command -v dkms >/dev/null 2>&1 || skip "dkms not installed: apt-get install dkms"
command -v modinfo >/dev/null 2>&1 || skip "modinfo not installed: apt-get install kmod"
compgen -G "$REPO/kmod/*.c" >/dev/null || skip "kmod/ has no sources yet"

kernels_with_headers

version=$(cat "$REPO/VERSION")
src=$T/src/hrprof-$version
mkdir -p "$T/src" "$T/dkms" "$T/install"
make -s -C "$REPO" dkms-tree DKMS_SRC="$src" >"$T/tree.log" 2>&1 ||
	fail "make dkms-tree DKMS_SRC=$src failed: $(tail -5 "$T/tree.log")"
[ -f "$src/dkms.conf" ] || fail "make dkms-tree wrote no dkms.conf"
grep -q "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" ||
	fail "dkms.conf does not say PACKAGE_VERSION=\"$version\": $(grep PACKAGE_VERSION "$src/dkms.conf")"

# dkms reads these from the environment: sign with a key in $T, not /var/lib/dkms.
export mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub
trees=(--sourcetree "$T/src" --dkmstree "$T/dkms" --installtree "$T/install")
dk() { # action args...: dkms with this test's trees; output in $T/dkms-<action>.log
	local a=$1
	shift
	dkms "$a" -m hrprof -v "$version" "${trees[@]}" "$@" >"$T/dkms-$a.log" 2>&1
}
dk add || fail "dkms add failed: $(tail -5 "$T/dkms-add.log")"

for v in "${kvers[@]}"; do
	start=$(date +%s)
	if ! dk build -k "$v"; then
		cat "$T/dkms/hrprof/$version/build/make.log" >&2 2>/dev/null
		fail "dkms build -k $v failed: $(tail -5 "$T/dkms-build.log")"
	fi
	ko=$(find "$T/dkms/hrprof/$version/$v" -name 'hrprof.ko*' -type f | head -n 1)
	[ -n "$ko" ] || fail "dkms build -k $v produced no hrprof.ko: $(find "$T/dkms/hrprof/$version" | head -20)"
	license=$(modinfo -F license "$ko")
	case $license in
	GPL | "GPL v2") ;;
	*) fail "$ko: license '$license', expected GPL" ;;
	esac
	vermagic=$(modinfo -F vermagic "$ko")
	want=$(modinfo -k "$v" -F vermagic 9pnet 2>/dev/null)
	[ -n "$want" ] || want="$v "
	case "$vermagic " in
	"$want"*) ;;
	*) fail "$ko: vermagic '$vermagic', the kernel's modules have '$want'" ;;
	esac
	dkms status -m hrprof -v "$version" "${trees[@]}" -k "$v" 2>&1 | grep -q ': built' ||
		fail "dkms status does not say built for $v: $(dkms status "${trees[@]}" 2>&1)"
	log "ok: $v: $(basename "$ko"), license $license, vermagic $vermagic ($(($(date +%s) - start)) s)"
done

dk remove --all || fail "dkms remove --all failed: $(tail -5 "$T/dkms-remove.log")"
[ ! -e "$T/dkms/hrprof/$version" ] || fail "dkms remove --all left $T/dkms/hrprof/$version"
[ ! -e /var/lib/dkms/hrprof ] || log "note: /var/lib/dkms/hrprof exists (from make dkms-install?), untouched"
pass "built for ${kvers[*]}"
