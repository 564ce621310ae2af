/* SPDX-License-Identifier: GPL-2.0 */
/* ~90% of the CPU in lib_hot (libhotlib.so), ~10% in shlib_cold (the executable). */
#include "common.h"

uint64_t lib_hot(uint64_t x, long n);

__attribute__((noinline)) uint64_t shlib_cold(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	uint64_t x = 3;

	while (wl_now() < end) {
		x = lib_hot(x, 180000);
		x = shlib_cold(x, 20000);
	}
	wl_sink = x;
	return 0;
}
