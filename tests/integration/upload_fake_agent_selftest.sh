#!/bin/bash
# Self-test of the fake Datadog Agent (tests/agent/fake_agent.py): a correct
# multipart upload made by curl is accepted and its pprof decoded; malformed
# ones are answered 400 with the right problem; the failure modes (--fail-first,
# --status, --delay, --reset-first), the unix socket and --agentless work; and
# garbage never kills it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot
command -v curl >/dev/null 2>&1 || skip "curl not installed"

# A real profile, as gzip (hrprof's files) and zstd.
wrap "$T/prof" -F 199 -- "$WORKLOADS/hot" 0.5
gzip -dc "$PROFILE" >"$T/p.pprof"
cp "$PROFILE" "$T/p.gz"
zstd -q -1 -c "$T/p.pprof" >"$T/p.zst"

NOW=$(date -u +%Y-%m-%dT%H:%M:%S)
cat >"$T/event.json" <<EOF
{"attachments":["profile.pprof"],"start":"$NOW.000000000Z","end":"$NOW.500000000Z","family":"native","version":"4","tags_profiler":"language:native,service:selftest,env:ci,profile_seq:0,k:a,k:b","endpoint_counts":null,"process_tags":null,"internal":{},"info":{}}
EOF

# post NAME [CURL ARGS...]: curl -F upload of event.json and p.zst; the HTTP
# status goes to $CODE.
HDRS=(-H 'DD-EVP-ORIGIN: hrprof' -H 'DD-EVP-ORIGIN-VERSION: 0.0-test' -A 'hrprof/0.0-test' -H 'Expect:')
post() {
	local name=$1
	shift
	LAST=$name
	CODE=$(curl -sS -o "$T/$name.resp" -w '%{http_code}' --max-time 20 "${HDRS[@]}" "$@" 2>"$T/$name.curl") || true
}
post_form() {
	local name=$1 ev=$2 att=$3
	shift 3
	post "$name" -F "event=@$ev;type=application/json;filename=event.json" \
		-F "profile.pprof=@$att;filename=profile.pprof" "$@"
}
# post_raw NAME BODYFILE [CURL ARGS...]: a hand-made multipart body, boundary B.
post_raw() {
	local name=$1 body=$2
	shift 2
	post "$name" --data-binary "@$body" -H 'Content-Type: multipart/form-data; boundary=B' "$@"
}
# mkbody OUT [python statements changing parts / ev / crlf / close]
mkbody() {
	python3 - "$T/event.json" "$T/p.zst" "$1" "${2:-}" <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))
att = open(sys.argv[2], "rb").read()
crlf = b"\r\n"
close = True
parts = [
    [b'Content-Disposition: form-data; name="event"; filename="event.json"', b"Content-Type: application/json"],
    [b'Content-Disposition: form-data; name="profile.pprof"; filename="profile.pprof"'],
]
contents = None
exec(sys.argv[4])
if contents is None:
    contents = [json.dumps(ev).encode(), att]
out = b""
for h, c in zip(parts, contents):
    out += b"--B" + crlf + crlf.join(h) + crlf + crlf + c + crlf
if close:
    out += b"--B--" + crlf
open(sys.argv[3], "wb").write(out)
EOF
}
# last_problems: the problems of the last request.
last_problems() {
	agent_query '[p for p in reqs[-1]["problems"]]'
}
# expect_rejected NAME PATTERN: the last request was answered 400 with a
# problem matching PATTERN (grep -E).
expect_rejected() {
	local probs
	probs=$(last_problems)
	[ "$CODE" = 400 ] || fail "$1: answered $CODE, expected 400; problems: $probs"
	echo "$probs" | grep -qE -- "$2" || fail "$1: no problem matching '$2' among: $probs"
	log "ok: $1 rejected: $(echo "$probs" | grep -E -m1 -- "$2")"
}
expect_accepted() {
	[ "$CODE" = 200 ] || fail "$1: answered $CODE, expected 200; problems: $(last_problems); curl: $(cat "$T/$LAST.curl")"
	[ "$(cat "$T/$LAST.resp")" = "{}" ] || fail "$1: answer body '$(cat "$T/$LAST.resp")', expected {}"
	[ -z "$(last_problems)" ] || fail "$1: problems: $(last_problems)"
	log "ok: $1 accepted"
}

agent_start
U=$AGENT_URL/profiling/v1/input

# 1. A correct upload, as libcurl's mime API makes it.
post_form good "$T/event.json" "$T/p.zst" "$U"
expect_accepted good
[ "$(agent_ok_requests)" = 1 ] || fail "agent_ok_requests=$(agent_ok_requests), expected 1"
[ "$(agent_tag 0 service)" = selftest ] || fail "tag service: '$(agent_tag 0 service)'"
[ "$(agent_tag 0 k | tr '\n' ,)" = a,b, ] || fail "repeated tag k: '$(agent_tag 0 k)'"
[ "$(agent_field 0 family)" = native ] || fail "event family: $(agent_field 0 family)"
[ "$(agent_header 0 dd-evp-origin)" = hrprof ] || fail "header DD-EVP-ORIGIN: $(agent_header 0 DD-EVP-ORIGIN)"
[ "$(agent_query 'ok[0]["compression"]')" = zstd ] || fail "compression not recorded as zstd"
PP=$(agent_pprof 0)
[ -f "$PP" ] || fail "no decompressed pprof at '$PP'"
cmp -s "$PP" "$T/p.pprof" || fail "decompressed pprof $PP differs from what was sent"
assert_share "$PP" hot_loop 50 100

# 2. The same with the attachment gzip-compressed: accepted, recorded as gzip.
post_form gzip "$T/event.json" "$T/p.gz" "$U"
expect_accepted gzip
[ "$(agent_query 'reqs[-1]["compression"]')" = gzip ] || fail "compression not recorded as gzip"

# 3. Hand-made bodies.
mkbody "$T/b.ok"
post_raw raw_ok "$T/b.ok" "$U"
expect_accepted raw_ok
mkbody "$T/b.octet" 'parts[1].append(b"Content-Type: application/octet-stream")'
post_raw octet "$T/b.octet" "$U"
expect_accepted octet

mkbody "$T/b.order" 'parts.reverse(); contents = [att, json.dumps(ev).encode()]'
post_raw order "$T/b.order" "$U"
expect_rejected order "part 1: name='profile.pprof', expected 'event'"
mkbody "$T/b.noevent" 'parts = parts[1:]; contents = [att]'
post_raw noevent "$T/b.noevent" "$U"
expect_rejected noevent "no event part"
mkbody "$T/b.start" 'ev["start"] = ev["start"][:19] + ".000Z"'
post_raw start "$T/b.start" "$U"
expect_rejected start "event.start is"
mkbody "$T/b.order_ts" 'ev["start"], ev["end"] = ev["end"], ev["start"]'
post_raw order_ts "$T/b.order_ts" "$U"
expect_rejected start_after_end "is after event.end"
mkbody "$T/b.version" 'ev["version"] = 4'
post_raw version "$T/b.version" "$U"
expect_rejected version "event.version"
mkbody "$T/b.att" 'ev["attachments"] = ["auto.pprof"]'
post_raw attachments "$T/b.att" "$U"
expect_rejected attachments "event.attachments"
mkbody "$T/b.badtag" 'ev["tags_profiler"] += ",:bad"'
post_raw badtag "$T/b.badtag" "$U"
expect_rejected badtag "tag ':bad'"
mkbody "$T/b.ept" 'ev["endpoint_counts"] = {}'
post_raw endpoint_counts "$T/b.ept" "$U"
expect_rejected endpoint_counts "endpoint_counts"
mkbody "$T/b.noinfo" 'del ev["info"]'
post_raw noinfo "$T/b.noinfo" "$U"
expect_rejected noinfo "event.info"
mkbody "$T/b.lf" 'crlf = b"\n"'
post_raw bare_lf "$T/b.lf" "$U"
expect_rejected bare_lf "CRLF"
mkbody "$T/b.noclose" 'close = False'
post_raw noclose "$T/b.noclose" "$U"
expect_rejected noclose "closing boundary"
mkbody "$T/b.three" 'parts.append(parts[1]); contents = [json.dumps(ev).encode(), att, att]'
post_raw three "$T/b.three" "$U"
expect_rejected three_parts "3 parts"
mkbody "$T/b.raw" 'contents = [json.dumps(ev).encode(), open(sys.argv[2].replace(".zst", ".pprof"), "rb").read()]'
post_raw uncompressed "$T/b.raw" "$U"
expect_rejected uncompressed "neither zstd"
head -c 300 "$T/p.zst" >"$T/p.trunc"
post_form truncated "$T/event.json" "$T/p.trunc" "$U"
expect_rejected truncated_zstd "zstd -d failed"
zstd -q -c <<<"not a profile at all" >"$T/p.bad"
post_form badpprof "$T/event.json" "$T/p.bad" "$U"
expect_rejected not_a_pprof "go tool pprof -raw failed"
mkbody "$T/b.evtype" 'parts[0][1] = b"Content-Type: text/plain"'
post_raw event_type "$T/b.evtype" "$U"
expect_rejected event_type "Content-Type 'text/plain'"

# 4. Headers, method, path.
post_form expect "$T/event.json" "$T/p.zst" -H 'Expect: 100-continue' "$U"
expect_rejected expect_100 "Expect: 100-continue"
post_form path "$T/event.json" "$T/p.zst" "$AGENT_URL/profiling/v1/inputs"
expect_rejected wrong_path "path /profiling/v1/inputs"
post_form method "$T/event.json" "$T/p.zst" -X PUT "$U"
expect_rejected method "method PUT"
HDRS=(-H 'DD-EVP-ORIGIN-VERSION: 0.0-test' -A 'hrprof/0.0-test' -H 'Expect:')
post_form origin "$T/event.json" "$T/p.zst" "$U"
expect_rejected no_origin "DD-EVP-ORIGIN is None"
HDRS=(-H 'DD-EVP-ORIGIN: hrprof' -H 'DD-EVP-ORIGIN-VERSION: 0.0-test' -A 'curl/8' -H 'Expect:')
post_form ua "$T/event.json" "$T/p.zst" "$U"
expect_rejected user_agent "User-Agent is 'curl/8'"
HDRS=(-H 'DD-EVP-ORIGIN: hrprof' -H 'DD-EVP-ORIGIN-VERSION: 0.0-test' -A 'hrprof/0.0-test' -H 'Expect:')
post_raw chunked "$T/b.ok" -H 'Transfer-Encoding: chunked' "$U"
expect_rejected chunked "Transfer-Encoding: chunked"
post_form apikey "$T/event.json" "$T/p.zst" -H "DD-API-KEY: $(printf 'k%.0s' {1..32})" "$U"
expect_rejected api_key_to_agent "DD-API-KEY sent to the Agent"
post get -X GET "$U"
expect_rejected get "method GET"
# GET /info answers as the Agent does (for hrprof doctor), outside the record.
info=$(curl -sS "$AGENT_URL/info") || fail "GET /info: curl failed"
python3 -c 'import json, sys; e = json.loads(sys.argv[1])["endpoints"]; sys.exit("/profiling/v1/input" not in e)' "$info" ||
	fail "GET /info answered '$info', expected JSON whose endpoints hold /profiling/v1/input"

# 5. Garbage: the agent answers or closes, records it, and keeps serving.
python3 - "$AGENT_PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
for junk in [b"\x00\xff garbage\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n",
             b"POST /profiling/v1/input HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", b"", b"GET"]:
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(35)
    try:
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        s.recv(1000)
    except OSError:
        pass
    s.close()
EOF
post_form after_garbage "$T/event.json" "$T/p.zst" "$U"
expect_accepted after_garbage
kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died"
[ -s "$AGENT_OUT/stderr" ] && fail "the agent wrote to stderr: $(cat "$AGENT_OUT/stderr")"
n=$(agent_ok_requests)
[ "$n" = 5 ] || fail "$n accepted requests, expected 5:
$(agent_dump)"
agent_stop

# 6. Failure modes.
agent_start --fail-first 2 --fail-status 503
U=$AGENT_URL/profiling/v1/input
for i in 1 2 3; do
	post_form fail$i "$T/event.json" "$T/p.zst" "$U"
	echo "$CODE" >>"$T/codes"
done
[ "$(tr '\n' ' ' <"$T/codes")" = "503 503 200 " ] || fail "--fail-first 2 --fail-status 503 answered: $(tr '\n' ' ' <"$T/codes")"
[ "$(agent_ok_requests)" = 1 ] && [ -z "$(agent_problems)" ] || fail "--fail-first: $(agent_dump)"
agent_stop
log "ok: --fail-first"

agent_start --status 413
post_form st "$T/event.json" "$T/p.zst" "$AGENT_URL/profiling/v1/input"
[ "$CODE" = 413 ] || fail "--status 413 answered $CODE"
agent_stop

agent_start --delay 2 --delay-first 1
U=$AGENT_URL/profiling/v1/input
post_form delay1 "$T/event.json" "$T/p.zst" --max-time 1 "$U"
grep -q 'timed out' "$T/delay1.curl" || fail "--delay 2 with curl --max-time 1: $CODE $(cat "$T/delay1.curl")"
post_form delay2 "$T/event.json" "$T/p.zst" --max-time 1 "$U"
expect_accepted delay2
[ "$(agent_query '[r["mode"] for r in reqs]' | tr '\n' ' ')" = "delayed normal " ] || fail "--delay-first 1: $(agent_dump)"
agent_stop
log "ok: --delay --delay-first"

agent_start --reset-first 1
U=$AGENT_URL/profiling/v1/input
post_form reset1 "$T/event.json" "$T/p.zst" "$U"
grep -qiE 'reset|recv failure|empty reply' "$T/reset1.curl" || fail "--reset-first 1: curl said $CODE $(cat "$T/reset1.curl")"
log "ok: reset: $(cat "$T/reset1.curl")"
post_form reset2 "$T/event.json" "$T/p.zst" "$U"
expect_accepted reset2
[ "$(agent_requests)" = 2 ] && [ "$(agent_query 'reqs[0]["status"]')" = "" ] || fail "--reset-first: $(agent_dump)"
agent_stop

# The soak's modes: every Nth request 500; a restart on the same --out goes
# on numbering; a body read a trickle at a time, given up on by the client,
# is not counted as delivered.
agent_start --fail-every 2
U=$AGENT_URL/profiling/v1/input
: >"$T/codes"
for i in 1 2 3; do
	post_form every$i "$T/event.json" "$T/p.zst" "$U"
	echo "$CODE" >>"$T/codes"
done
[ "$(tr '\n' ' ' <"$T/codes")" = "200 500 200 " ] || fail "--fail-every 2 answered: $(tr '\n' ' ' <"$T/codes")"
prev=$AGENT_OUT
agent_stop
rm -f "$prev/ready" "$prev/port"
bg python3 "$AGENT_DIR/fake_agent.py" --out "$prev" --slow-body-at 3 --slow-body-secs 4 2>>"$prev/stderr"
AGENT_PID=$BG_PID
wait_file "$prev/ready" 10
post_form slow "$T/event.json" "$T/p.zst" --max-time 2 "http://127.0.0.1:$(cat "$prev/port")/profiling/v1/input"
grep -q 'timed out' "$T/slow.curl" || fail "--slow-body-secs 4 with curl --max-time 2: $CODE $(cat "$T/slow.curl")"
for _ in $(seq 50); do
	[ "$(wc -l <"$prev/requests.jsonl")" -ge 4 ] && break
	sleep 0.2
done
python3 - "$prev/requests.jsonl" <<'PY' || fail "after a restart and a slow body: $(cat "$prev/requests.jsonl" | cut -c1-300)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["index"] for r in recs] == [0, 1, 2, 3], [r["index"] for r in recs]
last = recs[3]
assert last["mode"] == "slow" and last["status"] != 200, (last["mode"], last["status"])
assert any("gave up" in p or "shorter" in p for p in last["problems"]), last["problems"]
PY
kill "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
log "ok: --fail-every, a restart's numbering, --slow-body-at"

# 7. Unix socket, agentless.
agent_start --unix "$T/agent.sock"
[ -S "$T/agent.sock" ] || fail "no unix socket at $T/agent.sock"
post_form unix "$T/event.json" "$T/p.zst" --unix-socket "$T/agent.sock" http://localhost/profiling/v1/input
expect_accepted unix
agent_stop

agent_start --agentless
U=$AGENT_URL/api/v2/profile
post_form nokey "$T/event.json" "$T/p.zst" "$U"
expect_rejected agentless_nokey "DD-API-KEY header missing"
post_form shortkey "$T/event.json" "$T/p.zst" -H 'DD-API-KEY: 0123456789' "$U"
expect_rejected agentless_shortkey "shorter than 32"
post_form agentpath "$T/event.json" "$T/p.zst" -H "DD-API-KEY: $(printf 'k%.0s' {1..32})" "$AGENT_URL/profiling/v1/input"
expect_rejected agentless_path "expected /api/v2/profile"
post_form key "$T/event.json" "$T/p.zst" -H "DD-API-KEY: $(printf 'k%.0s' {1..32})" "$U"
expect_accepted agentless
agent_stop
pass
