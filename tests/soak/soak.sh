#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The soak (make soak): an hour of hrprof --global at 1 kHz on a machine with
# process, thread and library churn, uploading every 10 s to a fake Agent that
# fails in every way the issue (#13) lists, and judged for exactly-once
# delivery at the end.
#
# usage: tests/soak/soak.sh HRPROF WORKLOADS OUTDIR
#
# What happens, over SOAK_SECS (default 3600) seconds:
#   - workloads: churn (short threads, a child exec'ing /bin/true every tenth
#     round), dlchurn (dlopen/dlclose of a library, re-exec of itself), both
#     restarted as they end, and a steady hot loop;
#   - the fake Agent (tests/agent/fake_agent.py) closes its port for 30 s
#     every SOAK_OUTAGE_EVERY seconds (default 240; a quarter of the soak when
#     shorter), answers every 9th request 500, and reads one request's body a
#     trickle at a time for 25 s (past hrprof's 10 s upload timeout);
#   - the spool is a 8 MiB tmpfs, filled to the last byte once for 60 s at 45 %
#     of the soak (profiles then wait in memory, or are dropped and counted);
#   - hrprof is SIGKILLed at 30 % and 60 % of the soak and started again
#     (3 s later, with the same spool); at the end it is stopped with SIGINT
#     while the Agent is up, and a last short run delivers what still waits in
#     the spool;
#   - SOAK_HRPROF_ARGS: more options for hrprof (--worker_period N...);
#   - every minute: each run's RSS, open fds and the spool's entries, printed
#     and kept in OUTDIR/stats.tsv.
# tests/soak/account.py then checks that every profile of every run was
# delivered exactly once or logged as dropped, with no gap or overlap in their
# time ranges, that RSS and fds are flat after warm-up, and that no sanitizer
# report was written (run it with the ASan build: make soak SAN=1).
# Exit status: 0 all held, 1 a check failed, 2 it could not run.
set -u
HRPROF=$(realpath "${1:?usage: soak.sh HRPROF WORKLOADS OUTDIR}")
WORKLOADS=$(realpath "${2:?}")
OUT=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
dur=${SOAK_SECS:-3600}
every=${SOAK_OUTAGE_EVERY:-240}
[ $((dur / 4)) -lt "$every" ] && every=$((dur / 4))
outage=30
upload=10

die() {
	echo "soak: $*" >&2
	exit 2
}
say() {
	printf 'soak %6ds  %s\n' $(($(date +%s) - t0)) "$*" | tee -a "$OUT/soak.log"
}

[ "$(id -u)" = 0 ] || die "run as root: --global and the spool's tmpfs need it"
[ -x "$HRPROF" ] || die "no $HRPROF"
for w in churn hot nofp/dlchurn; do
	[ -x "$WORKLOADS/$w" ] || die "no $WORKLOADS/$w: make workloads"
done
[ "$dur" -ge 120 ] || die "SOAK_SECS must be at least 120"
rm -rf "$OUT" && mkdir -p "$OUT/spool" "$OUT/agent" || die "cannot create $OUT"
OUT=$(realpath "$OUT")
mount -t tmpfs -o size=8m,mode=0700 hrprof-soak "$OUT/spool" || die "cannot mount a tmpfs on $OUT/spool"

pids=()
hr_pid=
cleanup() {
	[ -n "$hr_pid" ] && kill -9 "$hr_pid" 2>/dev/null
	for p in "${pids[@]}"; do
		kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	umount "$OUT/spool" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

t0=$(date +%s)
: >"$OUT/soak.log"
say "soak of $dur s: hrprof $HRPROF, outages of $outage s every $every s, output $OUT"

# ---------------------------------------------------------------- the Agent
slow_at=$((dur / upload / 3))
setsid python3 "$here/../agent/fake_agent.py" --out "$OUT/agent" --fail-every 9 \
	--outage-every "$every" --outage-for "$outage" --slow-body-at "$slow_at" --slow-body-secs 25 \
	>"$OUT/agent/stdout" 2>"$OUT/agent/stderr" &
pids+=($!)
for _ in $(seq 100); do
	[ -s "$OUT/agent/port" ] && break
	sleep 0.1
done
port=$(cat "$OUT/agent/port" 2>/dev/null) || die "the fake Agent did not start: $(tail -3 "$OUT/agent/stderr")"
a0=$(date +%s.%N)

# agent_up_for S: true when the Agent listens now and for S more seconds
# (its outages are at fixed times from a0: serve $every s, down $outage s).
agent_up_for() {
	awk -v a0="$a0" -v now="$(date +%s.%N)" -v e="$every" -v o="$outage" -v s="$1" 'BEGIN {
		t = now - a0; p = e + o; r = t - int(t / p) * p
		exit !(r + s < e)
	}'
}

# ---------------------------------------------------------------- workloads
loop() { # PROGRAM ARGS...: runs it again and again until the end
	while [ "$(date +%s)" -lt $((t0 + dur)) ]; do
		"$@" >/dev/null 2>&1
	done
}
for w in "churn 20" "nofp/dlchurn 20" "hot 30"; do
	setsid bash -c "$(declare -f loop); t0=$t0 dur=$dur; loop $WORKLOADS/$w" &
	pids+=($!)
done

# ---------------------------------------------------------------- hrprof
run=0
new_run() { # the next run's number and runtime-id, recorded in OUT/runs
	run=$((run + 1))
	rid=$(cat /proc/sys/kernel/random/uuid)
	echo "$run $rid" >>"$OUT/runs"
}
start_hrprof() {
	new_run
	"$HRPROF" -g -F 1000 -u "$upload" -U "http://127.0.0.1:$port" --spool_dir "$OUT/spool" \
		--runtime_id "$rid" -l info -o "$OUT/run$run.log" ${SOAK_HRPROF_ARGS:-} 2>"$OUT/run$run.err" &
	hr_pid=$!
	say "run $run: hrprof pid $hr_pid, runtime-id $rid"
}

printf 'second\trun\tpid\trss_kib\tfds\tspool_entries\tagent_requests\n' >"$OUT/stats.tsv"
stats() {
	local rss fds sp req
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$hr_pid/status" 2>/dev/null)
	fds=$(find "/proc/$hr_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	sp=$(find "$OUT/spool" -name '*.hrspool' -type f | wc -l)
	req=$(wc -l <"$OUT/agent/requests.jsonl")
	printf '%d\t%d\t%d\t%s\t%d\t%d\t%d\n' $(($(date +%s) - t0)) "$run" "$hr_pid" "${rss:-0}" "$fds" "$sp" "$req" \
		>>"$OUT/stats.tsv"
	say "run $run: rss $((${rss:-0} / 1024)) MiB, $fds fds, $sp in the spool, $req requests at the Agent"
}

kill_at=($((dur * 30 / 100)) $((dur * 60 / 100)))
fill_at=$((dur * 45 / 100))
fill_until=0
next_stat=60
start_hrprof
while :; do
	now=$(($(date +%s) - t0))
	[ "$now" -ge "$dur" ] && break
	if ! kill -0 "$hr_pid" 2>/dev/null; then
		wait "$hr_pid"
		say "run $run: hrprof died by itself (exit $?): $(tail -n 3 "$OUT/run$run.log" | tr '\n' ' ')"
		echo "died $run" >>"$OUT/events"
		start_hrprof
	fi
	if [ ${#kill_at[@]} -gt 0 ] && [ "$now" -ge "${kill_at[0]}" ]; then
		kill -9 "$hr_pid"
		wait "$hr_pid" 2>/dev/null
		echo "sigkill $run $now" >>"$OUT/events"
		say "run $run: SIGKILL; $(find "$OUT/spool" -name '*.hrspool' -type f | wc -l) profiles in the spool"
		kill_at=("${kill_at[@]:1}")
		sleep 3
		start_hrprof
	fi
	if [ "$fill_at" -gt 0 ] && [ "$now" -ge "$fill_at" ]; then
		# Fill the tmpfs to the last byte (ENOSPC ends dd).
		dd if=/dev/zero of="$OUT/spool/filler" bs=4k 2>/dev/null
		say "spool full: $(df -k "$OUT/spool" | awk 'NR == 2 { print $4 }') KiB free"
		echo "spool_full $run $now" >>"$OUT/events"
		fill_at=0
		fill_until=$((now + 60))
	fi
	if [ "$fill_until" -gt 0 ] && [ "$now" -ge "$fill_until" ]; then
		rm -f "$OUT/spool/filler"
		say "spool has room again"
		fill_until=0
	fi
	if [ "$now" -ge "$next_stat" ]; then
		stats
		next_stat=$((next_stat + 60))
	fi
	sleep 1
done

# The end: stop hrprof while the Agent is up for its upload timeout and more.
for _ in $(seq $((outage + 60))); do
	agent_up_for $((upload + 15)) && break
	sleep 1
done
stats
kill -INT "$hr_pid"
wait "$hr_pid"
rc=$?
say "run $run: stopped with SIGINT, exit $rc: $(grep -h 'profiles:' "$OUT/run$run.log" | tail -n 1)"
echo "stopped $run $rc" >>"$OUT/events"
hr_pid=

# What still waits in the spool (retries whose backoff outlasted the stop)
# goes with a last short run.
left=$(find "$OUT/spool" -name '*.hrspool' -type f | wc -l)
if [ "$left" -gt 0 ]; then
	for _ in $(seq $((outage + 60))); do
		agent_up_for 30 && break
		sleep 1
	done
	new_run
	"$HRPROF" -U "http://127.0.0.1:$port" --spool_dir "$OUT/spool" --runtime_id "$rid" -l info \
		-o "$OUT/run$run.log" -- "$WORKLOADS/hot" 1 2>"$OUT/run$run.err" >/dev/null
	rc=$?
	say "run $run (delivers the $left left in the spool): exit $rc: $(grep -h 'profiles:' "$OUT/run$run.log" | tail -n 1)"
	echo "drain $run $rc" >>"$OUT/events"
fi
sleep 2

python3 "$here/account.py" "$OUT" | tee "$OUT/summary.txt"
exit "${PIPESTATUS[0]}"
