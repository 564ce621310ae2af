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
# points of each other (hrprof's top 5; the inlined frames of both left
# out: perf names them only by running addr2line, too slow here), or
# within 4 standard deviations of the difference of two independent
# shares at these counts where that is wider (about 5 points for a 20 %
# share of 2,000 and 1,600 samples).
. "$(dirname "$0")/lib.sh"
have_perf || skip "perf record does not work here"
case "$HRPROF" in */asan/*) skip "runs with the release build only (perf's dwarf unwinding is the slow part)" ;; esac
# Debian's builds by their paths: a PATH may put others first (pyenv's
# shim for python3.11, a script that runs a python of its own build).
for p in xz zstd perl python3.11 rg; do
	[ -x "/usr/bin/$p" ] || skip "no /usr/bin/$p (make deps installs it)"
done

head -c 6000000 /dev/urandom | base64 >"$T/in.txt"

check_program() { # NAME COMM CMD... (ONLY=NAME: that one alone)
	local name=$1 comm=$2 h p hw pw entry hn pn
	shift 2
	[ -z "${ONLY:-}" ] || [ "$ONLY" = "$name" ] || return 0
	mkdir -p "$T/$name"
	run_hrprof -F 999 --output "$T/$name" -- perf record -q --call-graph dwarf,65528 -F 797 -e cpu-clock \
		-o "$T/$name/perf.data" -- "$@"
	[ $HRPROF_RC -eq 0 ] || fail "$name: hrprof (around perf) exited $HRPROF_RC: $(tail -3 "$T/hrprof.err")"
	PROFILE=$(profile_of "$T/$name") || exit 1
	pprof_stacks "$PROFILE" | awk -F'\t' -v c="process_name=$comm" '$2 ~ ("(^|[|])" c "([|]|$)") {
		gsub(/;[^;]* \(inline\)/, "", $3); print $1 "\t" $3 }' >"$T/$name/h"
	PERF_SCRIPT_FLAGS=--no-inline perf_stacks "$T/$name/perf.data" | awk -F'\t' -v c="$comm" '$1 == c && $2 != 0 { print 1 "\t" $3 }' >"$T/$name/p"
	[ -s "$T/$name/h" ] && [ -s "$T/$name/p" ] ||
		fail "$name: no samples of $comm (hrprof $(wc -l <"$T/$name/h") stacks, perf $(wc -l <"$T/$name/p"))"
	entry=$(readelf -h "/usr/bin/$comm" | awk '/Entry point/ { print $4 }')
	entry="$comm\\+$entry"
	hw=$(whole_share "$T/$name/h" "$entry")
	pw=$(whole_share "$T/$name/p" "$entry")
	awk -v h="$hw" -v p="$pw" 'BEGIN { exit !(h >= 99 && h >= p - 0.2) }' ||
		fail "$name: whole stacks: hrprof $hw%, perf --call-graph dwarf $pw%; hrprof's stacks that are not:
$(not_whole "$T/$name/h" "$entry" | sort -rn | head -5 | cut -c1-400)"
	hn=$(awk -F'\t' '{ s += $1 } END { print s }' "$T/$name/h")
	pn=$(wc -l <"$T/$name/p")
	leaf_shares "$T/$name/h" root-first | head -5 >"$T/$name/h.top"
	leaf_shares "$T/$name/p" leaf-first >"$T/$name/p.top"
	while IFS=$'\t' read -r hs f; do
		ps=$(awk -F'\t' -v f="$f" '$2 == f { print $1; found = 1 } END { if (!found) print "" }' "$T/$name/p.top")
		[ -n "$ps" ] || continue
		shares_close "$hs" "$ps" "$hn" "$pn" ||
			fail "$name: $f holds $hs% of hrprof's $hn samples and $ps% of perf's $pn"
		log "$name: $f: hrprof $hs%, perf $ps%"
	done <"$T/$name/h.top"
	log "ok: $name: whole stacks hrprof $hw%, perf $pw% ($(awk -F'\t' '{ s += $1 } END { print s }' "$T/$name/h") and $(wc -l <"$T/$name/p") samples)"
	rm -f "$T/$name/perf.data"
}

check_program xz xz /usr/bin/xz -6 -T1 -c "$T/in.txt" >/dev/null
check_program zstd zstd /usr/bin/zstd -q -T2 -19 -c "$T/in.txt" >/dev/null
check_program perl perl /usr/bin/perl -e 'my %h; for my $i (1 .. 9000000) { my $k = $i % 997; $h{$k} .= chr(65 + $i % 26); $h{$k} = "" if length $h{$k} > 64 }'
check_program python python3.11 /usr/bin/python3.11 -c '
import re
d = {}
for i in range(2500000):
    k = str(i % 1009)
    d[k] = d.get(k, "") + "ab"
    if len(d[k]) > 40: d[k] = re.sub("a", "", d[k])'
cat "$T/in.txt" "$T/in.txt" "$T/in.txt" "$T/in.txt" >"$T/in4.txt"
check_program rg rg sh -c 'for i in 1 2 3; do /usr/bin/rg -j1 -o "[A-Za-z]+[0-9]+[A-Za-z]+[0-9]+" "$0" >/dev/null; done' "$T/in4.txt"
pass
