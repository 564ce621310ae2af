/* SPDX-License-Identifier: GPL-2.0 */
/*
 * threads SECONDS [DELAY]: 4 threads named worker-0..worker-3 burn the CPU in
 * thread_spin (main -> ... start_thread -> worker -> thread_spin) until SECONDS
 * after start; main waits. With DELAY, main sleeps that long before creating
 * them (to attach to the process before its threads exist).
 */
#include <pthread.h>
#include <string.h>
#include "common.h"

#define NTHREADS 4

static double end_time;

__attribute__((noinline)) uint64_t thread_spin(uint64_t x)
{
	while (wl_now() < end_time)
		WL_SPIN(x, 100000);
	return x;
}

static void *worker(void *arg)
{
	wl_sink = thread_spin((uint64_t)(uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tids[NTHREADS];
	char name[16];

	end_time = wl_now() + wl_init(argc, argv, 3);
	if (argc > 2) {
		double delay = atof(argv[2]);
		struct timespec ts = {.tv_sec = (time_t)delay,
				      .tv_nsec = (long)((delay - (double)(time_t)delay) * 1e9)};

		while (nanosleep(&ts, &ts) != 0)
			;
	}
	for (int i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)(i + 1));

		if (err) {
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			return 1;
		}
		snprintf(name, sizeof(name), "worker-%d", i);
		pthread_setname_np(tids[i], name);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
