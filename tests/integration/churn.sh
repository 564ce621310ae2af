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
# CPU clocks, but in frequency mode each new thread's event starts from a
# period of its own and the kernel retunes the main thread's: how the
# samples split is perf_event's doing and moves with the load (28 to 72 %
# for the threads on a quiet machine, 99.7 % beside a CPU hog). Both must
# show; what matters below is that the short threads' samples keep their
# names.
assert_cum_share "$P" churn_thread_spin 3 100
n=$(chain_samples "$P" main churn_main_spin)
[ "$n" -gt 0 ] || fail "no sample of main -> churn_main_spin: $(show_top "$P")"
log "ok: $n samples of main -> churn_main_spin"
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
