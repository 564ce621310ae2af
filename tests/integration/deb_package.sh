#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hrprof-test-timeout: 1200
# The Debian packages, from `make deb` to purge, on this machine:
#   1. make deb builds hrprof_V_amd64.deb and hrprof-dkms_V_all.deb and
#      lintian reports no error; each holds what it should;
#   2. apt-get install ./both: the daemon runs, the unit and the settings
#      are in place (systemd-analyze verify passes), and DKMS built and
#      installed the module for every kernel with headers here (dkms status
#      says installed for each); taking one kernel's module away and running
#      the hook a kernel's headers package runs builds it again (as when a
#      kernel is installed later);
#   3. a qemu guest of the first such kernel, booting this machine's
#      systemd as PID 1, loads the DKMS-built module, the installed
#      /usr/bin/hrprof profiles with it (tests/vm/cases/10_hot), and systemctl
#      starts hrprof.service, which uploads to a fake Agent, is restarted
#      after a SIGKILL and stops cleanly (tests/vm/cases/27_service);
#   4. apt-get purge: no file of either package, no DKMS tree, no module, no
#      spool, no settings, no service link, no dpkg record is left.
# Skips where hrprof is installed already (the machine's own, untouched).
. "$(dirname "$0")/lib.sh"

case $HRPROF in */asan/*) skip "runs with the release build only (packages build their own)" ;; esac
[ "$(id -u)" = 0 ] || skip "needs root (apt-get install)"
for p in hrprof hrprof-dkms; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed$' &&
		skip "$p is installed on this machine: not touched"
done
command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null && command -v lintian >/dev/null ||
	skip "dpkg-dev, debhelper, dh-dkms or lintian missing (make deb installs them)"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (Debian package systemd)"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (make deps installs it)"
kernels_with_headers

version=$(cat "$REPO/VERSION")
out=$T/b/deb
files=(/usr/bin/hrprof /etc/default/hrprof /lib/systemd/system/hrprof.service /var/spool/hrprof /var/lib/hrprof
	/usr/share/man/man1/hrprof.1.gz "/usr/src/hrprof-$version" /var/lib/dkms/hrprof)
purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hrprof hrprof-dkms >"$T/purge.log" 2>&1
}
# Purged whatever happens; the test's own exit status kept for _cleanup.
purge_and_cleanup() {
	local rc=$?
	purge
	(exit $rc)
	_cleanup
}
trap purge_and_cleanup EXIT

# ---- 1. build, lintian, contents
start=$(date +%s)
make -s -C "$REPO" deb BUILD_ROOT="$T/b" >"$T/deb.log" 2>&1 ||
	fail "make deb failed: $(tail -15 "$T/deb.log")"
deb=$out/hrprof_${version}_amd64.deb dkmsdeb=$out/hrprof-dkms_${version}_all.deb
[ -f "$deb" ] && [ -f "$dkmsdeb" ] || fail "make deb made $(ls "$out")"
log "ok: make deb in $(($(date +%s) - start)) s; lintian: $(grep -c '^[EWI]:' "$out/lintian.log") tags, $(grep -c '^E:' "$out/lintian.log") errors"
grep '^[EW]:' "$out/lintian.log" | sed 's/^/  lintian: /' >&2
grep -q '^E:' "$out/lintian.log" && fail "lintian errors: $(grep '^E:' "$out/lintian.log")"
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$T/deb.list"
for f in ./usr/bin/hrprof ./etc/default/hrprof ./lib/systemd/system/hrprof.service ./var/spool/hrprof/ \
	./usr/share/man/man1/hrprof.1.gz; do
	grep -qxF "$f" "$T/deb.list" || fail "$(basename "$deb") lacks $f: $(tr '\n' ' ' <"$T/deb.list")"
done
dpkg-deb -c "$dkmsdeb" | awk '{ print $6 }' >"$T/dkms.list"
for f in dkms.conf Kbuild kmod/main.c kmod/sample.c include/hrprof.h include/hrprof_unwind.h; do
	grep -qxF "./usr/src/hrprof-$version/$f" "$T/dkms.list" ||
		fail "$(basename "$dkmsdeb") lacks /usr/src/hrprof-$version/$f"
done
dpkg-deb -f "$deb" Depends | grep -q 'libcurl' || fail "hrprof's Depends has no libcurl: $(dpkg-deb -f "$deb" Depends)"

# ---- 2. install
start=$(date +%s)
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" "$dkmsdeb" >"$T/install.log" 2>&1 ||
	fail "apt-get install failed: $(tail -15 "$T/install.log")"
log "ok: apt-get install in $(($(date +%s) - start)) s"
/usr/bin/hrprof --version | grep -qF "$version" || fail "/usr/bin/hrprof --version: $(/usr/bin/hrprof --version 2>&1)"
man -w hrprof >/dev/null 2>&1 || fail "man hrprof finds no page"
grep -q '^#DD_AGENT_HOST=' /etc/default/hrprof || fail "/etc/default/hrprof: $(head -3 /etc/default/hrprof)"
dpkg-query -W -f='${Conffiles}\n' hrprof | grep -q /etc/default/hrprof || fail "/etc/default/hrprof is not a conffile"
systemd-analyze verify /lib/systemd/system/hrprof.service >"$T/verify.log" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify.log")"
log "ok: systemd-analyze verify hrprof.service: $(wc -l <"$T/verify.log") lines of output"
dkms status -m hrprof >"$T/status" 2>"$T/status.err"
for v in "${kvers[@]}"; do
	grep -q "hrprof/$version, $v, x86_64: installed" "$T/status" ||
		fail "dkms status has no installed module for $v: $(cat "$T/status")"
	[ -n "$(find "/lib/modules/$v/updates/dkms" -name 'hrprof.ko*' 2>/dev/null)" ] ||
		fail "no hrprof.ko under /lib/modules/$v/updates/dkms"
done
log "ok: dkms status: $(tr '\n' ';' <"$T/status")"
# A kernel whose headers come later: its headers package's hook builds the module.
v=${kvers[-1]}
dkms uninstall -m hrprof -v "$version" -k "$v" >"$T/uninstall.log" 2>&1 &&
	dkms unbuild -m hrprof -v "$version" -k "$v" >>"$T/uninstall.log" 2>&1 ||
	dkms remove -m hrprof -v "$version" -k "$v" >>"$T/uninstall.log" 2>&1
dkms status -m hrprof -k "$v" 2>/dev/null | grep -q installed && fail "could not take $v's module away: $(cat "$T/uninstall.log")"
hook=/etc/kernel/header_postinst.d/dkms
[ -x "$hook" ] || fail "no $hook (the dkms package's)"
"$hook" "$v" >"$T/hook.log" 2>&1 || fail "$hook $v failed: $(tail -5 "$T/hook.log")"
dkms status -m hrprof -k "$v" 2>/dev/null | grep -q ": installed" ||
	fail "after $hook $v: $(dkms status -m hrprof -k "$v" 2>&1) ($(tail -5 "$T/hook.log"))"
log "ok: $hook $v built and installed it again"

# ---- 3. the DKMS-built module in a guest, with the installed daemon
# The guest sees the host's root over 9p, but not its /tmp: a build root
# in the tree, whose kmod/V/kmod/hrprof.ko is DKMS's and release/hrprof
# the installed one.
v=${kvers[0]}
vmroot=$REPO/build/deb-vm
rm -rf "$vmroot" && mkdir -p "$vmroot/kmod/$v/kmod" "$vmroot/release"
ko=$(find "/lib/modules/$v/updates/dkms" -name 'hrprof.ko*' | head -n 1)
case $ko in
*.xz) xz -dc "$ko" >"$vmroot/kmod/$v/kmod/hrprof.ko" ;;
*.zst) zstd -qdc "$ko" >"$vmroot/kmod/$v/kmod/hrprof.ko" ;;
*) cp "$ko" "$vmroot/kmod/$v/kmod/hrprof.ko" ;;
esac
ln -s /usr/bin/hrprof "$vmroot/release/hrprof"
ln -s "$WORKLOADS" "$vmroot/workloads"
BUILD_ROOT=$vmroot VM_SYSTEMD=1 VM_CASES="10_hot 27_service" "$REPO/tests/vm/run.sh" "$v" >"$T/vm.log" 2>&1 ||
	fail "the DKMS module in a $v guest: $(grep -v '^PASS' "$T/vm.log" | tail -20)"
for c in 10_hot 27_service; do
	grep -q "^PASS vm/$v/$c" "$T/vm.log" || fail "no $c result: $(tail -5 "$T/vm.log")"
done
log "ok: $v guest, systemd as PID 1: $(grep -c '^PASS' "$T/vm.log") passed (load, 10_hot with /usr/bin/hrprof, 27_service: hrprof.service by systemctl, unload)"
log "ok: $(grep -h '^PASS 27_service' "$vmroot/vm/$v/results/27_service/check.log" 2>/dev/null)"
rm -rf "$vmroot"

# ---- 4. purge
purge || fail "apt-get purge failed: $(tail -10 "$T/purge.log")"
for f in "${files[@]}"; do
	[ ! -e "$f" ] || fail "purge left $f"
done
left=$(find /lib/modules/*/updates /etc/systemd -name 'hrprof*' 2>/dev/null)
[ -z "$left" ] || fail "purge left $left"
dpkg-query -W -f='${Status}\n' hrprof hrprof-dkms 2>/dev/null | grep -qv '^unknown\|not-installed' &&
	fail "dpkg still knows: $(dpkg-query -W -f='${Package} ${Status}\n' hrprof hrprof-dkms 2>&1)"
pass "built, lintian clean of errors, installed (module for ${kvers[*]}), loaded in a guest, purged clean"
