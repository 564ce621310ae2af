// SPDX-License-Identifier: GPL-2.0
/*
 * What naming addresses costs the export thread, per profile: for each file,
 * ADDRS addresses spread evenly over its code are named as one profile's
 * locations would be, three ways:
 *   names   the function and its declaration file (hrprof before lines)
 *   lines   -I false: the function with its line (the call site of what
 *           is inlined there)
 *   inline  -I true: every function inlined at the address, with its line
 * each cold (a fresh cache: the file opened, its symbols and DWARF read, as
 * the first profile does) and warm (the same cache again: every later
 * profile). Printed: median milliseconds per profile of RUNS runs, and for
 * inline the mean frames per address.
 *
 *   sym_lines [RUNS [ADDRS]] FILE...   (RUNS 5, ADDRS 5000 by default)
 *
 * Run by make bench on the C library and libstdc++ with their debug info
 * (Debian's libc6-dbg, libstdc++6-12-dbg), where present.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sym/sym.h"

#define RUNS_MAX 99

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The first executable PT_LOAD's virtual addresses. */
static int code_range(const char *path, uint64_t *lo, uint64_t *hi)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = -1;
	Elf *elf;
	size_t n;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_getphdrnum(elf, &n) == 0) {
		for (size_t i = 0; i < n && found; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X)) {
				*lo = ph.p_vaddr;
				*hi = ph.p_vaddr + ph.p_filesz;
				found = 0;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

enum mode { NAMES, LINES, INLINE, NMODES };
static const char *const mode_name[NMODES] = {"names", "lines", "inline"};

/* One profile's naming of addrs in mode; its milliseconds, frames into *frames. */
static double name_all(struct sym_cache *c, const char *path, const uint64_t *addrs, size_t n,
		       enum mode mode, size_t *frames)
{
	struct sym_frame f[SYM_FRAMES_MAX];
	double t = now_ms();
	struct sym_elf *elf = sym_cache__elf(c, path, 0, 0);
	struct sym_info info;

	*frames = 0;
	for (size_t i = 0; elf && i < n; i++) {
		if (mode == NAMES)
			*frames += sym_elf__lookup(elf, addrs[i], &info);
		else
			*frames +=
			    sym_elf__frames(elf, addrs[i], mode == INLINE, f, SYM_FRAMES_MAX);
	}
	return now_ms() - t;
}

static int bench_file(const char *path, int runs, size_t naddrs)
{
	double cold[NMODES][RUNS_MAX], warm[NMODES][RUNS_MAX];
	size_t frames[NMODES] = {0};
	uint64_t lo, hi, *addrs;

	if (code_range(path, &lo, &hi) < 0 || hi <= lo) {
		fprintf(stderr, "sym_lines: %s: no code\n", path);
		return 1;
	}
	addrs = calloc(naddrs, sizeof(*addrs));
	if (!addrs)
		return 1;
	for (size_t i = 0; i < naddrs; i++)
		addrs[i] = lo + (hi - lo) / naddrs * i + 7 * (i % 13);
	for (int r = 0; r < runs; r++) {
		for (int m = 0; m < NMODES; m++) {
			struct sym_cache *c = sym_cache__new(4);

			if (!c)
				return 1;
			cold[m][r] = name_all(c, path, addrs, naddrs, m, &frames[m]);
			warm[m][r] = name_all(c, path, addrs, naddrs, m, &frames[m]);
			sym_cache__free(c);
		}
	}
	printf("%s: %zu addresses, %zu named; ms per profile (median of %d):\n", path, naddrs,
	       frames[NAMES], runs);
	for (int m = 0; m < NMODES; m++) {
		qsort(cold[m], runs, sizeof(double), cmp_double);
		qsort(warm[m], runs, sizeof(double), cmp_double);
		printf("  %-7s cold %8.1f  warm %7.1f  (%.2f us an address)", mode_name[m],
		       cold[m][runs / 2], warm[m][runs / 2], warm[m][runs / 2] * 1e3 / naddrs);
		if (m == INLINE && frames[NAMES])
			printf("  %.2f frames an address", (double)frames[m] / frames[NAMES]);
		printf("\n");
	}
	free(addrs);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, runs = 5, err = 0;
	size_t naddrs = 5000;

	if (i < argc && atoi(argv[i]) > 0)
		runs = atoi(argv[i++]);
	if (i < argc && atoi(argv[i]) > 0)
		naddrs = (size_t)atoi(argv[i++]);
	if (runs > RUNS_MAX)
		runs = RUNS_MAX;
	if (i == argc) {
		fprintf(stderr, "usage: sym_lines [RUNS [ADDRS]] FILE...\n");
		return 2;
	}
	for (; i < argc; i++)
		err |= bench_file(argv[i], runs, naddrs);
	return err;
}
