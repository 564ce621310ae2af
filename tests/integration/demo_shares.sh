#!/bin/bash
# The demo workload's stages keep their documented shares:
# compute_hashes ~50%, sort_records ~30%, compress_block ~20%.
. "$(dirname "$0")/lib.sh"
require_workload demo

wrap "$T/out" -F 199 -- "$WORKLOADS/demo" 2.5
P=$PROFILE
assert_share "$P" compute_hashes 40 60
assert_cum_share "$P" sort_records 20 40
assert_share "$P" compress_block 12 28
assert_chain "$P" main run_pipeline compute_hashes
pass
