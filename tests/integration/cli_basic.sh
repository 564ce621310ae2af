#!/bin/bash
# --version prints the version (VERSION) and -h/--help the usage; both exit 0.
. "$(dirname "$0")/lib.sh"

for v in -v --version; do
	run_hrprof $v
	[ $HRPROF_RC -eq 0 ] || fail "hrprof $v exited $HRPROF_RC"
	grep -qF "$(cat "$REPO/VERSION")" "$T/hrprof.out" ||
		fail "hrprof $v printed '$(cat "$T/hrprof.out" "$T/hrprof.err")', expected the version $(cat "$REPO/VERSION")"
done
for h in -h --help; do
	run_hrprof $h
	[ $HRPROF_RC -eq 0 ] || fail "hrprof $h exited $HRPROF_RC"
	grep -q -- '--frequency' "$T/hrprof.out" || fail "hrprof $h does not document --frequency on stdout"
done
pass
