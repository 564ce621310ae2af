#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's own programs (no frame pointers) through the module's CFI walks,
# against the perf backend's CFI path on the same execution: a compressor
# (xz), a multi-threaded one (zstd -T2), two interpreters (perl,
# python3.11), a Rust program (rg). Each program is started, and two
# hrprofs attach to it (-p): one with --backend kmod at 999 Hz, then, once
# that one samples, one with --backend perf at 797 Hz, both until it exits. The module's share of whole
# stacks (reaching a process's or a thread's root) is at least 99 % and not
# below the perf backend's by more than half a point; the user functions
# the samples fell in (the last user frame: the kernel's part depends on
# which instants each caught, as a program's first page faults) both name
# hold shares within 3 points of each other (the module's top 5),
# or within 4 standard deviations of the difference of two independent
# shares at these counts where that is wider. Samples perf lost (its
# rings overflow under emulation) are left out of its shares.
. "$(dirname "$0")/lib.sh" "$@"

PROGRAMS="xz zstd perl python rg"

if [ "$MODE" = collect ]; then
	for p in xz zstd perl python3.11 rg; do
		command -v "$p" >/dev/null || skip "no $p in the guest's root"
	done
	# Sizes for some 3 to 5 s of each program under TCG (a shorter one left
	# the perf backend, which starts second, under 200 samples).
	head -c 2250000 /dev/urandom | base64 >/tmp/in.txt
	cat /tmp/in.txt /tmp/in.txt >/tmp/in2.txt
	for i in 1 2 3 4 5 6 7 8; do cat /tmp/in2.txt; done >/tmp/in16.txt
	# pair NAME CMD...: CMD runs; both hrprofs attach once it has started.
	pair() {
		local name=$1 pid k p
		shift
		mkdir -p "$OUT/$name-kmod" "$OUT/$name-perf"
		"$@" >/dev/null &
		pid=$!
		sleep 0.3
		timeout -k 5 200 "$HRPROF" --backend kmod -F 999 -l info --output "$OUT/$name-kmod" -p "$pid" \
			2>"$OUT/$name-kmod.err" &
		k=$!
		# The module's hrprof compiles the tables before it samples: the
		# perf backend's starts once it does, so both cover one stretch.
		for _ in $(seq 200); do
			grep -q 'backend kmod:' "$OUT/$name-kmod.err" 2>/dev/null && break
			sleep 0.05
		done
		timeout -k 5 200 "$HRPROF" --backend perf -F 797 --output "$OUT/$name-perf" -p "$pid" \
			2>"$OUT/$name-perf.err" &
		p=$!
		wait "$pid"
		wait "$k"
		echo $? >"$OUT/$name-kmod.rc"
		wait "$p"
		echo $? >"$OUT/$name-perf.rc"
	}
	pair xz xz -6 -T1 -c /tmp/in.txt
	pair zstd zstd -q -T2 -19 -c /tmp/in2.txt
	pair perl perl -e 'my %h; for my $i (1 .. 1500000) { my $k = $i % 997; $h{$k} .= chr(65 + $i % 26); $h{$k} = "" if length $h{$k} > 64 }'
	pair python python3.11 -c '
import re
d = {}
for i in range(300000):
    k = str(i % 1009)
    d[k] = d.get(k, "") + "ab"
    if len(d[k]) > 40: d[k] = re.sub("a", "", d[k])'
	pair rg rg -j1 -o '[A-Za-z]+[0-9]+[A-Za-z]+[0-9]+' /tmp/in16.txt
	exit 0
fi

# stacks NAME: "count TAB stack" (root first) of the profile in OUT/NAME,
# without [lost].
stacks() {
	local f
	f=$(profile_of "$OUT/$1") || exit 1
	pprof_stacks "$f" | awk -F'\t' '$3 !~ /^\[lost\]/ { print $1 "\t" $3 }'
}

for name in $PROGRAMS; do
	for b in kmod perf; do
		rc=$(cat "$OUT/$name-$b.rc" 2>/dev/null) || fail "$name: no hrprof --backend $b run"
		[ "$rc" = 0 ] || fail "$name: hrprof --backend $b exited $rc: $(tail -n 5 "$OUT/$name-$b.err")"
	done
	stacks "$name-kmod" >"$T/$name.k"
	stacks "$name-perf" >"$T/$name.p"
	kw=$(whole_share "$T/$name.k")
	pw=$(whole_share "$T/$name.p")
	kn=$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$T/$name.k")
	pn=$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$T/$name.p")
	[ "$kn" -ge 200 ] && [ "$pn" -ge 200 ] || fail "$name: too few samples: module $kn, perf backend $pn"
	awk -v k="$kw" -v p="$pw" 'BEGIN { exit !(k >= 99 && k >= p - 0.5) }' ||
		fail "$name: whole stacks: module $kw%, perf backend $pw%; the module's that are not:
$(not_whole "$T/$name.k" | sort -rn | head -5 | cut -c1-300)
$(grep -o 'kmod unwind: .*' "$OUT/$name-kmod.err")"
	leaf_shares "$T/$name.k" root-first user | head -5 >"$T/$name.ktop"
	leaf_shares "$T/$name.p" root-first user >"$T/$name.ptop"
	while IFS=$'\t' read -r ks f; do
		ps=$(awk -F'\t' -v f="$f" '$2 == f { print $1; found = 1 } END { if (!found) print "" }' "$T/$name.ptop")
		[ -n "$ps" ] || continue
		shares_close "$ks" "$ps" "$kn" "$pn" ||
			fail "$name: $f holds $ks% of the module's $kn samples and $ps% of the perf backend's $pn"
		log "$name: $f: module $ks%, perf backend $ps%"
	done <"$T/$name.ktop"
	log "ok: $name: whole stacks module $kw%, perf backend $pw% ($kn and $pn samples)"
done
pass
