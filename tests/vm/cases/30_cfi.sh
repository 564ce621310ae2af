#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module walks user stacks of code without frame pointers with the CFI
# tables the daemon gives it (tests/workloads/nofp/: what
# tests/integration/unwind_cfi.sh asserts with the perf backend): at least
# 99 % whole stacks of processes hrprof attaches to (-p), the known callers.
# A wrapped command's first instants (the dynamic loader's work before the
# daemon has read its new mappings and given them to the module: a few
# milliseconds natively, tens under TCG) are walked by frame pointers and
# counted: whole stacks and those walks make 99 % there. The oracle is the perf backend's CFI path on the same
# workload in the same guest: the hot function's share within 5 points. The module's counters: frames by CFI, a handful
# by frame pointers (the first samples, before a process's mappings
# arrive), tables loaded; --unwind fp through the module is not whole.
. "$(dirname "$0")/lib.sh" "$@"
N=nofp

if [ "$MODE" = collect ]; then
	# attach NAME SECS ARGS -- CMD...: CMD started, hrprof attached to it
	# (-p) once it runs its own code (its pid file written), until it exits.
	# A CMD gone before hrprof looked fails the case with CMD's own status.
	attach() {
		local name=$1 secs=$2 pid rc=0
		shift 2
		local args=()
		while [ "$1" != -- ]; do
			args+=("$1")
			shift
		done
		shift
		rm -f "$OUT/$name.pid"
		WL_PID_FILE="$OUT/$name.pid" "$@" 2>"$OUT/$name.cmd.err" &
		pid=$!
		wait_for "$OUT/$name.pid" 30 || die "$name: $* wrote no pid file in 30 s"
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || rc=$?
			die "$name: $* ended before hrprof could attach (exit $rc): $(tail -n 3 "$OUT/$name.cmd.err")"
		fi
		vm_hrprof "$name" "$secs" "${args[@]}" -p "$pid"
		wait "$pid" || rc=$?
		[ $rc -eq 0 ] || die "$name: $* exited $rc: $(tail -n 3 "$OUT/$name.cmd.err")"
	}
	vm_hrprof hot 120 -F 499 -l info -- "$WORKLOADS/$N/hot" 6
	mkdir -p "$OUT/hot_perf"
	vm_run hot_perf 120 "$HRPROF" --backend perf --output "$OUT/hot_perf" -F 499 -- "$WORKLOADS/$N/hot" 6
	vm_hrprof hot_fp 120 -F 499 --unwind fp -- "$WORKLOADS/$N/hot" 2
	attach recurse 120 -F 199 -l info -- "$WORKLOADS/$N/recurse" 6
	attach threads 120 -F 499 -l info -- "$WORKLOADS/$N/threads" 6
	attach shlib 120 -F 499 -l info -- "$WORKLOADS/$N/shlib" 6
	attach signal 120 -F 499 -l info -- "$WORKLOADS/$N/signal" 6
	attach sort 120 -F 499 -l info -- "$WORKLOADS/$N/sort" 6
	attach throw 120 -F 499 -l info -- "$WORKLOADS/$N/throw" 6
	attach dframe 120 -F 499 -l info --unwind cfi -- "$WORKLOADS/$N/hot_dsplit" 6
	exit 0
fi

# kmod_counters NAME: the module's CFI counters from hrprof's exit summary.
kmod_counters() {
	grep -o 'kmod unwind: .*' "$OUT/$1.err" || fail "$1: no 'kmod unwind' summary: $(tail -n 5 "$OUT/$1.err")"
}

# assert_cfi_counters NAME: frames by CFI; frames by frame pointers and
# walks without mappings a small share (the first samples of a process).
assert_cfi_counters() {
	local line cfi fp nomaps tables
	line=$(kmod_counters "$1")
	cfi=$(sed -E 's/.*: ([0-9]+) user frames by CFI.*/\1/' <<<"$line")
	fp=$(sed -E 's/.*CFI, ([0-9]+) by frame pointers.*/\1/' <<<"$line")
	nomaps=$(sed -E 's/.* ([0-9]+) of processes not yet described.*/\1/' <<<"$line")
	tables=$(sed -E 's/.*; ([0-9]+) tables .*/\1/' <<<"$line")
	[ "$cfi" -gt 0 ] 2>/dev/null || fail "$1: no frame walked by CFI: $line"
	[ "$tables" -ge 1 ] || fail "$1: no table in the module: $line"
	[ $((fp * 20)) -le "$cfi" ] || fail "$1: $fp frames by frame pointers against $cfi by CFI: $line"
	log "ok: $1: $cfi frames by CFI, $fp by frame pointers, $nomaps walks before the mappings, $tables tables"
}

for r in hot hot_perf hot_fp recurse threads shlib signal sort throw dframe; do
	vm_rc "$r"
done

vm_profile "$OUT/hot"
P=$PROFILE
assert_backend_kmod "$P"
# Whole, or walked before the daemon had given the process's mappings (by
# frame pointers, counted), or before it had given one of them (a library
# the loader mapped while the daemon was still reading the record of it:
# the daemon counts the samples with a frame in a mapping it gave after
# them): 99 % of the samples between the three.
w=$(complete_share "$P")
nm=$(kmod_counters hot | sed -E 's/.* ([0-9]+) of processes not yet described.*/\1/')
late=$(sed -nE 's/.*module walks outside its mappings: [0-9]+, ([0-9]+) of them.*/\1/p' "$OUT/hot.err")
late=${late:-0}
awk -v w="$w" -v nm="$nm" -v late="$late" -v n="$(total_samples "$P")" 'BEGIN { exit !(n > 0 && w + 100 * (nm + late) / n >= 99) }' ||
	fail "hot: $w% whole, $nm of $(total_samples "$P") samples walked before the mappings, $late before one of them: $(show_traces "$P" 4)"
log "ok: hot: $w% whole; of $(total_samples "$P") samples $nm walked before the daemon gave the mappings, $late before it gave the one they reached"
assert_chain "$P" main do_work hot_loop
assert_cfi_counters hot
k=$(flat_share "$P" hot_loop)
vm_profile "$OUT/hot_perf"
p=$(flat_share "$PROFILE" hot_loop)
awk -v k="$k" -v p="$p" 'BEGIN { d = k - p; if (d < 0) d = -d; exit !(d <= 5) }' ||
	fail "hot_loop: $k% through the module, $p% through perf's CFI path"
log "ok: hot_loop $k% (module) against $p% (perf backend, CFI)"

vm_profile "$OUT/hot_fp"
fp=$(complete_share "$PROFILE")
awk -v v="$fp" 'BEGIN { exit !(v < 50) }' || fail "--unwind fp through the module made $fp% whole stacks"
log "ok: by frame pointers only, $fp% whole"

vm_profile "$OUT/recurse"
assert_complete "$PROFILE"
assert_recursion_whole "$PROFILE" 85 95
assert_cfi_counters recurse

vm_profile "$OUT/threads"
assert_complete "$PROFILE"
assert_chain "$PROFILE" start_thread worker thread_spin

vm_profile "$OUT/shlib"
assert_complete "$PROFILE"
assert_chain "$PROFILE" main lib_hot

vm_profile "$OUT/signal"
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main main_spin '.*' on_signal sig_hot

vm_profile "$OUT/sort"
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main 'sort_round\(.*' 'void std::.*'

vm_profile "$OUT/throw"
assert_complete "$PROFILE"
assert_chain "$PROFILE" -re main 'catch_round\(.*' 'thrower_3\(.*' 'thrower_2\(.*' 'thrower_1\(.*'

vm_profile "$OUT/dframe"
assert_complete "$PROFILE"
assert_chain "$PROFILE" main do_work hot_loop
pass
