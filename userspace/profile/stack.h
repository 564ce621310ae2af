/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stack table: raw stacks (process view, thread, kernel frames, user
 * frames) counted as they arrive, with no symbol work. One table per profile period; the loop
 * hands a full table to the export thread and starts a new one.
 */
#ifndef HRPROF_STACK_H
#define HRPROF_STACK_H

#include <stddef.h>
#include <stdint.h>

struct proc_view;

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

#endif
