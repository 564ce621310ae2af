/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the process table's unit tests share: made-up pids, and
 * check_maps(p, {start, end, pgoff, path}, ...), which fails (one line, in
 * check.h's count) unless a process's mappings are exactly those, in order.
 *
 * self_mapping(addr): the mapping of this program holding addr.
 *
 * Made-up pids are above the kernel's largest pid_max (4194304), so that no
 * /proc/<pid>/ exists for them.
 */
#ifndef HRPROF_TEST_PROC_CHECK_H
#define HRPROF_TEST_PROC_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "proc/proc.h"

#define FAKE 5000000u /* first made-up pid */

struct want_map {
	uint64_t start, end, pgoff;
	const char *path;
};

/* Checks the process's mappings are exactly want, in order. */
static inline void check_maps_at(const char *file, int line, const struct proc *p,
				 const struct want_map *want, size_t n)
{
	bool same = p->nmaps == n;

	for (size_t i = 0; same && i < n; i++) {
		const struct mapping *m = p->maps[i];

		same = m->start == want[i].start && m->end == want[i].end &&
		       m->pgoff == want[i].pgoff && !strcmp(m->path, want[i].path);
	}
	if (same)
		return;
	failures++;
	printf("FAIL %s:%d: mappings of pid %u: want", file, line, p->pid);
	for (size_t i = 0; i < n; i++)
		printf(" [%" PRIx64 "-%" PRIx64 " @%" PRIx64 " %s]", want[i].start, want[i].end,
		       want[i].pgoff, want[i].path);
	printf("; got");
	for (size_t i = 0; i < p->nmaps; i++)
		printf(" [%" PRIx64 "-%" PRIx64 " @%" PRIx64 " %s]", p->maps[i]->start,
		       p->maps[i]->end, p->maps[i]->pgoff, p->maps[i]->path);
	putchar('\n');
}
#define check_maps(p, ...)                                                                         \
	do {                                                                                       \
		const struct want_map w_[] = {__VA_ARGS__};                                        \
		check_maps_at(__FILE__, __LINE__, p, w_, sizeof(w_) / sizeof(w_[0]));              \
	} while (0)

/* The mapping of this program's /proc/self/maps holding addr (a new
 * reference), or NULL. */
static inline struct mapping *self_mapping(uint64_t addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	struct mapping *m = NULL;
	char line[4096];

	while (f && !m && fgets(line, sizeof(line), f)) {
		uint64_t start, end, pgoff, dev, ino;
		char *path;

		if (maps_parse_line(line, &start, &end, &pgoff, &dev, &ino, &path) &&
		    addr >= start && addr < end)
			m = mapping__new(start, end, pgoff, dev, ino, path);
	}
	if (f)
		fclose(f);
	return m;
}

#endif
