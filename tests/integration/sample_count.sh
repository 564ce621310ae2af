#!/bin/bash
# Sample count: at -F 200 the cpu-samples total is 200 x the workload's CPU
# time (its own getrusage at exit) within 20%, and cpu-time adds up to that
# CPU time within 20%.
. "$(dirname "$0")/lib.sh"
require_workload hot

WL_RUSAGE_FILE=$T/rusage wrap "$T/out" -F 200 -- "$WORKLOADS/hot" 3
P=$PROFILE
read -r user sys <"$T/rusage"
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
samples=$(total_samples "$P")
expect=$(awk -v c="$cpu" 'BEGIN { printf "%d", c * 200 }')
_between "$samples" "$(awk -v e="$expect" 'BEGIN { print e * 0.8 }')" "$(awk -v e="$expect" 'BEGIN { print e * 1.2 }')" ||
	fail "$samples cpu-samples for ${cpu}s of CPU at 200 Hz, expected $expect +-20%"
log "ok: $samples samples for ${cpu}s CPU (expected $expect +-20%)"
secs=$(pprof_secs "$P" cpu-time)
_between "$secs" "$(awk -v c="$cpu" 'BEGIN { print c * 0.8 }')" "$(awk -v c="$cpu" 'BEGIN { print c * 1.2 }')" ||
	fail "cpu-time adds up to ${secs}s, the workload used ${cpu}s (expected +-20%); $(pprof_info "$P")"
log "ok: cpu-time ${secs}s for ${cpu}s CPU"
pass
