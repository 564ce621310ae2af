#!/bin/bash
# Nothing lost to SIGKILL: with no Agent (-u 1, a closed port), hrprof is
# killed with SIGKILL after 8 s. Every profile it built (each logged at
# -l debug) is in the spool but at most the one being handed over at the
# kill. The next run, with the Agent up, delivers them all, each exactly
# once and in order (profile_seq 0..N-1 of the first run), then its own.
# A spool entry with junk content (its checksum wrong) is set aside, not
# sent; a directory and a symbolic link named like entries are left alone
# and named in the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

port=$(agent_free_port)
mkdir -p "$T/spool"
bg "$HRPROF" -U "http://127.0.0.1:$port" -u 1 --spool_dir "$T/spool" -l debug -- "$WORKLOADS/hot" 11 \
	2>"$T/first.err"
sleep 8
kill -9 "$BG_PID"
wait "$BG_PID" 2>/dev/null
built=$(grep -cE 'profile [0-9]+: [0-9]+ samples' "$T/first.err")
n=$(find "$T/spool" -name '*.hrspool*' -type f | wc -l)
[ "$built" -ge 5 ] || fail "only $built profiles built in 8 s at -u 1: $(tail -5 "$T/first.err")"
[ "$n" -ge $((built - 1)) ] || fail "SIGKILL lost profiles: $built built, $n in the spool: $(ls -la "$T/spool")"
log "ok: killed after $built profiles built: $n in the spool"
sleep 4 # the orphaned workload ends

# A corrupt entry (right header, junk content) and two non-files.
printf 'hrprof-spool 2\n2 5 12345678\n{}junk!' >"$T/spool/00000000000000000001-junk.hrspool"
mkdir "$T/spool/00000000000000000002-dir.hrspool"
ln -s /etc/passwd "$T/spool/00000000000000000003-link.hrspool"

agent_start
up_run -U "$AGENT_URL" -- "$WORKLOADS/hot" 0.5
[ $HRPROF_RC -eq 0 ] || fail "second run exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
got=$(agent_ok_requests)
[ "$got" = $((n + 1)) ] || fail "$got uploads accepted, expected the $n spooled + 1:
$(agent_dump)"
agent_query "[tag(r, 'profile_seq') for r in ok[:$n]]" | tr '\n' ' ' >"$T/seqs"
[ "$(cat "$T/seqs")" = "$(seq 0 $((n - 1)) | tr '\n' ' ')" ] ||
	fail "the spooled profiles arrived as profile_seq $(cat "$T/seqs") (each once, in order):
$(agent_dump)"
grep -q "00000000000000000001-junk.hrspool is not a valid spool entry.*set aside" "$T/hrprof.err" ||
	fail "no log line for the corrupt entry: $(grep spool "$T/hrprof.err")"
[ -f "$T/spool/00000000000000000001-junk.corrupt" ] || fail "the corrupt entry was not set aside: $(ls -la "$T/spool")"
for x in 2-dir 3-link; do
	grep -q "0000000000000000000$x.hrspool is not a regular file" "$T/hrprof.err" ||
		fail "no log line for the non-file $x: $(grep spool "$T/hrprof.err")"
	[ -e "$T/spool/0000000000000000000$x.hrspool" ] || [ -L "$T/spool/0000000000000000000$x.hrspool" ] ||
		fail "$x was moved: $(ls -la "$T/spool")"
done
agent_assert_clean
log "ok: the $n spooled profiles delivered once each, in order; the corrupt entry set aside, non-files left alone"
agent_stop
pass
