#!/bin/bash
# --global: every process. With hot running meanwhile, its samples (by
# process_id) are mostly hot_loop, under the root frame hot. Other processes
# may appear. hrprof stops on SIGINT and writes its profile.
. "$(dirname "$0")/lib.sh"
require_workload hot

mkdir -p "$T/out"
bg "$HRPROF" -g -F 99 --output "$T/out"
hp=$BG_PID
sleep 1
kill -0 $hp 2>/dev/null || { wait $hp; fail "hrprof -g exited early with $?"; }
WL_PID_FILE=$T/pid "$WORKLOADS/hot" 2.5
pid=$(cat "$T/pid")
kill -INT $hp
wait_pid $hp 15
[ $WAIT_RC -eq 0 ] || log "note: hrprof -g exited $WAIT_RC after SIGINT"
P=$(profile_of "$T/out") || exit 1
n=$(label_samples "$P" process_id "$pid")
[ "$n" -ge 50 ] || fail "only $n samples with process_id=$pid (hot ran 2.5 s at 99 Hz); process_ids: $(label_values "$P" process_id | head -20 | tr '\n' ' ')"
share=$(pid_flat_share "$P" "$pid" hot_loop)
_between "$share" 75 100 || fail "hot_loop is $share% of process $pid's samples, expected >= 75%"
n=$(pprof_stacks "$P" | awk -F'\t' -v p="process_id=$pid" 'index("|" $2 "|", "|" p "|") && $3 ~ /^hot;.*;main;do_work;hot_loop$/ { s += $1 } END { print s + 0 }')
[ "$n" -gt 0 ] || fail "no stack hot;...;main;do_work;hot_loop for process $pid:
$(pprof_stacks "$P" | grep -P "process_id=$pid(\\||\\t)" | sort -rn | head -5)"
log "ok: $(label_samples "$P" process_id "$pid") samples for hot ($share% hot_loop); $(label_values "$P" process_id | wc -l) processes in all"
pass
