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
#define ROUND_S	 0.020 /* CPU seconds per round, split 5/3/2 */

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

/* One call of stage i (0 hash, 1 sort, 2 compress); inlined, so stacks read
 * main -> run_pipeline -> run_stage (an inlined frame) -> stage. */
static inline __attribute__((always_inline)) uint64_t run_stage(int i)
{
	switch (i) {
	case 0:
		return compute_hashes(records, NRECORDS);
	case 1:
		return sort_records(records, NRECORDS);
	default:
		return compress_block(records, NRECORDS);
	}
}

static const double shares[3] = {0.5, 0.3, 0.2};

/*
 * The stages get fixed shares of CPU time whatever the machine: each stage's
 * cost per call is measured once (for time in the same 5/3/2 proportion),
 * then every round makes the number of calls that fills its share, and the
 * thread CPU time each stage took in the round corrects its number of calls
 * for the next (a stage's cost drifts with its data and with the caches).
 * The clock is read once a stage and round, not once a call, so clock calls
 * do not eat into the fast stages' time.
 */
__attribute__((noinline)) uint64_t run_pipeline(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t acc = 0, seed = 42;
	double reps[3];

	for (int i = 0; i < NRECORDS; i++) {
		seed = wl_mix(seed, 3);
		records[i].key = seed;
		for (size_t j = 0; j < sizeof(records[i].payload); j++)
			records[i].payload[j] = (unsigned char)((seed >> (j % 8)) & 3);
	}
	for (int i = 0; i < 3; i++) {
		double t0 = wl_thread_cpu(), spent;
		long n = 0;

		do {
			for (int k = 0; k < 8; k++, n++)
				acc += run_stage(i);
			spent = wl_thread_cpu() - t0;
		} while (spent < 0.1 * shares[i]);
		reps[i] = ROUND_S * shares[i] / (spent / (double)n);
	}
	while (wl_now() < end) {
		for (int i = 0; i < 3; i++) {
			long n = reps[i] < 1 ? 1 : (long)(reps[i] + 0.5);
			double t0 = wl_thread_cpu(), spent;

			for (long k = 0; k < n; k++)
				acc += run_stage(i);
			spent = wl_thread_cpu() - t0;
			/* Halfway to the calls that would have filled the share. */
			if (spent > 0)
				reps[i] +=
				    0.5 * (ROUND_S * shares[i] * (double)n / spent - reps[i]);
		}
		records[acc % NRECORDS].key ^= acc;
	}
	return acc;
}

int main(int argc, char **argv)
{
	wl_sink = run_pipeline(wl_init(argc, argv, 4));
	return 0;
}
