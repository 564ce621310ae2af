#!/bin/bash
# Runs that take no sample say why, truthfully, and write no empty profile:
# - a sleeping workload (about 1 ms of CPU at 99 Hz, a 10 ms period): less
#   than one sampling period;
# - a command that cannot run: it did not run (exit 127);
# - 20 short children of 10 ms each at 20 Hz (a 50 ms period each): the CPU
#   time is named, and the way out (-F, -g), not idleness.
# In each case hrprof exits with the command's status and leaves no file.
# And a command that works, then sleeps past a period: the empty last part
# is no profile of its own, and no warning.
. "$(dirname "$0")/lib.sh"
require_workload idle hot

no_profile() { # WHAT
	local n
	n=$(find "$T/out" -type f | wc -l)
	[ "$n" -eq 0 ] || fail "$1: $n files written: $(ls -a "$T/out")"
}

mkdir -p "$T/out"
run_hrprof -F 99 --output "$T/out" -- "$WORKLOADS/idle" 1.5
[ $HRPROF_RC -eq 0 ] || fail "hrprof -- idle exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
grep -q "no profile: the command used [0-9.]* ms of CPU, less than one sampling period (10.1 ms at 99 Hz)" "$T/hrprof.err" ||
	fail "idle: no true word on why there is no profile: $(cat "$T/hrprof.err")"
no_profile idle

run_hrprof -F 99 --output "$T/out" -- /nonexistent/command
[ $HRPROF_RC -eq 127 ] || fail "hrprof -- /nonexistent/command exited $HRPROF_RC, expected 127"
grep -q "no profile: the command did not run" "$T/hrprof.err" ||
	fail "nonexistent: $(cat "$T/hrprof.err")"
grep "warn:" "$T/hrprof.err" | grep -q "idle\|CPU" && fail "nonexistent: blames the CPU: $(cat "$T/hrprof.err")"
no_profile nonexistent

run_hrprof -F 20 --output "$T/out" -- bash -c "for i in \$(seq 20); do '$WORKLOADS/hot' 0.01; done"
[ $HRPROF_RC -eq 0 ] || fail "hrprof -- short children exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
if ! grep -q "no profile:" "$T/hrprof.err"; then
	# A child may cross a period boundary on a slow machine: then a profile.
	P=$(profile_of "$T/out") || exit 1
	log "short children: $(total_samples "$P") samples taken, a profile written"
else
	grep -q "no profile: the command used [0-9.]* ms of CPU but no sample was taken.*raise -F, or profile the whole host with -g" "$T/hrprof.err" ||
		fail "short children: $(cat "$T/hrprof.err")"
	grep "warn:" "$T/hrprof.err" | grep -q "idle" && fail "short children: blamed on idleness: $(cat "$T/hrprof.err")"
	no_profile "short children"
fi

rm -rf "$T/out"
mkdir -p "$T/out"
run_hrprof -F 99 -u 1 --output "$T/out" -- bash -c "'$WORKLOADS/hot' 1.2; sleep 1.6"
[ $HRPROF_RC -eq 0 ] || fail "hrprof -u 1 -- work then sleep exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
grep -q "warn:" "$T/hrprof.err" && fail "work then sleep: a warning: $(cat "$T/hrprof.err")"
mapfile -t files < <(profiles "$T/out")
[ ${#files[@]} -ge 2 ] || fail "work then sleep: ${#files[@]} profiles, expected 2 or more"
for f in "${files[@]}"; do
	n=$(pprof_field "$f" cpu-samples)
	[ "${n:-0}" -gt 0 ] || [ "$f" != "${files[-1]}" ] ||
		fail "work then sleep: the last profile is empty: $(pprof_info "$f")"
done
log "ok: work then sleep: ${#files[@]} profiles, the last with samples"
pass
