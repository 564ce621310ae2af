#!/bin/bash
# 200-deep recursion: recurse burns the CPU in recurse_leaf under 200 frames of
# recurse (main -> recurse x200 -> recurse_leaf); the stacks must be whole
# (perf's default kernel.perf_event_max_stack is 127: deeper than that).
. "$(dirname "$0")/lib.sh"
require_workload recurse

wrap "$T/out" -F 199 -- "$WORKLOADS/recurse" 2.5
P=$PROFILE
chain=()
for ((i = 0; i < 200; i++)); do
	chain+=(recurse)
done
assert_share "$P" recurse_leaf 85 100
# Whole: main directly above the 200 recurse frames, recurse_leaf below.
n=$(chain_samples "$P" main "${chain[@]}" recurse_leaf)
total=$(total_samples "$P")
[ $((n * 100)) -ge $((total * 80)) ] || {
	depth=$(pprof_stacks "$P" | awk -F'\t' '{ c = 0; m = split($3, f, ";");
		for (i = 1; i <= m; i++) c += (f[i] == "recurse"); print $1 "x" c }' | sort -rn | head -5)
	fail "only $n of $total samples have main -> recurse x200 -> recurse_leaf; recurse frames per stack (samples x depth): $(echo $depth)
$(show_traces "$P" 3)"
}
log "ok: $n of $total samples with main -> recurse x200 -> recurse_leaf"
assert_root "$P" recurse 95
pass
