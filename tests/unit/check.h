/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' checks: CHECK(cond) and CHECKF(cond, fmt, ...) print one
 * line per failed check (where, what was expected, what came) and count it in
 * failures; main() returns failures ? 1 : 0 (or 77 to skip).
 */
#ifndef HRPROF_TEST_CHECK_H
#define HRPROF_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond) CHECKF(cond, "%s", "")
#define CHECKF(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                     \
			printf(__VA_ARGS__);                                                       \
			putchar('\n');                                                             \
		}                                                                                  \
	} while (0)

/* Ends main: prints a summary line and gives the exit code. */
static inline int check_exit(const char *name)
{
	if (failures) {
		printf("%s: %d checks failed\n", name, failures);
		return 1;
	}
	return 0;
}

#endif
