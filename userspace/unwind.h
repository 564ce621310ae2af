/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks from a copy: perf's PERF_SAMPLE_REGS_USER and
 * PERF_SAMPLE_STACK_USER unwound when the sample is read, frame by frame
 * with the CFI table of the object holding the frame's address (cfi.c,
 * compiled once per object and kept), else by frame pointers. The step
 * itself is include/hrprof_unwind.h's. Owned by the event loop's thread.
 */
#ifndef HRPROF_UNWIND_USER_H
#define HRPROF_UNWIND_USER_H

#include <stdint.h>

#include "backend.h"
#include "options.h"
#include "proc.h"

/* How the stacks ended, and what served each frame. */
struct unwind_stats {
	uint64_t stacks;
	uint64_t complete;   /* reached the outermost frame (_start, a thread's start) */
	uint64_t truncated;  /* ran past the copy, or past --max_frames */
	uint64_t bad_frame;  /* a frame made no sense (corrupt stack, wrong table) */
	uint64_t no_table;   /* ended in an object without CFI, by frame pointers */
	uint64_t frames_cfi; /* steps by a table row */
	uint64_t frames_fp;  /* steps by frame pointers */
	uint64_t tables;     /* objects compiled */
	uint64_t table_rows; /* rows of those */
	uint64_t table_ns;   /* time spent compiling them */
	uint64_t expr_rows;  /* rows that had to fall back to frame pointers */
};

struct unwinder;

struct unwinder *unwinder__new(enum unwind_mode mode);
void unwinder__free(struct unwinder *u);

/*
 * Unwinds us (a thread of p) into ips, innermost first, at most max;
 * returns how many. Sets HRPROF_F_USER_TRUNCATED in *flags when the stack
 * went on past the copy or past max.
 */
unsigned int unwinder__unwind(struct unwinder *u, struct proc *p, const struct user_stack *us,
			      uint64_t *ips, unsigned int max, uint32_t *flags);

void unwinder__stats(const struct unwinder *u, struct unwind_stats *st);

#endif
