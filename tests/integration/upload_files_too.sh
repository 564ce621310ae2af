#!/bin/bash
# --output DIR with -U: a file and an upload for every period, the same profile
# (same time_nanos and samples). --output alone uploads nothing; --output --upload uploads
# to the default localhost:8126. The test runs in a network namespace of its
# own, where port 8126 is surely free.
if [ -z "${HRPROF_TEST_NETNS:-}" ]; then
	command -v unshare >/dev/null && command -v ip >/dev/null ||
		{ echo "SKIP: unshare (util-linux) or ip (iproute2) missing"; exit 77; }
	exec unshare -n env HRPROF_TEST_NETNS=1 bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start
up_run --output "$T/out" -U "$AGENT_URL" -u 1 -- "$WORKLOADS/hot" 2.3
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
mapfile -t files < <(profiles "$T/out")
n=$(agent_ok_requests)
[ "$n" -ge 3 ] && [ ${#files[@]} = "$n" ] || fail "${#files[@]} files and $n uploads with --output and -U, -u 1, 2.3 s:
$(ls "$T/out")
$(agent_dump)"
agent_assert_seqs "$n"
mapfile -t pp < <(agent_query '[r["pprof_path"] for r in ok]')
pprof_info "${files[@]}" | cut -d' ' -f2- | sort >"$T/files.info"
pprof_info "${pp[@]}" | cut -d' ' -f2- | sort >"$T/uploads.info"
cmp -s "$T/files.info" "$T/uploads.info" || fail "files and uploads differ:
files:
$(cat "$T/files.info")
uploads:
$(cat "$T/uploads.info")"
log "ok: $n periods, each a file and an upload of the same profile"

# --output alone: files only; --output --upload: the default Agent address.
agent_stop
agent_start --port 8126
up_run --output "$T/out2" -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] && [ "$(profiles "$T/out2" | wc -l)" = 1 ] || fail "-o alone: rc $HRPROF_RC, files: $(ls "$T/out2")"
[ "$(agent_requests)" = 0 ] || fail "-o alone uploaded: $(agent_dump)"
up_run --output "$T/out3" --upload -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] && [ "$(profiles "$T/out3" | wc -l)" = 1 ] || fail "-o --upload: rc $HRPROF_RC, files: $(ls "$T/out3")"
[ "$(agent_ok_requests)" = 1 ] || fail "-o --upload did not reach localhost:8126: $(tail -3 "$T/hrprof.err") $(agent_dump)"
up_run --output "$T/out4" -U "$AGENT_URL" --no-upload -- "$WORKLOADS/hot" 0.3
[ "$(agent_requests)" = 1 ] || fail "--no-upload uploaded: $(agent_dump)"
log "ok: --output alone: files only; --output --upload: localhost:8126; --no-upload"
agent_assert_clean
agent_stop
pass
