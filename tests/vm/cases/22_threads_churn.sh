#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Thread churn at 10 kHz: rounds of 100 threads created at once, spinning
# ~2 ms each and exiting (tests/vm/churn100.c), sampled for 3 s. The daemon
# exits 0, the threads' spin shows, and the harness finds no kernel splat.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ -x "$VMBIN/churn100" ] || die "no $VMBIN/churn100 (tests/vm/run.sh compiles it)"
	WL_PID_FILE=$OUT/pid vm_hrprof churn 180 -F 10000 -l debug -- "$VMBIN/churn100" 3
	exit 0
fi

vm_rc churn
vm_profile "$OUT/churn"
P=$PROFILE
pid=$(cat "$OUT/pid")
assert_backend_kmod "$P"
assert_cum_share "$P" churn100_spin 15 100
tids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ { n = split($2, l, "|"); for (i = 1; i <= n; i++) if (l[i] ~ /^thread id=/) print l[i] }' | sort -u | wc -l)
[ "$tids" -ge 20 ] || fail "churn100_spin seen in only $tids threads (hundreds ran: $(cat "$OUT/churn.out"))"
all=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ { s += $1 } END { print s + 0 }')
[ "$(label_samples "$P" process_id "$pid" churn100_spin)" -eq "$all" ] ||
	fail "churn100_spin samples outside process $pid: $(label_values "$P" process_id | tr '\n' ' ')"
named=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ && $2 ~ /(^|\|)thread_name=churn100-[0-9]+(\||$)/ { s += $1 } END { print s + 0 }')
log "$named of $all churn100_spin samples carry their thread's name; $(grep -iE 'lost|kmod stats' "$OUT/churn.err" | tail -n 2 | tr '\n' ' ')"
pass "$all samples in $tids threads ($(cat "$OUT/churn.out") threads ran)"
