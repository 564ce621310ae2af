#!/bin/bash
# Debian's own programs, built without frame pointers, of five kinds: a
# compressor (xz), a multi-threaded compressor (zstd -T2), two interpreters
# (perl, python3.11), a Rust program (ripgrep). Each is unwound by hrprof's
# CFI and by `perf record --call-graph dwarf,65528` in the same run: perf
# records the command, hrprof wraps perf and follows it into the command,
# so both sample the same execution, at 999 and 797 Hz (one's interrupts
# seldom fall just before the other's, where they would move its sample),
# for some 3,000 samples each.
#
# A stack is whole when it reaches the root of a process (the C library's
# start, the dynamic loader's, the entry point) or of a thread
# (start_thread, clone3). hrprof's share of whole stacks is at least 99 %
# and not below perf's (beyond 0.2 points: the two sample different
# instants, and a sample or two, as one taken inside an execve, are whole
# for neither). The leaf functions that both name hold shares within 3
# points of each other (hrprof's top 5; perf's inlined frames left out, as
# hrprof does not show them yet), or within 4 standard deviations of the
# difference of two independent shares at these counts where that is
# wider (about 5 points for a 20 % share of 2,000 and 1,600 samples).
. "$(dirname "$0")/lib.sh"
have_perf || skip "perf record does not work here"
case "$HRPROF" in */asan/*) skip "runs with the release build only (perf's dwarf unwinding is the slow part)" ;; esac
for p in xz zstd perl python3.11 rg; do
	command -v "$p" >/dev/null || skip "no $p (make deps installs it)"
done

head -c 6000000 /dev/urandom | base64 >"$T/in.txt"

# whole_share FILE-OF-STACKS ENTRY: percent of the lines (count TAB stack)
# whose frames reach a process's or a thread's root: the C library's start
# (__libc_start_main), the dynamic loader's (_dl_start, _dl_init), a
# thread's (start_thread, clone3), or the executable's entry point itself
# (_start, or ENTRY: its unnamed address as hrprof writes it, exe+0x...).
ROOTS='__libc_start_main|__libc_start_call_main|_dl_start|_dl_init|start_thread|clone3|_start'
whole_share() {
	awk -F'\t' -v re="(^|;)($ROOTS|$2)(;|\$)" '{ all += $1; if ($2 ~ re) hit += $1 }
		END { printf "%.1f\n", all ? 100 * hit / all : 0 }' "$1"
}

# leaf_shares FILE-OF-STACKS ORDER: "share TAB leaf" (ORDER leaf-first or
# root-first), named leaves only, largest first.
leaf_shares() {
	awk -F'\t' -v o="$2" '{ n = split($2, f, ";"); l = o == "leaf-first" ? f[1] : f[n]; all += $1; s[l] += $1 }
		END { for (k in s) if (k !~ /^\[|\+0x|^$/) printf "%.1f\t%s\n", 100 * s[k] / all, k }' "$1" | sort -rn
}

check_program() { # NAME COMM CMD... (ONLY=NAME: that one alone)
	local name=$1 comm=$2 h p hw pw entry hn pn
	shift 2
	[ -z "${ONLY:-}" ] || [ "$ONLY" = "$name" ] || return 0
	mkdir -p "$T/$name"
	run_hrprof -F 999 -o "$T/$name" -- perf record -q --call-graph dwarf,65528 -F 797 -e cpu-clock \
		-o "$T/$name/perf.data" -- "$@"
	[ $HRPROF_RC -eq 0 ] || fail "$name: hrprof (around perf) exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
	PROFILE=$(profile_of "$T/$name") || exit 1
	pprof_stacks "$PROFILE" | awk -F'\t' -v c="process_name=$comm" '$2 ~ ("(^|[|])" c "([|]|$)") { print $1 "\t" $3 }' >"$T/$name/h"
	# hrprof names no inlined frames yet: neither does perf here.
	PERF_SCRIPT_FLAGS=--no-inline perf_stacks "$T/$name/perf.data" | awk -F'\t' -v c="$comm" '$1 == c && $2 != 0 { print 1 "\t" $3 }' >"$T/$name/p"
	[ -s "$T/$name/h" ] && [ -s "$T/$name/p" ] ||
		fail "$name: no samples of $comm (hrprof $(wc -l <"$T/$name/h") stacks, perf $(wc -l <"$T/$name/p"))"
	entry=$(readelf -h "$(command -v "$comm")" | awk '/Entry point/ { print $4 }')
	entry="$comm\\+$entry"
	hw=$(whole_share "$T/$name/h" "$entry")
	pw=$(whole_share "$T/$name/p" "$entry")
	awk -v h="$hw" -v p="$pw" 'BEGIN { exit !(h >= 99 && h >= p - 0.2) }' ||
		fail "$name: whole stacks: hrprof $hw%, perf --call-graph dwarf $pw%; hrprof's stacks that are not:
$(grep -vE "(^|;)($ROOTS|$entry)(;|\$)" "$T/$name/h" | sort -rn | head -5 | cut -c1-400)"
	hn=$(awk -F'\t' '{ s += $1 } END { print s }' "$T/$name/h")
	pn=$(wc -l <"$T/$name/p")
	leaf_shares "$T/$name/h" root-first | head -5 >"$T/$name/h.top"
	leaf_shares "$T/$name/p" leaf-first >"$T/$name/p.top"
	while IFS=$'\t' read -r hs f; do
		ps=$(awk -F'\t' -v f="$f" '$2 == f { print $1; found = 1 } END { if (!found) print "" }' "$T/$name/p.top")
		[ -n "$ps" ] || continue
		# 3 points, or 4 standard deviations of the difference of two
		# independent shares at these counts when that is wider.
		awk -v a="$hs" -v b="$ps" -v na="$hn" -v nb="$pn" 'BEGIN {
			p = (a + b) / 200; sd = 100 * sqrt(p * (1 - p) * (1 / na + 1 / nb))
			lim = 4 * sd > 3 ? 4 * sd : 3; d = a - b
			exit !(d <= lim && d >= -lim) }' ||
			fail "$name: $f holds $hs% of hrprof's $hn samples and $ps% of perf's $pn"
		log "$name: $f: hrprof $hs%, perf $ps%"
	done <"$T/$name/h.top"
	log "ok: $name: whole stacks hrprof $hw%, perf $pw% ($(awk -F'\t' '{ s += $1 } END { print s }' "$T/$name/h") and $(wc -l <"$T/$name/p") samples)"
	rm -f "$T/$name/perf.data"
}

check_program xz xz xz -6 -T1 -c "$T/in.txt" >/dev/null
check_program zstd zstd zstd -q -T2 -19 -c "$T/in.txt" >/dev/null
check_program perl perl perl -e 'my %h; for my $i (1 .. 9000000) { my $k = $i % 997; $h{$k} .= chr(65 + $i % 26); $h{$k} = "" if length $h{$k} > 64 }'
check_program python python3.11 python3.11 -c '
import re
d = {}
for i in range(2500000):
    k = str(i % 1009)
    d[k] = d.get(k, "") + "ab"
    if len(d[k]) > 40: d[k] = re.sub("a", "", d[k])'
cat "$T/in.txt" "$T/in.txt" "$T/in.txt" "$T/in.txt" >"$T/in4.txt"
check_program rg rg sh -c 'for i in 1 2 3; do rg -j1 -o "[A-Za-z]+[0-9]+[A-Za-z]+[0-9]+" "$0" >/dev/null; done' "$T/in4.txt"
pass
