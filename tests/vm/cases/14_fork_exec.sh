#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fork + exec through the module: the child is followed as it forks (a target
# by inheritance) and keeps being sampled after exec: parent_spin and the
# exec'd hot's hot_loop under different process_ids
# (tests/integration/fork_exec.sh).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	WL_PID_FILE=$OUT/pid vm_hrprof forkexec 120 -F 199 -- "$WORKLOADS/forkexec" 3 "$WORKLOADS/hot"
	exit 0
fi

vm_rc forkexec
vm_profile "$OUT/forkexec"
P=$PROFILE
assert_backend_kmod "$P"
assert_fork_exec "$P" "$(cat "$OUT/pid")" 20 80 15 75
pass
