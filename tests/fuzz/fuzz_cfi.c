// SPDX-License-Identifier: GPL-2.0
/*
 * The CFI table compiler on any ELF file (.eh_frame, .eh_frame_hdr,
 * .debug_frame through libdw): whatever it makes must pass the module's own
 * check of tables (hrprof_cfi_rows_ok), and lookups in it, plain and by the
 * block index, must agree.
 */
#include <gelf.h>

#include "unwind/unwind.h"
#include "fuzz.h"
#include "hrprof_unwind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_table t = {0};
	Elf *elf;

	fuzz_quiet();
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	if (!elf)
		return 0;
	if (cfi_compile(elf, NULL, &t) == 0 && t.nrows) {
		__u32 nblocks, shift, *first;

		FUZZ_CHECK(hrprof_cfi_rows_ok(t.rows, t.nrows));
		shift = hrprof_cfi_index_shift(t.rows, t.nrows, &nblocks);
		first = calloc(nblocks + 1, sizeof(*first));
		if (first) {
			hrprof_cfi_index_build(t.rows, t.nrows, shift, first, nblocks);
			for (size_t i = 0; i < t.nrows && i < 4096; i++) {
				__u64 pc = t.rows[i].pc + (i & 3);

				FUZZ_CHECK(hrprof_cfi_lookup(t.rows, t.nrows, pc) ==
					   hrprof_cfi_lookup_indexed(t.rows, t.nrows, first,
								     nblocks, shift, pc));
			}
			free(first);
		}
	}
	cfi_table__free(&t);
	elf_end(elf);
	return 0;
}
