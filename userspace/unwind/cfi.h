/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiling an object's call frame information into hrprof_unwind.h's
 * table: libdw evaluates the CFI row by row (dwarf_cfi_addrframe), this
 * file only classifies each row into the compact form and merges equal
 * neighbours. .eh_frame's FDEs are found through .eh_frame_hdr's sorted
 * index, .debug_frame's by reading it entry by entry (dwarf_next_cfi).
 */
#ifndef HRPROF_CFI_H
#define HRPROF_CFI_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hrprof_unwind.h"

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
