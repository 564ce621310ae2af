#!/bin/bash
# 200-deep recursion: recurse burns the CPU in recurse_leaf under 200 frames of
# recurse (main -> recurse x200 -> recurse_leaf); the stacks must be whole
# (perf's default kernel.perf_event_max_stack is 127: deeper than that).
. "$(dirname "$0")/lib.sh"
require_workload recurse

wrap "$T/out" -F 199 -- "$WORKLOADS/recurse" 2.5
P=$PROFILE
assert_recursion_whole "$P" 85 80
pass
