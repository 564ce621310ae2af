#!/bin/bash
# Wrap mode exits with the command's exit status.
. "$(dirname "$0")/lib.sh"

for code in 0 1 3 42; do
	run_hrprof --output "$T/out$code" -- /bin/sh -c "exit $code"
	[ $HRPROF_RC -eq $code ] ||
		fail "hrprof -- sh -c 'exit $code' exited $HRPROF_RC, expected $code; stderr: $(tail -3 "$T/hrprof.err")"
done
log "ok: exit statuses 0 1 3 42 passed through"
run_hrprof --output "$T/outsig" -- /bin/sh -c 'kill -TERM $$'
log "note: command killed by SIGTERM -> hrprof exit status $HRPROF_RC (128+15=143 by shell convention)"
run_hrprof --output "$T/outnx" -- "$T/no-such-command"
log "note: missing command -> hrprof exit status $HRPROF_RC, stderr: $(head -2 "$T/hrprof.err" | tr '\n' ' ')"
[ $HRPROF_RC -ne 0 ] || fail "hrprof -- <missing command> exited 0"
pass
