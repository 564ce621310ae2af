#!/bin/bash
# debuginfod: a copy of `stripped` whose debug file is nowhere here (its
# .gnu_debuglink names a file not next to it) is named through Debian's
# debuginfod server on loopback serving stripped.debug: stripped_hot (~90%)
# and its chain. Then from libdebuginfod's cache with the server gone; then
# with a server that answers late (after --debuginfod_wait: the first
# profile goes without, the next ones have the names); then with a server
# that refuses connections, and one that accepts and never answers: profiles
# come (without those names), none waits past --debuginfod_wait, and hrprof
# exits promptly.
. "$(dirname "$0")/lib.sh"
require_workload stripped stripped.debug
command -v debuginfod >/dev/null || skip "debuginfod (Debian package debuginfod) not installed"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# http_code URL: the HTTP status of a GET (000 when no answer).
http_code() {
	python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

mkdir -p "$T/srv"
cp "$WORKLOADS/stripped.debug" "$T/srv/"
cp "$WORKLOADS/stripped" "$T/prog"
BID=$(readelf -n "$T/prog" | awk '/Build ID/ { print $3 }')
[ -n "$BID" ] || fail "$T/prog has no build id"
unset DEBUGINFOD_URLS

# Without a server: not named.
wrap "$T/none" -F 199 -- "$T/prog" 0.5
[ "$(cum_share "$PROFILE" stripped_hot)" = 0 ] || fail "stripped_hot named without its debug file?"

PORT=$(free_port)
bg debuginfod -F -p "$PORT" -d "$T/db.sqlite" -t 0 -g 0 "$T/srv" >"$T/debuginfod.log" 2>&1
SRV=$BG_PID
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do
	[ "$(http_code "$URL/buildid/$BID/debuginfo")" = 200 ] && break
	sleep 0.2
done
[ "$(http_code "$URL/buildid/$BID/debuginfo")" = 200 ] ||
	fail "debuginfod on port $PORT does not serve $BID"

DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$T/cache wrap "$T/served" -F 199 -- "$T/prog" 2
P=$PROFILE
assert_share "$P" stripped_hot 75 100
assert_chain "$P" main stripped_work stripped_hot
find "$T/cache" -name debuginfo -type f | grep -q . || fail "nothing in libdebuginfod's cache $T/cache"

# The server gone: from the cache.
kill "$SRV"
wait "$SRV" 2>/dev/null
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH=$T/cache wrap "$T/cached" -F 199 -- "$T/prog" 1
assert_share "$PROFILE" stripped_hot 75 100
log "ok: from libdebuginfod's cache with the server gone"

# A late server: the debug file after 1.5 s.
LATE=$(free_port)
bg python3 -c '
import http.server, sys, time
data = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.5)
        if self.path != "/buildid/%s/debuginfo" % sys.argv[3]:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$LATE" "$T/srv/stripped.debug" "$BID"
sleep 0.5
DEBUGINFOD_URLS=http://127.0.0.1:$LATE DEBUGINFOD_CACHE_PATH=$T/cache-late \
	wrap "$T/late" -F 199 -u 1 --debuginfod_wait 300 -- "$T/prog" 4
mapfile -t late < <(profiles "$T/late")
[ ${#late[@]} -ge 4 ] || fail "late server: ${#late[@]} profiles for 4 s at -u 1"
[ "$(cum_share "${late[0]}" stripped_hot)" = 0 ] ||
	fail "late server: the first profile waited for the debug file (--debuginfod_wait 300)"
# The last profile of at least 50 samples (the one flushed at exit can hold
# a single sample taken in stripped_cold).
last=
for f in "${late[@]:1}"; do
	[ "$(total_samples "$f")" -ge 50 ] && last=$f
done
[ -n "$last" ] || fail "late server: no profile after the first has 50 samples"
assert_share "$last" stripped_hot 75 100
log "ok: late debuginfod answer: the first profile without it, the last full one with it"

# Down (refused) and silent (accepts, never answers) servers.
DEAD=$(free_port)
SILENT=$(free_port)
bg python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$SILENT"
sleep 0.5
for what in "refused:$DEAD" "silent:$SILENT"; do
	start=$(date +%s.%N)
	DEBUGINFOD_URLS=http://127.0.0.1:${what#*:} DEBUGINFOD_CACHE_PATH=$T/cache-${what%%:*} \
		wrap "$T/${what%%:*}" -F 199 -u 1 --debuginfod_wait 300 -- "$T/prog" 3
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	n=$(profiles "$T/${what%%:*}" | wc -l)
	[ "$(cum_share "$PROFILE" stripped_hot)" = 0 ] || fail "${what%%:*} server: stripped_hot named?"
	[ "$n" -ge 3 ] || fail "${what%%:*} server: $n profiles for 3 s at -u 1"
	# the run is 3 s; a profile waits 0.3 s at most, and the stop aborts a
	# transfer within a second (libdebuginfod's own timeout is 90 s)
	_between "$secs" 0 8 || fail "${what%%:*} server: hrprof took $secs s for a 3 s run"
	log "ok: ${what%%:*} debuginfod server: $n profiles, hrprof done in $secs s"
done
pass
