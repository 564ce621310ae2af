#!/bin/bash
# Stripped executable: `stripped` has no .symtab (strip --strip-all); its
# symbols are in stripped.debug next to it, named by .gnu_debuglink.
# stripped_hot (~90%) and its chain must be named from there.
. "$(dirname "$0")/lib.sh"
require_workload stripped stripped.debug

if readelf -S "$WORKLOADS/stripped" | grep -q '\.symtab'; then
	fail "$WORKLOADS/stripped still has a .symtab: rebuild the workloads"
fi
readelf -S "$WORKLOADS/stripped" | grep -q '\.gnu_debuglink' || fail "$WORKLOADS/stripped has no .gnu_debuglink"
wrap "$T/out" -F 199 -- "$WORKLOADS/stripped" 2.5
P=$PROFILE
assert_share "$P" stripped_hot 75 100
assert_chain "$P" main stripped_work stripped_hot
assert_root "$P" stripped 95
pass
