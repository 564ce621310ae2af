/* SPDX-License-Identifier: GPL-2.0 */
/* `hrprof report`: a profile's top functions, flat and cumulative. */
#ifndef HRPROF_REPORT_H
#define HRPROF_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "pprof_read.h"

/* `hrprof report FILE...`: prints the top functions. Returns an exit code. */
int report_main(int argc, char **argv);
/* The report of one file on out (top_n <= 0: the default; sample_index NULL:
 * the default type). On failure prints one line on stderr, returns -errno. */
int report_print(FILE *out, const char *path, int top_n, const char *sample_index);
/*
 * The sample type of pr that `hrprof report` shows into *si: want by name,
 * else by index; want NULL: the first in nanoseconds, else the first.
 * Returns 0, or -EINVAL with the types there are in why.
 */
int report_sample_type(const profile_t *pr, const char *want, size_t *si, char *why, size_t whylen);

#endif
