#!/bin/bash
# Uploads to a fake Agent that parses them as strictly as the intake: every
# event field, tag and header; the pprof decodes with go tool pprof and
# hot_loop is on top; -u 1 gives adjacent time ranges with profile_seq 0,1,2;
# DD_* variables, flags over variables, -H/-P, the default service, and
# invalid user tags (dropped with one warning each, never sent).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../agent/agent_lib.sh"
require_workload hot

agent_start
VERSION=$("$HRPROF" --version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+[^ ]*' | head -1)
[ -n "$VERSION" ] || fail "no version in 'hrprof --version': $("$HRPROF" --version 2>&1)"

# ---- 1. flags, -u 1: three profiles (1 s, 1 s, the rest)
up_run -U "$AGENT_URL" -u 1 -S svc1 -E env1 -V 1.2.3 -T team:core,zone:eu-1 -l debug -- "$WORKLOADS/hot" 2.3
[ $HRPROF_RC -eq 0 ] || fail "hrprof exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
up_counts
n=$(agent_ok_requests)
[ "$n" -ge 3 ] && [ "$n" = "$(agent_requests)" ] && [ "$n" = "$TAKEN" ] && [ "$UPLOADED" = "$TAKEN" ] &&
	[ "$SPOOLED" = 0 ] && [ "$DROPPED" = 0 ] ||
	fail "$(agent_requests) requests, $n accepted, hrprof took $TAKEN uploaded $UPLOADED; expected >= 3, all accepted:
$(agent_dump)"
agent_assert_seqs "$n"
rid=$(agent_tag 0 runtime-id)
[[ $rid =~ $UUID4_RE ]] || fail "runtime-id '$rid' is not a UUID v4"
for ((i = 0; i < n; i++)); do
	agent_check_tags $i language=native service=svc1 env=env1 version=1.2.3 profiler_version="$VERSION" \
		runtime-id="$rid" team=core zone=eu-1 cpu_arch=amd64 backend=perf profile_seq=$i
	[[ $(agent_tag $i include_kernel) =~ ^(true|false)$ ]] || fail "include_kernel: '$(agent_tag $i include_kernel)'"
	[ "$(agent_field $i family)" = native ] && [ "$(agent_field $i version)" = 4 ] &&
		[ "$(agent_query "json.dumps(ok[$i]['event']['attachments'])")" = '["profile.pprof"]' ] || fail "upload $i: event fields: $(cat "$AGENT_OUT"/*.event.json)"
	[ "$(agent_header $i DD-EVP-ORIGIN)" = hrprof ] || fail "DD-EVP-ORIGIN: $(agent_header $i DD-EVP-ORIGIN)"
	[ "$(agent_header $i DD-EVP-ORIGIN-VERSION)" = "$VERSION" ] || fail "DD-EVP-ORIGIN-VERSION: $(agent_header $i DD-EVP-ORIGIN-VERSION), expected $VERSION"
	[ "$(agent_header $i User-Agent)" = "hrprof/$VERSION" ] || fail "User-Agent: $(agent_header $i User-Agent)"
	[ -z "$(agent_header $i DD-API-KEY)" ] || fail "an API key went to the Agent"
	grep -qE "upload seq=$i bytes=[0-9]+ status=200 latency=[0-9.]+ms" "$T/hrprof.err" ||
		fail "no 'upload seq=$i bytes=B status=200 latency=Xms' line with -l debug:
$(grep upload "$T/hrprof.err")"
done
# No tag twice, and the tags that must be there are.
dup=$(agent_query '[k for r in ok for k, v in r["tags"].items() if isinstance(v, list)]')
[ -z "$dup" ] || fail "tags sent more than once: $dup"
log "ok: tags $(agent_field 0 tags_profiler)"

# Adjacent time ranges: the end of one is the start of the next, to the ns.
for ((i = 1; i < n; i++)); do
	[ "$(agent_field $((i - 1)) end)" = "$(agent_field $i start)" ] ||
		fail "upload $((i - 1)) ends $(agent_field $((i - 1)) end), upload $i starts $(agent_field $i start): expected equal"
done
d=$(agent_query '(lambda s, e: (e - s) / 1e9)(*[__import__("datetime").datetime.strptime(ok[0]["event"][k][:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1e9 for k in ("start", "end")])')
_between "$d" 0.8 1.3 || fail "the first profile spans $d s with -u 1"
log "ok: adjacent ranges, the first spans $d s"

# The pprof: decoded by go tool pprof, hot_loop on top, time_nanos = start.
P0=$(agent_pprof 0)
assert_sample_types "$P0"
top=$(pprof_top "$P0" | awk '/^ *flat  *flat%/ { getline; print $NF; exit }')
[ "$top" = hot_loop ] || fail "top function of upload 0 is '$top', expected hot_loop:
$(show_top "$P0")"
mapfile -t pp < <(agent_query '[r["pprof_path"] for r in ok]')
pprof_merge "$T/all.pprof" "${pp[@]}"
assert_share "$T/all.pprof" hot_loop 75 100
tn=$(pprof_field "$P0" time_nanos)
want=$(agent_query '(lambda s: str(int(__import__("calendar").timegm(__import__("time").strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))) * 1000000000 + int(s[20:29])))(ok[0]["event"]["start"])')
[ "$tn" = "$want" ] || fail "upload 0: pprof time_nanos $tn, event start $(agent_field 0 start) = $want"

# ---- 2. DD_* variables; a new run: a new runtime-id, profile_seq from 0
first=$n
DD_TRACE_AGENT_URL=$AGENT_URL DD_SERVICE=svc2 DD_ENV=env2 DD_VERSION=2.0 DD_TAGS=owner:me,tier:web \
	DD_PROFILING_UPLOAD_PERIOD=1 up_run -- "$WORKLOADS/hot" 1.3
[ $HRPROF_RC -eq 0 ] || fail "hrprof (DD_*) exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
n=$(agent_ok_requests)
[ "$n" -ge $((first + 2)) ] || fail "DD_PROFILING_UPLOAD_PERIOD=1, 1.3 s: $((n - first)) uploads, expected 2:
$(agent_dump)"
agent_check_tags $first service=svc2 env=env2 version=2.0 owner=me tier=web profile_seq=0
agent_check_tags $((first + 1)) profile_seq=1
[ -z "$(agent_tag $first team)" ] || fail "tag team of run 1 in run 2"
rid2=$(agent_tag $first runtime-id)
[[ $rid2 =~ $UUID4_RE ]] && [ "$rid2" != "$rid" ] || fail "run 2's runtime-id '$rid2' (run 1: $rid)"
log "ok: DD_* variables"

# ---- 3. flags win over variables; DD_AGENT_HOST + DD_TRACE_AGENT_PORT
first=$n
DD_AGENT_HOST=127.0.0.1 DD_TRACE_AGENT_PORT=$AGENT_PORT DD_SERVICE=envsvc DD_ENV=envenv DD_TAGS=from:env \
	up_run -S flagsvc -E flagenv -T from:flag -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] || fail "hrprof (DD_AGENT_HOST) exited $HRPROF_RC: $(tail -5 "$T/hrprof.err")"
[ "$(agent_ok_requests)" = $((first + 1)) ] || fail "DD_AGENT_HOST/DD_TRACE_AGENT_PORT: no upload:
$(agent_dump)"
agent_check_tags $first service=flagsvc env=flagenv from=flag
log "ok: flags over DD_*"

# ---- 4. -H/-P; the default service; no env/version given
first=$((first + 1))
up_run -H 127.0.0.1 -P "$AGENT_PORT" -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] && [ "$(agent_ok_requests)" = $((first + 1)) ] || fail "-H -P: rc $HRPROF_RC:
$(agent_dump)"
agent_check_tags $first service=myservice
log "ok: -H -P, default service myservice"

# ---- 5. invalid user tags: one warning each, never sent
first=$((first + 1))
up_run -U "127.0.0.1:$AGENT_PORT" -T ':bad,bad:,1abc:x,a b:c,good:1' -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] && [ "$(agent_ok_requests)" = $((first + 1)) ] || fail "bad tags: rc $HRPROF_RC:
$(tail -5 "$T/hrprof.err")
$(agent_dump)"
agent_check_tags $first good=1
tp=$(agent_field $first tags_profiler)
for bad in ':bad' 'bad:' '1abc:x' 'a b:c'; do
	c=$(grep -F -- "$bad" "$T/hrprof.err" | grep -ci warn)
	[ "$c" = 1 ] || fail "tag '$bad': $c warnings, expected 1; stderr:
$(cat "$T/hrprof.err")"
	case ",$tp," in *",$bad,"*) fail "invalid tag '$bad' sent: $tp" ;; esac
done
log "ok: invalid tags dropped with a warning each"
agent_assert_clean
agent_stop
pass
