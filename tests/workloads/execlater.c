/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execlater SECONDS HOT HOT_SECONDS: burns the CPU in before_exec for
 * SECONDS, then execs HOT HOT_SECONDS in the same process (same pid): the
 * CPU spent before the exec belongs to execlater, under its own name and
 * mappings, the rest to HOT. With EXECLATER_CPU_FILE, writes there the CPU
 * seconds the process used before the exec (HOT's WL_RUSAGE_FILE then
 * gives the whole: the share before_exec must have, however busy the
 * machine).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

__attribute__((noinline)) uint64_t before_exec(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 11;

	while (wl_now() < end)
		WL_SPIN(x, 100000);
	return x;
}

int main(int argc, char **argv)
{
	double seconds = wl_init(argc, argv, 1);

	if (argc != 4) {
		fprintf(stderr, "usage: execlater SECONDS HOT HOT_SECONDS\n");
		return 2;
	}
	wl_sink = before_exec(seconds);
	if (getenv("EXECLATER_CPU_FILE")) {
		FILE *f = fopen(getenv("EXECLATER_CPU_FILE"), "w");
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		if (f) {
			fprintf(f, "%.6f\n",
				(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
			fclose(f);
		}
	}
	execl(argv[2], "hot", argv[3], (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", argv[2], strerror(errno));
	return 127;
}
