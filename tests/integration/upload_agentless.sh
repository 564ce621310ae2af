#!/bin/bash
# Agentless: DD_PROFILING_AGENTLESS=1 with a 32+ character DD_API_KEY posts to
# the intake (here the fake agent in --agentless mode, through the test hook
# HRPROF_INTAKE_URL) at /api/v2/profile with a DD-API-KEY header. The key never
# shows in hrprof's output, -l debug and --show_config included; DD_SITE picks
# the intake; a 10-character key is refused (exit 2, one line).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0KeY
agent_start --agentless

# no_key WHAT: the key appears in none of hrprof's output.
no_key() {
	! grep -qF -- "$KEY" "$T/hrprof.out" "$T/hrprof.err" || fail "$1: the API key was printed:
$(grep -F -- "$KEY" "$T/hrprof.out" "$T/hrprof.err")"
	! grep -qF -- "${KEY:0:12}" "$T/hrprof.out" "$T/hrprof.err" || fail "$1: part of the API key was printed"
}

# 1. Variables, -l debug.
DD_PROFILING_AGENTLESS=1 DD_API_KEY=$KEY HRPROF_INTAKE_URL=$AGENT_URL/api/v2/profile \
	up_run -l debug -- "$WORKLOADS/hot" 0.5
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
[ "$(agent_ok_requests)" = 1 ] || fail "agentless upload not accepted:
$(tail -5 "$T/hrprof.err")
$(agent_dump)"
[ "$(agent_header 0 DD-API-KEY)" = "$KEY" ] || fail "DD-API-KEY header '$(agent_header 0 DD-API-KEY)', expected the key"
agent_check_tags 0 language=native profile_seq=0
no_key "-l debug"
log "ok: agentless upload with DD-API-KEY, key not in the debug log"

# 2. Flags, --show_config.
HRPROF_INTAKE_URL=$AGENT_URL/api/v2/profile up_run --agentless --api_key "$KEY" --show_config -l debug \
	-- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] || fail "hrprof --agentless --api_key exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
[ "$(agent_ok_requests)" = 2 ] && [ "$(agent_header 1 DD-API-KEY)" = "$KEY" ] ||
	fail "--agentless --api_key: $(agent_dump)"
grep -qi 'api.key' "$T/hrprof.out" "$T/hrprof.err" || fail "--show_config says nothing about the API key"
no_key "--show_config"
log "ok: --show_config: $(grep -hi 'api.key' "$T/hrprof.out" "$T/hrprof.err" | head -1)"

# 3. DD_SITE picks the intake (shown, not contacted: --no-upload).
DD_SITE=datadoghq.eu DD_PROFILING_AGENTLESS=true DD_API_KEY=$KEY \
	up_run --show_config --no-upload --output "$T/files" -- true
[ $HRPROF_RC -eq 0 ] || fail "DD_SITE --show_config exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
grep -qF 'https://intake.profile.datadoghq.eu/api/v2/profile' "$T/hrprof.out" "$T/hrprof.err" ||
	fail "DD_SITE=datadoghq.eu: no https://intake.profile.datadoghq.eu/api/v2/profile in --show_config:
$(cat "$T/hrprof.out" "$T/hrprof.err")"
no_key "DD_SITE --show_config"

# 4. A short key: exit 2 with one line, nothing sent.
SHORT=0123456789
for how in env flag; do
	if [ $how = env ]; then
		DD_PROFILING_AGENTLESS=1 DD_API_KEY=$SHORT HRPROF_INTAKE_URL=$AGENT_URL/api/v2/profile \
			up_run -- "$WORKLOADS/hot" 0.3
	else
		HRPROF_INTAKE_URL=$AGENT_URL/api/v2/profile up_run --agentless --api_key $SHORT -- "$WORKLOADS/hot" 0.3
	fi
	[ $HRPROF_RC -eq 2 ] || fail "short key ($how): exit $HRPROF_RC, expected 2: $(cat "$T/hrprof.err")"
	[ "$(wc -l <"$T/hrprof.err")" = 1 ] || fail "short key ($how): expected one line on stderr, got:
$(cat "$T/hrprof.err")"
	grep -qiE 'key' "$T/hrprof.err" || fail "short key ($how): the line does not mention the key: $(cat "$T/hrprof.err")"
	! grep -qF "$SHORT" "$T/hrprof.err" "$T/hrprof.out" || fail "short key ($how): the key was printed"
	log "ok: short key ($how): $(cat "$T/hrprof.err")"
done
[ "$(agent_requests)" = 2 ] || fail "requests after the refused runs: $(agent_dump)"
agent_assert_clean
agent_stop
pass
