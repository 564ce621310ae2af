#!/bin/bash
# Thread and process churn (~250 short-lived named threads a second and a
# fork+exec of /bin/true every 10th round), with a profile a second: hrprof
# keeps up, attributes the short threads' samples to their names, and the
# main thread's and the threads' spins both show.
. "$(dirname "$0")/lib.sh"
require_workload churn

WL_PID_FILE=$T/pid wrap "$T/out" -u 1 -F 499 -- "$WORKLOADS/churn" 3
P=$PROFILE
pid=$(cat "$T/pid")
# The main spin and each thread's spin take 1 ms of CPU each, by their own
# CPU clocks (so neither starves the other on a loaded machine), but each
# new thread starts a sampling period of its own, which makes the split of
# the samples vary from run to run (28 to 72 % seen for the threads, perf
# record alike): both must show, and what matters below is that the short
# threads' samples keep their names.
assert_cum_share "$P" churn_thread_spin 3 97
assert_cum_share "$P" churn_main_spin 3 97
assert_chain "$P" churn_thread churn_thread_spin
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;churn_thread_spin(;|$)/ && $2 ~ /(^|\|)thread_name=churn-[0-9]+(\||$)/ { s += $1 } END { print s + 0 }')
all=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;churn_thread_spin(;|$)/ { s += $1 } END { print s + 0 }')
[ $((n * 100)) -ge $((all * 90)) ] ||
	fail "only $n of $all churn_thread_spin samples carry their thread's name churn-N; names: $(label_values "$P" thread_name | head -10 | tr '\n' ' ')"
tids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /;churn_thread_spin(;|$)/ { n = split($2, l, "|"); for (i = 1; i <= n; i++) if (l[i] ~ /^thread id=/) print l[i] }' | sort -u | wc -l)
[ "$tids" -ge 50 ] || fail "churn_thread_spin seen in only $tids threads (~750 ran)"
[ "$(label_samples "$P" process_id "$pid" churn_thread_spin)" -eq "$all" ] ||
	fail "churn_thread_spin samples outside process $pid: $(label_values "$P" process_id | tr '\n' ' ')"
grep -E 'lost' "$T/hrprof.err" | grep -vqE '(^|[^0-9])0 lost' && log "note: $(grep lost "$T/hrprof.err")"
log "ok: $n samples in $tids short-lived threads"
pass
