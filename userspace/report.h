/* SPDX-License-Identifier: GPL-2.0 */
/* `hrprof report`: a profile's top functions, flat and cumulative. */
#ifndef HRPROF_REPORT_H
#define HRPROF_REPORT_H

#include <stdio.h>

/* `hrprof report FILE...`: prints the top functions. Returns an exit code. */
int report_main(int argc, char **argv);
/* The report of one file on out (top_n <= 0: the default; sample_index NULL:
 * the default type). On failure prints one line on stderr, returns -errno. */
int report_print(FILE *out, const char *path, int top_n, const char *sample_index);

#endif
