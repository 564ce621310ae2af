#!/bin/bash
# Fork + exec: forkexec burns the CPU in parent_spin while its child execs the
# hot workload. Both must be profiled, under different process_ids, the child
# under its new name (process_name hot, root frame hot).
. "$(dirname "$0")/lib.sh"
require_workload forkexec hot

WL_PID_FILE=$T/pid wrap "$T/out" -F 99 -- "$WORKLOADS/forkexec" 2.5 "$WORKLOADS/hot"
P=$PROFILE
# WL_PID_FILE is inherited: the exec'd hot rewrites it with the child's pid.
assert_fork_exec "$P" "$(cat "$T/pid")" 25 75 20 70
pass
