// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor: the machine under hrprof. The kernel and C library, the
 * kernel module (loaded, built by DKMS, its ABI), kernel symbols.
 */
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "doctor_int.h"
#include "sym/sym.h"

extern char **environ;

/* hrprof's event loop takes io_uring's multishot poll (5.13). */
#define DOCTOR_KERNEL_MIN_MAJOR 5
#define DOCTOR_KERNEL_MIN_MINOR 13

/* How long `dkms status` may take (it walks every kernel's tree). */
#define DOCTOR_DKMS_TIMEOUT_S 20

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
void doctor_check_kernel(struct doctor *d, const struct utsname *u, int err)
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

void doctor_check_libc(struct doctor *d)
{
#ifdef __GLIBC__
	doctor_line(d, DOCTOR_LVL_OK, "libc", NULL, "glibc %s (%s)", gnu_get_libc_version(),
		    gnu_get_libc_release());
#else
	doctor_line(d, DOCTOR_LVL_OK, "libc", NULL, "not glibc (musl?): hrprof was built for it");
#endif
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

void doctor_check_module(struct doctor *d, const char *release)
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

void doctor_check_kptr(struct doctor *d)
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
