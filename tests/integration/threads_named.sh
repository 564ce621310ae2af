#!/bin/bash
# Named threads: threads runs 4 threads named worker-0..worker-3 (all in
# thread_spin). Each name appears with its own thread id, all under the
# workload's process_id (which is not a worker's thread id).
. "$(dirname "$0")/lib.sh"
require_workload threads

WL_PID_FILE=$T/pid wrap "$T/out" -F 99 -- "$WORKLOADS/threads" 2.5
P=$PROFILE
pid=$(cat "$T/pid")
assert_named_threads "$P" "$pid" 90 20
pass
