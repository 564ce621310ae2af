#!/bin/bash
# Lost samples are counted and shown: hrprof is stopped (SIGSTOP) while the
# 200-deep workload runs at 10 kHz, so the kernel's ring fills and drops samples. The
# profile must carry a [lost] frame whose count matches the lost samples
# hrprof reports, and hrprof report must print them.
. "$(dirname "$0")/lib.sh"
require_workload recurse

mkdir -p "$T/out"
"$HRPROF" -F 10000 -l debug --output "$T/out" -- "$WORKLOADS/recurse" 4 2>"$T/hrprof.err" &
hp=$!
BG_PIDS+=("$hp")
sleep 0.7
kill -STOP $hp
sleep 2
kill -CONT $hp
wait_pid $hp 30
[ $WAIT_RC -eq 0 ] || fail "hrprof exited $WAIT_RC: $(tail -5 "$T/hrprof.err")"
P=$(profile_of "$T/out") || exit 1
lost=$(pprof_top "$P" | awk '$NF == "[lost]" { print $1 }')
[ -n "$lost" ] && [ "$lost" -gt 0 ] || fail "no [lost] frame after the ring overflowed:
$(show_top "$P" | head -12)"
# The ring holds ~0.1 s of these deep samples: much of the 2 s stop is lost
# (how much depends on the build's speed), and exactly what hrprof counted.
counted=$(sed -n 's/.* samples, \([0-9]*\) lost,.*/\1/p' "$T/hrprof.err" | tail -n 1)
[ "$lost" = "$counted" ] || fail "[lost] is $lost samples but hrprof counted ${counted:-nothing}: $(grep lost "$T/hrprof.err")"
[ "$lost" -ge 1000 ] || fail "[lost] is $lost samples, expected a large part of 2 s at 10 kHz (>= 1000)"
"$HRPROF" report "$P" > "$T/report" 2>&1 || fail "hrprof report failed: $(cat "$T/report")"
grep -q "Lost samples: $lost" "$T/report" || fail "report does not show $lost lost samples: $(grep -i lost "$T/report")"
log "ok: $lost samples lost while hrprof was stopped, shown as [lost] and in the report"
pass
