/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every libFuzzer harness shares: the input as a file (a memfd, named
 * /proc/self/fd/N, for parsers that open paths), logs off, and a check that
 * aborts (a crash libFuzzer reports) when an invariant of a parsed result
 * does not hold.
 */
#ifndef HRPROF_FUZZ_H
#define HRPROF_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input in a fresh memfd; its path in path. Returns the fd (-1: skip). */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static inline void fuzz_quiet(void)
{
	static int done;

	if (!done) {
		log_set_level(LOG_OFF);
		done = 1;
	}
}

#endif
