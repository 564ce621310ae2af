// SPDX-License-Identifier: GPL-2.0
/*
 * The module's checks of ioctl arguments and its unwind step, compiled from
 * the same headers the module builds with (include/hrprof_check.h,
 * include/hrprof_unwind.h). The input's first byte picks the argument:
 *   0  struct hrprof_config: accepted ones keep the module's promises (a
 *      ring of a power of two pages holding two deepest records, a
 *      watermark inside it);
 *   1  SET_MAPS entries: accepted ones are sorted and disjoint;
 *   2  a CFI table, then registers: a table hrprof_cfi_rows_ok accepts is
 *      walked over a stack made of the rest of the input, as the module
 *      walks one: every read inside the stack, the walk bounded, the
 *      plain and the block-indexed lookups agreeing.
 */
#include "fuzz.h"
#include "hrprof_check.h"
#include "hrprof_unwind.h"

#define PAGE 4096

struct stack {
	const uint8_t *data;
	size_t size;
	__u64 base; /* the address of data[0] */
};

static bool read_stack(void *ctx, __u64 addr, __u64 *val)
{
	const struct stack *s = ctx;

	if (addr < s->base || addr - s->base > s->size || s->size - (addr - s->base) < 8)
		return false;
	memcpy(val, s->data + (addr - s->base), 8);
	return true;
}

static void fuzz_config(const uint8_t *data, size_t size)
{
	struct hrprof_config c = {0};

	memcpy(&c, data, size < sizeof(c) ? size : sizeof(c));
	if (hrprof_config_check(&c, PAGE))
		return;
	FUZZ_CHECK(c.ring_pages && !(c.ring_pages & (c.ring_pages - 1)) &&
		   c.ring_pages <= HRPROF_MAX_RING_PAGES);
	FUZZ_CHECK(
	    (__u64)c.ring_pages * PAGE >=
	    2 * (sizeof(struct hrprof_record) + 8ULL * (c.max_kernel_frames + c.max_user_frames)));
	FUZZ_CHECK(c.watermark <= (__u64)c.ring_pages * PAGE);
	FUZZ_CHECK(c.max_user_frames <= HRPROF_MAX_USER_FRAMES && c.sample_rate);
	/* checking again changes nothing */
	{
		struct hrprof_config again = c;

		FUZZ_CHECK(!hrprof_config_check(&again, PAGE) && !memcmp(&again, &c, sizeof(c)));
	}
}

static void fuzz_maps(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct hrprof_umap);
	struct hrprof_umap *m;

	if (!n || !(m = malloc(n * sizeof(*m))))
		return;
	memcpy(m, data, n * sizeof(*m));
	if (hrprof_umaps_ok(m, (__u32)n, 0x7ffffffff000ULL))
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(m[i].start < m[i].end && (!i || m[i - 1].end <= m[i].start));
	free(m);
}

static void fuzz_walk(const uint8_t *data, size_t size)
{
	struct hrprof_cfi_row *rows;
	struct hrprof_uregs r;
	struct stack st;
	__u32 nrows, nblocks, shift, *first;

	if (size < 2 + 24)
		return;
	nrows = data[0] % 64 + 1;
	data++, size--;
	if (size < nrows * sizeof(*rows) + 24)
		return;
	rows = malloc(nrows * sizeof(*rows));
	if (!rows)
		return;
	memcpy(rows, data, nrows * sizeof(*rows));
	data += nrows * sizeof(*rows), size -= nrows * sizeof(*rows);
	if (!hrprof_cfi_rows_ok(rows, nrows)) {
		free(rows);
		return;
	}
	shift = hrprof_cfi_index_shift(rows, nrows, &nblocks);
	first = calloc(nblocks + 1, sizeof(*first));
	if (!first) {
		free(rows);
		return;
	}
	hrprof_cfi_index_build(rows, nrows, shift, first, nblocks);
	memcpy(&r, data, sizeof(r));
	st.data = data + sizeof(r);
	st.size = size - sizeof(r);
	st.base = r.sp & ~7ULL;
	for (int depth = 0; depth < 256; depth++) {
		const struct hrprof_cfi_row *row = hrprof_cfi_lookup(rows, nrows, r.ip);
		__u64 sp = r.sp;
		int ret;

		FUZZ_CHECK(row ==
			   hrprof_cfi_lookup_indexed(rows, nrows, first, nblocks, shift, r.ip));
		ret = hrprof_unwind_step(row, &r, read_stack, &st);
		if (ret != HRPROF_UW_OK)
			break;
		FUZZ_CHECK(r.sp > sp); /* the walk climbs: it ends */
	}
	free(first);
	free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_config(data + 1, size - 1);
		break;
	case 1:
		fuzz_maps(data + 1, size - 1);
		break;
	default:
		fuzz_walk(data + 1, size - 1);
	}
	return 0;
}
