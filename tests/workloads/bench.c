/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `make bench` workload: a FIXED amount of CPU work (not a fixed time), so
 * its run time measures the profiler's overhead. argv[1] scales the work
 * (default 1). Stacks are moderately deep: bench_walk recurses 8..39 levels,
 * doing a little work at each level and most at the bottom, in bench_leaf.
 * Prints "bench: elapsed <seconds>" to stderr (and to WL_ELAPSED_FILE), timed
 * from main to the end of the work, so profiler startup and teardown do not
 * count.
 */
#include "common.h"

#define ITERATIONS 400000L

__attribute__((noinline)) uint64_t bench_leaf(uint64_t x)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, 4000);
	return x;
}

__attribute__((noinline)) uint64_t bench_walk(uint64_t x, int depth)
{
	WL_SPIN(x, 40);
	if (depth > 0)
		x = bench_walk(x, depth - 1);
	else
		x = bench_leaf(x);
	wl_sink = x;
	return x + 1;
}

__attribute__((noinline)) uint64_t bench_run(long iterations)
{
	uint64_t x = 11;

	for (long i = 0; i < iterations; i++)
		x = bench_walk(x, 8 + (int)(i % 32));
	return x;
}

int main(int argc, char **argv)
{
	double scale = wl_init(argc, argv, 1);
	double t0 = wl_now();

	wl_sink = bench_run((long)(ITERATIONS * scale));
	fprintf(stderr, "bench: elapsed %.6f\n", wl_now() - t0);
	return 0;
}
