/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_event_open as hrprof uses it: one ring per CPU holding the events of
 * that CPU (for the target's threads, or for every process), read through
 * ring_merge. The perf backend samples with these events; the module's
 * backend opens them for side-band records (mmap, comm, fork, exit) alone.
 */
#ifndef HRPROF_BACKEND_PERF_H
#define HRPROF_BACKEND_PERF_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "perf_record.h"
#include "ring_merge.h"

struct perf_events {
	struct perf_event_attr attr;
	int ncpus;
	struct perf_ring *rings; /* one per CPU; fd -1 where none is open */
	int *fds;		 /* every event, rings' owners among them */
	size_t nfds, fds_cap;
	struct perf_decoder dec;
	struct backend_stats stats; /* what dec counted */
};

/*
 * Opens the events for cfg' target (pid: the wrapped child or -p PID; -1
 * in global mode): cpu-clock or cycles samples with callchains, or with
 * sideband a dummy event that carries the side-band records alone. Records
 * go to ev. Returns -errno after saying why (-ECANCELED: said already).
 */
int perf_events__open(struct perf_events **out, const struct backend_config *cfg, int pid,
		      bool sideband, const struct backend_events *ev);
void perf_events__free(struct perf_events *pe);
/* Its rings, for ring_merge__drain: fills out (ncpus entries at most). */
size_t perf_events__rings(struct perf_events *pe, struct merge_ring **out);
/* The fds to poll for ring readiness: fills out (ncpus entries at most). */
size_t perf_events__poll_fds(struct perf_events *pe, int *out);
/* Stops every event; the rings stay readable. */
void perf_events__disable(struct perf_events *pe);
#endif
