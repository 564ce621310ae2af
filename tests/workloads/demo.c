/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `make demo` workload: a toy record pipeline. Each round hashes a batch
 * of records, sorts them by hash and run-length compresses the result. The
 * stages get fixed shares of the thread's CPU time, whatever the machine:
 *   compute_hashes ~50%, sort_records ~30%, compress_block ~20%.
 * Call chain: main -> run_pipeline -> <stage>. Runs 4 s unless told.
 */
#include <string.h>
#include "common.h"

#define NRECORDS 256
#define ROUND_S	 0.010 /* CPU seconds per round, split 5/3/2 */

struct record {
	uint64_t key;
	uint64_t hash;
	unsigned char payload[48];
};

static struct record records[NRECORDS];
static unsigned char block[NRECORDS * sizeof(struct record) * 2];

/* FNV-1a over every payload, a few passes per call. */
__attribute__((noinline)) uint64_t compute_hashes(struct record *r, int n)
{
	uint64_t all = 0;
	WL_KEEP_FRAME();

	for (int pass = 0; pass < 4; pass++) {
		for (int i = 0; i < n; i++) {
			uint64_t h = 14695981039346656037ULL ^ r[i].key;

			for (size_t j = 0; j < sizeof(r[i].payload); j++)
				h = (h ^ r[i].payload[j]) * 1099511628211ULL;
			r[i].hash = h;
			all ^= h;
		}
	}
	return all;
}

/* Insertion sort by hash, of a scrambled copy so there is work each time. */
__attribute__((noinline)) uint64_t sort_records(struct record *r, int n)
{
	static struct record tmp[NRECORDS];

	memcpy(tmp, r, sizeof(*r) * (size_t)n);
	for (int i = 1; i < n; i++) {
		struct record v = tmp[i];
		int j = i - 1;

		while (j >= 0 && tmp[j].hash > v.hash) {
			tmp[j + 1] = tmp[j];
			j--;
		}
		tmp[j + 1] = v;
	}
	return tmp[0].hash ^ tmp[n - 1].hash;
}

/* Run-length encodes the records' bytes into block. */
__attribute__((noinline)) size_t compress_block(const struct record *r, int n)
{
	const unsigned char *in = (const unsigned char *)r;
	size_t len = sizeof(*r) * (size_t)n, out = 0;
	WL_KEEP_FRAME();

	for (size_t i = 0; i < len;) {
		size_t run = 1;

		while (i + run < len && run < 255 && in[i + run] == in[i])
			run++;
		block[out++] = (unsigned char)run;
		block[out++] = in[i];
		i += run;
	}
	return out;
}

/* Runs a stage until it has used `quota` more CPU seconds. */
#define STAGE(call, quota)                                                                         \
	do {                                                                                       \
		double until = wl_thread_cpu() + (quota);                                          \
		do                                                                                 \
			acc += (uint64_t)(call);                                                   \
		while (wl_thread_cpu() < until);                                                   \
	} while (0)

__attribute__((noinline)) uint64_t run_pipeline(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t acc = 0, seed = 42;

	for (int i = 0; i < NRECORDS; i++) {
		seed = wl_mix(seed, 3);
		records[i].key = seed;
		for (size_t j = 0; j < sizeof(records[i].payload); j++)
			records[i].payload[j] = (unsigned char)((seed >> (j % 8)) & 3);
	}
	while (wl_now() < end) {
		STAGE(compute_hashes(records, NRECORDS), ROUND_S * 0.5);
		STAGE(sort_records(records, NRECORDS), ROUND_S * 0.3);
		STAGE(compress_block(records, NRECORDS), ROUND_S * 0.2);
		records[acc % NRECORDS].key ^= acc;
	}
	return acc;
}

int main(int argc, char **argv)
{
	wl_sink = run_pipeline(wl_init(argc, argv, 4));
	return 0;
}
