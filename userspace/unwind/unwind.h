/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks by CFI tables. An object's table is compiled from its
 * .eh_frame and .debug_frame (cfi.c, with libdw), once, and kept; perf's
 * copies (PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER) are unwound
 * with the tables when the sample is read (unwind.c), frame by frame, else
 * by frame pointers; a backend that walks where it samples (the module) is
 * given them. The step itself is include/hrprof_unwind.h's. The unwinder
 * is owned by the event loop's thread.
 */
#ifndef HRPROF_UNWIND_USER_H
#define HRPROF_UNWIND_USER_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hrprof_unwind.h"
#include "proc/proc.h"

enum unwind_mode {
	UNWIND_AUTO, /* CFI tables where objects have them, frame pointers elsewhere */
	UNWIND_FP,   /* frame pointers only (the kernel walks them) */
	UNWIND_CFI,  /* CFI tables (frame pointers only where no row covers a frame) */
};

/* A sample's user registers and the copy of its stack from sp up (perf's
 * PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER), to unwind. */
struct user_stack {
	uint64_t ip, sp, bp;
	const uint8_t *data;
	uint64_t size; /* bytes of data that are valid */
	bool full;     /* size is all perf was asked for (else the stack, or a page
			* not present, ended the copy) */
};

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

/* ---- CFI tables ----
 *
 * Compiling an object's call frame information into hrprof_unwind.h's
 * table: libdw evaluates the CFI row by row (dwarf_cfi_addrframe); the
 * compiler only classifies each row into the compact form and merges equal
 * neighbours. .eh_frame's FDEs are found through .eh_frame_hdr's sorted
 * index, .debug_frame's by reading it entry by entry (dwarf_next_cfi).
 */

/* How the rows of one object came out. */
struct cfi_counts {
	uint32_t fdes;	     /* FDEs in the index (and .debug_frame) */
	uint32_t debug_fdes; /* of those, from .debug_frame */
	uint32_t rows;	     /* rows in the table (after merging) */
	uint32_t expr;	     /* ranges whose rule rows cannot express (frame pointers there) */
	uint32_t signal;     /* signal trampolines */
	uint32_t plt;	     /* PLT stubs */
};

struct cfi_table {
	struct hrprof_cfi_row *rows;
	uint32_t nrows;
	struct cfi_counts counts;
};

/*
 * Compiles elf's .eh_frame and .debug_frame (else debug's, the separate
 * debug file, when not NULL) into t: rows sorted by pc, .eh_frame's rule
 * where it has one, else .debug_frame's, ranges neither covers marked
 * HRPROF_CFI_NONE, except the first bytes of the entry point (END: see
 * cfi.c). Returns 0, -ENOENT when the object has neither (t
 * empty), -EINVAL when one is malformed (t holds what was compiled),
 * -ENOMEM. Input is untrusted: every size is checked, the rows are bounded.
 */
int cfi_compile(Elf *elf, Elf *debug, struct cfi_table *t);
void cfi_table__free(struct cfi_table *t);
/* Whether elf has a .debug_frame of its own (else its debug file's may do). */
bool cfi_has_debug_frame(Elf *elf);

#define CFI_ROWS_MAX (1u << 24)

#endif
