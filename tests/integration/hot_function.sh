#!/bin/bash
# One hot function: hot spends ~90% of its CPU in hot_loop (main -> do_work ->
# hot_loop). Expect hot_loop >= 75% flat, the whole chain, the executable's
# basename as the root frame, and the documented sample types and labels.
. "$(dirname "$0")/lib.sh"
require_workload hot

wrap "$T/out" -F 199 -- "$WORKLOADS/hot" 2.5
P=$PROFILE
assert_sample_types "$P"
assert_share "$P" hot_loop 75 100
assert_share "$P" cold_loop 2 20
assert_chain "$P" main do_work hot_loop
assert_root "$P" hot 95
assert_label "$P" process_name hot
[ "$(label_values "$P" process_id | wc -l)" -eq 1 ] ||
	fail "expected one process_id, got: $(label_values "$P" process_id | tr '\n' ' ')"
[ "$(label_values "$P" 'thread id')" = "$(label_values "$P" process_id)" ] ||
	fail "single-threaded hot: thread id ($(label_values "$P" 'thread id' | tr '\n' ' ')) != process_id ($(label_values "$P" process_id))"
label_values "$P" thread_name | grep -qx hot || fail "no thread_name=hot label: $(label_values "$P" thread_name | tr '\n' ' ')"
pass
