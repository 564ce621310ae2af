#!/bin/bash
# Code built without frame pointers (-O2 -fomit-frame-pointer, as Debian and
# most release builds are; tests/workloads/nofp/), unwound from perf's user
# stack copies with the objects' CFI: at least 99 % of the samples have
# whole stacks (down to _start, or clone3 for a thread), with the callers
# each workload is known to have: a hot function, 200-deep recursion,
# threads, a shared library, a signal handler (through the signal frame),
# C++ std::sort with a comparator, an exception thrown through frames. The
# same hot workload unwound by frame pointers only (--unwind fp) is not
# whole: what the test measures is the CFI. Code built without unwind
# tables has its CFI in .debug_frame only, in the file or in its separate
# debug file: tables only (--unwind cfi) still make whole stacks of it.
. "$(dirname "$0")/lib.sh"
N=nofp
require_workload $N/hot $N/hot_dframe $N/hot_dsplit $N/recurse $N/threads $N/shlib $N/signal $N/sort $N/throw

wrap "$T/hot" -F 499 -- "$WORKLOADS/$N/hot" 1.5
assert_complete "$PROFILE"
assert_chain "$PROFILE" main do_work hot_loop
assert_share "$PROFILE" hot_loop 70 100

wrap "$T/fp" -F 499 --unwind fp -- "$WORKLOADS/$N/hot" 1
fp=$(complete_share "$PROFILE")
awk -v v="$fp" 'BEGIN { exit !(v < 50) }' || fail "--unwind fp made $fp% whole stacks of code without frame pointers"
log "ok: by frame pointers only, $fp% whole"

for w in hot_dframe hot_dsplit; do
	wrap "$T/$w" -F 499 --unwind cfi -- "$WORKLOADS/$N/$w" 1
	assert_complete "$PROFILE"
	assert_chain "$PROFILE" main do_work hot_loop
done

wrap "$T/recurse" -F 199 -- "$WORKLOADS/$N/recurse" 1.5
assert_complete "$PROFILE"
assert_recursion_whole "$PROFILE" 85 95

wrap "$T/threads" -F 499 -- "$WORKLOADS/$N/threads" 1
assert_complete "$PROFILE"
assert_chain "$PROFILE" start_thread worker thread_spin

wrap "$T/shlib" -F 499 -- "$WORKLOADS/$N/shlib" 1
assert_complete "$PROFILE"
assert_chain "$PROFILE" main lib_hot
assert_share "$PROFILE" lib_hot 70 100

wrap "$T/signal" -F 499 -- "$WORKLOADS/$N/signal" 1.5
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main main_spin '.*' on_signal sig_hot
assert_share "$PROFILE" sig_hot 10 60

wrap "$T/sort" -F 499 -- "$WORKLOADS/$N/sort" 1.5
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main 'sort_round\(.*' 'void std::.*'
n=$(chain_samples "$PROFILE" -re main 'sort_round\(.*')
b=$(pprof_stacks "$PROFILE" | awk -F'\t' '$3 ~ /;sort_round\(/ && $3 ~ /;by_key\(/ { s += $1 } END { print s + 0 }')
[ "$b" -gt 0 ] || fail "no stack with by_key under sort_round: $(show_traces "$PROFILE" 3)"
log "ok: $n samples under main -> sort_round, $b of them in by_key"

wrap "$T/throw" -F 499 -- "$WORKLOADS/$N/throw" 1.5
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main 'catch_round\(.*' 'thrower_3\(.*' 'thrower_2\(.*' 'thrower_1\(.*'
u=$(pprof_stacks "$PROFILE" | awk -F'\t' '$3 ~ /_Unwind_RaiseException/ { s += $1 } END { print s + 0 }')
[ "$u" -gt 0 ] || fail "no samples in the C++ runtime's unwinder: $(show_traces "$PROFILE" 3)"
log "ok: $u samples in _Unwind_RaiseException, whole"
pass
