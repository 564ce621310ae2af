/* SPDX-License-Identifier: GPL-2.0 */
/* libhotlib.so: the hot function of the shlib workload. */
#include <stdint.h>

__attribute__((noinline)) uint64_t lib_hot(uint64_t x, long n)
{
	volatile char frame = 0; /* GCC 12 drops a leaf's frame pointer otherwise */

	(void)frame;
	for (long i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}
