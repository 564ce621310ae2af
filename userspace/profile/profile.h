/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Profiles, from the samples a session counts to the pprof an exporter
 * sends. The stack table counts raw stacks (process view, thread, kernel
 * frames, user frames) as they arrive, with no symbol work; one table per
 * period, handed to the export thread in a snapshot, the period's frozen
 * view. There each unique (mapping, address) is named once through the
 * symbolizer's caches (ELF files by build id, kallsyms, JIT maps), which
 * live as long as the export thread, and the pprof is built.
 */
#ifndef HRPROF_PROFILE_H
#define HRPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_view;

/* ---- the stack table ---- */

/* Who took a sample, as of when it was taken. */
struct stack_owner {
	struct proc_view *view; /* the process then (borrowed); NULL: untracked */
	uint32_t pid, tid;
	char thread_name[16]; /* "" when unknown */
};

struct stack {
	uint64_t count;		/* samples */
	uint64_t weight;	/* sum of periods */
	struct proc_view *view; /* a reference, or NULL */
	uint32_t pid, tid;
	char thread_name[16];
	uint32_t flags; /* HRPROF_F_* */
	uint16_t nr_kernel, nr_user;
	uint64_t ips[]; /* nr_kernel kernel frames then nr_user user frames, leaf first */
};

struct stack_table;

/* One sample of a table that keeps a timeline (stack_table__keep_times). */
struct stack_time {
	uint64_t time_ns; /* CLOCK_MONOTONIC */
	uint64_t weight;
	uint32_t stack; /* its stack's index (stack_table__at) */
};

struct stack_table *stack_table__new(void);
void stack_table__free(struct stack_table *t);

/*
 * From now on the table also keeps each sample's time and weight, in
 * arrival order, up to max samples; past them samples are counted in
 * their stacks only (stack_table__times_dropped says how many).
 */
void stack_table__keep_times(struct stack_table *t, size_t max);

/*
 * Counts one sample, taken at time_ns (CLOCK_MONOTONIC). Samples are the
 * same stack when their owner (the same process view, thread and thread
 * name), flags and frames are; a new stack takes a reference on the view.
 * Returns -ENOMEM when it could not be stored (a time that could not be
 * kept only counts as dropped).
 */
int stack_table__add(struct stack_table *t, const struct stack_owner *who, uint32_t flags,
		     const uint64_t *kips, uint16_t nr_kernel, const uint64_t *uips,
		     uint16_t nr_user, uint64_t weight, uint64_t time_ns);

/* The samples' times kept, in arrival order; *n their count. */
const struct stack_time *stack_table__times(const struct stack_table *t, size_t *n);
uint64_t stack_table__times_dropped(const struct stack_table *t);

size_t stack_table__len(const struct stack_table *t);
uint64_t stack_table__samples(const struct stack_table *t);
/* Bytes held, for self-monitoring. */
size_t stack_table__bytes(const struct stack_table *t);

/* The i-th stack stored, i < stack_table__len(), in first-seen order. */
struct stack *stack_table__at(const struct stack_table *t, size_t i);

/* ---- a period's snapshot ---- */

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

/* ---- building the pprof ---- */

/* What a profile holds, and how it is named: the builder's settings. */
struct profile_config {
	unsigned int frequency;	    /* Hz: cpu-time's period is 1e9 / frequency ns */
	bool count_periods;	    /* a sample is worth one period (cycles: weights count
				     * events); else its weight, in ns (cpu-clock) */
	bool timeline;		    /* each sample's time (end_timestamp_ns) */
	bool show_samples;	    /* log each sample's stack */
	bool inlined_functions;	    /* inlined functions as frames of their own */
	bool disable_symbolization; /* user frames as addresses only */
};

struct pprof;
struct symbolizer;

/* NULL only when out of memory. A profile waits for debuginfod at most
 * debuginfod_wait_ms; it is asked when DEBUGINFOD_URLS is set. */
struct symbolizer *symbolizer__new(unsigned int debuginfod_wait_ms);
void symbolizer__free(struct symbolizer *sy);
/* Drops cached files past their bound, between profiles. */
void symbolizer__trim(struct symbolizer *sy);

/* Builds the pprof of a snapshot, its sample count in *samples. NULL after
 * logging why (out of memory). */
struct pprof *profile__build(const struct snapshot *s, struct symbolizer *sy,
			     const struct profile_config *cfg, uint64_t *samples);

/* ---- a built profile ---- */

void pprof__free(struct pprof *p);
/* Serializes the profile (uncompressed protobuf) into a malloc'd buffer. */
int pprof__encode(struct pprof *p, uint8_t **buf, size_t *len);
/* Writes the profile gzip-compressed to path: to a temporary file in the same
 * directory first, then renamed, so no half-written file is ever left. */
int pprof__write_file(struct pprof *p, const char *path);

#endif
