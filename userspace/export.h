/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exporting profiles off the sampling path.
 *
 * At the end of each period the loop's thread takes a snapshot: the period's
 * stack table, whose stacks hold the process views (names and mappings) of
 * when they were sampled. The snapshot goes
 * to the export thread, which symbolizes each unique address once, builds the
 * pprof and hands it to every exporter (files today, the Agent next). The
 * loop never waits for any of it.
 */
#ifndef HRPROF_EXPORT_H
#define HRPROF_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "proc.h"
#include "stack.h"

struct pprof;

/* A period's stacks, each holding the view of the process that it was sampled in. */
struct snapshot {
	struct stack_table *stacks;
	uint64_t start_ns, end_ns; /* CLOCK_REALTIME */
	uint64_t lost;		   /* samples the source dropped in the period */
	uint64_t seq;		   /* 0, 1, 2... within a run */
	bool kernel_frames;
	const char *backend; /* "perf" or "kmod" (static) */
	char source[64];     /* what sampled, in words */
};

/* Takes the period's stacks (the snapshot owns them from now on). NULL on OOM. */
struct snapshot *snapshot__new(struct stack_table *stacks);
void snapshot__free(struct snapshot *s);

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
struct exporter *file_exporter__new(const char *dir, const char *service, int pid);

/* Uploads each profile to the Agent or intake opts names; pid is the target
 * (its container id goes in a header), -1 for none. */
struct exporter *agent_exporter__new(const struct options *opts, int pid);

struct export_stats {
	uint64_t profiles;
	uint64_t failed;
	uint64_t samples;
	uint64_t empty; /* profiles with no samples */
};

struct export_thread;

/* Starts the export thread; it owns exporters (a list) from now on. */
int export_thread__start(struct export_thread **out, const struct options *opts,
			 struct exporter *exporters);
/* Queues a snapshot; the thread frees it. Never blocks on export work. */
void export_thread__push(struct export_thread *t, struct snapshot *s);
/* Exports what is queued, stops the thread, frees everything. */
void export_thread__finish(struct export_thread *t, struct export_stats *st);

/* Builds the pprof of a snapshot (profile.c). sym is the export thread's. */
struct symbolizer;
struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *sy);
/* Drops cached files past their bound, between profiles. */
void symbolizer__trim(struct symbolizer *sy);
struct pprof *profile__build(const struct snapshot *s, struct symbolizer *sy,
			     const struct options *opts, uint64_t *samples);

#endif
