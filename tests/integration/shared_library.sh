#!/bin/bash
# Shared library: shlib spends ~90% of its CPU in lib_hot, which lives in
# libhotlib.so (found through -rpath $ORIGIN); lib_hot must be named, called
# from main, and its locations belong to libhotlib.so's mapping.
. "$(dirname "$0")/lib.sh"
require_workload shlib libhotlib.so

wrap "$T/out" -F 199 -- "$WORKLOADS/shlib" 2.5
P=$PROFILE
assert_share "$P" lib_hot 75 100
assert_share "$P" shlib_cold 2 20
assert_chain "$P" main lib_hot
assert_root "$P" shlib 95
maps=$(func_mappings "$P" lib_hot)
echo "$maps" | grep -q 'libhotlib\.so$' ||
	fail "lib_hot's locations are in mappings '$(echo $maps)', expected .../libhotlib.so; go tool pprof -raw mappings:
$(pprof_raw "$P" | sed -n '/^Mappings/,$p' | head -20)"
log "ok: lib_hot in $maps"
pass
