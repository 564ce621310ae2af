/* SPDX-License-Identifier: GPL-2.0 */
/* Sleeps for the duration: no CPU time to report. */
#include <time.h>
#include "common.h"

int main(int argc, char **argv)
{
	double seconds = wl_init(argc, argv, 3);
	struct timespec ts = {.tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
	return 0;
}
