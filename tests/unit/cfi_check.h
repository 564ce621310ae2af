/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the CFI tests (test_cfi on tables compiled from real objects,
 * test_cfi_step on tables laid out by hand): that the module's block index
 * over a table finds the row its plain binary search finds.
 */
#ifndef HRPROF_TEST_CFI_CHECK_H
#define HRPROF_TEST_CFI_CHECK_H

#include <stdint.h>
#include <stdlib.h>

#include "hrprof_unwind.h"

#include "check.h"

/*
 * The module's block index finds, for every pc, the row the plain binary
 * search finds: each row's pc and the bytes around it, pcs below and
 * past the table, and random ones; its size stays within its bound.
 */
static inline void check_index(const struct hrprof_cfi_row *rows, uint32_t nrows, const char *what)
{
	uint32_t nblocks, shift = hrprof_cfi_index_shift(rows, nrows, &nblocks), *first;
	uint64_t span = (uint64_t)rows[nrows - 1].pc - rows[0].pc, bad = 0, tried = 0;
	uint64_t x = 88172645463325252ULL;

	CHECKF(nblocks <= nrows / 4 + 1 && shift >= HRPROF_CFI_BLOCK_SHIFT_MIN &&
		   (span >> shift) + 1 == nblocks,
	       "%s: %u rows over %#llx bytes: shift %u, %u blocks", what, nrows,
	       (unsigned long long)span, shift, nblocks);
	first = calloc(nblocks + 1, sizeof(*first));
	CHECK(first != NULL);
	if (!first)
		return;
	hrprof_cfi_index_build(rows, nrows, shift, first, nblocks);
	CHECK(first[0] == 0 && first[nblocks] == nrows);
	for (uint64_t i = 0; i < 3ULL * nrows + 20000; i++) {
		uint64_t pc;

		if (i < 3ULL * nrows)
			pc = (uint64_t)rows[i / 3].pc + i % 3 - 1; /* pc - 1, pc, pc + 1 */
		else if (i % 4 == 0)
			pc = (uint64_t)rows[0].pc - (i & 0xff) - 1; /* below */
		else if (i % 4 == 1)
			pc = (uint64_t)rows[nrows - 1].pc + (i & 0xffff); /* past */
		else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pc = rows[0].pc + x % (span + 1);
		}
		if (pc > 0xffffffffULL)
			continue;
		tried++;
		if (hrprof_cfi_lookup_indexed(rows, nrows, first, nblocks, shift, pc) !=
			hrprof_cfi_lookup(rows, nrows, pc) &&
		    bad++ < 5)
			CHECKF(0, "%s: pc %#llx: indexed row differs", what,
			       (unsigned long long)pc);
	}
	CHECKF(!bad && tried > 5000, "%s: %llu of %llu lookups differ", what,
	       (unsigned long long)bad, (unsigned long long)tried);
	free(first);
}

#endif
