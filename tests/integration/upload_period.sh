#!/bin/bash
# -u 1: a 3.5 s workload gives >= 3 profiles (one a second, and a final one),
# named DIR/<UTC time>_<service>_<pid>.pb.gz, whose time ranges follow each
# other without gaps or overlaps, and whose samples add up to the whole run.
. "$(dirname "$0")/lib.sh"
require_workload hot

WL_RUSAGE_FILE=$T/rusage wrap "$T/out" -u 1 -S itest -F 99 -- "$WORKLOADS/hot" 3.5
mapfile -t files < <(profiles "$T/out")
[ ${#files[@]} -ge 3 ] || fail "${#files[@]} profiles with -u 1 and a 3.5 s workload, expected >= 3: $(ls "$T/out")"
for f in "${files[@]}"; do
	b=$(basename "$f")
	[[ $b =~ ^[0-9][0-9TZ:.+-]*_itest_[0-9]+\.pb\.gz$ ]] || fail "file name $b is not <UTC time>_itest_<pid>.pb.gz"
done
pprof_info "${files[@]}" | sort -t= -k2,2n >"$T/info"
prev_end=
total=0
i=0
while read -r f t d rest; do
	t=${t#time_nanos=}
	d=${d#duration_nanos=}
	i=$((i + 1))
	[ "$t" -gt 0 ] && [ "$d" -gt 0 ] || fail "$f: time_nanos=$t duration_nanos=$d"
	if [ $i -lt ${#files[@]} ]; then
		_between "$d" 700000000 1500000000 || fail "$f: duration ${d}ns, expected about 1 s (-u 1)"
	fi
	if [ -n "$prev_end" ]; then
		gap=$((t - prev_end))
		_between "$gap" -50000000 50000000 ||
			fail "profile $i starts $((gap / 1000000)) ms after the previous one ends (expected adjacent):
$(cat "$T/info")"
	fi
	prev_end=$((t + d))
	s=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^cpu-samples=//p')
	total=$((total + ${s:-0}))
done <"$T/info"
read -r user sys <"$T/rusage"
expect=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 99 }')
_between "$total" "$((expect * 8 / 10))" "$((expect * 12 / 10))" ||
	fail "the ${#files[@]} profiles hold $total samples, expected $expect +-20%:
$(cat "$T/info")"
log "ok: ${#files[@]} adjacent profiles, $total samples"
P=$(profile_of "$T/out") || exit 1
assert_share "$P" hot_loop 75 100
pass
