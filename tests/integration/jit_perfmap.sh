#!/bin/bash
# JIT code: jit runs a machine-code loop from an anonymous executable page and
# describes it in /tmp/perf-<pid>.map as jit_hot_loop (removed at exit).
# jit_hot_loop must be named, called from jit_driver.
. "$(dirname "$0")/lib.sh"
require_workload jit

WL_PID_FILE=$T/pid wrap "$T/out" -F 199 -- "$WORKLOADS/jit" 2.5
P=$PROFILE
[ ! -e "/tmp/perf-$(cat "$T/pid").map" ] || log "note: /tmp/perf-$(cat "$T/pid").map left behind"
assert_share "$P" jit_hot_loop 75 100
assert_chain "$P" main jit_driver jit_hot_loop
pass
