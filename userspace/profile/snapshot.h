/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A period's frozen view, taken by the loop's thread at the end of each
 * period and handed to the export thread: the period's stack table, whose
 * stacks hold the process views (names and mappings) of when they were
 * sampled, and what the profile says of the period.
 */
#ifndef HRPROF_SNAPSHOT_H
#define HRPROF_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"

struct snapshot {
	struct stack_table *stacks;
	uint64_t start_ns, end_ns; /* CLOCK_REALTIME */
	int64_t mono_to_real;	   /* CLOCK_REALTIME - CLOCK_MONOTONIC at the period's end */
	uint64_t lost;		   /* samples the source dropped in the period */
	uint64_t seq;		   /* 0, 1, 2... within a run */
	bool kernel_frames;
	const char *backend; /* "perf" or "kmod" (static) */
	char source[64];     /* what sampled, in words */
};

/* Takes the period's stacks (the snapshot owns them from now on). NULL on OOM. */
struct snapshot *snapshot__new(struct stack_table *stacks);
void snapshot__free(struct snapshot *s);

#endif
