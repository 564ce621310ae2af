# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the integration tests; each test sources this file:
#
#   . "$(dirname "$0")/lib.sh"
#
# Environment:
#   HRPROF     the daemon (default: <repo>/build/release/hrprof)
#   WORKLOADS  the built workloads (default: <repo>/build/workloads; `make workloads`)
#   KEEP=1     keep the test's temporary directory (its path is printed)
#   V=1        show the commands' output as they run
#
# A test exits 0 on success, 1 on failure (fail), 77 when skipped (skip).
#
# Every profile helper takes ONE profile file; merge several first with
# pprof_merge. go tool pprof is always given -sample_index explicitly.

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LIB_DIR/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)

HRPROF=${HRPROF:-$REPO/build/release/hrprof}
WORKLOADS=${WORKLOADS:-$REPO/build/workloads}
case $HRPROF in /*) ;; *) HRPROF=$PWD/$HRPROF ;; esac
case $WORKLOADS in /*) ;; *) WORKLOADS=$PWD/$WORKLOADS ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/hrprof-$TEST_NAME.XXXXXX")
BG_PIDS=()

# go tool pprof as root, offline, without touching the real home.
export HOME=$T/home GOCACHE=$T/gocache GOFLAGS=-mod=mod GOTOOLCHAIN=local
export PPROF_TMPDIR=$T/pprof
mkdir -p "$HOME" "$GOCACHE" "$PPROF_TMPDIR"

_cleanup() {
	local rc=$? p
	for p in "${BG_PIDS[@]}"; do
		{
			kill -KILL "$p" && wait "$p"
		} 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ] || { [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "${KEEP:-0}" = fail ]; }; then
		echo "$TEST_NAME: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

log() {
	echo "$TEST_NAME: $*" >&2
}

# fail MSG...: prints why the test failed and exits 1.
fail() {
	echo "FAIL $TEST_NAME: $*" >&2
	exit 1
}

# skip MSG...: exits 77.
skip() {
	echo "SKIP $TEST_NAME: $*" >&2
	exit 77
}

pass() {
	echo "PASS $TEST_NAME${1:+: $*}" >&2
	exit 0
}

# require_workload NAME...: fails unless the workloads are built.
require_workload() {
	local w
	for w; do
		[ -x "$WORKLOADS/$w" ] || [ -f "$WORKLOADS/$w" ] ||
			fail "workload $WORKLOADS/$w missing: run 'make workloads'"
	done
}

_require_tools() {
	[ -x "$HRPROF" ] || fail "hrprof not found at $HRPROF (set HRPROF, or run 'make')"
	command -v go >/dev/null 2>&1 || skip "go (golang-go) not installed: go tool pprof is needed"
	command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
	[ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)" -le 0 ] 2>/dev/null ||
		skip "needs root or kernel.perf_event_paranoid <= 0"
}
_require_tools

# ---------------------------------------------------------------- running

# run_hrprof ARGS...: runs hrprof (60 s at most); its stdout and stderr go to
# $T/hrprof.out and $T/hrprof.err, its exit status to $HRPROF_RC.
HRPROF_RC=0
run_hrprof() {
	[ "${V:-0}" = 1 ] && log "+ hrprof $*"
	HRPROF_RC=0
	timeout -k 5 60 "$HRPROF" "$@" >"$T/hrprof.out" 2>"$T/hrprof.err" || HRPROF_RC=$?
	[ "${V:-0}" = 1 ] && cat "$T/hrprof.out" "$T/hrprof.err" >&2
	[ $HRPROF_RC -ne 124 ] && [ $HRPROF_RC -ne 137 ] ||
		fail "hrprof $* did not finish within 60 s; stderr: $(tail -5 "$T/hrprof.err")"
	return 0
}

# wrap OUTDIR ARGS... -- CMD...: `hrprof --output OUTDIR ARGS... -- CMD...`; fails
# unless it exits 0. Leaves the merged profile's path in $PROFILE.
PROFILE=
wrap() {
	local out=$1
	shift
	mkdir -p "$out"
	run_hrprof --output "$out" "$@"
	[ $HRPROF_RC -eq 0 ] || fail "hrprof --output $out $* exited $HRPROF_RC; stderr: $(tail -5 "$T/hrprof.err")"
	PROFILE=$(profile_of "$out") || exit 1
}

# bg CMD...: starts CMD in the background (killed at exit); its pid in $BG_PID.
BG_PID=
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# wait_file FILE [SECONDS]: waits for FILE to exist (default 5 s).
wait_file() {
	local i n=$((${2:-5} * 20))
	for ((i = 0; i < n; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1"
}

# wait_pid PID SECONDS: waits for a child PID to exit; fails on timeout. Sets $WAIT_RC.
WAIT_RC=0
wait_pid() {
	local pid=$1 i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			WAIT_RC=0
			wait "$pid" 2>/dev/null || WAIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	fail "process $pid still running after $2 s"
}

# ---------------------------------------------------------------- profiles

# profiles DIR: the profile files in DIR, oldest name first.
profiles() {
	find "$1" -maxdepth 1 -type f -name '*.pb.gz' | sort
}

# pprof_merge OUT FILE...: merges profiles into OUT (go tool pprof -proto).
pprof_merge() {
	local out=$1
	shift
	go tool pprof -proto -sample_index=cpu-samples "$@" >"$out" 2>"$T/pprof-merge.err" ||
		fail "go tool pprof could not merge $*: $(cat "$T/pprof-merge.err")"
}

# profile_of DIR: prints the path of DIR's only profile, or of all of them
# merged; fails when there is none.
profile_of() {
	local files
	mapfile -t files < <(profiles "$1")
	[ ${#files[@]} -gt 0 ] || fail "no profile written to $1; hrprof stderr: $(tail -5 "$T/hrprof.err" 2>/dev/null)"
	if [ ${#files[@]} -eq 1 ]; then
		echo "${files[0]}"
	else
		pprof_merge "$T/merged-$(basename "$1").pb.gz" "${files[@]}"
		echo "$T/merged-$(basename "$1").pb.gz"
	fi
}

# _pprof OUTPUT_NAME ARGS...: go tool pprof, output cached in $T/OUTPUT_NAME.
_pprof() {
	local name=$1
	shift
	if [ ! -f "$T/$name" ]; then
		go tool pprof "$@" >"$T/$name.tmp" 2>"$T/$name.err" ||
			fail "go tool pprof $* failed: $(cat "$T/$name.err")"
		mv "$T/$name.tmp" "$T/$name"
	fi
	cat "$T/$name"
}

_key() {
	echo "$1" | md5sum | cut -c1-12
}

# pprof_top FILE [INDEX]: go tool pprof -top (every node) by cpu-samples (or INDEX).
pprof_top() {
	_pprof "top-${2:-cpu-samples}-$(_key "$1")" -top -nodecount=100000 -nodefraction=0 \
		-edgefraction=0 -sample_index="${2:-cpu-samples}" "$1"
}

# pprof_traces FILE [INDEX]: go tool pprof -traces by cpu-samples (or INDEX).
pprof_traces() {
	_pprof "traces-${2:-cpu-samples}-$(_key "$1")" -traces -sample_index="${2:-cpu-samples}" "$1"
}

# pprof_raw FILE: go tool pprof -raw.
pprof_raw() {
	_pprof "raw-$(_key "$1")" -raw -sample_index=cpu-samples "$1"
}

# pprof_tags FILE: go tool pprof -tags by cpu-samples.
pprof_tags() {
	_pprof "tags-$(_key "$1")" -tags -sample_index=cpu-samples "$1"
}

# pprof_info FILE...: time_nanos, duration_nanos, period, sums per sample type.
pprof_info() {
	python3 "$LIB_DIR/pprof_info.py" "$@" || fail "could not decode $*"
}

# pprof_field FILE KEY: KEY's value in pprof_info's line for FILE (empty if none).
pprof_field() {
	pprof_info "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# pprof_secs FILE KEY: pprof_field FILE KEY, nanoseconds, as seconds (%.3f).
pprof_secs() {
	awk -v n="$(pprof_field "$1" "$2")" 'BEGIN { printf "%.3f", (n + 0) / 1e9 }'
}

# pprof_stacks FILE [INDEX]: one line per trace of `go tool pprof -traces`
# (by cpu-samples, or INDEX):
#   COUNT <TAB> key=value|key=value... <TAB> root;...;leaf
pprof_stacks() {
	pprof_traces "$1" "${2:-}" | awk '
	function flush() {
		if (n > 0) {
			s = frames[n]
			for (i = n - 1; i >= 1; i--)
				s = s ";" frames[i]
			printf "%s\t%s\t%s\n", count, labels, s
		}
		n = 0; labels = ""; count = 0; instack = 0
	}
	/^-----------\+/ { flush(); started = 1; next }
	!started { next }
	{
		if (!instack && match($0, /^ *[0-9][0-9.]*[a-zA-Z]*   [^ ]/)) {
			instack = 1
			count = $1
			line = $0
			sub(/^ *[0-9][0-9.]*[a-zA-Z]*   /, "", line)
			frames[++n] = line
		} else if (instack) {
			line = $0
			sub(/^ +/, "", line)
			if (line != "")
				frames[++n] = line
		} else {
			line = $0
			sub(/^ +/, "", line)
			k = line; sub(/:  .*$/, "", k)
			v = line; sub(/^[^:]*:  /, "", v)
			labels = labels (labels == "" ? "" : "|") k "=" v
		}
	}
	END { flush() }'
}

# total_samples FILE: the cpu-samples total.
total_samples() {
	pprof_top "$1" | awk '/^Showing nodes accounting for/ {
		for (i = 1; i <= NF; i++) if ($i == "total") { print $(i - 1); exit } }'
}

# flat_share FILE FUNC, cum_share FILE FUNC: percent of cpu-samples (0 if absent);
# cum_time_share FILE FUNC: percent of cpu-time (samples weighed by the periods
# they stand for, missed ones included).
_share() {
	pprof_top "$1" "${4:-}" | awk -v f="$2" -v col="$3" '
	/^ *flat  *flat%/ { go = 1; next }
	go {
		name = $0
		sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+  /, "", name)
		if (name == f) { v = $col; sub(/%$/, "", v); print v; found = 1; exit }
	}
	END { if (!found) print 0 }'
}
flat_share() {
	_share "$1" "$2" 2
}
cum_share() {
	_share "$1" "$2" 5
}
cum_time_share() {
	_share "$1" "$2" 5 cpu-time
}

# _between VALUE MIN MAX: true when MIN <= VALUE <= MAX (decimals).
_between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

show_top() {
	pprof_top "$1" | sed -n '1,25p'
}

show_traces() {
	pprof_stacks "$1" | sort -t$'\t' -k1,1nr | head -${2:-8} |
		awk -F'\t' '{ s = $3; if (length(s) > 400) s = substr(s, 1, 200) " ... " substr(s, length(s) - 200); print "  " $1 "  [" $2 "]  " s }'
}

# assert_share FILE FUNC MIN_PCT MAX_PCT: FUNC's flat share of cpu-samples.
assert_share() {
	local v
	v=$(flat_share "$1" "$2")
	_between "$v" "$3" "$4" ||
		fail "$2 has $v% of the samples flat in $1, expected $3..$4%; go tool pprof -top:
$(show_top "$1")"
	log "ok: $2 flat $v% (expected $3..$4%)"
}

# assert_cum_share FILE FUNC MIN_PCT MAX_PCT: FUNC's cumulative share.
assert_cum_share() {
	local v
	v=$(cum_share "$1" "$2")
	_between "$v" "$3" "$4" ||
		fail "$2 has $v% of the samples cumulative in $1, expected $3..$4%; go tool pprof -top:
$(show_top "$1")"
	log "ok: $2 cum $v% (expected $3..$4%)"
}

# chain_samples FILE [-re] F1 F2...: samples whose stack holds F1 F2 ...
# consecutive, in caller-to-callee order (with -re, each F is an ERE matched
# against the whole frame name).
chain_samples() {
	local file=$1 re=0
	shift
	[ "$1" = -re ] && {
		re=1
		shift
	}
	pprof_stacks "$file" | CHAIN=$(printf '%s\n' "$@") awk -F'\t' -v re=$re '
	BEGIN { m = split(ENVIRON["CHAIN"], want, "\n"); if (want[m] == "") m-- }
	function eq(a, b) { return re ? a ~ ("^(" b ")$") : a == b }
	{
		n = split($3, f, ";")
		for (s = 1; s + m - 1 <= n; s++) {
			ok = 1
			for (j = 1; j <= m; j++)
				if (!eq(f[s + j - 1], want[j])) { ok = 0; break }
			if (ok) { total += $1; break }
		}
	}
	END { print total + 0 }'
}

_chain_desc() {
	local d="" prev="" n=0 f
	for f; do
		if [ "$f" = "$prev" ]; then
			n=$((n + 1))
		else
			[ -n "$prev" ] && d="$d${d:+ -> }$prev$([ $n -gt 1 ] && echo " x$n")"
			prev=$f
			n=1
		fi
	done
	[ -n "$prev" ] && d="$d${d:+ -> }$prev$([ $n -gt 1 ] && echo " x$n")"
	echo "$d"
}

# assert_chain FILE [-re] F1 F2...: some samples (at least 1% of them) have
# F1 -> F2 -> ... consecutive in their stack, callers first.
assert_chain() {
	local file=$1 re=() n total
	shift
	[ "$1" = -re ] && {
		re=(-re)
		shift
	}
	n=$(chain_samples "$file" "${re[@]}" "$@")
	total=$(total_samples "$file") || exit 1
	[ "$n" -gt 0 ] && [ $((n * 100)) -ge "${total:-0}" ] ||
		fail "no stack (or under 1% of $total samples: $n) with $(_chain_desc "$@") in $file; top traces of go tool pprof -traces:
$(show_traces "$file")"
	log "ok: chain $(_chain_desc "$@") in $n of $total samples"
}

# stacks_judged FILE: pprof_stacks without the samples the kernel dropped
# ([lost], a loaded machine): they have no stack to judge.
stacks_judged() {
	pprof_stacks "$1" | awk -F'\t' '$3 != "[lost]"'
}

# root_share FILE NAME: percent of the judged samples (stacks_judged) whose
# outermost frame is NAME.
root_share() {
	stacks_judged "$1" | awk -F'\t' -v r="$2" '
	{ split($3, f, ";"); all += $1; if (f[1] == r) hit += $1 }
	END { printf "%.1f\n", all ? 100 * hit / all : 0 }'
}

# assert_root FILE NAME [MIN_PCT]: NAME (the executable's basename) is the
# root frame of at least MIN_PCT (default 95) percent of the samples.
assert_root() {
	local v
	v=$(root_share "$1" "$2")
	_between "$v" "${3:-95}" 100 ||
		fail "root frame '$2' in $v% of the samples of $1, expected >= ${3:-95}%; top traces:
$(show_traces "$1")"
	log "ok: root frame $2 in $v% of the samples"
}

# complete_share FILE: percent of samples whose user stack is whole: under
# the executable's root frame, the outermost frame is where every stack of a
# process starts (_start) or of a thread (clone3, clone); of the judged
# samples (stacks_judged).
_WHOLE_AWK='function whole(s,  f) { split(s, f, ";"); return f[2] == "_start" || f[2] == "clone3" || f[2] == "clone" || f[2] == "__clone" }'
complete_share() {
	stacks_judged "$1" | awk -F'\t' "$_WHOLE_AWK"'
	{ all += $1; if (whole($3)) hit += $1 }
	END { printf "%.1f\n", all ? 100 * hit / all : 0 }'
}

# assert_complete FILE [MIN_PCT]: at least MIN_PCT (default 99) percent of
# the samples have whole stacks (complete_share).
assert_complete() {
	local v
	v=$(complete_share "$1")
	_between "$v" "${2:-99}" 100 ||
		fail "whole stacks in $v% of the samples of $1, expected >= ${2:-99}%; the stacks that are not:
$(stacks_judged "$1" | awk -F'\t' "$_WHOLE_AWK"' !whole($3) { print $1 "  " $3 }' | sort -rn | head -n 12)"
	log "ok: whole stacks in $v% of the samples"
}

# For comparing hrprof's stacks with another profiler's, as "count TAB
# stack" lines (frames joined by ';'):
#
# whole_share FILE [ENTRY]: percent of the lines whose frames reach a
# process's or a thread's root: the C library's start (__libc_start_main),
# the dynamic loader's (_dl_start, _dl_init), a thread's (start_thread,
# clone3), or the executable's entry point itself (_start, or ENTRY: a
# regular expression for its unnamed address, exe\+0x...).
WHOLE_ROOTS='__libc_start_main|__libc_start_call_main|_dl_start|_dl_init|start_thread|clone3|_start'
whole_share() {
	awk -F'\t' -v re="(^|;)($WHOLE_ROOTS${2:+|$2})(;|\$)" '{ all += $1; if ($2 ~ re) hit += $1 }
		END { printf "%.1f\n", all ? 100 * hit / all : 0 }' "$1"
}

# not_whole FILE [ENTRY]: the lines of FILE that whole_share does not count.
not_whole() {
	grep -vE "(^|;)($WHOLE_ROOTS${2:+|$2})(;|\$)" "$1"
}

# leaf_shares FILE ORDER [user]: "share TAB leaf" (stacks ORDER leaf-first
# or root-first), named leaves only, largest first. With "user" (root-first
# stacks of hrprof: process, user frames, kernel frames): the last user
# frame, before the kernel's entry (a system call, an exception, an
# interrupt); samples with no user frame count for no leaf.
leaf_shares() {
	awk -F'\t' -v o="$2" -v user="${3:-}" '{
		n = split($2, f, ";"); l = o == "leaf-first" ? f[1] : f[n]
		if (user != "") {
			for (i = 2; i <= n; i++)
				if (f[i] ~ /^(entry_SYSCALL|asm_|ret_from_fork|error_entry)/) break
			l = i > 2 ? f[i - 1] : ""
		}
		all += $1; s[l] += $1 }
		END { for (k in s) if (k !~ /^\[|\+0x|^$/) printf "%.1f\t%s\n", 100 * s[k] / all, k }' "$1" | sort -rn
}

# shares_close A B NA NB: true when shares A and B (percent) of NA and NB
# samples differ by at most 3 points, or 4 standard deviations of the
# difference of two independent shares at these counts where that is wider
# (about 5 points for a 20 % share of 2,000 and 1,600 samples).
shares_close() {
	awk -v a="$1" -v b="$2" -v na="$3" -v nb="$4" 'BEGIN {
		p = (a + b) / 200; sd = 100 * sqrt(p * (1 - p) * (1 / na + 1 / nb))
		lim = 4 * sd > 3 ? 4 * sd : 3; d = a - b
		exit !(d <= lim && d >= -lim) }'
}

# label_values FILE KEY: the values of label KEY over all samples, one per line.
label_values() {
	pprof_stacks "$1" | awk -F'\t' -v k="$2" '
	{ n = split($2, l, "|"); for (i = 1; i <= n; i++) {
		p = index(l[i], "="); if (substr(l[i], 1, p - 1) == k) print substr(l[i], p + 1) } }' | sort -u
}

# label_samples FILE KEY VALUE [FUNC]: samples labelled KEY=VALUE (and with
# FUNC anywhere in the stack).
label_samples() {
	pprof_stacks "$1" | awk -F'\t' -v k="$2" -v v="$3" -v fn="${4:-}" '
	{ n = split($2, l, "|"); hit = 0
	  for (i = 1; i <= n; i++) if (l[i] == k "=" v) hit = 1
	  if (hit && fn != "") { hit = 0; m = split($3, f, ";"); for (i = 1; i <= m; i++) if (f[i] == fn) hit = 1 }
	  if (hit) total += $1 }
	END { print total + 0 }'
}

# assert_label FILE KEY VALUE: some samples carry label KEY=VALUE.
assert_label() {
	local n
	n=$(label_samples "$1" "$2" "$3")
	[ "$n" -gt 0 ] ||
		fail "no sample labelled $2=$3 in $1; values of $2: $(label_values "$1" "$2" | tr '\n' ' ')
go tool pprof -tags:
$(pprof_tags "$1" | head -40)"
	log "ok: $n samples labelled $2=$3"
}

# assert_sample_types FILE: cpu-time/nanoseconds then cpu-samples/count.
assert_sample_types() {
	local types
	types=$(pprof_raw "$1" | awk '/^Samples:/ { getline; print; exit }')
	[ "$(echo $types)" = "cpu-time/nanoseconds cpu-samples/count" ] ||
		fail "sample types of $1 are '$types', expected 'cpu-time/nanoseconds cpu-samples/count'"
}

# func_mappings FILE FUNC: the file names of the mappings of FUNC's locations.
func_mappings() {
	pprof_raw "$1" | awk -v fn="$2" '
	/^Locations/ { sect = "l"; next }
	/^Mappings/ { sect = "m"; next }
	sect == "l" && $1 ~ /^[0-9]+:$/ && $4 == fn { sub(/^M=/, "", $3); want[$3] = 1 }
	sect == "m" && $1 ~ /^[0-9]+:$/ { id = $1; sub(/:$/, "", id); if (id in want) print $3 }' | sort -u
}

# pid_flat_share FILE PID FUNC: FUNC's flat share (percent) of the samples
# labelled process_id=PID.
pid_flat_share() {
	pprof_stacks "$1" | awk -F'\t' -v p="process_id=$2" -v fn="$3" '
	{ n = split($2, l, "|"); hit = 0; for (i = 1; i <= n; i++) if (l[i] == p) hit = 1
	  if (!hit) next; all += $1; m = split($3, f, ";"); if (f[m] == fn) flat += $1 }
	END { printf "%.1f\n", all ? 100 * flat / all : 0 }'
}

# ------------------------------------------- assertions shared with tests/vm

# assert_recursion_whole FILE LEAF_MIN CHAIN_MIN: recurse_leaf holds at least
# LEAF_MIN % flat, and at least CHAIN_MIN % of all samples have the whole
# chain main -> recurse x200 -> recurse_leaf.
assert_recursion_whole() {
	local P=$1 leaf_min=$2 chain_min=$3 chain=() i n total depth
	for ((i = 0; i < 200; i++)); do
		chain+=(recurse)
	done
	assert_share "$P" recurse_leaf "$leaf_min" 100
	n=$(chain_samples "$P" main "${chain[@]}" recurse_leaf)
	total=$(total_samples "$P")
	[ $((n * 100)) -ge $((total * chain_min)) ] || {
		depth=$(pprof_stacks "$P" | awk -F'\t' '{ c = 0; m = split($3, f, ";");
			for (i = 1; i <= m; i++) c += (f[i] == "recurse"); print $1 "x" c }' | sort -rn | head -5)
		fail "only $n of $total samples have main -> recurse x200 -> recurse_leaf; recurse frames per stack (samples x depth): $(echo $depth)
$(show_traces "$P" 3)"
	}
	log "ok: $n of $total samples with main -> recurse x200 -> recurse_leaf"
	assert_root "$P" recurse 95
}

# _pids_under FILE LEAF: the process_id labels of the stacks ending in LEAF.
_pids_under() {
	pprof_stacks "$1" | awk -F'\t' -v leaf="$2" '$3 ~ (";" leaf "$") { n = split($2, l, "|");
		for (j = 1; j <= n; j++) if (l[j] ~ /^process_id=/) print substr(l[j], 12) }' | sort -u
}

# assert_fork_exec FILE CHILD_PID PARENT_MIN PARENT_MAX CHILD_MIN CHILD_MAX:
# the forkexec workload's parent (parent_spin) and its exec'd child (hot's
# hot_loop) both appear, with their cumulative shares in range, whole
# chains, distinct process_ids (the child's is CHILD_PID), each stack rooted
# at its own executable. Sets FORK_PARENT_PID.
assert_fork_exec() {
	local P=$1 child=$2 ppids cpids n
	assert_cum_share "$P" parent_spin "$3" "$4"
	assert_cum_share "$P" hot_loop "$5" "$6"
	assert_chain "$P" main parent_spin
	assert_chain "$P" main do_work hot_loop
	ppids=$(_pids_under "$P" parent_spin)
	cpids=$(_pids_under "$P" hot_loop)
	[ "$(echo "$ppids" | wc -l)" -eq 1 ] && [ -n "$ppids" ] || fail "parent_spin under process_ids '$(echo $ppids)', expected one"
	[ "$(echo "$cpids" | wc -l)" -eq 1 ] && [ -n "$cpids" ] || fail "hot_loop under process_ids '$(echo $cpids)', expected one"
	[ "$ppids" != "$cpids" ] || fail "parent_spin and hot_loop both under process_id $ppids"
	[ "$cpids" = "$child" ] || fail "hot_loop's process_id $cpids is not the child's pid $child"
	[ "$(label_samples "$P" process_name hot hot_loop)" -gt 0 ] ||
		fail "hot_loop samples not labelled process_name=hot: $(label_values "$P" process_name | tr '\n' ' ')"
	n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^hot;.*;hot_loop$/ { s += $1 } END { print s + 0 }')
	[ "$n" -gt 0 ] || fail "no hot_loop stack rooted at 'hot' (the exec'd executable): $(show_traces "$P" 4)"
	n=$(pprof_stacks "$P" | awk -F'\t' '$3 ~ /^forkexec;.*;parent_spin$/ { s += $1 } END { print s + 0 }')
	[ "$n" -gt 0 ] || fail "no parent_spin stack rooted at 'forkexec': $(show_traces "$P" 4)"
	FORK_PARENT_PID=$ppids
	log "ok: parent $ppids, exec'd child $cpids"
}

# assert_named_threads FILE PID SHARE_MIN SAMPLES_MIN: the threads workload's
# worker-0..3 each have one thread id of their own (not PID, named worker-N
# in 95 % of its samples or more: not in those taken before it named itself), at least
# SAMPLES_MIN samples each, thread_spin holds SHARE_MIN % flat, and every
# sample is under process_id PID.
assert_named_threads() {
	local P=$1 pid=$2 i tid tids=() pids
	assert_share "$P" thread_spin "$3" 100
	assert_chain "$P" worker thread_spin
	for i in 0 1 2 3; do
		assert_label "$P" thread_name "worker-$i"
		tid=$(pprof_stacks "$P" | awk -F'\t' -v w="worker-$i" '
			{ n = split($2, l, "|"); name = ""; tid = ""; for (j = 1; j <= n; j++) {
				if (l[j] == "thread_name=" w) name = 1; if (l[j] ~ /^thread id=/) tid = substr(l[j], 11) }
			  if (name) print tid }' | sort -u)
		[ "$(echo "$tid" | wc -l)" -eq 1 ] && [ -n "$tid" ] ||
			fail "worker-$i has thread ids '$(echo $tid)', expected exactly one"
		[ "$tid" != "$pid" ] || fail "worker-$i's thread id is the process id $pid"
		# Before it names itself, a thread bears its creator's name, and
		# samples of then are named so: a few at most.
		[ $(($(label_samples "$P" 'thread id' "$tid") * 95)) -le $(($(label_samples "$P" thread_name "worker-$i") * 100)) ] ||
			fail "thread id $tid is worker-$i in only $(label_samples "$P" thread_name "worker-$i") of its $(label_samples "$P" 'thread id' "$tid") samples"
		[ "$(label_samples "$P" thread_name "worker-$i")" -ge "$4" ] ||
			fail "worker-$i has only $(label_samples "$P" thread_name "worker-$i") samples"
		tids+=("$tid")
	done
	[ "$(printf '%s\n' "${tids[@]}" | sort -u | wc -l)" -eq 4 ] || fail "thread ids not distinct: ${tids[*]}"
	pids=$(label_values "$P" process_id | tr '\n' ' ')
	[ "$pids" = "$pid " ] || fail "process_id labels '$pids', expected only the workload's pid $pid"
	log "ok: worker-0..3 = thread ids ${tids[*]}, process_id $pid"
}

# ------------------------------------------------ perf record as the oracle

# have_perf: true when `perf record` works here (the Debian wrapper needs a
# perf for the running kernel's series).
# kernels_with_headers: sets kvers to the kernels whose headers are
# installed (/lib/modules/V/build/include), or skips the test.
kernels_with_headers() {
	local b
	kvers=()
	for b in /lib/modules/*/build; do
		[ -d "$b/include" ] && kvers+=("$(basename "$(dirname "$b")")")
	done
	[ ${#kvers[@]} -gt 0 ] || skip "no kernel headers: apt-get install linux-headers-amd64"
}

have_perf() {
	perf record -q -e cpu-clock -o "$T/perf-probe.data" -- true >/dev/null 2>&1
}

# perf_run ARGS... -- CMD...: `perf record -q -g -e cpu-clock -o $T/perf.data ARGS`;
# fails unless it exits 0.
perf_run() {
	timeout -k 5 60 perf record -q -g -e cpu-clock -o "$T/perf.data" "$@" \
		>"$T/perf.out" 2>"$T/perf.err" ||
		fail "perf record $* failed: $(tail -5 "$T/perf.err")"
}

# perf_stacks [PERFDATA]: one line per sample of perf.data:
#   COMM <TAB> PID <TAB> leaf;...;root (the symbols perf script names)
# (PERF_SCRIPT_FLAGS: more flags for perf script, e.g. --no-inline)
perf_stacks() {
	# shellcheck disable=SC2086
	perf script -i "${1:-$T/perf.data}" ${PERF_SCRIPT_FLAGS:-} -F comm,pid,ip,sym 2>/dev/null | awk '
	function flush() { if (have) print comm "\t" pid "\t" s; have = 0; s = "" }
	/^\t/ { sym = $0; sub(/^\t *[0-9a-f]+ /, "", sym); sub(/ \(.*\)$/, "", sym)
		s = s (s == "" ? "" : ";") sym; next }
	/^[ \t]*$/ { flush(); next }
	{ flush(); have = 1; line = $0; sub(/[ \t]+$/, "", line); pid = line; sub(/.*[ \t]/, "", pid)
	  comm = line; sub(/[ \t]+[0-9]+$/, "", comm); sub(/^[ \t]+/, "", comm) }
	END { flush() }'
}

# perf_share COMM FUNC [PERFDATA]: percent of the samples (idle excluded, as
# hrprof excludes it) taken in a task named COMM ("" for any) with FUNC (""
# for any) anywhere in the stack.
perf_share() {
	perf_stacks "${3:-}" | awk -F'\t' -v c="$1" -v f="$2" '
	$2 == 0 { next }
	{ all++; if (c != "" && $1 != c) next
	  if (f == "") { hit++; next }
	  n = split($3, fr, ";"); for (i = 1; i <= n; i++) if (fr[i] == f) { hit++; next } }
	END { printf "%.1f\n", all ? 100 * hit / all : 0 }'
}

# label_share FILE KEY VALUE [FUNC]: percent of FILE's samples labelled
# KEY=VALUE (and with FUNC anywhere in the stack).
label_share() {
	local n total
	n=$(label_samples "$@")
	total=$(total_samples "$1")
	awk -v n="$n" -v t="${total:-0}" 'BEGIN { printf "%.1f\n", t ? 100 * n / t : 0 }'
}

# assert_near WHAT VALUE REFERENCE POINTS [VALUE_NAME REFERENCE_NAME]:
# |VALUE - REFERENCE| <= POINTS (names: hrprof, perf record).
assert_near() {
	local vn=${5:-hrprof} rn=${6:-perf record}
	awk -v v="$2" -v r="$3" -v d="$4" 'BEGIN { x = v - r; if (x < 0) x = -x; exit !(x <= d) }' ||
		fail "$1: $vn $2%, $rn $3%: more than $4 points apart"
	log "ok: $1: $vn $2%, $rn $3% (within $4 points)"
}
