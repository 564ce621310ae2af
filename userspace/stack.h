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

struct stack_table *stack_table__new(void);
void stack_table__free(struct stack_table *t);

/*
 * Counts one sample. Samples are the same stack when their owner (the same
 * process view, thread and thread name), flags and frames are; a new stack
 * takes a reference on the view. Returns -ENOMEM when it could not be stored.
 */
int stack_table__add(struct stack_table *t, const struct stack_owner *who, uint32_t flags,
		     const uint64_t *kips, uint16_t nr_kernel, const uint64_t *uips,
		     uint16_t nr_user, uint64_t weight);

size_t stack_table__len(const struct stack_table *t);
uint64_t stack_table__samples(const struct stack_table *t);
/* Bytes held, for self-monitoring. */
size_t stack_table__bytes(const struct stack_table *t);

/* The i-th stack stored, i < stack_table__len(), in first-seen order. */
struct stack *stack_table__at(const struct stack_table *t, size_t i);

#endif
