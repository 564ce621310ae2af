/* SPDX-License-Identifier: GPL-2.0 */
/*
 * inlined_tpl SECONDS: inlined.c's C++ twin, with templates: main ->
 * driver -> spin<Mixer<29>> (3 parts) and spin<Mixer<31>> (1 part), each ->
 * Mixer<S>::step, all always inlined into driver.
 */
#include <cstdint>

#include "common.h"

#define BATCH 20000L

template <unsigned Shift> struct Mixer {
	__attribute__((always_inline)) static inline uint64_t step(uint64_t x)
	{
		return (x * 6364136223846793005ULL + 1442695040888963407ULL) ^ (x >> Shift);
	}
};

/* clang-format off */
template <typename M> __attribute__((always_inline)) inline uint64_t spin(uint64_t x, long n)
{
	for (long i = 0; i < n; i++) x = M::step(x); /* LINE spin */
	return x;
}
/* clang-format on */

__attribute__((noinline)) void driver(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 1;

	while (wl_now() < end) {
		x = spin<Mixer<29>>(x, 3 * BATCH); /* LINE call_29 */
		x = spin<Mixer<31>>(x, BATCH);	   /* LINE call_31 */
	}
	wl_sink = x;
}

int main(int argc, char **argv)
{
	driver(wl_init(argc, argv, 3));
	return 0;
}
