#!/bin/bash
# MiniDebugInfo: `minidebug` is stripped (no .symtab, no debug link); its
# function symbols are in .gnu_debugdata, an xz-compressed ELF file, as
# Fedora ships programs. stripped_hot (~90%) and its chain must be named from
# there. The same program with that section garbled, or cut short, still
# gives a profile (names of the dynamic symbols only), and no crash.
. "$(dirname "$0")/lib.sh"
require_workload minidebug
command -v objcopy >/dev/null || skip "objcopy (binutils) not installed"

B=$WORKLOADS/minidebug
S=$(readelf -SW "$B")
echo "$S" | grep -q '\.symtab' && fail "$B has a .symtab: rebuild the workloads"
echo "$S" | grep -q '\.gnu_debuglink' && fail "$B has a .gnu_debuglink: rebuild the workloads"
echo "$S" | grep -q '\.gnu_debugdata' || fail "$B has no .gnu_debugdata"
wrap "$T/out" -F 199 -- "$B" 2
P=$PROFILE
assert_share "$P" stripped_hot 75 100
assert_chain "$P" main stripped_work stripped_hot
assert_root "$P" minidebug 95

# Bad sections: garbage, then the real one cut in half.
objcopy --dump-section .gnu_debugdata="$T/mini.xz" "$B" || fail "objcopy --dump-section failed"
head -c 300 /dev/urandom >"$T/garbage"
head -c "$(($(stat -c %s "$T/mini.xz") / 2))" "$T/mini.xz" >"$T/half.xz"
for bad in garbage half.xz; do
	objcopy --update-section .gnu_debugdata="$T/$bad" "$B" "$T/md_$bad" ||
		fail "objcopy --update-section failed"
	chmod +x "$T/md_$bad"
	wrap "$T/out_$bad" -F 199 -- "$T/md_$bad" 0.5
	[ "$(cum_share "$PROFILE" stripped_hot)" = 0 ] ||
		fail ".gnu_debugdata $bad: stripped_hot named anyway?"
	[ "$(total_samples "$PROFILE")" -gt 20 ] || fail ".gnu_debugdata $bad: a profile of no samples"
	log "ok: .gnu_debugdata $bad: a profile, without those names"
done
pass
