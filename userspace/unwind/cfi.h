/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the CFI compiler (unwind.h's cfi_compile): what cfi.c, which makes
 * and merges the rows, takes from cfi_sections.c, which finds the FDEs in
 * the sections and checks their bytes before libdw reads them.
 */
#ifndef HRPROF_CFI_H
#define HRPROF_CFI_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

/* elf's section named want, or NULL. */
Elf_Scn *section_named(Elf *elf, const char *want);
/* Every CIE's and FDE's instructions in a .eh_frame (eh) or .debug_frame
 * section pass the checks, and the section decodes to its end. */
bool cfi_section_sane(Elf *elf, Elf_Data *data, bool eh);
/* The FDEs' start addresses from PT_GNU_EH_FRAME, in the index's order
 * (sorted). Returns the count, -ENOENT without an index, -EINVAL, -ENOMEM. */
long fde_starts(Elf *elf, uint64_t **out);
/* The FDEs' start addresses in .debug_frame (data), unsorted. Returns the
 * count, -EINVAL when the section is malformed before any FDE, -ENOMEM. */
long debug_frame_starts(Elf *elf, Elf_Data *data, uint64_t **out);

#endif
