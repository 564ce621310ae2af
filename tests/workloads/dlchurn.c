/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mappings that come and go: dlchurn SECONDS [GEN] loads libhotlib.so (next
 * to the program), calls its lib_hot, unloads it, again and again, with
 * some work of its own (churn_cold) between; halfway it execs itself (GEN
 * counts the execs, at most 3), so a profiler sees its mappings replaced
 * whole too. Built without frame pointers (nofp/): only CFI unwinds it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

__attribute__((noinline)) uint64_t churn_cold(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

/* One load, a few calls, one unload. */
__attribute__((noinline)) uint64_t churn_round(const char *lib, uint64_t x)
{
	uint64_t (*hot)(uint64_t, long);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "dlchurn: %s\n", dlerror());
		exit(1);
	}
	*(void **)&hot = dlsym(h, "lib_hot");
	if (!hot) {
		fprintf(stderr, "dlchurn: no lib_hot in %s\n", lib);
		exit(1);
	}
	for (int i = 0; i < 4; i++)
		x = hot(x, 50000);
	dlclose(h);
	return x;
}

int main(int argc, char **argv)
{
	double secs = wl_init(argc, argv, 3), end = wl_now() + secs;
	int gen = argc > 2 ? atoi(argv[2]) : 0;
	char self[PATH_MAX], lib[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	uint64_t x = 5;
	char *slash;

	if (n <= 0)
		return 1;
	self[n] = 0;
	snprintf(lib, sizeof(lib), "%s", self);
	slash = strrchr(lib, '/');
	snprintf(slash + 1, sizeof(lib) - (size_t)(slash + 1 - lib), "libhotlib.so");
	while (wl_now() < end) {
		x = churn_round(lib, x);
		x = churn_cold(x, 50000);
		if (gen < 3 && wl_now() > end - secs / 2) {
			char left[32], next[16];

			snprintf(left, sizeof(left), "%.3f", end - wl_now());
			snprintf(next, sizeof(next), "%d", gen + 1);
			execl(self, self, left, next, (char *)NULL);
			return 1;
		}
	}
	wl_sink = x;
	return 0;
}
