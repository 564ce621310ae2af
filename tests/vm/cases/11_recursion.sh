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
chain=()
for ((i = 0; i < 200; i++)); do
	chain+=(recurse)
done
assert_share "$P" recurse_leaf 70 100
n=$(chain_samples "$P" main "${chain[@]}" recurse_leaf)
total=$(total_samples "$P")
[ $((n * 100)) -ge $((total * 70)) ] || {
	depth=$(pprof_stacks "$P" | awk -F'\t' '{ c = 0; m = split($3, f, ";");
		for (i = 1; i <= m; i++) c += (f[i] == "recurse"); print $1 "x" c }' | sort -rn | head -5)
	fail "only $n of $total samples have main -> recurse x200 -> recurse_leaf; recurse frames per stack (samples x depth): $(echo $depth)
$(show_traces "$P" 3)"
}
log "ok: $n of $total samples with main -> recurse x200 -> recurse_leaf"
assert_root "$P" recurse 95
pass
