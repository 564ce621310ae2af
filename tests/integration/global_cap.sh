#!/bin/bash
# --global with --maximum_pids 1: one process is tracked; the samples of the
# others are kept under [untracked process] (nothing is lost, memory stays
# bounded), none under a nameless process, and the cap is logged once.
. "$(dirname "$0")/lib.sh"
require_workload hot

mkdir -p "$T/out"
"$HRPROF" -g -F 199 --maximum_pids 1 --output "$T/out" 2>"$T/hrprof.err" &
hp=$!
BG_PIDS+=("$hp")
sleep 0.5
"$WORKLOADS/hot" 1.5 &
a=$!
"$WORKLOADS/hot" 1.5 &
b=$!
wait $a $b
kill -INT $hp
wait_pid $hp 15
[ $WAIT_RC -eq 0 ] || fail "hrprof -g exited $WAIT_RC: $(cat "$T/hrprof.err")"
P=$(profile_of "$T/out") || exit 1
untracked=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^\[untracked process\]/ { s += $1 } END { print s + 0 }')
[ "$untracked" -gt 50 ] || fail "expected the samples of untracked processes under [untracked process], found $untracked:
$(show_top "$P" | head -15)"
# A process untracked when sampled stays so, even if tracked later (when the
# first one exited): never a nameless root frame.
n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^(<unknown>|\[pid [0-9]+\])(;|$)/ { s += $1 } END { print s + 0 }')
[ "$n" -eq 0 ] || fail "$n samples under a nameless process:
$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^(<unknown>|\[pid [0-9]+\])(;|$)/' | head -5)"
[ "$(grep -c 'maximum of 1 processes' "$T/hrprof.err")" -eq 1 ] ||
	fail "the cap is not logged once: $(cat "$T/hrprof.err")"
log "ok: $untracked samples under [untracked process] with --maximum_pids 1"
pass
