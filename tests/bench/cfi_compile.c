// SPDX-License-Identifier: GPL-2.0
/*
 * What compiling an object's CFI table costs the daemon, once per object:
 * for each file, in a child of its own (so one's memory does not hide
 * another's), the table is compiled RUNS times; printed: the object's size,
 * its FDEs, the table's rows and bytes, the rows left to frame pointers,
 * the median time of a compilation and how much the child's peak resident
 * memory grew over the first one (libelf's and libdw's working memory and
 * the table, with the file's mapped pages that were touched).
 *
 *   cfi_compile [RUNS] FILE...     (RUNS defaults to 5)
 *
 * Run by make bench on the C library, libstdc++, libpython, libperl and
 * the python3.11 program (those present).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unwind/unwind.h"
#include "base/util.h"

#define RUNS_MAX 99

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_maxrss;
}

/* One file, in this (child) process; 0 or 1. */
static int measure(const char *path, int runs)
{
	uint64_t ns[RUNS_MAX];
	struct cfi_table t = {0};
	long rss0 = maxrss_kib(), rss1 = 0;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "cfi_compile: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < runs; i++) {
		Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		uint64_t t0;

		if (!elf) {
			fprintf(stderr, "cfi_compile: %s: %s\n", path, elf_errmsg(-1));
			close(fd);
			return 1;
		}
		cfi_table__free(&t);
		t0 = clock_ns(CLOCK_MONOTONIC);
		err = cfi_compile(elf, NULL, &t);
		ns[i] = clock_ns(CLOCK_MONOTONIC) - t0;
		elf_end(elf);
		if (i == 0)
			rss1 = maxrss_kib();
	}
	close(fd);
	if (err) {
		fprintf(stderr, "cfi_compile: %s: %s\n", path, strerror(-err));
		return 1;
	}
	qsort(ns, (size_t)runs, sizeof(ns[0]), cmp_u64);
	printf("%-48s %5.1f MiB %7u %8u %7.0f KiB %6u %8.1f ms %7.1f MiB\n", path,
	       (double)st.st_size / (1 << 20), t.counts.fdes, t.nrows,
	       (double)t.nrows * sizeof(t.rows[0]) / 1024, t.counts.expr,
	       (double)ns[runs / 2] / 1e6, (double)(rss1 - rss0) / 1024);
	cfi_table__free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 5, first = 1, bad = 0;

	if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
		runs = atoi(argv[1]);
		first = 2;
	}
	if (runs < 1 || runs > RUNS_MAX || first >= argc) {
		fprintf(stderr, "usage: cfi_compile [RUNS (1-%d)] FILE...\n", RUNS_MAX);
		return 2;
	}
	elf_version(EV_CURRENT);
	printf("# CFI table compilation: median of %d; memory: the peak resident growth of the "
	       "first\n",
	       runs);
	printf("%-48s %9s %7s %8s %11s %6s %11s %11s\n", "object", "size", "FDEs", "rows", "table",
	       "expr", "time", "memory");
	fflush(stdout);
	for (int i = first; i < argc; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int rc = measure(argv[i], runs);

			fflush(stdout);
			_exit(rc);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	}
	return bad;
}
