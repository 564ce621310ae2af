#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 200-deep recursion through the module: main -> recurse x200 -> recurse_leaf
# whole in the stacks (what tests/integration/recursion_200.sh asserts).
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_hrprof recurse 120 -F 499 -- "$WORKLOADS/recurse" 3 200
	exit 0
fi

vm_rc recurse
vm_profile "$OUT/recurse"
P=$PROFILE
assert_backend_kmod "$P"
assert_recursion_whole "$P" 70 70
pass
