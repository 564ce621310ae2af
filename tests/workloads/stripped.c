/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Built, then stripped of every symbol (strip --strip-all); its symbols and
 * debug info live in stripped.debug next to it, named by .gnu_debuglink.
 * ~90% of the CPU in stripped_hot (main -> stripped_work -> stripped_hot).
 */
#include "common.h"

__attribute__((noinline)) uint64_t stripped_hot(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

__attribute__((noinline)) uint64_t stripped_cold(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

__attribute__((noinline)) void stripped_work(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 5;

	while (wl_now() < end) {
		x = stripped_hot(x, 180000);
		x = stripped_cold(x, 20000);
	}
	wl_sink = x;
}

int main(int argc, char **argv)
{
	stripped_work(wl_init(argc, argv, 3));
	return 0;
}
