#!/bin/bash
# A service name too long for a file name (300 ASCII bytes; 120 Cyrillic
# letters, 240 bytes): hrprof says so at start and writes every profile under
# a name cut to fit NAME_MAX on a character boundary, starting with the
# service's first characters.
. "$(dirname "$0")/lib.sh"
require_workload hot

check_service() { # SERVICE LABEL
	local out=$T/out-$2 f base
	wrap "$out" -S "$1" -F 99 -- "$WORKLOADS/hot" 0.5
	grep -q "service name is $(printf %s "$1" | wc -c) bytes" "$T/hrprof.err" ||
		fail "$2: no word at start that the name is cut: $(cat "$T/hrprof.err")"
	mapfile -t files < <(profiles "$out")
	[ ${#files[@]} -eq 1 ] || fail "$2: ${#files[@]} profiles written, expected 1"
	base=$(basename "${files[0]}")
	[ "$(printf %s "$base" | wc -c)" -le 255 ] || fail "$2: file name of $(printf %s "$base" | wc -c) bytes"
	printf %s "$base" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 || fail "$2: file name is not UTF-8: $base"
	prefix=$(printf %s "$1" | head -c 100)
	[[ $base == *_"$prefix"* ]] || fail "$2: file name $base does not hold the service's start"
	[ "$(total_samples "${files[0]}")" -gt 0 ] || fail "$2: empty profile"
	log "ok: $2: $(printf %s "$base" | wc -c)-byte file name"
}

check_service "$(printf 'a%.0s' $(seq 300))" ascii
check_service "$(printf '\xd0\x96%.0s' $(seq 120))" cyrillic
pass
