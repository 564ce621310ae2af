#!/bin/bash
# 403, 404 and 413 are final: hrprof says what each means once, does not retry
# (the Agent sees exactly one request per profile), drops the profiles, and
# exits with the command's status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

for code in 403 404 413; do
	case $code in
	403) meaning='API key' ;;
	404) meaning='Agent' ;;
	413) meaning='too large' ;;
	esac
	agent_start --status $code
	up_run -U "$AGENT_URL" -u 1 -- sh -c "\"$WORKLOADS/hot\" 2.2; exit 3"
	[ $HRPROF_RC -eq 3 ] || fail "$code: hrprof exited $HRPROF_RC, expected the command's 3: $(tail -5 "$T/hrprof.err")"
	up_counts
	[ "$TAKEN" -ge 3 ] && [ "$UPLOADED" = 0 ] && [ "$DROPPED" = "$TAKEN" ] && [ "$SPOOLED" = 0 ] ||
		fail "$code: hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped; expected all dropped"
	[ "$(agent_requests)" = "$TAKEN" ] || fail "$code: $(agent_requests) requests for $TAKEN profiles (retried?):
$(agent_dump)"
	[ "$(agent_query '[tag(r, "profile_seq") for r in reqs]' | tr '\n' ' ')" = "$(seq 0 $((TAKEN - 1)) | tr '\n' ' ')" ] ||
		fail "$code: profile_seq: $(agent_dump)"
	c=$(grep -F "$code" "$T/hrprof.err" | grep -cF "$meaning")
	[ "$c" = 1 ] || fail "$code: $c lines with '$code' and '$meaning', expected 1; stderr:
$(cat "$T/hrprof.err")"
	log "ok: $code: $(grep -F "$code" "$T/hrprof.err" | grep -F "$meaning")"
	agent_assert_clean
	agent_stop
done
pass
