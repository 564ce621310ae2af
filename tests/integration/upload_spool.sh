#!/bin/bash
# No Agent: hrprof -u 1 --spool_dir wrapping a 3 s command exits within about
# --upload_timeout after the command and leaves its profiles in the spool. The
# next run, with the Agent up and the same spool, delivers them first (with the
# first run's runtime-id, in order), then its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

port=$(agent_free_port)
start=$(date +%s.%N)
up_run -U "http://127.0.0.1:$port" -u 1 --upload_timeout 2 -- "$WORKLOADS/hot" 3
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
_between "$secs" 3 7 || fail "hrprof took ${secs}s (3 s command, --upload_timeout 2): expected about 5 s"
grep -q "Failure to establish connection, check url http://127.0.0.1:$port" "$T/hrprof.err" ||
	fail "no 'Failure to establish connection, check url' warning: $(cat "$T/hrprof.err")"
up_counts
first_taken=$TAKEN
[ "$TAKEN" -ge 3 ] && [ "$UPLOADED" = 0 ] && [ "$DROPPED" = 0 ] ||
	fail "first run: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped"
nfiles=$(find "$T/spool" -type f | wc -l)
[ "$nfiles" -ge "$TAKEN" ] || fail "$nfiles files in the spool for $TAKEN undelivered profiles: $(ls -la "$T/spool")"
log "ok: first run exited in ${secs}s, $nfiles files spooled"

agent_start
up_run -U "$AGENT_URL" -- "$WORKLOADS/hot" 0.5
[ $HRPROF_RC -eq 0 ] || fail "second run exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
up_counts
n=$(agent_ok_requests)
[ "$n" = $((first_taken + 1)) ] || fail "$n uploads accepted, expected $first_taken spooled + 1:
$(agent_dump)"
rids=$(agent_query '[tag(r, "runtime-id") for r in ok]' | uniq)
[ "$(echo "$rids" | wc -l)" = 2 ] || fail "expected the first run's runtime-id, then the second's:
$(agent_dump)"
agent_query "[tag(r, 'profile_seq') for r in ok[:$first_taken]]" | tr '\n' ' ' >"$T/seqs"
[ "$(cat "$T/seqs")" = "$(seq 0 $((first_taken - 1)) | tr '\n' ' ')" ] ||
	fail "spooled profiles arrived as profile_seq $(cat "$T/seqs"):
$(agent_dump)"
agent_check_tags "$first_taken" profile_seq=0
[ "$(find "$T/spool" -type f -name '*.hrspool*' | wc -l)" = 0 ] || fail "the spool still holds: $(ls -la "$T/spool")"
# time ranges: the spooled ones in order, before the new one
sorted=$(agent_query '[r["event"]["start"] for r in ok] == sorted(r["event"]["start"] for r in ok)')
[ "$sorted" = true ] || fail "uploads not oldest first: $(agent_dump)"
agent_assert_clean
log "ok: $first_taken spooled profiles delivered by the next run, then its own"
agent_stop
pass
