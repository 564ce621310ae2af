/* SPDX-License-Identifier: GPL-2.0 */
/*
 * throw SECONDS: an exception thrown through three frames (thrower_3 ->
 * thrower_2 -> thrower_1) and caught in catch_round, over and over, with
 * some work in each frame: the samples fall in this code and in the C++
 * runtime's own unwinder (libgcc_s, libstdc++), all of it without frame
 * pointers.
 */
#include <cstdint>
#include <stdexcept>

#include "common.h"

__attribute__((noinline)) uint64_t work(uint64_t x)
{
	WL_SPIN(x, 300);
	return x;
}

__attribute__((noinline)) uint64_t thrower_1(uint64_t x)
{
	x = work(x);
	if ((x >> 40) & 1)
		throw std::runtime_error("odd");
	return x;
}

__attribute__((noinline)) uint64_t thrower_2(uint64_t x)
{
	return thrower_1(work(x)) + 1;
}

__attribute__((noinline)) uint64_t thrower_3(uint64_t x)
{
	return thrower_2(work(x)) + 1;
}

__attribute__((noinline)) uint64_t catch_round(uint64_t x)
{
	try {
		return thrower_3(x);
	} catch (const std::runtime_error &) {
		return x + 3;
	}
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	uint64_t x = 1;

	while (wl_now() < end)
		for (int i = 0; i < 100; i++)
			x = catch_round(x);
	wl_sink = x;
	return 0;
}
