# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by the VM cases (tests/vm/cases/NN_name.sh); each starts with
#
#   . "$(dirname "$0")/lib.sh" "$@"
#
# and then branches on $MODE:
#   collect OUT  in the guest (root, module loaded): runs things, saves
#                profiles and logs under OUT; no go tool pprof here.
#   check OUT    on the host: judges OUT with tests/integration/lib.sh's
#                assertions (sourced here, so fail/pass/skip/log are its own).
# Exit 0 pass, 1 fail, 77 skip. guest.sh skips this file (named lib).

set -u
MODE=${1:-}
OUT=${2:-}
CASE=$(basename "$0" .sh)
VM_CASES_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_CASES_LIB/../../.." && pwd)
case $MODE in collect | check) ;; *)
	echo "usage: $0 collect|check OUTDIR" >&2
	exit 2
	;;
esac
[ -n "$OUT" ] || {
	echo "usage: $0 $MODE OUTDIR" >&2
	exit 2
}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac

if [ "$MODE" = check ]; then
	# fail, skip, pass, log and the pprof assertions; a temp dir $T.
	# shellcheck source=../../integration/lib.sh
	. "$VM_REPO/tests/integration/lib.sh"

	# vm_rc NAME: fails unless the guest's run NAME (see vm_run) exited 0.
	vm_rc() {
		local rc
		rc=$(cat "$OUT/$1.rc" 2>/dev/null) || fail "no $1.rc: the collect step did not run $1"
		[ "$rc" = 0 ] || fail "$1 exited $rc in the guest; its stderr: $(tail -n 8 "$OUT/$1.err" 2>/dev/null)"
	}

	# vm_profile DIR: $PROFILE = DIR's profile (merged when several); fails when none.
	vm_profile() {
		cp "$OUT/${1##*/}.err" "$T/hrprof.err" 2>/dev/null
		PROFILE=$(profile_of "$1") || exit 1
	}

	# assert_backend_kmod FILE: the profile's comment names the kmod backend.
	assert_backend_kmod() {
		pprof_raw "$1" | grep -q 'backend kmod' ||
			fail "$1 does not say 'backend kmod' in its comments: $(pprof_raw "$1" | grep -i -m3 'comment\|backend')"
		log "ok: backend kmod"
	}

	# assert_hot FILE [MIN_FLAT]: what tests/integration/hot_function.sh asserts.
	assert_hot() {
		local p=$1
		assert_sample_types "$p"
		assert_share "$p" hot_loop "${2:-70}" 100
		assert_chain "$p" main do_work hot_loop
		assert_root "$p" hot 95
		assert_label "$p" process_name hot
		[ "$(label_values "$p" process_id | wc -l)" -eq 1 ] ||
			fail "expected one process_id, got: $(label_values "$p" process_id | tr '\n' ' ')"
		[ "$(label_values "$p" 'thread id')" = "$(label_values "$p" process_id)" ] ||
			fail "single-threaded hot: thread id ($(label_values "$p" 'thread id' | tr '\n' ' ')) != process_id ($(label_values "$p" process_id))"
		label_values "$p" thread_name | grep -qx hot ||
			fail "no thread_name=hot label: $(label_values "$p" thread_name | tr '\n' ' ')"
	}
	return 0
fi

# ---------------------------------------------------------------- collect

mkdir -p "$OUT" || exit 1

log() {
	echo "$CASE: $*" >&2
}

die() {
	echo "FAIL $CASE: $*" >&2
	exit 1
}

skip() {
	echo "SKIP $CASE: $*" >&2
	exit 77
}

[ -x "$HRPROF" ] || die "no hrprof at $HRPROF"
[ -c /dev/hrprof ] || die "no /dev/hrprof: the module is not loaded ($(lsmod 2>/dev/null | grep -c hrprof) in lsmod)"

# vm_run NAME SECS CMD...: runs CMD (killed after SECS); stdout, stderr and
# exit status go to OUT/NAME.out, .err, .rc; returns its exit status.
vm_run() {
	local name=$1 secs=$2 rc=0
	shift 2
	log "+ $*"
	timeout -k 5 "$secs" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || rc=$?
	echo $rc >"$OUT/$name.rc"
	[ $rc -eq 0 ] || log "$name exited $rc: $(tail -n 5 "$OUT/$name.err")"
	return $rc
}

# vm_hrprof NAME SECS ARGS...: `hrprof --backend kmod --output OUT/NAME ARGS...`
# through vm_run; fails the case unless it exits 0 with a profile.
vm_hrprof() {
	local name=$1 secs=$2
	shift 2
	mkdir -p "$OUT/$name"
	vm_run "$name" "$secs" "$HRPROF" --backend kmod --output "$OUT/$name" "$@" ||
		die "hrprof --backend kmod $* exited $(cat "$OUT/$name.rc"): $(tail -n 8 "$OUT/$name.err")"
	ls "$OUT/$name"/*.pb.gz >/dev/null 2>&1 || die "hrprof $* wrote no profile: $(tail -n 8 "$OUT/$name.err")"
}

# module_refcnt: the module's use count (-1 when not loaded).
module_refcnt() {
	cat /sys/module/hrprof/refcnt 2>/dev/null || echo -1
}

# wait_for FILE SECS: true once FILE exists and is not empty.
wait_for() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# reload: loads the module again when a case left it unloaded.
reload() {
	[ -d /sys/module/hrprof ] || insmod "$HRPROF_KO" "$HRPROF_KO_ARGS" || die "insmod $HRPROF_KO failed"
}
