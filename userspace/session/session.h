/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A profiling session: start the target (wrap) or find it (pid, global),
 * open the sample source, and run the loop until the target exits or a
 * signal arrives; every upload period a profile goes to the export thread.
 */
#ifndef HRPROF_SESSION_H
#define HRPROF_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "export/export.h"

/* What a session profiles and how: its own settings and its components'. */
struct session_config {
	struct backend_config sampling; /* its mode: wrap, pid or global */
	int pid;			/* TARGET_PID */
	char **command;			/* TARGET_WRAP: NULL-terminated argv */
	const char *switch_user;	/* the command runs as this user, or NULL */
	unsigned int maximum_pids;	/* processes tracked in global mode */
	unsigned int upload_period;	/* seconds between profiles */
	bool timeline;			/* keep each sample's time */
	/* The profiler's own priority and CPUs (ddprof's --nice, --cpu_affinity). */
	bool nice_set;
	int nice;
	bool cpu_mask_set;
	uint64_t cpu_mask[16];	  /* CPUs 0..1023 */
	const char *cpu_affinity; /* the mask as given, for messages */
	struct export_config export;
};

/* Profiles cfg's target with ops until it exits or a signal stops it.
 * Returns the process exit code: the command's status in wrap mode. */
int session_run(const struct session_config *cfg, const struct backend_ops *ops);

/* --enable false: runs cfg's command in this process, unprofiled. Returns
 * only on failure, with the exit status a shell gives (126, 127). */
int session_exec(const struct session_config *cfg);

#endif
