#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Thread churn at 10 kHz: rounds of 100 threads created at once, spinning
# ~2 ms each and exiting (tests/vm/churn100.c), sampled for 3 s. The daemon
# exits 0, the threads' spin holds the share of the process's CPU that the
# threads' own CPU clocks give it (by cpu-time, where a late timer's sample
# weighs the periods it missed: within 15 points, however loaded the
# machine), and the harness finds no kernel splat.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ -x "$VMBIN/churn100" ] || die "no $VMBIN/churn100 (tests/vm/run.sh compiles it)"
	WL_PID_FILE=$OUT/pid WL_RUSAGE_FILE=$OUT/churn.rusage vm_hrprof churn 180 -F 10000 -l debug -- "$VMBIN/churn100" 3
	exit 0
fi

vm_rc churn
vm_profile "$OUT/churn"
P=$PROFILE
pid=$(cat "$OUT/pid")
assert_backend_kmod "$P"
read -r ran spin <"$OUT/churn.out"
expect=$(awk -v s="$spin" '{ printf "%.1f", 100 * s / ($1 + $2) }' "$OUT/churn.rusage")
share=$(cum_time_share "$P" churn100_spin)
awk -v a="$share" -v e="$expect" 'BEGIN { d = a - e; exit !(d <= 15 && d >= -15) }' ||
	fail "churn100_spin holds $share% of the cpu-time; the threads spent $expect% of the process's CPU there ($spin s of $(cat "$OUT/churn.rusage"))"
log "ok: churn100_spin $share% of the cpu-time, $expect% of the CPU by the threads' clocks"
tids=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ { n = split($2, l, "|"); for (i = 1; i <= n; i++) if (l[i] ~ /^thread id=/) print l[i] }' | sort -u | wc -l)
[ "$tids" -ge 20 ] || fail "churn100_spin seen in only $tids threads ($ran ran)"
all=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ { s += $1 } END { print s + 0 }')
[ "$(label_samples "$P" process_id "$pid" churn100_spin)" -eq "$all" ] ||
	fail "churn100_spin samples outside process $pid: $(label_values "$P" process_id | tr '\n' ' ')"
named=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /churn100_spin/ && $2 ~ /(^|\|)thread_name=churn100-[0-9]+(\||$)/ { s += $1 } END { print s + 0 }')
log "$named of $all churn100_spin samples carry their thread's name; $(grep -iE 'lost|kmod stats' "$OUT/churn.err" | tail -n 2 | tr '\n' ' ')"
pass "$all samples in $tids threads ($ran threads ran)"
