#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Mappings that come and go under the module's CFI walks at 10 kHz: a
# program without frame pointers (nofp/dlchurn) loads, calls and unloads a
# library hundreds of times and execs itself three times, so its mappings
# are replaced as it runs (SET_MAPS), dropped at each exec (the exec probe)
# and at its exit. No splat (the harness reads the kernel log), whole
# stacks through the library while it is loaded, many mapping updates, no
# table refused; what the daemon had not yet given (each new program's
# first instants) walked by frame pointers and counted.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	vm_hrprof churn 180 -F 10000 -l info -- "$WORKLOADS/nofp/dlchurn" 4
	exit 0
fi

vm_rc churn
vm_profile "$OUT/churn"
P=$PROFILE
assert_backend_kmod "$P"
assert_chain "$P" main churn_round lib_hot
assert_chain "$P" main churn_cold
assert_complete "$P" 90
line=$(grep -o 'kmod unwind: .*' "$OUT/churn.err") || fail "no 'kmod unwind' summary: $(tail -n 5 "$OUT/churn.err")"
updates=$(sed -E 's/.*, ([0-9]+) mapping updates.*/\1/' <<<"$line")
refused=$(sed -E 's/.* ([0-9]+) refused.*/\1/' <<<"$line")
[ "$updates" -ge 20 ] 2>/dev/null || fail "only $updates mapping updates for hundreds of loads and unloads: $line"
[ "$refused" = 0 ] || fail "tables refused: $line"
log "ok: $line"
pass
