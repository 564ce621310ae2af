/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hrprof doctor: the troubleshooting guide's checks, run on this machine
 * (doctor.c) and, with -p PID, on one process and the files it runs
 * (doctor_proc.c). Each check prints one line:
 *
 *   <level>  <check>: <finding>[ -- fix: <what to do>]
 *
 * level is ok, warn (profiling works, with less: no kernel frames, no
 * uploads, unnamed frames) or fail (profiling cannot work). The exit status
 * is DOCTOR_OK when no check failed, DOCTOR_FAIL when one did, EXIT_USAGE
 * (options.h) for a bad flag or pid.
 */
#ifndef HRPROF_DOCTOR_H
#define HRPROF_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "options/options.h"

#define DOCTOR_OK   0
#define DOCTOR_FAIL 1

enum doctor_level {
	DOCTOR_LVL_OK,
	DOCTOR_LVL_WARN,
	DOCTOR_LVL_FAIL,
};

struct doctor {
	FILE *out;
	const struct options *opts;
	unsigned int counts[3];		 /* lines printed at each level */
	int kmod_err;			 /* kmod_open's: 0 when the module is loaded, open to us,
					  * and speaks our ABI */
	char kmod_why[256];		 /* ... and its words */
	unsigned long long seccomp_mode; /* Seccomp: in /proc/self/status */
	int seccomp_err;		 /* perf_event_open(NULL) under it: -EFAULT passes */
	bool seccomp_blocks;		 /* a seccomp filter refuses perf_event_open */
	int probe_err;			 /* doctor_perf_probe on this process (or all, -g) */
	bool probe_user_only;		 /* ... which opened without kernel frames */
};

/* `hrprof doctor [-p PID] [options]`: the exit status. */
int doctor_main(int argc, char **argv);

/* Prints one check's line; fix may be NULL. */
void doctor_line(struct doctor *d, enum doctor_level lvl, const char *check, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Opens a disabled cpu-clock event on pid (0: this process; -1 with cpu 0:
 * every process), with kernel frames when allowed. Returns 0 (*user_only
 * when kernel frames were refused) or -errno. */
int doctor_perf_probe(int pid, int cpu, bool *user_only);
/* "EACCES (Permission denied)" for err (-errno), in buf. */
const char *doctor_errno(int err, char *buf, size_t len);
/* The -p checks: the process, and each of its executable mappings. */
void doctor_process(struct doctor *d, int pid);

#endif
