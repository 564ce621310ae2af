/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' checks: CHECK(cond) and CHECKF(cond, fmt, ...) print one
 * line per failed check (where, what was expected, what came) and count it in
 * failures; main() returns check_exit()'s 1 or 0 (or 77 to skip). And what
 * several tests need besides: a file read whole, a directory's files counted.
 */
#ifndef HRPROF_TEST_CHECK_H
#define HRPROF_TEST_CHECK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* path's bytes, NUL-terminated, in a malloc'd buffer (its length in *len
 * when len is not NULL); NULL when it cannot be read. */
static inline char *file__slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Files in dir (all of them, dot files included, not . and ..); -1 when it
 * cannot be read. */
static inline int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

#endif
