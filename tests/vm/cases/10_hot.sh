#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One hot function through the module (cpu-clock, no PMU under TCG): what
# tests/integration/hot_function.sh asserts with perf, and the profile says
# backend kmod.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_hrprof hot 120 -F 499 -l debug -- "$WORKLOADS/hot" 3
	exit 0
fi

vm_rc hot
vm_profile "$OUT/hot"
P=$PROFILE
assert_backend_kmod "$P"
assert_hot "$P" 70
pass "$(total_samples "$P") samples"
