#!/bin/bash
# PIE and non-PIE executables (hot built with -fPIE -pie and -fno-pie
# -no-pie): both symbolize hot_loop and the whole chain.
. "$(dirname "$0")/lib.sh"
require_workload hot_pie hot_nopie

for w in hot_pie hot_nopie; do
	wrap "$T/$w" -F 199 -- "$WORKLOADS/$w" 1.5
	assert_share "$PROFILE" hot_loop 75 100
	assert_chain "$PROFILE" main do_work hot_loop
	assert_root "$PROFILE" "$w" 95
done
pass
