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

#include "backend/backend.h"
#include "hrprof_unwind.h"
#include "options/options.h"
#include "proc/proc.h"

/* How the stacks ended, and what served each frame. */
struct unwind_stats {
	uint64_t stacks;
	uint64_t complete;	     /* reached the outermost frame (_start, a thread's start) */
	uint64_t truncated;	     /* ran past the copy, or past --max_frames */
	uint64_t bad_frame;	     /* a frame made no sense (corrupt stack, wrong table) */
	uint64_t no_table;	     /* ended in an object without CFI, by frame pointers */
	uint64_t frames_cfi;	     /* steps by a table row */
	uint64_t frames_fp;	     /* steps by frame pointers */
	uint64_t tables;	     /* objects compiled */
	uint64_t table_rows;	     /* rows of those */
	uint64_t table_ns;	     /* time spent compiling them */
	uint64_t expr_rows;	     /* rows that had to fall back to frame pointers */
	uint64_t debug_frame_tables; /* objects with rows from .debug_frame */
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

/*
 * For a backend that unwinds where it samples (the module): the table of
 * m's object (compiled on first use) and the parts of m it covers (its
 * executable segments), at most max; returns how many. ext_id is the
 * backend's own id for the table, kept with the object (0 until set);
 * on_evict is called with it when the object leaves the cache.
 */
struct unwind_object_map {
	const struct hrprof_cfi_row *rows;
	uint32_t nrows;
	uint32_t *ext_id;
	uint64_t start, end; /* the addresses covered */
	uint64_t bias;	     /* the table's pc for an address is address - bias */
};

unsigned int unwinder__object_maps(struct unwinder *u, struct proc *p, const struct mapping *m,
				   struct unwind_object_map *out, unsigned int max);
/* Compiles, ahead of its start, the tables of the program command (found
 * as execvp finds it) and of its interpreter and libraries (found as the
 * dynamic loader would, mostly), so that they are ready when it maps them. */
void unwinder__prepare_program(struct unwinder *u, const char *command);
/* The same for the objects process pid maps now (from /proc/<pid>/maps). */
void unwinder__prepare_pid(struct unwinder *u, uint32_t pid);
/* Calls fn for each object u holds a table of, with its rows (start, end
 * and bias 0) and its path, where it has one. */
void unwinder__each_table(struct unwinder *u,
			  void (*fn)(void *ctx, const struct unwind_object_map *om,
				     const char *path),
			  void *ctx);
void unwinder__on_evict(struct unwinder *u, void (*fn)(void *ctx, uint32_t ext_id), void *ctx);

#endif
