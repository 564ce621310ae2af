// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor (doctor.h): the machine's checks, in the order a reader
 * follows them: the kernel and C library, what lets hrprof sample (the
 * paranoid setting, capabilities, seccomp, the perf_event_open call itself,
 * locked memory, io_uring), the kernel module, kernel symbols, the Agent.
 * Each check asks the system the way the daemon does, with the daemon's
 * own code where there is some (kmod_open, the ring sizing, ksyms, the
 * option resolution), so its verdict is the daemon's.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend_perf.h"
#include "backend/diag.h"
#include "doctor.h"
#include "export/http.h"
#include "backend/kmod.h"
#include "base/loop.h"
#include "sym/sym.h"
#include "base/util.h"

extern char **environ;

/* hrprof's event loop takes io_uring's multishot poll (5.13). */
#define DOCTOR_KERNEL_MIN_MAJOR 5
#define DOCTOR_KERNEL_MIN_MINOR 13

/* How long `dkms status` may take (it walks every kernel's tree). */
#define DOCTOR_DKMS_TIMEOUT_S 20

static const char *const level_names[] = {"ok", "warn", "fail"};

void doctor_line(struct doctor *d, enum doctor_level lvl, const char *check, const char *fix,
		 const char *fmt, ...)
{
	char finding[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(finding, sizeof(finding), fmt, ap);
	va_end(ap);
	d->counts[lvl]++;
	fprintf(d->out, "%-4s  %s: %s%s%s\n", level_names[lvl], check, finding,
		fix ? " -- fix: " : "", fix ? fix : "");
	fflush(d->out);
}

const char *doctor_errno(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(-err);

	snprintf(buf, len, "%s (%s)", name ? name : "?", strerror(-err));
	return buf;
}

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

/* Whether the kernel can load modules at all (this one has no /proc/modules
 * when built without them), and why not, in words. */
static bool modules_possible(char *why, size_t len)
{
	char cmdline[4096] = "";
	FILE *f;

	if (access("/proc/modules", F_OK)) {
		snprintf(why, len, "this kernel cannot load modules (no /proc/modules)");
		return false;
	}
	if (sysctl_read("/proc/sys/kernel/modules_disabled", 0) == 1) {
		snprintf(why, len, "module loading is disabled (kernel.modules_disabled = 1)");
		return false;
	}
	f = fopen("/proc/cmdline", "re");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	if (strstr(cmdline, " nomodule") || !strncmp(cmdline, "nomodule", 8)) {
		snprintf(why, len, "the kernel was booted with nomodule");
		return false;
	}
	return true;
}

/* u as uname(2) filled it, or err (-errno) when it failed. */
static void check_kernel(struct doctor *d, const struct utsname *u, int err)
{
	int major = 0, minor = 0;
	char e[96];
	bool tested;

	if (err) {
		doctor_line(d, DOCTOR_LVL_WARN, "kernel", NULL,
			    "uname: %s: the kernel's version is not known",
			    doctor_errno(err, e, sizeof(e)));
		return;
	}
	sscanf(u->release, "%d.%d", &major, &minor);
	tested = major == 6 && (minor == 1 || minor == 12);
	if (major < DOCTOR_KERNEL_MIN_MAJOR ||
	    (major == DOCTOR_KERNEL_MIN_MAJOR && minor < DOCTOR_KERNEL_MIN_MINOR)) {
		doctor_line(d, DOCTOR_LVL_FAIL, "kernel",
			    "run a kernel of 5.13 or later (Debian 12's 6.1 or 6.12)",
			    "%s %s: older than 5.13, whose io_uring hrprof's event loop needs",
			    u->release, u->machine);
		return;
	}
	doctor_line(d, DOCTOR_LVL_OK, "kernel", NULL,
		    "%s %s: perf_event_open path supported (5.13 or later); the module is "
		    "built and tested for 6.1 and 6.12%s",
		    u->release, u->machine,
		    tested ? ", this kernel's series" : ", not this series");
}

static void check_libc(struct doctor *d)
{
#ifdef __GLIBC__
	doctor_line(d, DOCTOR_LVL_OK, "libc", NULL, "glibc %s (%s)", gnu_get_libc_version(),
		    gnu_get_libc_release());
#else
	doctor_line(d, DOCTOR_LVL_OK, "libc", NULL, "not glibc (musl?): hrprof was built for it");
#endif
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

static void check_capabilities(struct doctor *d)
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

static void check_paranoid(struct doctor *d)
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
static void seccomp_probe(struct doctor *d)
{
	d->seccomp_mode = proc_status_field(0, "Seccomp:", 10, 0);
	d->seccomp_err = 0;
	if (d->seccomp_mode)
		d->seccomp_err = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) < 0 ? -errno : 0;
	d->seccomp_blocks = d->seccomp_mode && d->seccomp_err != -EFAULT;
}

static void check_seccomp(struct doctor *d)
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

static void check_perf_open(struct doctor *d)
{
	bool global = d->opts->mode == TARGET_GLOBAL, user_only;
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

/* Online CPUs, at least one (sysconf can fail). */
static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* The perf rings as the kernel charges them (perf_mmap): each user gets
 * perf_event_mlock_kb per online CPU, then RLIMIT_MEMLOCK, unless
 * CAP_IPC_LOCK or perf_event_paranoid -1. */
static void check_memlock(struct doctor *d)
{
	long ncpus = online_cpus();
	size_t ring_kb = perf_events__ring_bytes(d->opts) / 1024;
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
			    need_kb, ncpus, ring_kb, d->opts->frequency,
			    ipc_lock ? "CAP_IPC_LOCK held" : "perf_event_paranoid is -1", limit);
	} else if (need_kb <= allow_kb) {
		doctor_line(d, DOCTOR_LVL_OK, "locked memory", NULL,
			    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz), within "
			    "perf_event_mlock_kb's %llu KiB for this user ('ulimit -l' %s)",
			    need_kb, ncpus, ring_kb, d->opts->frequency, allow_kb, limit);
	} else if (rl.rlim_cur == RLIM_INFINITY || need_kb - allow_kb <= rl.rlim_cur / 1024) {
		doctor_line(d, DOCTOR_LVL_OK, "locked memory", NULL,
			    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz): "
			    "perf_event_mlock_kb gives %llu KiB, 'ulimit -l' (%s) the rest",
			    need_kb, ncpus, ring_kb, d->opts->frequency, allow_kb, limit);
	} else {
		doctor_line(
		    d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN, "locked memory",
		    "raise 'ulimit -l' (LimitMEMLOCK= in a unit), grant CAP_IPC_LOCK, raise "
		    "kernel.perf_event_mlock_kb, or lower -F",
		    "the perf rings take %llu KiB (%ld CPUs x %zu KiB at %u Hz), more than "
		    "perf_event_mlock_kb's %llu KiB for this user and 'ulimit -l' (%s) "
		    "allow together, without CAP_IPC_LOCK",
		    need_kb, ncpus, ring_kb, d->opts->frequency, allow_kb, limit);
	}
}

static void check_io_uring(struct doctor *d)
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

/* Reads fd to its end into buf (the first len - 1 bytes, NUL-terminated;
 * the rest is dropped) until deadline (CLOCK_MONOTONIC ns). Returns 0 at
 * the end, -ETIMEDOUT, or -errno. */
static int read_until(int fd, char *buf, size_t len, uint64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char drop[512];
	size_t got = 0;
	uint64_t now;
	ssize_t n;
	int ready;

	buf[0] = 0;
	for (;;) {
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -ETIMEDOUT;
		ready = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready <= 0)
			continue;
		if (got < len - 1)
			n = read(fd, buf + got, len - 1 - got);
		else
			n = read(fd, drop, sizeof(drop));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (!n)
			return 0;
		if (n > 0 && got < len - 1) {
			got += (size_t)n;
			buf[got] = 0;
		}
	}
}

/*
 * Runs argv (a program of PATH), its first len - 1 bytes of output into
 * buf, for at most timeout_s seconds. Returns its exit status, -ETIMEDOUT
 * when it did not finish in time (it is killed), or -errno when it could
 * not run.
 */
static int run_capture(char *const argv[], char *buf, size_t len, unsigned int timeout_s)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + timeout_s * 1000000000ULL;
	posix_spawn_file_actions_t fa;
	int fds[2], status, err;
	pid_t pid, w = 0;

	buf[0] = 0;
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return -err;
	}
	err = read_until(fds[0], buf, len, deadline);
	close(fds[0]);
	/* Output closed: the exit, by the same deadline. */
	while (!err && !(w = waitpid(pid, &status, WNOHANG))) {
		if (clock_ns(CLOCK_MONOTONIC) >= deadline)
			err = -ETIMEDOUT;
		else
			usleep(10000);
	}
	if (w < 0)
		return -errno;
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return err;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

static void check_module(struct doctor *d, const char *release)
{
	char no_mod[96], out[2048], build[600];
	char *dkms_argv[] = {"dkms", "status", "-m", "hrprof", "-k", (char *)release, NULL};
	bool possible = modules_possible(no_mod, sizeof(no_mod));
	const char *why = d->kmod_why;
	int err = d->kmod_err, rc;
	struct stat st;

	if (!err) {
		doctor_line(d, DOCTOR_LVL_OK, "module", NULL, "%s; this hrprof speaks ABI %u", why,
			    HRPROF_ABI_VERSION);
	} else if (err == -ENOENT && !possible) {
		doctor_line(d, DOCTOR_LVL_WARN, "module",
			    "for the module's rates, boot a kernel that loads modules",
			    "not loaded (%s is missing): %s; perf_event_open samples instead",
			    HRPROF_DEVICE, no_mod);
	} else if (err == -ENOENT) {
		doctor_line(d, DOCTOR_LVL_WARN, "module",
			    "sudo modprobe hrprof (installed by the hrprof-dkms package or "
			    "'sudo make dkms-install')",
			    "not loaded (%s is missing): perf_event_open samples instead",
			    HRPROF_DEVICE);
	} else {
		doctor_line(d, DOCTOR_LVL_WARN, "module",
			    err == -EPROTO ? "install the module and the daemon of one version"
					   : NULL,
			    "%s; perf_event_open samples instead", why);
	}

	rc = run_capture(dkms_argv, out, sizeof(out), DOCTOR_DKMS_TIMEOUT_S);
	out[strcspn(out, "\n")] = 0;
	if (rc == -ETIMEDOUT)
		doctor_line(d, DOCTOR_LVL_WARN, "dkms", NULL,
			    "dkms status did not answer in %u s: whether hrprof is in DKMS for %s "
			    "is not known",
			    DOCTOR_DKMS_TIMEOUT_S, release);
	else if (rc == -ENOENT)
		doctor_line(d, possible ? DOCTOR_LVL_WARN : DOCTOR_LVL_OK, "dkms",
			    possible ? "apt install dkms, then the hrprof-dkms package" : NULL,
			    "dkms is not installed: the module is not rebuilt for new kernels%s",
			    possible ? "" : " (moot here: no modules load)");
	else if (rc || !out[0])
		doctor_line(
		    d, possible ? DOCTOR_LVL_WARN : DOCTOR_LVL_OK, "dkms",
		    possible ? "apt install hrprof-dkms, or 'sudo make dkms-install'" : NULL,
		    "hrprof is not in DKMS for %s%s%s%s%s", release, out[0] ? " (" : "", out,
		    out[0] ? ")" : "", possible ? "" : " (moot here: no modules load)");
	else if (strstr(out, ": installed"))
		doctor_line(d, DOCTOR_LVL_OK, "dkms", NULL, "%s", out);
	else
		doctor_line(d, possible ? DOCTOR_LVL_WARN : DOCTOR_LVL_OK, "dkms",
			    possible ? "sudo dkms install hrprof/<version> -k $(uname -r)" : NULL,
			    "not installed for %s: %s", release, out);

	snprintf(build, sizeof(build), "/lib/modules/%s/build", release);
	if (!stat(build, &st) && S_ISDIR(st.st_mode))
		doctor_line(d, DOCTOR_LVL_OK, "kernel headers", NULL, "%s present", build);
	else
		doctor_line(d, possible ? DOCTOR_LVL_WARN : DOCTOR_LVL_OK, "kernel headers",
			    possible ? "apt install linux-headers-$(uname -r)" : NULL,
			    "%s is missing: DKMS cannot build the module for this kernel%s", build,
			    possible ? "" : " (moot here: no modules load)");
}

static void check_kptr(struct doctor *d)
{
	long k = sysctl_read("/proc/sys/kernel/kptr_restrict", 0);
	struct ksyms *ks = ksyms__load(NULL);
	bool named = !ksyms__empty(ks);

	ksyms__free(ks);
	if (named)
		doctor_line(d, DOCTOR_LVL_OK, "kptr_restrict", NULL,
			    "%ld: /proc/kallsyms shows addresses, kernel frames are named", k);
	else
		doctor_line(d, DOCTOR_LVL_WARN, "kptr_restrict",
			    k >= 2 ? "echo 1 | sudo tee /proc/sys/kernel/kptr_restrict, and run as "
				     "root"
			    : k == 1 ? "run as root (CAP_SYSLOG), or echo 0 | sudo tee "
				       "/proc/sys/kernel/kptr_restrict"
				     : "run as root, or set perf_event_paranoid to 1 or less "
				       "(kptr_restrict 0 shows addresses to users only then)",
			    "%ld: /proc/kallsyms shows no addresses to this process, kernel frames "
			    "stay unnamed",
			    k);
}

/* The Agent's /info lists the endpoints it serves ("endpoints": [...]). */
static void check_agent(struct doctor *d)
{
	static const char suffix[] = "/profiling/v1/input";
	const struct options *o = d->opts;
	const char *fix =
	    "start the Datadog Agent, or point hrprof at it: -U / DD_TRACE_AGENT_URL, "
	    "or -H -P / DD_AGENT_HOST DD_TRACE_AGENT_PORT (hrprof --show_config "
	    "shows what it resolved)";
	struct http_client *c;
	struct http_result res;
	char url[1024], body[8192], version[64] = "";
	const char *v;
	size_t len;

	if (!o->enabled || !o->upload || !o->upload_url) {
		doctor_line(d, DOCTOR_LVL_OK, "agent", NULL, "uploads are off: nothing to reach");
		return;
	}
	if (o->agentless) {
		doctor_line(d, DOCTOR_LVL_OK, "agent", NULL,
			    "agentless: profiles go to %s (not checked: doctor asks Agents only)",
			    o->endpoint_desc);
		return;
	}
	len = strlen(o->upload_url);
	if (len >= sizeof(suffix) && !strcmp(o->upload_url + len - (sizeof(suffix) - 1), suffix))
		len -= sizeof(suffix) - 1;
	snprintf(url, sizeof(url), "%.*s/info", (int)len, o->upload_url);
	c = http_client__new();
	if (!c) {
		doctor_line(d, DOCTOR_LVL_WARN, "agent", NULL, "not checked: out of memory");
		return;
	}
	if (http_client__get(c, url, o->unix_socket, o->upload_timeout < 5 ? o->upload_timeout : 5,
			     body, sizeof(body), &res)) {
		doctor_line(d, DOCTOR_LVL_WARN, "agent", fix,
			    "%s does not answer (%s): profiles are kept in the spool until it does",
			    o->endpoint_desc, res.error);
	} else if (res.status != 200) {
		doctor_line(d, DOCTOR_LVL_WARN, "agent",
			    "check that the URL is the Datadog Agent's",
			    "%s answers GET /info with HTTP %ld: not a Datadog Agent, or one too "
			    "old to list its endpoints",
			    o->endpoint_desc, res.status);
	} else {
		v = strstr(body, "\"version\"");
		if (v && (v = strchr(v + 9, '"')))
			snprintf(version, sizeof(version), "%.*s", (int)strcspn(v + 1, "\""),
				 v + 1);
		if (strstr(body, "\"/profiling/v1/input\""))
			doctor_line(d, DOCTOR_LVL_OK, "agent", NULL,
				    "%s answers (Agent %s) and lists /profiling/v1/input",
				    o->endpoint_desc, version[0] ? version : "of unknown version");
		else
			doctor_line(d, DOCTOR_LVL_WARN, "agent",
				    "upgrade the Agent, and check that APM is enabled in it "
				    "(apm_config.enabled)",
				    "%s answers (Agent %s) but does not list /profiling/v1/input: "
				    "uploads will be refused",
				    o->endpoint_desc, version[0] ? version : "of unknown version");
	}
	http_client__free(c);
}

static void check_frequency(struct doctor *d)
{
	long max = sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 100000);

	if (d->opts->frequency > max)
		doctor_line(d, DOCTOR_LVL_FAIL, "sample rate",
			    "lower -F, or raise kernel.perf_event_max_sample_rate",
			    "%u Hz is above kernel.perf_event_max_sample_rate (%ld): hrprof "
			    "refuses to start",
			    d->opts->frequency, max);
	else
		doctor_line(d, DOCTOR_LVL_OK, "sample rate", NULL,
			    "%u Hz, within kernel.perf_event_max_sample_rate (%ld)",
			    d->opts->frequency, max);
}

/* Where a file system takes no new directories whatever the permissions. */
static bool pseudo_fs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC);
}

/*
 * --output: the directory, or the nearest of its parents that exists when
 * the daemon would create it, must be writable. Asked with access(2),
 * creating nothing.
 */
static void check_output(struct doctor *d)
{
	const char *dir = d->opts->output_dir, *fix = "choose another --output directory";
	char path[PATH_MAX], e[96];
	struct stat st;
	char *slash;

	if (!dir)
		return;
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': the path is too long", dir);
		return;
	}
	while (stat(path, &st)) {
		if ((errno != ENOENT && errno != ENOTDIR) || !strcmp(path, "/") ||
		    !strcmp(path, ".")) {
			doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s: %s", dir, path,
				    doctor_errno(-errno, e, sizeof(e)));
			return;
		}
		slash = strrchr(path, '/');
		if (!slash)
			snprintf(path, sizeof(path), ".");
		else if (slash == path)
			path[1] = 0;
		else
			*slash = 0;
	}
	if (!S_ISDIR(st.st_mode))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s is not a directory", dir,
			    path);
	else if (pseudo_fs(path))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix,
			    "'%s': %s is in /proc or /sys, where nothing can be created", dir,
			    path);
	else if (access(path, W_OK | X_OK))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s is not writable: %s", dir,
			    path, doctor_errno(-errno, e, sizeof(e)));
	else if (strcmp(path, dir))
		doctor_line(d, DOCTOR_LVL_OK, "output", NULL,
			    "'%s' is missing; the daemon creates it in %s, which is writable", dir,
			    path);
	else
		doctor_line(d, DOCTOR_LVL_OK, "output", NULL, "'%s' is writable", dir);
}

static void doctor_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: hrprof doctor [-p PID] [options]\n\n"
	    "Checks what profiling needs here, one line each: ok, warn (works with less) or\n"
	    "fail (cannot work), with the fix. With -p PID, also that process and each file\n"
	    "it runs: symbols, debug info, unwind tables. The daemon's options (-U, -H, -P,\n"
	    "-F, --config, -g...) and DD_* variables are read as the daemon reads them.\n"
	    "Exit status: 0 profiling can work (warnings aside), 1 a check failed, 2 bad usage.\n");
}

int doctor_main(int argc, char **argv)
{
	struct doctor d = {.out = stdout};
	struct options opts;
	struct utsname u;
	int rc = DOCTOR_OK, uname_err = 0;

	if (options_parse_settings(&opts, argc, argv)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts.show_help) {
		doctor_usage(stdout);
		goto out;
	}
	log_set_level(opts.log_level);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	d.opts = &opts;
	if (uname(&u)) {
		uname_err = -errno;
		snprintf(u.release, sizeof(u.release), "unknown");
		u.machine[0] = 0;
	}
	fprintf(d.out, "hrprof %s doctor\n", HRPROF_VERSION);

	check_kernel(&d, &u, uname_err);
	check_libc(&d);
	check_capabilities(&d);
	/* The module's state first: it decides whether a refused perf is fatal. */
	{
		struct kmod_dev k;

		d.kmod_err = kmod_open(&k, d.kmod_why, sizeof(d.kmod_why));
		if (!d.kmod_err)
			kmod_close(&k);
	}
	seccomp_probe(&d);
	d.probe_err = doctor_perf_probe(opts.mode == TARGET_GLOBAL ? -1 : 0,
					opts.mode == TARGET_GLOBAL ? 0 : -1, &d.probe_user_only);
	check_paranoid(&d);
	check_seccomp(&d);
	check_perf_open(&d);
	check_frequency(&d);
	check_output(&d);
	check_memlock(&d);
	check_io_uring(&d);
	check_module(&d, u.release);
	check_kptr(&d);
	check_agent(&d);
	if (opts.mode == TARGET_PID)
		doctor_process(&d, opts.pid);

	fprintf(d.out, "summary: %u ok, %u warn, %u fail: %s\n", d.counts[DOCTOR_LVL_OK],
		d.counts[DOCTOR_LVL_WARN], d.counts[DOCTOR_LVL_FAIL],
		d.counts[DOCTOR_LVL_FAIL] ? "profiling cannot work as things are"
		: !d.kmod_err		  ? "profiling can work (the kernel module)"
					  : "profiling can work (perf_event_open)");
	rc = d.counts[DOCTOR_LVL_FAIL] ? DOCTOR_FAIL : DOCTOR_OK;
	curl_global_cleanup();
out:
	options_free(&opts);
	return rc;
}
