# SPDX-License-Identifier: GPL-2.0
# Fake Datadog Agent helpers for the upload tests; source after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/../agent/agent_lib.sh"
#
# agent_start [ARGS...]   starts tests/agent/fake_agent.py in the background
#                         (on a free port unless ARGS has --port or --unix);
#                         sets AGENT_PID, AGENT_OUT, AGENT_PORT, AGENT_URL
#                         (AGENT_SOCK instead of a port with --unix).
# agent_stop              stops it.
# agent_free_port         prints a free TCP port (for an agent started later).
# agent_requests          number of requests received.
# agent_ok_requests       number answered 2xx with no problems ("accepted").
# agent_problems          prints every problem as "request N: problem".
# agent_assert_clean      fails the test when agent_problems prints anything.
# agent_tag I KEY         tag KEY of the I-th accepted request (0-based; lists
#                         print one value a line).
# agent_field I FIELD     event field of the I-th accepted request (JSON unless
#                         a string).
# agent_header I NAME     header NAME of the I-th accepted request.
# agent_pprof I           path of the I-th accepted request's decompressed pprof.
# agent_query PYEXPR      prints the value of a Python expression over
#                         `reqs` (all requests, by index; `allreqs` also has
#                         the connections closed without a byte), `ok` (the
#                         accepted), helpers tag(r, KEY) and hdr(r, NAME);
#                         a list prints one item a line.
# agent_wait_ok N [SEC]   waits until N requests were accepted (default 10 s).
# agent_dump              a one-line-per-request summary, for failure messages.

AGENT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGENT_PID=
AGENT_OUT=
AGENT_PORT=
AGENT_URL=
AGENT_SOCK=
_AGENT_N=0

command -v zstd >/dev/null 2>&1 || skip "the zstd CLI is missing (apt-get install zstd)"

agent_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

agent_start() {
	local a
	_AGENT_N=$((_AGENT_N + 1))
	AGENT_OUT=$T/agent$_AGENT_N
	AGENT_PORT= AGENT_URL= AGENT_SOCK=
	mkdir -p "$AGENT_OUT"
	for a; do
		case $a in --unix) AGENT_SOCK=unset ;; esac
	done
	bg python3 "$AGENT_DIR/fake_agent.py" --out "$AGENT_OUT" "$@" 2>>"$AGENT_OUT/stderr"
	AGENT_PID=$BG_PID
	wait_file "$AGENT_OUT/ready" 10
	if [ -n "$AGENT_SOCK" ]; then
		AGENT_SOCK=$(sed -n 's/^unix://p' "$AGENT_OUT/ready")
		AGENT_URL=unix://$AGENT_SOCK
	else
		AGENT_PORT=$(cat "$AGENT_OUT/port")
		AGENT_URL=http://127.0.0.1:$AGENT_PORT
	fi
	log "fake agent (pid $AGENT_PID) on $AGENT_URL, records in $AGENT_OUT $*"
}

agent_stop() {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

agent_query() {
	python3 - "$AGENT_OUT/requests.jsonl" "$@" <<'EOF'
import json, sys
reqs = []
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            reqs.append(json.loads(line))
reqs.sort(key=lambda r: r["index"])
allreqs = reqs
reqs = [r for r in reqs if r.get("mode") != "empty"]
ok = [r for r in reqs if r.get("status") is not None and 200 <= r["status"] < 300 and not r["problems"]]
def hdr(r, name):
    v = [b for a, b in r.get("headers", []) if a.lower() == name.lower()]
    return v[0] if v else None
def tag(r, k):
    return (r.get("tags") or {}).get(k)
v = eval(sys.argv[2])
if isinstance(v, (list, tuple)):
    for x in v:
        print(x if isinstance(x, str) else json.dumps(x))
elif v is None:
    pass
elif isinstance(v, str):
    print(v)
else:
    print(json.dumps(v))
EOF
}

agent_requests() {
	agent_query 'len(reqs)'
}

agent_ok_requests() {
	agent_query 'len(ok)'
}

agent_problems() {
	agent_query '["request %d (%s %s, answered %s): %s" % (r["index"], r["method"], r["path"], r["status"], p) for r in reqs for p in r["problems"]]'
}

agent_assert_clean() {
	local p
	p=$(agent_problems)
	[ -z "$p" ] || fail "the fake agent found problems in the uploads:
$p"
	log "ok: no problem in $(agent_requests) requests"
}

agent_tag() {
	agent_query "tag(ok[$1], '$2') if len(ok) > $1 else None"
}

agent_field() {
	agent_query "ok[$1]['event'].get('$2') if len(ok) > $1 else None"
}

agent_header() {
	agent_query "hdr(ok[$1], '$2') if len(ok) > $1 else None"
}

agent_pprof() {
	agent_query "ok[$1]['pprof_path'] if len(ok) > $1 else None"
}

agent_wait_ok() {
	local i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		[ "$(agent_ok_requests)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1 accepted uploads; the agent saw:
$(agent_dump)"
}

agent_dump() {
	agent_query '["#%d %s %s -> %s %s seq=%s rt=%s %s..%s %s" % (r["index"], r["method"], r["path"], r["status"], r["mode"], tag(r, "profile_seq"), tag(r, "runtime-id"), (r.get("event") or {}).get("start") if isinstance(r.get("event"), dict) else None, (r.get("event") or {}).get("end") if isinstance(r.get("event"), dict) else None, "; ".join(r["problems"])) for r in reqs]'
}

# ---------------------------------------------------------------- hrprof side

# The environment must not point hrprof elsewhere.
unset DD_TRACE_AGENT_URL DD_AGENT_HOST DD_TRACE_AGENT_PORT DD_API_KEY DD_SITE \
	DD_PROFILING_AGENTLESS DD_SERVICE DD_ENV DD_VERSION DD_TAGS \
	DD_PROFILING_UPLOAD_PERIOD HRPROF_INTAKE_URL DD_PROFILING_ENABLED

# up_run ARGS...: run_hrprof with --spool_dir $T/spool (never the system's
# spool: profiles of other runs would reach the fake agent).
up_run() {
	run_hrprof --spool_dir "$T/spool" "$@"
}

# up_counts [FILE]: parses hrprof's exit line
#   "profiles: T taken, U uploaded, S spooled, D dropped"
# of FILE (default $T/hrprof.err) into TAKEN UPLOADED SPOOLED DROPPED.
TAKEN= UPLOADED= SPOOLED= DROPPED=
up_counts() {
	local f=${1:-$T/hrprof.err} line
	line=$(grep -E 'profiles: [0-9]+ taken, [0-9]+ uploaded, [0-9]+ spooled, [0-9]+ dropped' "$f" | tail -1)
	[ -n "$line" ] || fail "no 'profiles: T taken, U uploaded, S spooled, D dropped' line in hrprof's stderr:
$(tail -15 "$f")"
	read -r TAKEN UPLOADED SPOOLED DROPPED < <(echo "$line" |
		sed -E 's/.*profiles: ([0-9]+) taken, ([0-9]+) uploaded, ([0-9]+) spooled, ([0-9]+) dropped.*/\1 \2 \3 \4/')
	log "hrprof: $TAKEN taken, $UPLOADED uploaded, $SPOOLED spooled, $DROPPED dropped"
}

# agent_seqs: profile_seq of the accepted requests, by arrival, one a line.
agent_seqs() {
	agent_query '[tag(r, "profile_seq") for r in ok]'
}

# agent_assert_seqs N: the accepted requests carry profile_seq 0..N-1, each
# exactly once, in order.
agent_assert_seqs() {
	local want got
	want=$(seq 0 $(($1 - 1)) | tr '\n' ' ')
	got=$(agent_seqs | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "accepted profile_seq: '$got', expected '$want' (each once, in order); the agent saw:
$(agent_dump)"
	log "ok: profile_seq $got"
}

UUID4_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# agent_check_tags I KEY=VALUE...: the I-th accepted request has these tags
# (one Python run for all); fails with the whole tags_profiler otherwise.
agent_check_tags() {
	local i=$1 bad
	shift
	bad=$(agent_query "[kv for kv in sys.argv[3:] if len(ok) <= $i or tag(ok[$i], kv.split('=', 1)[0]) != kv.split('=', 1)[1]]" "$@")
	[ -z "$bad" ] || fail "upload $i: tags not as expected: $(echo $bad); tags_profiler: $(agent_field "$i" tags_profiler)"
}
