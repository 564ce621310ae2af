/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recurse SECONDS [DEPTH]: main -> recurse x200 (or DEPTH) -> recurse_leaf,
 * which burns the CPU for the whole duration.
 */
#include "common.h"

#define DEPTH 200

static double end_time;

__attribute__((noinline)) uint64_t recurse_leaf(void)
{
	uint64_t x = 1;

	while (wl_now() < end_time)
		WL_SPIN(x, 200000);
	return x;
}

/* Not a tail call: the result is used after the call returns. */
__attribute__((noinline)) uint64_t recurse(int depth)
{
	uint64_t r;

	if (depth <= 1)
		r = recurse_leaf();
	else
		r = recurse(depth - 1);
	wl_sink = r;
	return r + (uint64_t)depth;
}

int main(int argc, char **argv)
{
	end_time = wl_now() + wl_init(argc, argv, 3);
	wl_sink = recurse(argc > 2 ? atoi(argv[2]) : DEPTH);
	return 0;
}
