/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sort SECONDS: std::sort of 100,000 keys with a comparator, over and over
 * (main -> sort_round -> std::sort's internals -> by_key). Built with
 * -O2 -fomit-frame-pointer, as C++ release builds are.
 */
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common.h"

struct item {
	uint64_t key;
	uint64_t payload;
};

__attribute__((noinline)) bool by_key(const item &a, const item &b)
{
	return a.key < b.key;
}

__attribute__((noinline)) uint64_t sort_round(std::vector<item> &v, uint64_t seed)
{
	for (auto &it : v) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		it.key = seed >> 17;
	}
	std::sort(v.begin(), v.end(), by_key);
	return v[v.size() / 2].key;
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	std::vector<item> v(100000);
	uint64_t x = 1;

	while (wl_now() < end)
		x += sort_round(v, x);
	wl_sink = x;
	return 0;
}
