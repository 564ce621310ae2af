// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor (doctor.h): the checks, in the order a reader follows them:
 * the kernel and C library, what lets hrprof sample (the paranoid setting,
 * capabilities, seccomp, the perf_event_open call itself, locked memory,
 * io_uring), the kernel module, kernel symbols, the Agent. Each check asks
 * the system the way the daemon does, with the daemon's own code where
 * there is some (the module's probe, the ring sizing, ksyms, the option
 * resolution), so its verdict is the daemon's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "doctor_int.h"

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

void doctor_usage(FILE *out)
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

int doctor_run(const struct doctor_config *cfg, FILE *out)
{
	struct doctor d = {.out = out, .cfg = cfg};
	bool global = cfg->sampling.mode == TARGET_GLOBAL;
	struct utsname u;
	int uname_err = 0;

	if (uname(&u)) {
		uname_err = -errno;
		snprintf(u.release, sizeof(u.release), "unknown");
		u.machine[0] = 0;
	}
	fprintf(d.out, "hrprof %s doctor\n", HRPROF_VERSION);

	doctor_check_kernel(&d, &u, uname_err);
	doctor_check_libc(&d);
	doctor_check_capabilities(&d);
	/* The module's state first: it decides whether a refused perf is fatal. */
	d.kmod_err = backend_kmod_probe(d.kmod_why, sizeof(d.kmod_why));
	doctor_seccomp_probe(&d);
	d.probe_err = doctor_perf_probe(global ? -1 : 0, global ? 0 : -1, &d.probe_user_only);
	doctor_check_paranoid(&d);
	doctor_check_seccomp(&d);
	doctor_check_perf_open(&d);
	doctor_check_frequency(&d);
	doctor_check_output(&d);
	doctor_check_memlock(&d);
	doctor_check_io_uring(&d);
	doctor_check_module(&d, u.release);
	doctor_check_kptr(&d);
	doctor_check_agent(&d);
	if (cfg->sampling.mode == TARGET_PID)
		doctor_process(&d, cfg->pid);

	fprintf(d.out, "summary: %u ok, %u warn, %u fail: %s\n", d.counts[DOCTOR_LVL_OK],
		d.counts[DOCTOR_LVL_WARN], d.counts[DOCTOR_LVL_FAIL],
		d.counts[DOCTOR_LVL_FAIL] ? "profiling cannot work as things are"
		: !d.kmod_err		  ? "profiling can work (the kernel module)"
					  : "profiling can work (perf_event_open)");
	return d.counts[DOCTOR_LVL_FAIL] ? DOCTOR_FAIL : DOCTOR_OK;
}
