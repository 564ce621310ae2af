// SPDX-License-Identifier: GPL-2.0
/*
 * The module's cost on the context switches of processes it does not
 * sample, before and after many targets came and went (25_target_churn).
 *
 * switch_cost measure ROUNDS SWITCHES: two threads pinned to CPU 0 hand a
 * turn back and forth through a futex, SWITCHES context switches a round;
 * prints the fastest round's ns per switch (the fastest, as the least
 * disturbed by whatever else the machine did), then the fastest round's ns
 * per getppid system call, timed in the same rounds: the emulator's speed
 * at that moment, which a switch's cost is divided by.
 *
 * switch_cost fork N DIR: for a target: writes DIR/ready, waits for DIR/go,
 * forks N children that exit at once (reaping each), writes DIR/forked,
 * waits for DIR/done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static _Atomic int turn; /* whose go it is: 0 the main thread, 1 the partner */
static long trips;

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
	(void)arg;
	for (long i = 0; i < trips; i++) {
		while (atomic_load(&turn) != 1)
			futex_wait(&turn, 0);
		atomic_store(&turn, 0);
		futex_wake(&turn);
	}
	return NULL;
}

/*
 * One round of n round trips between two threads on one CPU: each hands
 * the turn to the other and sleeps on a futex until it comes back, so a
 * trip is two context switches. Returns the ns per switch.
 */
static double round_ns(long n)
{
	pthread_t t;
	double t0, t1;

	trips = n;
	atomic_store(&turn, 0);
	if (pthread_create(&t, NULL, partner, NULL)) {
		fprintf(stderr, "switch_cost: pthread_create failed\n");
		exit(1);
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		atomic_store(&turn, 1);
		futex_wake(&turn);
		while (atomic_load(&turn) != 0)
			futex_wait(&turn, 1);
	}
	t1 = now();
	pthread_join(t, NULL);
	return (t1 - t0) * 1e9 / (2.0 * n);
}

/* One round of n getppid system calls: ns per call (no context switch). */
static double syscall_ns(long n)
{
	double t0 = now();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now() - t0) * 1e9 / (double)n;
}

static int measure(int rounds, long switches)
{
	double best = 1e30, best_sys = 1e30;

	pin0();
	round_ns(switches / 4); /* warm up */
	for (int r = 0; r < rounds; r++) {
		double ns = round_ns(switches / 2), sys = syscall_ns(switches);

		if (ns < best)
			best = ns;
		if (sys < best_sys)
			best_sys = sys;
	}
	printf("%.0f %.0f\n", best, best_sys);
	return 0;
}

static void touch(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "1\n", 2) != 2) {
		fprintf(stderr, "switch_cost: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void wait_for(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct timespec ts = {0, 20 * 1000 * 1000};

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; access(path, F_OK); i++) {
		if (i > 50 * 600) {
			fprintf(stderr, "switch_cost: no %s after 10 minutes\n", path);
			exit(1);
		}
		nanosleep(&ts, NULL);
	}
}

static int forks(long n, const char *dir)
{
	long failed = 0;

	touch(dir, "ready");
	wait_for(dir, "go");
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int status;

		if (p < 0) {
			failed++;
			continue;
		}
		if (!p)
			_exit(0);
		if (waitpid(p, &status, 0) != p)
			failed++;
	}
	printf("%ld forked, %ld failed\n", n - failed, failed);
	fflush(stdout);
	touch(dir, "forked");
	wait_for(dir, "done");
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "measure"))
		return measure(atoi(argv[2]), atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "fork"))
		return forks(atol(argv[2]), argv[3]);
	fprintf(stderr, "usage: switch_cost measure ROUNDS SWITCHES | fork N DIR\n");
	return 2;
}
