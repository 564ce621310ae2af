#!/bin/bash
# Lines and inlined frames (-I, on by default). inlined spends 3/4 of its
# time in spin_a and 1/4 in spin_b, both (and step, under them) always
# inlined into driver; inlined_tpl is its C++ twin (spin<Mixer<29>>,
# spin<Mixer<31>>, Mixer<S>::step). With -I the inlined functions are frames
# of their own, in those shares, at the lines the sources mark; with
# -I false (or DD_PROFILING_INLINED_FUNCTIONS=false) it is all driver's, at
# the two call sites in the same shares. Every location of the program is
# checked against addr2line -i (inline_oracle.py).
. "$(dirname "$0")/lib.sh"
require_workload inlined inlined_tpl
command -v addr2line >/dev/null || skip "addr2line (binutils) not installed"
SRC=$LIB_DIR/../workloads

# line_of FILE TAG: the line marked /* LINE TAG */.
line_of() {
	grep -n "/\* LINE $2 \*/" "$SRC/$1" | cut -d: -f1
}

# lines_share PROFILE FILE:LINE...: percent of samples whose innermost frame
# is at one of those lines (go tool pprof -lines -top, flat).
lines_share() {
	local p=$1
	shift
	_pprof "lines-$(_key "$p")" -top -lines -nodecount=100000 -nodefraction=0 \
		-sample_index=cpu-samples "$p" | WANT="$*" awk '
	BEGIN { n = split(ENVIRON["WANT"], w, " "); for (i = 1; i <= n; i++) want[w[i]] = 1 }
	/^ *flat  *flat%/ { go = 1; next }
	go {
		for (i = 6; i <= NF; i++) {
			loc = $i; sub(/^.*\//, "", loc)
			if (loc in want) { v = $2; sub(/%$/, "", v); s += v; break }
		}
	}
	END { printf "%.1f\n", s + 0 }'
}

# cum_lines_share PROFILE FILE:LINE: percent of samples with a frame at that
# line (go tool pprof -lines -top, cumulative).
cum_lines_share() {
	_pprof "lines-$(_key "$1")" -top -lines -nodecount=100000 -nodefraction=0 \
		-sample_index=cpu-samples "$1" | awk -v want="$2" '
	/^ *flat  *flat%/ { go = 1; next }
	go {
		for (i = 6; i <= NF; i++) {
			loc = $i; sub(/^.*\//, "", loc)
			if (loc == want) { v = $5; sub(/%$/, "", v); s += v; break }
		}
	}
	END { printf "%.1f\n", s + 0 }'
}

expect() { # WHAT VALUE MIN MAX
	_between "$2" "$3" "$4" || fail "$1: $2%, expected $3..$4%; go tool pprof -top -lines:
$(go tool pprof -top -lines -sample_index=cpu-samples "$P" 2>/dev/null | sed -n '1,20p')"
	log "ok: $1 $2% (expected $3..$4%)"
}

# oracle PROFILE BINARY [--no-inlines]: every location agrees with
# addr2line -i; with inlines, some of them have inlined frames: at least
# 2, one in each of spin_a's and spin_b's loops (how many distinct
# addresses the samples hit there is chance: 4 to 6 in all).
oracle() {
	local out withinl
	out=$(python3 "$LIB_DIR/inline_oracle.py" "$1" "$2" ${3:+"$3"} 2>&1) ||
		fail "lines differ from addr2line -i for $2:
$out"
	withinl=$(echo "$out" | sed -n 's/.*(\([0-9]*\) with inlined frames.*/\1/p' | tail -1)
	if [ -z "${3:-}" ]; then
		[ "${withinl:-0}" -ge 2 ] || fail "only ${withinl:-0} locations of $2 with inlined frames: $out"
	else
		[ "${withinl:-1}" = 0 ] || fail "-I false: $withinl locations of $2 with inlined frames: $out"
	fi
	log "ok: $(echo "$out" | tail -1)"
}

A=$(line_of inlined.c spin_a) B=$(line_of inlined.c spin_b) S=$(line_of inlined.c step)
CA=$(line_of inlined.c call_a) CB=$(line_of inlined.c call_b)
[ -n "$A" ] && [ -n "$B" ] && [ -n "$S" ] && [ -n "$CA" ] && [ -n "$CB" ] ||
	fail "LINE marks missing in $SRC/inlined.c"

# ---- C, -I by default: spin_a, spin_b and step are frames, at their lines
wrap "$T/c" -F 499 -- "$WORKLOADS/inlined" 2
P=$PROFILE
expect "spin_a (inlined) cumulative" "$(cum_share "$P" "spin_a (inline)")" 65 85
expect "spin_b (inlined) cumulative" "$(cum_share "$P" "spin_b (inline)")" 15 35
assert_chain "$P" -re main driver "spin_a \(inline\)"
assert_chain "$P" -re driver "spin_b \(inline\)" "step \(inline\)"
expect "innermost at spin_a's or step's lines" \
	"$(lines_share "$P" "inlined.c:$A" "inlined.c:$S" "inlined.c:$B")" 90 100
expect "driver at spin_a's call site" "$(cum_lines_share "$P" "inlined.c:$CA")" 65 85
expect "driver at spin_b's call site" "$(cum_lines_share "$P" "inlined.c:$CB")" 15 35
oracle "$P" "$WORKLOADS/inlined"

# ---- C, -I false: all of it driver's, at the call sites
wrap "$T/c0" -F 499 -I false -- "$WORKLOADS/inlined" 2
P=$PROFILE
[ "$(cum_share "$P" "spin_a (inline)")" = 0 ] || fail "-I false: spin_a is a frame:
$(show_top "$P")"
assert_share "$P" driver 90 100
expect "-I false: driver at spin_a's call site" "$(lines_share "$P" "inlined.c:$CA")" 65 85
expect "-I false: driver at spin_b's call site" "$(lines_share "$P" "inlined.c:$CB")" 15 35
oracle "$P" "$WORKLOADS/inlined" --no-inlines
DD_PROFILING_INLINED_FUNCTIONS=false wrap "$T/c1" -F 499 -- "$WORKLOADS/inlined" 0.5
[ "$(cum_share "$PROFILE" "spin_a (inline)")" = 0 ] ||
	fail "DD_PROFILING_INLINED_FUNCTIONS=false: spin_a is a frame:
$(show_top "$PROFILE")"
log "ok: DD_PROFILING_INLINED_FUNCTIONS=false"

# ---- C++ templates
wrap "$T/cc" -F 499 -- "$WORKLOADS/inlined_tpl" 2
P=$PROFILE
expect "spin<Mixer<29u> > cumulative" \
	"$(cum_share "$P" "unsigned long spin<Mixer<29u> >(unsigned long, long) (inline)")" 65 85
expect "spin<Mixer<31u> > cumulative" \
	"$(cum_share "$P" "unsigned long spin<Mixer<31u> >(unsigned long, long) (inline)")" 15 35
assert_chain "$P" -re "driver\(double\)" "unsigned long spin<Mixer<29u> >.* \(inline\)" \
	"Mixer<29u>::step\(unsigned long\) \(inline\)"
expect "driver(double) at the spin<Mixer<29>> call" \
	"$(cum_lines_share "$P" "inlined_tpl.cc:$(line_of inlined_tpl.cc call_29)")" 65 85
oracle "$P" "$WORKLOADS/inlined_tpl"
pass
