#!/bin/bash
# Bad input: every case exits 2 with exactly one line of output, before
# sampling (no profile written, the command not run).
. "$(dirname "$0")/lib.sh"
require_workload hot

max=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
nopid=
for ((p = 4194000; p > 1000; p -= 7)); do
	[ -e "/proc/$p" ] || {
		nopid=$p
		break
	}
done
touch "$T/regular-file"
W=("$WORKLOADS/hot" 0.5)
errors=()
i=0
check() { # check DESCRIPTION ARGS...
	local what=$1 lines
	shift
	i=$((i + 1))
	run_hrprof "$@"
	lines=$(cat "$T/hrprof.out" "$T/hrprof.err" | wc -l)
	if [ $HRPROF_RC -ne 2 ]; then
		errors+=("$what: exit $HRPROF_RC, expected 2 (hrprof $*)")
	elif [ "$lines" -ne 1 ]; then
		errors+=("$what: $lines lines of output, expected 1: $(cat "$T/hrprof.out" "$T/hrprof.err" | head -5 | tr '\n' '|')")
	elif [ ! -s "$T/hrprof.err" ]; then
		errors+=("$what: the line went to stdout, not stderr: $(cat "$T/hrprof.out")")
	else
		log "ok: $what -> exit 2: $(cat "$T/hrprof.err")"
	fi
	if [ -n "$(find "$T" -name '*.pb.gz' 2>/dev/null)" ]; then
		errors+=("$what: a profile was written: $(find "$T" -name '*.pb.gz')")
		find "$T" -name '*.pb.gz' -delete
	fi
}
check "unknown flag" --output "$T/o$i" --no-such-flag -- "${W[@]}"
check "unknown short flag" --output "$T/o$i" -Z -- "${W[@]}"
check "frequency 0" -F 0 --output "$T/o$i" -- "${W[@]}"
check "frequency above perf_event_max_sample_rate ($max)" -F $((max + 1)) --output "$T/o$i" -- "${W[@]}"
check "frequency not a number" -F abc --output "$T/o$i" -- "${W[@]}"
check "frequency negative" -F -5 --output "$T/o$i" -- "${W[@]}"
[ -n "$nopid" ] && check "-p of a pid that does not exist ($nopid)" -p "$nopid" --output "$T/o$i"
check "-p together with a command" -p $$ --output "$T/o$i" -- "${W[@]}"
check "unwritable --output (under /proc)" --output /proc/hrprof-no-such-dir -- "${W[@]}"
check "--output under a regular file" --output "$T/regular-file/sub" -- "${W[@]}"
check "unknown event" -e no-such-event --output "$T/o$i" -- "${W[@]}"
check "unknown log level" -l loud --output "$T/o$i" -- "${W[@]}"
check "unknown backend" --backend no-such-backend --output "$T/o$i" -- "${W[@]}"
check "upload period not a number" -u soon --output "$T/o$i" -- "${W[@]}"
check "no command and no mode" --output "$T/o$i"
[ ${#errors[@]} -eq 0 ] || fail "${#errors[@]} of $i bad inputs mishandled:
$(printf '  %s\n' "${errors[@]}")"
pass "$i bad inputs"
