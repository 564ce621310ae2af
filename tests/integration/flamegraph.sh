#!/bin/bash
# `hrprof report --flamegraph OUT.html FILE...` in headless Chromium, driven
# through the DevTools protocol (flamegraph_cdp.py), judged against
# go tool pprof -traces of the same files:
#  - threads (4 named worker threads) and hot, profiled apart and merged into
#    one page: it renders with no console error and no network request, its
#    screenshot is not blank; a real click on the hot process's frame makes it
#    span the whole width with its children scaled to it, Reset undoes it;
#    searching hot_loop gives go tool pprof's count of matching frames and
#    share; the thread filter (worker-1) and the process filter (threads)
#    give the totals of those labels;
#  - the default sample type is the text report's, its total the file's;
#  - a Go runtime/pprof file (no labels, inlined frames): rendered, its
#    inlined function a frame of its own with pprof's count;
#  - names hostile to HTML and JSON (</script>, quotes, a control byte,
#    invalid UTF-8) shown as text in frames and breadcrumbs, no element made
#    of them, nothing run;
#  - a missing file, an output in a missing directory, a malformed file and
#    mixed sample types: one error line, exit 1, no output file (an old page
#    left as it was);
#  - an output that is one of the inputs (by name or by a hard link), or an
#    existing file that is not an HTML page: one line, exit 2, left as it was;
#    an old page is overwritten; the page's mode is 0666 less the umask.
. "$(dirname "$0")/lib.sh"
require_workload threads hot
command -v chromium >/dev/null 2>&1 || skip "chromium not installed (make deps)"
PY=/usr/bin/python3
$PY -c 'import websocket' 2>/dev/null || skip "python3-websocket not installed (make deps)"
CDP="$LIB_DIR/flamegraph_cdp.py"

# cdp HTML ARGS...: the page measured; its key=value lines in $T/cdp.out.
cdp() {
	timeout -k 5 120 $PY "$CDP" page "$@" >"$T/cdp.out" 2>"$T/cdp.err" ||
		fail "flamegraph_cdp.py page $*: $(tail -5 "$T/cdp.err")"
	[ "$(val errors)" = 0 ] || fail "the page $1 logged errors:
$(grep '^page error' "$T/cdp.err" | head -10)"
	[ "$(val requests)" = 0 ] || fail "the page $1 made network requests:
$(grep '^page request' "$T/cdp.err" | head -10)"
}

# val KEY: KEY's value in the last cdp run.
val() {
	sed -n "s/^$1=//p" "$T/cdp.out" | head -1
}

# oracle FILE INDEX QUERY [LABEL=VALUE|...]: from go tool pprof -traces, over
# the samples with all those labels: "VALUE FRAMES FUNCTIONS TOTAL": the
# value of the samples with a frame whose name holds QUERY, the distinct
# call paths ending in such a frame (the graph's frames), the distinct
# functions matched, and the value of all of them.
oracle() {
	pprof_stacks "$1" "$2" | awk -F'\t' -v q="$3" -v want="${4:-}" '
	BEGIN { nw = split(want, w, "|") }
	{
		nl = split($2, l, "|")
		for (i = 1; i <= nw; i++) {
			ok = 0
			for (j = 1; j <= nl; j++)
				if (l[j] == w[i]) ok = 1
			if (!ok) next
		}
		s = $3; gsub(/ \(inline\)/, "", s)
		n = split(s, f, ";"); total += $1; hit = 0; p = ""
		for (i = 1; i <= n; i++) {
			p = p SUBSEP f[i]
			if (q != "" && index(f[i], q)) {
				hit = 1; fn[f[i]] = 1
				if (!(p in node)) { node[p] = 1; frames++ }
			}
		}
		if (hit) value += $1
	}
	END { for (k in fn) nf++; printf "%d %d %d %d\n", value, frames, nf, total }'
}

# near A B TOLERANCE: |A - B| <= TOLERANCE.
near() {
	awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { x = a - b; exit !(x <= d && -x <= d) }'
}

# ------------------------------------------------ hrprof's files, merged

WL_PID_FILE=$T/threads.pid wrap "$T/o1" -F 199 -- "$WORKLOADS/threads" 2
P1=$PROFILE
WL_PID_FILE=$T/hot.pid wrap "$T/o2" -F 199 -- "$WORKLOADS/hot" 1
P2=$PROFILE
pprof_merge "$T/merged.pb.gz" "$P1" "$P2"
M=$T/merged.pb.gz
H=$T/both.html
run_hrprof report --flamegraph "$H" --sample_index cpu-samples "$P1" "$P2"
[ $HRPROF_RC -eq 0 ] || fail "report --flamegraph exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
[ -s "$H" ] || fail "report --flamegraph wrote no $H"
! grep -qiE '<(script|link|img|iframe)[^>]* (src|href)=|https?://' "$H" ||
	fail "the page refers to something outside it: $(grep -oiE '<(script|link|img|iframe)[^>]* (src|href)=[^>]*|https?://[^ "]*' "$H" | head -3)"

read -r _ _ _ all < <(oracle "$M" cpu-samples "")
hot=$(pprof_stacks "$M" | awk -F'\t' '{ split($3, f, ";"); if (f[1] == "hot") s += $1 } END { print s + 0 }')
[ "$hot" -gt 0 ] && [ "$hot" -lt "$all" ] || fail "hot has $hot of $all samples in the merged profile"
read -r sv sf sfn _ < <(oracle "$M" cpu-samples hot_loop)
cdp "$H" --shot "$T/both.png" --click hot --search hot_loop --thread "worker-1 ("
[ "$(val type)" = cpu-samples ] || fail "page's sample type '$(val type)', expected cpu-samples"
[ "$(val all)" = "$all" ] && [ "$(val total)" = "$all" ] ||
	fail "page's total $(val total) (all $(val all)), go tool pprof's $all"
[ "$(val frames)" -ge 5 ] || fail "only $(val frames) frames drawn"
[ "$(val shot_colours)" -ge 8 ] && near "$(val shot_ink)" 50 45 ||
	fail "screenshot looks blank: $(val shot_colours) colours, $(val shot_ink)% not background"
log "ok: rendered, $(val frames) frames, screenshot $(val shot_colours) colours, $(val shot_ink)% ink"

W=$(val graph_width)
before=$(awk -v h="$hot" -v a="$all" -v w="$W" 'BEGIN { printf "%.2f", h / a * w }')
near "$(val click_before)" "$before" 1 ||
	fail "frame hot $(val click_before) px wide before the click, expected $before ($hot of $all of $W px)"
near "$(val click_after)" "$W" 0.5 && near "$(val click_left)" 0 0.5 ||
	fail "after clicking hot, it is $(val click_after) px wide at $(val click_left), not the graph's $W"
[ "$(val click_children)" -ge 1 ] && near "$(val click_child_err)" 0 0.5 ||
	fail "hot's $(val click_children) children are up to $(val click_child_err) px off their scaled width"
[ "$(val crumb_last)" = hot ] || fail "breadcrumb ends in '$(val crumb_last)', expected hot"
near "$(val reset_width)" "$(val click_before)" 0.5 ||
	fail "after Reset, hot is $(val reset_width) px wide, was $(val click_before)"
log "ok: click on hot: $(val click_before) -> $(val click_after) px of $W, children within $(val click_child_err) px; Reset: $(val reset_width) px"

[ "$(val match_value)" = "$sv" ] && [ "$(val match_frames)" = "$sf" ] &&
	[ "$(val match_functions)" = "$sfn" ] && [ "$(val match_total)" = "$all" ] ||
	fail "search hot_loop: page $(val match_value) of $(val match_total) in $(val match_frames) frames ($(val match_functions) functions), go tool pprof $sv of $all in $sf ($sfn)"
share=$(awk -v v="$sv" -v a="$all" 'BEGIN { printf "%.2f%%", 100 * v / a }')
val match_text | grep -qF "$sf matching frame" && val match_text | grep -qF "$share" ||
	fail "the visible match line '$(val match_text)' lacks '$sf matching frame' or $share"
[ "$(val highlighted)" -ge 1 ] || fail "no frame highlighted for hot_loop"
log "ok: search hot_loop: $(val match_text)"

tid=$(val thread_option | sed -n 's/^worker-1 (\([0-9]*\)).*/\1/p')
[ -n "$tid" ] || fail "thread option '$(val thread_option)' is not 'worker-1 (TID) ...'"
read -r _ _ _ tt < <(oracle "$M" cpu-samples "" "thread_name=worker-1|thread id=$tid")
[ "$tt" -gt 0 ] && [ "$(val thread_total)" = "$tt" ] && [ "$(val thread_all)" = "$all" ] ||
	fail "thread worker-1 ($tid): page total $(val thread_total) of $(val thread_all), go tool pprof $tt of $all"
[ "$(val thread_match_value)" = 0 ] || fail "hot_loop matches $(val thread_match_value) in worker-1"
log "ok: thread $(val thread_option): $tt of $all"

pid=$(cat "$T/threads.pid" 2>/dev/null)
read -r pv _ _ pt < <(oracle "$M" cpu-samples thread_spin "process_name=threads${pid:+|process_id=$pid}")
cdp "$H" --search thread_spin --process "threads ("
val process_option | grep -q "^threads (${pid:-[0-9]*})" || fail "process option '$(val process_option)', expected threads ($pid)"
[ "$pt" -gt 0 ] && [ "$pt" -lt "$all" ] && [ "$(val process_total)" = "$pt" ] &&
	[ "$(val process_match_value)" = "$pv" ] ||
	fail "process threads: page total $(val process_total) (thread_spin $(val process_match_value)), go tool pprof $pt ($pv) of $all"
log "ok: process $(val process_option): $pt of $all, thread_spin $pv"

# The default sample type: the text report's, with the file's sum.
run_hrprof report "$P1"
shown=$(sed -n 's/^Sample types:.*[ ,]\([^ ,]*\)\/[a-z]* \[shown\].*/\1/p' "$T/hrprof.out")
run_hrprof report --flamegraph "$T/p1.html" "$P1"
[ $HRPROF_RC -eq 0 ] || fail "report --flamegraph exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
cdp "$T/p1.html"
sum=$(pprof_field "$P1" "$shown")
[ -n "$shown" ] && [ "$(val type)" = "$shown" ] && [ "$(val total)" = "$sum" ] ||
	fail "default sample type: page $(val type) total $(val total), text report shows '$shown' (sum $sum)"
log "ok: default sample type $shown, total $sum"

# ------------------------------------------------ a Go runtime/pprof file

mkdir -p "$T/gomod"
cat >"$T/gomod/main.go" <<'EOF'
package main

import (
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

// mix is inlined into spinInlined: its samples' locations have two lines.
func mix(x uint64) uint64 {
	return (x*2654435761 ^ x>>7) + 12345
}

//go:noinline
func spinInlined(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 100000; i++ {
			sink = mix(sink + uint64(i))
		}
	}
}

//go:noinline
func spinPlain(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 100000; i++ {
			sink += uint64(i) * 7
		}
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	spinInlined(600 * time.Millisecond)
	spinPlain(300 * time.Millisecond)
	pprof.StopCPUProfile()
	f.Close()
}
EOF
printf 'module hrproffg\n\ngo 1.19\n' >"$T/gomod/go.mod"
G=$T/go-cpu.pprof
(cd "$T/gomod" && GOPROXY=off CGO_ENABLED=0 timeout 120 go run . "$G") >"$T/go.log" 2>&1 ||
	fail "go run of the Go workload failed: $(tail -5 "$T/go.log")"
read -r gv gf gfn gall < <(oracle "$G" samples main.mix)
[ "$gf" -ge 1 ] || fail "go tool pprof shows no main.mix frame in the Go profile: $(pprof_traces "$G" samples | head -20)"
run_hrprof report --flamegraph "$T/go.html" --sample_index samples "$G"
[ $HRPROF_RC -eq 0 ] || fail "report --flamegraph of a Go profile exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
cdp "$T/go.html" --shot "$T/go.png" --search main.mix --names
[ "$(val total)" = "$gall" ] || fail "Go profile: page total $(val total), go tool pprof $gall"
[ "$(val match_value)" = "$gv" ] && [ "$(val match_frames)" = "$gf" ] ||
	fail "Go profile, search main.mix: page $(val match_value) in $(val match_frames) frames, go tool pprof $gv in $gf"
val names_json | grep -qF '"main.spinInlined"' || fail "Go profile: no main.spinInlined frame: $(val names_json)"
[ "$(val shot_colours)" -ge 8 ] || fail "Go profile: screenshot has $(val shot_colours) colours"
log "ok: Go profile: $gall samples, main.mix (inlined) $gv in $gf frames"
run_hrprof report --flamegraph "$T/go-default.html" "$G"
cdp "$T/go-default.html"
[ "$(val type)" = cpu ] || fail "Go profile's default sample type '$(val type)', expected cpu (the first in nanoseconds)"

# ------------------------------------------------ hostile names

$PY "$CDP" hostile-pprof "$T/hostile.pb" || fail "could not write the hostile profile"
run_hrprof report --flamegraph "$T/hostile.html" "$T/hostile.pb"
[ $HRPROF_RC -eq 0 ] || fail "report --flamegraph of hostile names exited $HRPROF_RC: $(head -3 "$T/hrprof.err")"
! grep -qF 'alert(1)</script>' "$T/hostile.html" || fail "a name's </script> is in the page raw"
[ "$(grep -o '</script>' "$T/hostile.html" | wc -l)" = 2 ] || fail "the page has other than its 2 </script>"
outer='outer</script><script>alert(1)</script>'
cdp "$T/hostile.html" --click "$outer" --names --thread "thr</i> (7)"
want='["all", "main\"q'"'"'\\", "outer</script><script>alert(1)</script>", "inner&amp;<b>x</b>?\ufffd\ufffd\u2028"]'
[ "$(val names_json)" = "$want" ] || fail "hostile names shown as $(val names_json), expected $want"
[ "$(val texts_json)" = "$want" ] || fail "hostile frames' text is $(val texts_json), expected $want"
[ "$(val crumbs_json)" = '["all", "main\"q'"'"'\\", "outer</script><script>alert(1)</script>"]' ] ||
	fail "hostile breadcrumbs are $(val crumbs_json)"
[ "$(val crumb_last)" = "$outer" ] || fail "breadcrumb ends in '$(val crumb_last)', expected $outer"
[ "$(val click_stray)" = none ] && [ "$(val stray)" = none ] ||
	fail "elements made of names under #graph or #crumbs: '$(val click_stray)' '$(val stray)'"
[ "$(val thread_option)" = "<i>thr</i> (7) — 62.50%" ] && [ "$(val thread_total)" = 5 ] ||
	fail "hostile thread label: option '$(val thread_option)', total $(val thread_total)"
log "ok: hostile names shown as text, nothing run"

# ------------------------------------------------ bad input

# bad WHAT OUT ARGS...: one error line, exit 1, OUT not written.
bad() {
	local what=$1 out=$2
	shift 2
	run_hrprof report --flamegraph "$out" "$@"
	[ $HRPROF_RC -eq 1 ] || fail "$what: exit $HRPROF_RC, expected 1; stderr: $(head -3 "$T/hrprof.err")"
	[ "$(wc -l <"$T/hrprof.err")" = 1 ] && grep -q '^hrprof report: ' "$T/hrprof.err" ||
		fail "$what: stderr is not one 'hrprof report:' line: $(head -5 "$T/hrprof.err")"
	log "ok: $what: $(cat "$T/hrprof.err")"
}
mkdir "$T/bad"
bad "missing file" "$T/bad/a.html" "$T/no-such-file.pb.gz"
bad "output in a missing directory" "$T/no-such-dir/a.html" "$P1"
printf 'not a profile' >"$T/garbage.pb.gz"
bad "malformed file" "$T/bad/a.html" "$P1" "$T/garbage.pb.gz"
bad "sample types that differ" "$T/bad/a.html" "$P1" "$G"
[ -z "$(ls -A "$T/bad")" ] || fail "failed runs left files: $(ls -A "$T/bad")"
[ ! -e "$T/no-such-dir" ] || fail "a failed run made $T/no-such-dir"
echo '<!DOCTYPE html>old' >"$T/bad/old.html"
bad "malformed file over an old page" "$T/bad/old.html" "$T/garbage.pb.gz"
[ "$(cat "$T/bad/old.html")" = '<!DOCTYPE html>old' ] && [ "$(ls -A "$T/bad")" = old.html ] ||
	fail "a failed run changed the old page or left files: $(ls -A "$T/bad")"

# refused WHAT OUT ARGS...: one line, exit 2, OUT as it was, nothing left.
refused() {
	local what=$1 out=$2
	shift 2
	cp -p "$out" "$T/refused.orig"
	run_hrprof report --flamegraph "$out" "$@"
	[ $HRPROF_RC -eq 2 ] || fail "$what: exit $HRPROF_RC, expected 2; stderr: $(head -3 "$T/hrprof.err")"
	[ "$(wc -l <"$T/hrprof.err")" = 1 ] && grep -q '^hrprof report: ' "$T/hrprof.err" ||
		fail "$what: stderr is not one 'hrprof report:' line: $(head -5 "$T/hrprof.err")"
	cmp -s "$out" "$T/refused.orig" || fail "$what: $out was changed"
	[ -z "$(find "$(dirname "$out")" -name '.*.tmp.*')" ] || fail "$what: a temporary file was left"
	log "ok: $what: $(cat "$T/hrprof.err")"
}
mkdir "$T/in"
cp "$P1" "$T/in/a.pb.gz"
cp "$P2" "$T/in/b.pb.gz"
refused "a forgotten output name (the first input)" "$T/in/a.pb.gz" "$T/in/b.pb.gz"
refused "output and input the same" "$T/in/a.pb.gz" "$T/in/a.pb.gz"
ln "$T/in/a.pb.gz" "$T/in/link.html"
refused "output a hard link to an input" "$T/in/link.html" "$T/in/b.pb.gz" "$T/in/a.pb.gz"
cp "$H" "$T/in/page.html"
refused "output an HTML page that is an input" "$T/in/page.html" "$T/in/page.html"
echo 'notes, not a page' >"$T/in/notes.html"
refused "an existing output that is not an HTML page" "$T/in/notes.html" "$T/in/b.pb.gz"
: >"$T/in/empty.html"
refused "an existing empty output" "$T/in/empty.html" "$T/in/b.pb.gz"
run_hrprof report --flamegraph "$T/in" "$T/in/b.pb.gz"
[ $HRPROF_RC -eq 2 ] || fail "a directory as the output: exit $HRPROF_RC, expected 2"

# An old page is overwritten, with the mode the umask gives.
old_umask=$(umask)
for u in 077 022; do
	umask $u
	run_hrprof report --flamegraph "$T/in/page.html" "$T/in/b.pb.gz"
	umask "$old_umask"
	[ $HRPROF_RC -eq 0 ] || fail "over an old page (umask $u): exit $HRPROF_RC: $(head -3 "$T/hrprof.err")"
	want=$(printf '%o' $((0666 & ~0$u)))
	[ "$(stat -c %a "$T/in/page.html")" = "$want" ] ||
		fail "umask $u: the page's mode is $(stat -c %a "$T/in/page.html"), expected $want"
done
cmp -s "$T/in/page.html" "$H" && fail "the old page was not overwritten"
log "ok: an old page overwritten, mode 0666 less the umask"
run_hrprof report --flamegraph
[ $HRPROF_RC -eq 2 ] || fail "--flamegraph without a file: exit $HRPROF_RC, expected 2"
run_hrprof report --flamegraph "$T/bad/x.html"
[ $HRPROF_RC -eq 2 ] && [ ! -e "$T/bad/x.html" ] || fail "--flamegraph without a profile: exit $HRPROF_RC, expected 2"
pass "merged $all samples, hot_loop $sv, worker-1 $tt, Go main.mix $gv"
