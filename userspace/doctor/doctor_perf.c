// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor: what lets hrprof sample here. The paranoid setting,
 * capabilities, seccomp, the perf_event_open call itself, the rate limit,
 * locked memory for the rings, io_uring for the loop.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/backend.h"
#include "base/loop.h"
#include "base/util.h"
#include "doctor_int.h"

int doctor_perf_probe(int pid, int cpu, bool *user_only)
{
	struct perf_event_attr attr = {
	    .size = sizeof(attr),
	    .type = PERF_TYPE_SOFTWARE,
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	    .sample_period = 10000000,
	    .disabled = 1,
	    .exclude_hv = 1,
	};
	int fd;

	*user_only = false;
	fd = (int)syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		attr.exclude_kernel = 1;
		fd = (int)syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		*user_only = fd >= 0;
	}
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Appends name to the list in buf (", " between), within len; returns the
 * list's new length, less than len. */
static size_t list_add(char *buf, size_t len, size_t at, const char *name)
{
	int n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", name);

	if (n < 0)
		return at;
	return at + (size_t)n < len ? at + (size_t)n : len - 1;
}

void doctor_check_capabilities(struct doctor *d)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
	    {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}, {CAP_PERFMON, "CAP_PERFMON"},
	    {CAP_IPC_LOCK, "CAP_IPC_LOCK"},   {CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
	    {CAP_SYSLOG, "CAP_SYSLOG"},
	};
	char held[160] = "", missing[160] = "";
	size_t nh = 0, nm = 0;
	uid_t uid = geteuid();

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (diag_cap_held(caps[i].cap))
			nh = list_add(held, sizeof(held), nh, caps[i].name);
		else
			nm = list_add(missing, sizeof(missing), nm, caps[i].name);
	}
	if (diag_perf_privileged())
		doctor_line(d, DOCTOR_LVL_OK, "capabilities", NULL, "%s %u; held: %s%s%s",
			    uid ? "uid" : "root, uid", (unsigned int)uid, held,
			    nm ? "; missing: " : "", missing);
	else
		doctor_line(d, DOCTOR_LVL_WARN, "capabilities",
			    "run hrprof as root, or grant it CAP_PERFMON (Linux 5.8+) and "
			    "CAP_IPC_LOCK: setcap cap_perfmon,cap_ipc_lock+ep hrprof",
			    "uid %u without CAP_PERFMON or CAP_SYS_ADMIN%s%s: perf_event_paranoid "
			    "decides what it may profile; the module, --global and other users' "
			    "processes need them",
			    (unsigned int)uid, nh ? "; held: " : "", held);
}

void doctor_check_paranoid(struct doctor *d)
{
	long p = sysctl_read("/proc/sys/kernel/perf_event_paranoid", -100);
	const char *fix =
	    "echo 1 | sudo tee /proc/sys/kernel/perf_event_paranoid (kernel.perf_event_"
	    "paranoid = 1 in /etc/sysctl.d/ to keep it), or run as root / grant "
	    "CAP_PERFMON";
	char e[96];

	if (p == -100)
		doctor_line(d, DOCTOR_LVL_FAIL, "perf_event_paranoid",
			    "use a kernel built with CONFIG_PERF_EVENTS",
			    "/proc/sys/kernel/perf_event_paranoid is missing: no perf events in "
			    "this kernel");
	else if (diag_perf_privileged())
		doctor_line(d, DOCTOR_LVL_OK, "perf_event_paranoid", NULL,
			    "%ld; CAP_PERFMON/CAP_SYS_ADMIN held: it does not apply", p);
	else if (p <= 0)
		doctor_line(d, DOCTOR_LVL_OK, "perf_event_paranoid", NULL,
			    "%ld: every mode allowed without privileges", p);
	else if (p == 1)
		doctor_line(d, DOCTOR_LVL_OK, "perf_event_paranoid", NULL,
			    "1: kernel and user frames of this user's processes; --global needs "
			    "CAP_PERFMON or 0");
	else if (p == 2)
		doctor_line(d, DOCTOR_LVL_WARN, "perf_event_paranoid", fix,
			    "2: user frames only, of this user's processes (no kernel frames, no "
			    "--global)");
	else if ((d->probe_err == -EACCES || d->probe_err == -EPERM) && !d->seccomp_blocks)
		doctor_line(d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN,
			    "perf_event_paranoid", fix,
			    "%ld: perf_event_open is refused to users without CAP_PERFMON or "
			    "CAP_SYS_ADMIN (Debian's default)",
			    p);
	else if (d->probe_err)
		doctor_line(d, DOCTOR_LVL_WARN, "perf_event_paranoid", NULL,
			    "%ld: perf_event_open fails here for another reason (%s): see the "
			    "seccomp and perf_event_open lines",
			    p, doctor_errno(d->probe_err, e, sizeof(e)));
	else
		doctor_line(
		    d, DOCTOR_LVL_WARN, "perf_event_paranoid", fix,
		    "%ld: this kernel takes it as 2 (Debian's refuse unprivileged use above "
		    "2): user frames only, of this user's processes",
		    p);
}

/* Whether a seccomp filter refuses perf_event_open, into d. A filter that
 * refuses the call answers before the kernel reads the attributes; one that
 * lets it through leaves the kernel to find none (EFAULT). */
void doctor_seccomp_probe(struct doctor *d)
{
	d->seccomp_mode = proc_status_field(0, "Seccomp:", 10, 0);
	d->seccomp_err = 0;
	if (d->seccomp_mode)
		d->seccomp_err = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 ? -errno : 0;
	d->seccomp_blocks = d->seccomp_mode && d->seccomp_err != -EFAULT;
}

void doctor_check_seccomp(struct doctor *d)
{
	unsigned long long mode = d->seccomp_mode;
	char e[96];

	if (!mode) {
		doctor_line(d, DOCTOR_LVL_OK, "seccomp", NULL, "no filter (Seccomp: 0)");
		return;
	}
	if (!d->seccomp_blocks) {
		doctor_line(d, DOCTOR_LVL_OK, "seccomp", NULL,
			    "a filter is on (Seccomp: %llu) and lets perf_event_open through",
			    mode);
		return;
	}
	doctor_line(d, DOCTOR_LVL_FAIL, "seccomp",
		    "allow perf_event_open in the seccomp profile (a container runtime's: "
		    "docker --security-opt seccomp=<profile>, or a systemd unit's "
		    "SystemCallFilter=)",
		    "a filter (Seccomp: %llu) refuses perf_event_open: %s", mode,
		    doctor_errno(d->seccomp_err, e, sizeof(e)));
}

void doctor_check_perf_open(struct doctor *d)
{
	bool global = d->cfg->sampling.mode == TARGET_GLOBAL, user_only;
	long p = sysctl_read("/proc/sys/kernel/perf_event_paranoid", 2);
	const char *check = global ? "perf_event_open (--global)" : "perf_event_open";
	const char *what = global ? "a cpu-clock event on every process (CPU 0)"
				  : "a cpu-clock event on this process";
	char e[96], fix[256];
	int err = d->probe_err;

	user_only = d->probe_user_only;

	snprintf(fix, sizeof(fix),
		 "echo %d | sudo tee /proc/sys/kernel/perf_event_paranoid, or run as root / grant "
		 "CAP_PERFMON",
		 global ? 0 : 1);
	if (!err && !user_only) {
		doctor_line(d, DOCTOR_LVL_OK, check, NULL, "%s opens, kernel frames included",
			    what);
	} else if (!err) {
		doctor_line(d, DOCTOR_LVL_WARN, check, fix,
			    "%s opens for user frames only: kernel frames refused "
			    "(perf_event_paranoid %ld)",
			    what, p);
	} else if (d->seccomp_blocks) {
		doctor_line(d, DOCTOR_LVL_FAIL, check, "see the seccomp line",
			    "%s is refused: %s, by the seccomp filter", what,
			    doctor_errno(err, e, sizeof(e)));
	} else if ((err == -EACCES || err == -EPERM) && !diag_perf_privileged()) {
		doctor_line(d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN, check, fix,
			    "%s is refused: %s: perf_event_paranoid is %ld and this process lacks "
			    "CAP_PERFMON/CAP_SYS_ADMIN%s",
			    what, doctor_errno(err, e, sizeof(e)), p,
			    d->kmod_err ? "" : "; the module samples instead");
	} else {
		doctor_line(d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN, check,
			    "look for an LSM (SELinux, AppArmor) or container runtime policy that "
			    "denies perf events",
			    "%s is refused: %s%s", what, doctor_errno(err, e, sizeof(e)),
			    d->kmod_err ? "" : "; the module samples instead");
	}
}

void doctor_check_frequency(struct doctor *d)
{
	long max = sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 100000);

	if (d->cfg->sampling.frequency > max)
		doctor_line(d, DOCTOR_LVL_FAIL, "sample rate",
			    "lower -F, or raise kernel.perf_event_max_sample_rate",
			    "%u Hz is above kernel.perf_event_max_sample_rate (%ld): hrprof "
			    "refuses to start",
			    d->cfg->sampling.frequency, max);
	else
		doctor_line(d, DOCTOR_LVL_OK, "sample rate", NULL,
			    "%u Hz, within kernel.perf_event_max_sample_rate (%ld)",
			    d->cfg->sampling.frequency, max);
}

/* Online CPUs, at least one (sysconf can fail). */
static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* The perf rings as the kernel charges them (perf_mmap): each user gets
 * perf_event_mlock_kb per online CPU, then RLIMIT_MEMLOCK, unless
 * CAP_IPC_LOCK or perf_event_paranoid -1. */
void doctor_check_memlock(struct doctor *d)
{
	long ncpus = online_cpus();
	size_t ring_kb = backend_perf_ring_bytes(&d->cfg->sampling) / 1024;
	unsigned long long need_kb = (unsigned long long)ring_kb * (unsigned long long)ncpus;
	long mlock_kb = sysctl_read("/proc/sys/kernel/perf_event_mlock_kb", 516);
	unsigned long long allow_kb = (unsigned long long)mlock_kb * (unsigned long long)ncpus;
	bool ipc_lock = diag_cap_held(CAP_IPC_LOCK);
	struct rlimit rl = {0};
	char limit[128], e[96];

	if (getrlimit(RLIMIT_MEMLOCK, &rl)) {
		rl.rlim_cur = 0;
		snprintf(limit, sizeof(limit), "unknown: getrlimit: %s",
			 doctor_errno(-errno, e, sizeof(e)));
	} else if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
	if (ipc_lock || sysctl_read("/proc/sys/kernel/perf_event_paranoid", 2) < 0) {
		doctor_line(d, DOCTOR_LVL_OK, "locked memory", NULL,
			    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz); %s: "
			    "'ulimit -l' (%s) does not apply",
			    need_kb, ncpus, ring_kb, d->cfg->sampling.frequency,
			    ipc_lock ? "CAP_IPC_LOCK held" : "perf_event_paranoid is -1", limit);
	} else if (need_kb <= allow_kb) {
		doctor_line(d, DOCTOR_LVL_OK, "locked memory", NULL,
			    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz), within "
			    "perf_event_mlock_kb's %llu KiB for this user ('ulimit -l' %s)",
			    need_kb, ncpus, ring_kb, d->cfg->sampling.frequency, allow_kb, limit);
	} else if (rl.rlim_cur == RLIM_INFINITY || need_kb - allow_kb <= rl.rlim_cur / 1024) {
		doctor_line(d, DOCTOR_LVL_OK, "locked memory", NULL,
			    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz): "
			    "perf_event_mlock_kb gives %llu KiB, 'ulimit -l' (%s) the rest",
			    need_kb, ncpus, ring_kb, d->cfg->sampling.frequency, allow_kb, limit);
	} else {
		doctor_line(
		    d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN, "locked memory",
		    "raise 'ulimit -l' (LimitMEMLOCK= in a unit), grant CAP_IPC_LOCK, raise "
		    "kernel.perf_event_mlock_kb, or lower -F",
		    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz), more than "
		    "perf_event_mlock_kb's %llu KiB for this user and 'ulimit -l' (%s) "
		    "allow together, without CAP_IPC_LOCK",
		    need_kb, ncpus, ring_kb, d->cfg->sampling.frequency, allow_kb, limit);
	}
}

void doctor_check_io_uring(struct doctor *d)
{
	long disabled = sysctl_read("/proc/sys/kernel/io_uring_disabled", 0);
	struct loop *l = NULL;
	char e[96];
	int err = loop__new(&l, 8);

	if (!err) {
		loop__free(l);
		doctor_line(d, DOCTOR_LVL_OK, "io_uring", NULL, "a ring opens (the event loop's)");
		return;
	}
	doctor_line(d, DOCTOR_LVL_FAIL, "io_uring",
		    "echo 0 | sudo tee /proc/sys/kernel/io_uring_disabled, or allow io_uring_setup "
		    "in the seccomp profile, or raise 'ulimit -l' on kernels before 5.12",
		    "io_uring_queue_init: %s (kernel.io_uring_disabled %ld): hrprof's event loop "
		    "needs it",
		    doctor_errno(err, e, sizeof(e)), disabled);
}
