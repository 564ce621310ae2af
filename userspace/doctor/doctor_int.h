/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside hrprof doctor: one run's state, the line every check prints, and
 * the checks by area: the machine (doctor_system.c), what lets hrprof
 * sample (doctor_perf.c), where profiles go (doctor_export.c), a process
 * and its files (doctor_proc.c).
 */
#ifndef HRPROF_DOCTOR_INT_H
#define HRPROF_DOCTOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "doctor.h"

struct utsname;

enum doctor_level {
	DOCTOR_LVL_OK,
	DOCTOR_LVL_WARN,
	DOCTOR_LVL_FAIL,
};

struct doctor {
	FILE *out;
	const struct doctor_config *cfg;
	unsigned int counts[3];		 /* lines printed at each level */
	int kmod_err;			 /* backend_kmod_probe's: 0 when the module is loaded,
					  * open to us, and speaks our ABI */
	char kmod_why[256];		 /* ... and its words */
	unsigned long long seccomp_mode; /* Seccomp: in /proc/self/status */
	int seccomp_err;		 /* perf_event_open(NULL) under it: -EFAULT passes */
	bool seccomp_blocks;		 /* a seccomp filter refuses perf_event_open */
	int probe_err;			 /* doctor_perf_probe on this process (or all, -g) */
	bool probe_user_only;		 /* ... which opened without kernel frames */
};

/* Prints one check's line; fix may be NULL. */
void doctor_line(struct doctor *d, enum doctor_level lvl, const char *check, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "EACCES (Permission denied)" for err (-errno), in buf. */
const char *doctor_errno(int err, char *buf, size_t len);

/* doctor_system.c: the kernel (release is uname's, err its failure), the C
 * library, the module, kernel symbols. */
void doctor_check_kernel(struct doctor *d, const struct utsname *u, int err);
void doctor_check_libc(struct doctor *d);
void doctor_check_module(struct doctor *d, const char *release);
void doctor_check_kptr(struct doctor *d);

/* doctor_perf.c. Opens a disabled cpu-clock event on pid (0: this process;
 * -1 with cpu 0: every process), with kernel frames when allowed. Returns 0
 * (*user_only when kernel frames were refused) or -errno. */
int doctor_perf_probe(int pid, int cpu, bool *user_only);
/* Reads this process's seccomp mode and whether it refuses perf_event_open. */
void doctor_seccomp_probe(struct doctor *d);
void doctor_check_capabilities(struct doctor *d);
void doctor_check_paranoid(struct doctor *d);
void doctor_check_seccomp(struct doctor *d);
void doctor_check_perf_open(struct doctor *d);
void doctor_check_frequency(struct doctor *d);
void doctor_check_memlock(struct doctor *d);
void doctor_check_io_uring(struct doctor *d);

/* doctor_export.c */
void doctor_check_output(struct doctor *d);
void doctor_check_agent(struct doctor *d);

/* doctor_proc.c: the -p checks: the process, and each of its executable
 * mappings. */
void doctor_process(struct doctor *d, int pid);

#endif
