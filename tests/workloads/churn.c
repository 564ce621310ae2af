/* SPDX-License-Identifier: GPL-2.0 */
/*
 * churn SECONDS: process and thread churn for the daemon's bookkeeping. In a
 * loop until SECONDS: a short-lived named thread that spins 1 ms of its CPU
 * time in churn_thread_spin, and every 10th round a child that execs
 * /bin/true; the main thread spins 1 ms of its CPU time in churn_main_spin
 * between rounds. The two spins take the same CPU, however busy the machine.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "common.h"

__attribute__((noinline)) uint64_t churn_thread_spin(uint64_t x)
{
	double end = wl_thread_cpu() + 0.001;

	while (wl_thread_cpu() < end)
		WL_SPIN(x, 1000);
	return x;
}

__attribute__((noinline)) uint64_t churn_main_spin(uint64_t x)
{
	double end = wl_thread_cpu() + 0.001;

	while (wl_thread_cpu() < end)
		WL_SPIN(x, 1000);
	return x;
}

static void *churn_thread(void *arg)
{
	char name[16];

	/* Named by itself, before it spins: every spin sample has the name. */
	snprintf(name, sizeof(name), "churn-%ld", (long)(uintptr_t)arg % 1000);
	pthread_setname_np(pthread_self(), name);
	wl_sink = churn_thread_spin((uint64_t)(uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	double end = wl_now() + wl_init(argc, argv, 3);
	uint64_t x = 1;
	long rounds = 0;

	while (wl_now() < end) {
		pthread_t t;

		if (pthread_create(&t, NULL, churn_thread, (void *)(uintptr_t)rounds) == 0)
			pthread_join(t, NULL);
		if (rounds % 10 == 0) {
			pid_t pid = fork();

			if (pid == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		x = churn_main_spin(x);
		rounds++;
	}
	wl_sink = x;
	printf("%ld\n", rounds);
	return 0;
}
