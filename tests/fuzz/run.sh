#!/usr/bin/env bash
# Runs libFuzzer harnesses: each for SECONDS on a working corpus under
# FUZZ_ROOT/corpus/<name> (seeded from tests/fuzz/corpus/<name>, which new
# finds do not touch), crash inputs to FUZZ_ROOT/artifacts/. Any crash,
# leak, timeout or sanitizer report fails. Prints per harness its
# executions, rate and corpus size; exits non-zero when one failed.
#
# usage: tests/fuzz/run.sh FUZZ_ROOT SECONDS [NAME...]
set -u
root=$(cd "$1" && pwd)
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for b in "$root"/bin/fuzz_*; do
		[ -x "$b" ] && names+=("$(basename "$b")")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "no harnesses in $root/bin: run 'make fuzz-bins'"; exit 1; }
mkdir -p "$root/artifacts"
bad=0
for n in "${names[@]}"; do
	work=$root/corpus/$n
	seeds=$here/corpus/$n
	mkdir -p "$work"
	log=$root/$n.log
	# -rss_limit_mb: a parser's bound on memory is part of what is tested
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
		"$root/bin/$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$root/artifacts/$n-" \
		"$work" $([ -d "$seeds" ] && echo "$seeds") >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	files=$(find "$work" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf '%s: %s executions in %s s (%s/s), corpus %s files\n' "$n" "${execs:-?}" "$secs" \
			"${rate:-?}" "$files"
	else
		bad=1
		printf '%s: FAILED (exit %d) after %s executions; log %s\n' "$n" "$rc" "${execs:-?}" "$log"
		grep -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" | head -10
	fi
done
exit $bad
