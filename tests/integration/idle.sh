#!/bin/bash
# A sleeping workload: hrprof exits 0 and reports (next to) no CPU time.
. "$(dirname "$0")/lib.sh"
require_workload idle

run_hrprof -F 99 -o "$T/out" -- "$WORKLOADS/idle" 1.5
[ $HRPROF_RC -eq 0 ] || fail "hrprof -- idle exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
mapfile -t files < <(profiles "$T/out")
if [ ${#files[@]} -gt 0 ]; then
	P=$(profile_of "$T/out") || exit 1
	n=$(total_samples "$P")
	[ "${n:-0}" -le 5 ] || fail "$n samples for a sleeping workload:
$(show_top "$P")"
	run_hrprof report "${files[0]}"
	[ $HRPROF_RC -eq 0 ] || fail "hrprof report of an empty profile exited $HRPROF_RC: $(cat "$T/hrprof.err")"
	log "report of the idle profile: $(head -3 "$T/hrprof.out" | tr '\n' '|')"
else
	log "no profile written for an idle workload"
fi
pass
