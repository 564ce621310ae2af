/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exporting profiles off the sampling path: the loop's thread pushes each
 * period's snapshot; the export thread builds its pprof (profile.h) and
 * hands it to every exporter (exporter.h). The loop never waits for any of
 * it.
 */
#ifndef HRPROF_EXPORT_H
#define HRPROF_EXPORT_H

#include <stdint.h>

#include "exporter.h"
#include "options/options.h"
#include "profile/snapshot.h"

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

#endif
