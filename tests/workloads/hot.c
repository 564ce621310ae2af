/* SPDX-License-Identifier: GPL-2.0 */
/* ~90% of the CPU in hot_loop (main -> do_work -> hot_loop), ~10% in cold_loop. */
#include "common.h"

#define BATCH 20000L

__attribute__((noinline)) uint64_t hot_loop(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

__attribute__((noinline)) uint64_t cold_loop(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

__attribute__((noinline)) void do_work(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 1;

	while (wl_now() < end) {
		x = hot_loop(x, 9 * BATCH);
		x = cold_loop(x, BATCH);
	}
	wl_sink = x;
}

int main(int argc, char **argv)
{
	do_work(wl_init(argc, argv, 3));
	return 0;
}
