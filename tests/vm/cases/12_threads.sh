#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Named threads through the module: worker-0..3, each with its own thread id,
# all under the workload's process_id (tests/integration/threads_named.sh).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	WL_PID_FILE=$OUT/pid vm_hrprof threads 120 -F 199 -- "$WORKLOADS/threads" 3
	exit 0
fi

vm_rc threads
vm_profile "$OUT/threads"
P=$PROFILE
pid=$(cat "$OUT/pid")
assert_backend_kmod "$P"
assert_named_threads "$P" "$pid" 85 10
pass
