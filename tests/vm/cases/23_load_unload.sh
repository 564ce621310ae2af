#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 50 rmmod + insmod cycles, a short session after every 10th; the module is
# left loaded.
. "$(dirname "$0")/lib.sh" "$@"

if [ "$MODE" = collect ]; then
	[ -f "$HRPROF_KO" ] || die "no $HRPROF_KO"
	for ((i = 1; i <= 50; i++)); do
		rmmod hrprof 2>"$OUT/rmmod.err" || die "rmmod #$i failed: $(cat "$OUT/rmmod.err"); use count $(module_refcnt)"
		[ ! -d /sys/module/hrprof ] || die "rmmod #$i returned with /sys/module/hrprof still there"
		insmod "$HRPROF_KO" "$HRPROF_KO_ARGS" 2>"$OUT/insmod.err" || die "insmod #$i failed: $(cat "$OUT/insmod.err")"
		for ((j = 0; j < 100; j++)); do
			[ -c /dev/hrprof ] && break
			sleep 0.05
		done
		[ -c /dev/hrprof ] || die "no /dev/hrprof 5 s after insmod #$i"
		if ((i % 10 == 0)); then
			vm_hrprof "s$i" 120 -F 999 -- "$WORKLOADS/hot" 1
		fi
	done
	reload
	exit 0
fi

for i in 10 20 30 40 50; do
	vm_rc "s$i"
	vm_profile "$OUT/s$i"
	P=$PROFILE
	assert_backend_kmod "$P"
	assert_share "$P" hot_loop 60 100
	assert_chain "$P" main do_work hot_loop
done
pass "50 cycles, 5 sessions"
