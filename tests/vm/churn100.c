// SPDX-License-Identifier: GPL-2.0
/*
 * churn100 SECONDS [THREADS]: thread churn for the module's fork/exit
 * tracking. Until SECONDS have passed, in rounds: THREADS (default 100)
 * threads are created at once, each names itself churn100-N, spins ~2 ms of
 * CPU in churn100_spin and exits; the main thread joins them all. Prints the
 * number of threads that ran and the CPU seconds they spent in churn100_spin
 * (by their thread CPU clocks): with the process's CPU time (WL_RUSAGE_FILE),
 * the share of the spin that a profile must show, whatever the machine.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "../workloads/common.h"

static uint64_t spin_ns; /* atomic: CPU spent in churn100_spin, all threads */

__attribute__((noinline)) uint64_t churn100_spin(uint64_t x)
{
	double start = wl_thread_cpu(), end = start + 0.002, now;

	WL_KEEP_FRAME();
	while ((now = wl_thread_cpu()) < end)
		WL_SPIN(x, 100000);
	__atomic_add_fetch(&spin_ns, (uint64_t)((now - start) * 1e9), __ATOMIC_RELAXED);
	return x;
}

static void *churn100_thread(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "churn100-%ld", (long)(uintptr_t)arg % 100);
	pthread_setname_np(pthread_self(), name);
	wl_sink = churn100_spin((uint64_t)(uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	long threads = argc > 2 ? atol(argv[2]) : 100, ran = 0;
	pthread_t *t;

	if (threads < 1)
		threads = 1;
	t = calloc((size_t)threads, sizeof(*t));
	if (!t)
		return 1;
	while (wl_now() < end) {
		long n = 0;

		for (long i = 0; i < threads; i++) {
			if (pthread_create(&t[n], NULL, churn100_thread,
					   (void *)(uintptr_t)(ran + i)))
				break;
			n++;
		}
		for (long i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		ran += n;
		if (!n)
			return 1;
	}
	printf("%ld %.3f\n", ran, (double)spin_ns / 1e9);
	free(t);
	return 0;
}
