#!/bin/bash
# The demo workload's stages keep their documented shares:
# compute_hashes ~50%, sort_records ~30%, compress_block ~20%; each called
# from run_stage, inlined into run_pipeline (an inlined frame of its own, or
# none with -I false).
. "$(dirname "$0")/lib.sh"
require_workload demo

wrap "$T/out" -F 199 -- "$WORKLOADS/demo" 2.5
P=$PROFILE
assert_share "$P" compute_hashes 40 60
assert_cum_share "$P" sort_records 20 40
assert_share "$P" compress_block 12 28
assert_chain "$P" main run_pipeline "run_stage (inline)" compute_hashes
wrap "$T/noinl" -F 199 -I false -- "$WORKLOADS/demo" 0.5
assert_chain "$PROFILE" main run_pipeline compute_hashes
pass
