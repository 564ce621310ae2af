/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where built profiles go: each exporter is handed every profile on the
 * export thread, in a list. Files (files.c) and the Datadog Agent or intake
 * (agent.c).
 */
#ifndef HRPROF_EXPORTER_H
#define HRPROF_EXPORTER_H

#include <stdint.h>

#include "options/options.h"
#include "profile/snapshot.h"

struct pprof;

/* A built profile, as exporters see it. */
struct export_item {
	struct pprof *pprof;
	const struct snapshot *snap;
	uint64_t samples;
};

struct exporter {
	const char *name;
	/* Returns -errno; an error is logged by the exporter and counted. */
	int (*export)(struct exporter *e, const struct export_item *item);
	void (*free)(struct exporter *e);
	struct exporter *next;
};

/* Writes each profile to dir as <UTC start>_<service>_<pid>.pb.gz. */
/* Into directory dir, or (dir NULL) to names that start with prefix. */
struct exporter *file_exporter__new(const char *dir, const char *prefix, const char *service,
				    int pid);

/* Uploads each profile to the Agent or intake opts names; pid is the target
 * (its container id goes in a header), -1 for none. */
struct exporter *agent_exporter__new(const struct options *opts, int pid);

#endif
