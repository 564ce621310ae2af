#!/bin/bash
# Runs every integration test (or those named), one after the other:
#   tests/integration/run_all.sh [TEST...]     (HRPROF, WORKLOADS as in lib.sh)
# Prints PASS/FAIL/SKIP per test; exits 1 if any failed.
dir=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
	tests=("$@")
else
	mapfile -t tests < <(cd "$dir" && ls *.sh | grep -vx -e lib.sh -e run_all.sh | sed 's/\.sh$//')
fi
pass=0 failed=() skipped=()
for t in "${tests[@]}"; do
	t=${t%.sh}
	start=$(date +%s)
	bash "$dir/$t.sh" >"/tmp/hrprof-itest-$t.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) echo "PASS $t (${secs}s)"; pass=$((pass + 1)) ;;
	77) echo "SKIP $t: $(grep -m1 '^SKIP' "/tmp/hrprof-itest-$t.log")"; skipped+=("$t") ;;
	*) echo "FAIL $t (${secs}s, exit $rc):"; sed 's/^/    /' "/tmp/hrprof-itest-$t.log" | tail -40; failed+=("$t") ;;
	esac
done
echo "integration: $pass passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}, ${#skipped[@]} skipped"
[ ${#failed[@]} -eq 0 ]
