/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the hrprof test workloads.
 *
 * Every workload takes its duration in seconds as argv[1] (default given by
 * the workload) and burns CPU for that long: the clock is read every batch of
 * work, so a workload overruns its duration by one batch at most.
 *
 * Environment (read by wl_init, acted on at exit):
 *   WL_RUSAGE_FILE  write "user_s sys_s" (getrusage RUSAGE_SELF) to this file
 *   WL_ELAPSED_FILE write the seconds between wl_init and exit to this file
 *   WL_PID_FILE     write the pid to this file at start (before any work)
 */
#ifndef HRPROF_WORKLOAD_COMMON_H
#define HRPROF_WORKLOAD_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

static volatile uint64_t wl_sink;
static double wl_start_s;

static inline double wl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double wl_thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wl_report(void)
{
	const char *path = getenv("WL_RUSAGE_FILE");
	FILE *f;

	if (path && *path && (f = fopen(path, "w"))) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(f, "%.6f %.6f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		fclose(f);
	}
	path = getenv("WL_ELAPSED_FILE");
	if (path && *path && (f = fopen(path, "w"))) {
		fprintf(f, "%.6f\n", wl_now() - wl_start_s);
		fclose(f);
	}
}

/* Returns the duration in seconds from argv[1], or def. */
static inline double wl_init(int argc, char **argv, double def)
{
	const char *pidfile = getenv("WL_PID_FILE");
	double d = def;

	wl_start_s = wl_now();
	if (argc > 1) {
		char *end;

		d = strtod(argv[1], &end);
		if (end == argv[1] || *end || d < 0) {
			fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
			exit(2);
		}
	}
	if (pidfile && *pidfile) {
		char tmp[4096];
		FILE *f;

		/* Written, then renamed: a reader never sees it half-written. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		f = fopen(tmp, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
			rename(tmp, pidfile);
		}
	}
	atexit(wl_report);
	return d;
}

/*
 * GCC 12 drops the frame pointer of a leaf function that uses no stack, even
 * with -mno-omit-leaf-frame-pointer; a volatile local forces the frame. Every
 * leaf function the tests look for starts with WL_KEEP_FRAME().
 */
#define WL_KEEP_FRAME()                                                                            \
	volatile char wl_frame_ = 0;                                                               \
	(void)wl_frame_

/* The same arithmetic everywhere, so iteration counts set CPU shares. */
#define WL_SPIN(x, n)                                                                              \
	for (long wl_i_ = 0; wl_i_ < (long)(n); wl_i_++)                                           \
	(x) = (x)*6364136223846793005ULL + 1442695040888963407ULL

static inline uint64_t wl_mix(uint64_t x, long n)
{
	WL_KEEP_FRAME();
	WL_SPIN(x, n);
	return x;
}

#endif
