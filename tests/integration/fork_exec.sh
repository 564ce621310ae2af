#!/bin/bash
# Fork + exec: forkexec burns the CPU in parent_spin while its child execs the
# hot workload. Both must be profiled, under different process_ids, the child
# under its new name (process_name hot, root frame hot).
. "$(dirname "$0")/lib.sh"
require_workload forkexec hot

WL_PID_FILE=$T/pid wrap "$T/out" -F 99 -- "$WORKLOADS/forkexec" 2.5 "$WORKLOADS/hot"
P=$PROFILE
assert_cum_share "$P" parent_spin 25 75
assert_cum_share "$P" hot_loop 20 70
assert_chain "$P" main parent_spin
assert_chain "$P" main do_work hot_loop
ppids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;parent_spin$/ { n = split($2, l, "|"); for (j = 1; j <= n; j++) if (l[j] ~ /^process_id=/) print substr(l[j], 12) }' | sort -u)
cpids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;hot_loop$/ { n = split($2, l, "|"); for (j = 1; j <= n; j++) if (l[j] ~ /^process_id=/) print substr(l[j], 12) }' | sort -u)
[ "$(echo "$ppids" | wc -l)" -eq 1 ] && [ -n "$ppids" ] || fail "parent_spin under process_ids '$(echo $ppids)', expected one"
[ "$(echo "$cpids" | wc -l)" -eq 1 ] && [ -n "$cpids" ] || fail "hot_loop under process_ids '$(echo $cpids)', expected one"
[ "$ppids" != "$cpids" ] || fail "parent_spin and hot_loop both under process_id $ppids"
# WL_PID_FILE is inherited: the exec'd hot rewrites it with the child's pid.
[ "$cpids" = "$(cat "$T/pid")" ] || fail "hot_loop's process_id $cpids is not the child's pid $(cat "$T/pid")"
[ "$(label_samples "$P" process_name hot hot_loop)" -gt 0 ] ||
	fail "hot_loop samples not labelled process_name=hot: $(label_values "$P" process_name | tr '\n' ' ')"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^hot;.*;hot_loop$/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no hot_loop stack rooted at 'hot' (the exec'd executable): $(show_traces "$P" 4)"
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^forkexec;.*;parent_spin$/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no parent_spin stack rooted at 'forkexec': $(show_traces "$P" 4)"
log "ok: parent $ppids, exec'd child $cpids"
pass
