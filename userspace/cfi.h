/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compiling an object's call frame information into hrprof_unwind.h's
 * table: libdw evaluates the CFI row by row (dwarf_cfi_addrframe), this
 * file only classifies each row into the compact form and merges equal
 * neighbours. FDEs are found through .eh_frame_hdr's sorted index.
 */
#ifndef HRPROF_CFI_H
#define HRPROF_CFI_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

#include "hrprof_unwind.h"

/* How the rows of one object came out. */
struct cfi_counts {
	uint32_t fdes;	 /* FDEs in the index */
	uint32_t rows;	 /* rows in the table (after merging) */
	uint32_t expr;	 /* ranges whose rule rows cannot express (frame pointers there) */
	uint32_t signal; /* signal trampolines */
	uint32_t plt;	 /* PLT stubs */
};

struct cfi_table {
	struct hrprof_cfi_row *rows;
	uint32_t nrows;
	struct cfi_counts counts;
};

/*
 * Compiles elf's .eh_frame into t (rows sorted by pc, ranges no FDE covers
 * marked HRPROF_CFI_NONE). Returns 0, -ENOENT when the object has no
 * usable .eh_frame/.eh_frame_hdr (t empty), -EINVAL when it is malformed
 * (t holds what was compiled before), -ENOMEM. Input is untrusted: every
 * size is checked, the rows are bounded.
 */
int cfi_compile(Elf *elf, struct cfi_table *t);
void cfi_table__free(struct cfi_table *t);

#define CFI_ROWS_MAX (1u << 24)

#endif
