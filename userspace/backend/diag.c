// SPDX-License-Identifier: GPL-2.0
/*
 * Why sampling could not start or took nothing, in words that name the
 * setting at fault and its fix.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "diag.h"
#include "base/log.h"
#include "base/util.h"

bool diag_cap_held(int cap)
{
	return proc_status_field(0, "CapEff:", 16, 0) & (1ULL << cap);
}

bool diag_perf_privileged(void)
{
	return diag_cap_held(CAP_PERFMON) || diag_cap_held(CAP_SYS_ADMIN);
}

void diag_perf_refused(int err, const struct backend_config *cfg)
{
	long paranoid = sysctl_read("/proc/sys/kernel/perf_event_paranoid", 2);
	unsigned long long seccomp = proc_status_field(0, "Seccomp:", 10, 0);
	bool perfmon = diag_perf_privileged();

	switch (-err) {
	case EACCES:
	case EPERM:
		if (seccomp)
			log_error("perf_event_open refused (%s): a seccomp filter blocks it "
				  "(Seccomp: %llu; in a container, allow perf_event_open in the "
				  "runtime's seccomp profile)",
				  strerror(-err), seccomp);
		else if (!perfmon)
			log_error("perf_event_open refused (%s): perf_event_paranoid is %ld and "
				  "hrprof lacks CAP_PERFMON/CAP_SYS_ADMIN; run it as root, grant "
				  "CAP_PERFMON, or: echo 1 | sudo tee "
				  "/proc/sys/kernel/perf_event_paranoid",
				  strerror(-err), paranoid);
		else
			log_error("perf_event_open refused (%s) although hrprof has CAP_PERFMON "
				  "(perf_event_paranoid %ld): a container runtime or LSM forbids "
				  "it",
				  strerror(-err), paranoid);
		break;
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		log_error("perf_event_open: event '%s' is not supported here (%s)%s",
			  event_name(cfg->event), strerror(-err),
			  cfg->event == EVENT_CYCLES ? "; no hardware PMU (a VM?): use -e cpu-clock"
						     : "");
		break;
	case EMFILE:
	case ENFILE:
		log_error("perf_event_open: out of file descriptors (%s); raise 'ulimit -n'",
			  strerror(-err));
		break;
	case EINVAL:
		log_error("perf_event_open: invalid settings (%s): frequency %u Hz may exceed "
			  "kernel.perf_event_max_sample_rate (%ld)",
			  strerror(-err), cfg->frequency,
			  sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 0));
		break;
	case ESRCH:
		log_error("perf_event_open: the target process is gone");
		break;
	default:
		log_error("perf_event_open failed: %s", strerror(-err));
		break;
	}
}

void diag_mmap_refused(int err, size_t bytes)
{
	struct rlimit rl = {0};

	getrlimit(RLIMIT_MEMLOCK, &rl);
	log_error("cannot map a %zu KiB perf ring (%s): locked memory is limited: "
		  "'ulimit -l' is %llu KiB, kernel.perf_event_mlock_kb is %ld, CAP_IPC_LOCK %s; "
		  "raise 'ulimit -l', grant CAP_IPC_LOCK, or lower -F",
		  bytes / 1024, strerror(-err),
		  rl.rlim_cur == RLIM_INFINITY ? 0ULL : (unsigned long long)rl.rlim_cur / 1024,
		  sysctl_read("/proc/sys/kernel/perf_event_mlock_kb", 0),
		  diag_cap_held(CAP_IPC_LOCK) ? "held" : "missing");
}

void diag_no_samples(const struct backend_config *cfg, int64_t cpu_ns, bool ran)
{
	double period_ms = 1000.0 / cfg->frequency, cpu_ms = (double)cpu_ns / 1e6;

	if (!ran) {
		log_warn("no profile: the command did not run");
	} else if (cpu_ns < 0) {
		log_warn(
		    "no profile: no sample was taken; the %s used less than one sampling period "
		    "(%.1f ms at %u Hz) of CPU in any one thread; raise -F to see it",
		    cfg->mode == TARGET_GLOBAL ? "host" : "process", period_ms, cfg->frequency);
	} else if (cpu_ms < period_ms) {
		log_warn("no profile: the command used %.1f ms of CPU, less than one sampling "
			 "period (%.1f ms at %u Hz); raise -F to see it",
			 cpu_ms, period_ms, cfg->frequency);
	} else {
		log_warn(
		    "no profile: the command used %.1f ms of CPU but no sample was taken: each "
		    "thread and child process counts its own %.1f ms period (%u Hz), so "
		    "short-lived ones are rarely sampled; raise -F, or profile the whole host "
		    "with -g",
		    cpu_ms, period_ms, cfg->frequency);
	}
}
