#!/bin/bash
# A ddprof user's command lines (docs/ddprof-cli.md, README's table), each
# doing what it says:
#  - -o is --log_mode (a file gets the log; no directory named after it);
#  - the timeline: every sample labelled end_timestamp_ns, increasing
#    within each thread and inside the profile's range (pprof_info.py
#    decodes the labels); --no-timeline: none, and fewer samples;
#  - -e "sCPU period=N" samples at 1e9/N Hz (the profile's period);
#    --preset alloc_only warns and profiles CPU time;
#  - --debug_pprof_prefix writes PREFIX<time>... files;
#  - --show_samples logs the stacks; --internal_stats sends statsd gauges to
#    a unix datagram socket and appends them to a file;
#  - --switch_user runs the command as that user (its id), --nice and
#    --cpu_affinity apply to hrprof, not to the command (from /proc);
#  - --config reads ddprof's file format, --capture_config writes it back;
#  - --disable_symbolization leaves user locations as addresses in mappings
#    with build ids;
#  - options of ddprof's that do nothing here: one warning each, and the
#    command still runs.
. "$(dirname "$0")/lib.sh"
require_workload hot
INFO=$(cd "$(dirname "$0")" && pwd)/pprof_info.py

# ---- -o is --log_mode
cd "$T" || fail "cd $T"
run_hrprof -o "$T/hrprof.log" -l info --output "$T/o1" -- "$WORKLOADS/hot" 0.3
[ $HRPROF_RC -eq 0 ] || fail "-o FILE: exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
grep -q "hrprof: info:" "$T/hrprof.log" || fail "-o FILE: no log lines in it: $(head -3 "$T/hrprof.log")"
[ ! -s "$T/hrprof.err" ] || fail "-o FILE: the log still went to stderr: $(head -3 "$T/hrprof.err")"
run_hrprof -o stderr --output "$T/o2" -- "$WORKLOADS/hot" 0.2
[ $HRPROF_RC -eq 0 ] && [ ! -e "$T/stderr" ] || fail "-o stderr: exit $HRPROF_RC, ./stderr exists: $(ls -ld "$T/stderr" 2>&1)"
log "ok: -o is --log_mode"

# ---- the timeline
wrap "$T/tl" -F 499 -- "$WORKLOADS/threads" 1
python3 "$INFO" --timeline "$PROFILE" >"$T/tl.txt" || fail "pprof_info.py --timeline failed"
awk '
	NR == 1 { lo = $2; hi = $3; next }
	$1 == "-" && $2 == "-" { nolabel++; next }
	$2 == "-" { untimed++; next }
	{
		n++
		if ($2 < lo || $2 > hi) out++
		if (($1 in last) && $2 < last[$1]) back++
		last[$1] = $2
	}
	END {
		printf "%d %d %d %d %d\n", n, untimed + 0, out + 0, back + 0, nolabel + 0
	}' "$T/tl.txt" >"$T/tl.sum"
read -r timed untimed outside backwards nolabel <"$T/tl.sum"
samples=$(total_samples "$PROFILE")
# Samples the kernel's ring dropped (a loaded machine) are one [lost] sample,
# with neither thread nor time; nothing else may lack a time.
lost=$(pprof_top "$PROFILE" | awk '$NF == "[lost]" { print $1 }')
[ "$nolabel" = "$([ -n "$lost" ] && echo 1 || echo 0)" ] ||
	fail "timeline: $nolabel samples without a thread, [lost] is ${lost:-absent}"
[ "$timed" -ge 100 ] && [ "$untimed" = 0 ] && [ "$outside" = 0 ] && [ "$backwards" = 0 ] &&
	[ $((timed + ${lost:-0})) = "$samples" ] ||
	fail "timeline: $timed samples timed of $samples (${lost:-0} lost), $untimed without a time, $outside outside the profile's range, $backwards going back in a thread"
log "ok: timeline: $timed samples each with end_timestamp_ns, increasing in each thread, inside the profile"
wrap "$T/notl" -F 499 --no-timeline -- "$WORKLOADS/threads" 1
python3 "$INFO" --timeline "$PROFILE" | awk 'NR > 1 && $2 != "-" { n++ } END { exit n > 0 }' ||
	fail "--no-timeline: samples carry end_timestamp_ns"
DD_PROFILING_TIMELINE_ENABLE=false run_hrprof --output "$T/notl2" -- "$WORKLOADS/hot" 0.3
python3 "$INFO" --timeline "$(profile_of "$T/notl2")" | awk 'NR > 1 && $2 != "-" { n++ } END { exit n > 0 }' ||
	fail "DD_PROFILING_TIMELINE_ENABLE=false: samples carry end_timestamp_ns"
log "ok: --no-timeline and DD_PROFILING_TIMELINE_ENABLE=false: no times"

# ---- events, presets, -I
wrap "$T/ev" -e "sCPU period=4000000" -- "$WORKLOADS/hot" 0.5
period=$(pprof_field "$PROFILE" period)
[ "$period" = 4000000 ] || fail "-e 'sCPU period=4000000': profile period $period ns, expected 4000000 (250 Hz)"
wrap "$T/pre" --preset alloc_only -- "$WORKLOADS/hot" 0.3
grep -q "warn: --preset alloc_only: allocation profiling is not available yet" "$T/hrprof.err" ||
	fail "--preset alloc_only: no warning: $(cat "$T/hrprof.err")"
assert_share "$PROFILE" hot_loop 50 100
log "ok: -e period, --preset alloc_only"

# ---- --debug_pprof_prefix, --show_samples, --internal_stats
python3 - "$T/statsd.sock" "$T/statsd.got" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "w") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n")
            out.flush()
    except socket.timeout:
        pass
EOF
BG_PIDS+=($!)
for _ in $(seq 100); do [ -S "$T/statsd.sock" ] && break; sleep 0.05; done
[ -S "$T/statsd.sock" ] || fail "the statsd socket did not appear"
run_hrprof --debug_pprof_prefix "$T/pp/run-" --show_samples -b "$T/statsd.sock" -u 1 --no-upload -- "$WORKLOADS/hot" 2.2
[ $HRPROF_RC -eq 0 ] || fail "exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
n=$(find "$T/pp" -name 'run-*_myservice_*.pb.gz' | wc -l)
[ "$n" -ge 2 ] || fail "--debug_pprof_prefix: $n files: $(ls "$T/pp")"
grep -qE "notice: sample\[type=cpu-time;pid=[0-9]+;tid=[0-9]+\] .*hot_loop [0-9]+$" "$T/hrprof.err" ||
	fail "--show_samples: no sample line: $(grep -m3 sample "$T/hrprof.err")"
sleep 0.5
grep -qE '^datadog\.profiling\.native\.sample\.count:[0-9]+\|g$' "$T/statsd.got" &&
	grep -qE '^datadog\.profiling\.native\.profiler\.rss:[1-9][0-9]*\|g$' "$T/statsd.got" ||
	fail "--internal_stats socket: $(head -5 "$T/statsd.got")"
run_hrprof --internal_stats "$T/stats.txt" --no-upload -- "$WORKLOADS/hot" 0.3
grep -qE '^datadog\.profiling\.native\.event\.count:[1-9][0-9]*\|g$' "$T/stats.txt" ||
	fail "--internal_stats file: $(cat "$T/stats.txt")"
log "ok: --debug_pprof_prefix ($n files), --show_samples, --internal_stats to a socket and a file"

# ---- --switch_user, --nice, --cpu_affinity
id nobody >/dev/null 2>&1 || skip "no user nobody"
run_hrprof --switch_user nobody --nice 7 --cpu_affinity 0x1 --no-upload -- sh -c \
	'id -u; awk "{ print \$19 }" /proc/$$/stat; awk "{ print \$19 }" /proc/$PPID/stat; grep Cpus_allowed_list /proc/$PPID/status; grep Cpus_allowed_list /proc/$$/status'
[ $HRPROF_RC -eq 0 ] || fail "exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
mapfile -t got <"$T/hrprof.out"
ncpu=$(nproc --all)
[ "${got[0]}" = "$(id -u nobody)" ] || fail "--switch_user nobody: the command ran as uid ${got[0]}"
[ "${got[1]}" = 0 ] && [ "${got[2]}" = 7 ] || fail "--nice 7: command nice ${got[1]}, hrprof's ${got[2]}"
[[ ${got[3]} =~ Cpus_allowed_list:[[:space:]]+0$ ]] || fail "--cpu_affinity 0x1: hrprof's ${got[3]}"
[ "$ncpu" = 1 ] || [[ ! ${got[4]} =~ Cpus_allowed_list:[[:space:]]+0$ ]] || fail "--cpu_affinity: the command's own is ${got[4]}"
log "ok: --switch_user (uid ${got[0]}), --nice 7 and --cpu_affinity 0x1 on hrprof only"

# ---- --config and --capture_config
cat >"$T/ddprof.toml" <<'EOF'
# ddprof's format
service="from-config"
upload_period=1
event="sCPU,period=2000000"
event="sALLOC"
show_config=1
EOF
run_hrprof --config "$T/ddprof.toml" --no-upload --output "$T/cf" --capture_config "$T/cap.toml" -- "$WORKLOADS/hot" 1.2
[ $HRPROF_RC -eq 0 ] || fail "--config: exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
grep -q "service *from-config" "$T/hrprof.out" || fail "--config: service not read: $(head -20 "$T/hrprof.out")"
grep -q "allocation profiling (sALLOC) is not available yet" "$T/hrprof.err" || fail "--config's sALLOC: no warning"
n=$(profiles "$T/cf" | wc -l)
[ "$n" -ge 2 ] || fail "--config upload_period=1, 1.2 s: $n profiles"
[ "$(pprof_field "$(profiles "$T/cf" | head -1)" period)" = 2000000 ] || fail "--config's event period not applied"
grep -q '^service="from-config"$' "$T/cap.toml" && grep -q '^command_line=\[' "$T/cap.toml" ||
	fail "--capture_config: $(cat "$T/cap.toml")"
run_hrprof --config "$T/cap.toml" --output "$T/cf2"
[ $HRPROF_RC -eq 0 ] && [ "$(profiles "$T/cf2" | wc -l)" -ge 1 ] ||
	fail "the captured config did not run the command again: exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
log "ok: --config (ddprof's format), --capture_config read back"

# ---- --disable_symbolization: user locations are addresses in a mapping
# with its build id (go tool pprof -symbolize=none shows them bare; its own
# local symbolization then names them: the profile can be named elsewhere)
DD_PROFILING_DISABLE_SYMBOLIZATION=1 wrap "$T/nosym" -F 199 -- "$WORKLOADS/hot" 0.5
go tool pprof -symbolize=none -raw "$PROFILE" >"$T/nosym.raw" 2>/dev/null || fail "go tool pprof -raw failed"
awk '/^Locations/ { on = 1; next } /^Mappings/ { on = 0 } on && / M=1 [^ ]/' "$T/nosym.raw" | grep -q . &&
	fail "--disable_symbolization: named locations: $(grep -A5 '^Locations' "$T/nosym.raw")"
bid=$(readelf -n "$WORKLOADS/hot" | awk '/Build ID/ { print $3 }')
grep -A1 '^Mappings' "$T/nosym.raw" | grep -q "/hot $bid" ||
	fail "--disable_symbolization: no build id $bid on hot's mapping: $(grep -A2 '^Mappings' "$T/nosym.raw")"
assert_share "$PROFILE" hot_loop 50 100
log "ok: --disable_symbolization: addresses and build ids, named by go tool pprof itself"

# ---- ddprof's options that do nothing here
run_hrprof --fault_info true --reorder-events --socket /x --output "$T/na" -- "$WORKLOADS/hot" 0.2
[ $HRPROF_RC -eq 0 ] || fail "exit $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
[ "$(grep -c "has no effect here" "$T/hrprof.err")" = 3 ] || fail "expected 3 warnings: $(cat "$T/hrprof.err")"
log "ok: options without effect: one warning each"
pass
