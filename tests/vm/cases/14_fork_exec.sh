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
assert_cum_share "$P" parent_spin 20 80
assert_cum_share "$P" hot_loop 15 75
assert_chain "$P" main parent_spin
assert_chain "$P" main do_work hot_loop
ppids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;parent_spin$/ { n = split($2, l, "|"); for (j = 1; j <= n; j++) if (l[j] ~ /^process_id=/) print substr(l[j], 12) }' | sort -u)
cpids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;hot_loop$/ { n = split($2, l, "|"); for (j = 1; j <= n; j++) if (l[j] ~ /^process_id=/) print substr(l[j], 12) }' | sort -u)
[ "$(echo "$ppids" | wc -l)" -eq 1 ] && [ -n "$ppids" ] || fail "parent_spin under process_ids '$(echo $ppids)', expected one"
[ "$(echo "$cpids" | wc -l)" -eq 1 ] && [ -n "$cpids" ] || fail "hot_loop under process_ids '$(echo $cpids)', expected one"
[ "$ppids" != "$cpids" ] || fail "parent_spin and hot_loop both under process_id $ppids"
[ "$cpids" = "$(cat "$OUT/pid")" ] || fail "hot_loop's process_id $cpids is not the child's pid $(cat "$OUT/pid")"
[ "$(label_samples "$P" process_name hot hot_loop)" -gt 0 ] ||
	fail "hot_loop samples not labelled process_name=hot: $(label_values "$P" process_name | tr '\n' ' ')"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^hot;.*;hot_loop$/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no hot_loop stack rooted at 'hot' (the exec'd executable): $(show_traces "$P" 4)"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^forkexec;.*;parent_spin$/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no parent_spin stack rooted at 'forkexec': $(show_traces "$P" 4)"
pass "parent $ppids, exec'd child $cpids"
