#!/bin/bash
# `hrprof report FILE` on a profile of hot: shows hot_loop first (before
# cold_loop), the total sample count, the duration and a "lost" line;
# `report -n 1` lists only the top function; a missing file is an error.
. "$(dirname "$0")/lib.sh"
require_workload hot

wrap "$T/out" -F 199 -- "$WORKLOADS/hot" 2
P=$PROFILE
total=$(total_samples "$P")
run_hrprof report "$P"
[ $HRPROF_RC -eq 0 ] || fail "hrprof report exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
cp "$T/hrprof.out" "$T/report"
first=$(grep -owE 'hot_loop|cold_loop' "$T/report" | head -1)
[ "$first" = hot_loop ] || fail "hrprof report: first of hot_loop/cold_loop is '$first', expected hot_loop:
$(head -30 "$T/report")"
grep -qw "$total" "$T/report" || fail "hrprof report does not show the total sample count $total (go tool pprof's):
$(head -30 "$T/report")"
grep -qi lost "$T/report" || fail "hrprof report has no 'lost' line:
$(head -30 "$T/report")"
grep -qiE 'duration' "$T/report" || fail "hrprof report does not show the duration:
$(head -30 "$T/report")"
log "ok: report:
$(head -12 "$T/report")"
run_hrprof report -n 1 "$P"
[ $HRPROF_RC -eq 0 ] || fail "hrprof report -n 1 exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
grep -qw hot_loop "$T/hrprof.out" || fail "hrprof report -n 1 does not show hot_loop:
$(cat "$T/hrprof.out")"
! grep -qw cold_loop "$T/hrprof.out" || fail "hrprof report -n 1 shows cold_loop too:
$(cat "$T/hrprof.out")"
run_hrprof report "$T/no-such-file.pb.gz"
[ $HRPROF_RC -ne 0 ] || fail "hrprof report of a missing file exited 0"
printf 'not a profile' >"$T/garbage.pb.gz"
run_hrprof report "$T/garbage.pb.gz"
[ $HRPROF_RC -ne 0 ] || fail "hrprof report of a garbage file exited 0"
pass
