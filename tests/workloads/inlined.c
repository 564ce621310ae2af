/* SPDX-License-Identifier: GPL-2.0 */
/*
 * inlined SECONDS: the hot loops are always inlined into one function:
 * main -> driver -> spin_a (3 parts) and spin_b (1 part), each -> step.
 * Without inlined frames all of it is driver's; with them, 3/4 is under
 * spin_a and 1/4 under spin_b. The tests find the marked lines by their
 * LINE comments.
 */
#include "common.h"

#define BATCH 20000L

static inline __attribute__((always_inline)) uint64_t step(uint64_t x)
{
	return x * 6364136223846793005ULL + 1442695040888963407ULL; /* LINE step */
}

/* clang-format off */
static inline __attribute__((always_inline)) uint64_t spin_a(uint64_t x, long n)
{
	for (long i = 0; i < n; i++) x = step(x) ^ (x >> 29); /* LINE spin_a */
	return x;
}

static inline __attribute__((always_inline)) uint64_t spin_b(uint64_t x, long n)
{
	for (long i = 0; i < n; i++) x = step(x) ^ (x >> 31); /* LINE spin_b */
	return x;
}
/* clang-format on */

__attribute__((noinline)) void driver(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 1;

	while (wl_now() < end) {
		x = spin_a(x, 3 * BATCH); /* LINE call_a */
		x = spin_b(x, BATCH);	  /* LINE call_b */
	}
	wl_sink = x;
}

int main(int argc, char **argv)
{
	driver(wl_init(argc, argv, 3));
	return 0;
}
