// SPDX-License-Identifier: GPL-2.0
/*
 * The process table: /proc/<pid>/maps lines, mappings replacing what they
 * overlap (pieces left on either side with the right file offsets), lookups at
 * the boundaries, comm and exec, fork (process and thread, and a fork record
 * that arrives after the child's own exec), exit and collection, the
 * maximum_pids cap, backfill of this very process from /proc, mapping
 * references outliving the table (run under ASan to prove it), and process
 * views made once per change and unchanged after it.
 *
 * Made-up pids are above the kernel's largest pid_max (4194304), so that no
 * /proc/<pid>/ exists for them.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "proc/proc.h"

#define FAKE 5000000u /* first made-up pid */

/* ---- maps_parse_line ---- */

struct line_case {
	const char *line;
	bool ok;
	uint64_t start, end, pgoff, dev, ino;
	const char *path;
};

static void test_maps_parse_line(void)
{
	static const struct line_case cases[] = {
	    {"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n", true,
	     0x400000, 0x452000, 0, 0, 173521, "/usr/bin/dbus-daemon"},
	    {"7f1c2a000000-7f1c2a1b5000 r-xp 00028000 fd:01 1835057                    "
	     "/usr/lib/x86_64-linux-gnu/libc.so.6\n",
	     true, 0x7f1c2a000000, 0x7f1c2a1b5000, 0x28000, 0, 1835057,
	     "/usr/lib/x86_64-linux-gnu/libc.so.6"},
	    /* No path: anonymous, with the kernel's trailing space, without, no newline. */
	    {"7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n", true, 0x7f0000000000,
	     0x7f0000001000, 0, 0, 0, "//anon"},
	    {"7f0000000000-7f0000001000 r-xp 00000000 00:00 0\n", true, 0x7f0000000000,
	     0x7f0000001000, 0, 0, 0, "//anon"},
	    {"7f0000000000-7f0000001000 r-xp 00000000 00:00 0", true, 0x7f0000000000,
	     0x7f0000001000, 0, 0, 0, "//anon"},
	    /* Path without a newline, path with spaces, deleted file, special names. */
	    {"1000-2000 r-xp 00001000 08:01 12 /opt/app", true, 0x1000, 0x2000, 0x1000, 0, 12,
	     "/opt/app"},
	    {"1000-2000 r-xp 00000000 08:01 12   /opt/my app/lib x.so\n", true, 0x1000, 0x2000, 0,
	     0, 12, "/opt/my app/lib x.so"},
	    {"55d0c0a00000-55d0c0a10000 r-xp 00002000 08:01 99 /tmp/a.out (deleted)\n", true,
	     0x55d0c0a00000, 0x55d0c0a10000, 0x2000, 0, 99, "/tmp/a.out (deleted)"},
	    {"7ffd4b5f6000-7ffd4b5f8000 r-xp 00000000 00:00 0                          [vdso]\n",
	     true, 0x7ffd4b5f6000, 0x7ffd4b5f8000, 0, 0, 0, "[vdso]"},
	    {"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  "
	     "[vsyscall]\n",
	     true, 0xffffffffff600000, 0xffffffffff601000, 0, 0, 0, "[vsyscall]"},
	    {"7f0000000000-7f0000001000 rwxp 00000000 00:00 0 //anon\n", true, 0x7f0000000000,
	     0x7f0000001000, 0, 0, 0, "//anon"},
	    {"7f0000000000-7f0000001000 r-xs 00000000 00:05 4242 /memfd:jit (deleted)\n", true,
	     0x7f0000000000, 0x7f0000001000, 0, 0, 4242, "/memfd:jit (deleted)"},
	    /* Huge values, every field at its largest. */
	    {"fffffffffffff000-ffffffffffffffff r-xp fffffffffffff000 fff:fffff "
	     "18446744073709551615 /huge\n",
	     true, 0xfffffffffffff000, 0xffffffffffffffff, 0xfffffffffffff000, 0,
	     18446744073709551615ull, "/huge"},
	    /* Not executable: skipped. */
	    {.line = "00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"},
	    {.line = "00652000-00655000 rw-p 00052000 08:02 173521      /usr/bin/dbus-daemon\n"},
	    {.line = "7ffd4b5d7000-7ffd4b5f8000 rw-p 00000000 00:00 0                  [stack]\n"},
	    {.line = "7f0000000000-7f0000001000 ---p 00000000 00:00 0\n"},
	    /* Malformed. */
	    {.line = ""},
	    {.line = "\n"},
	    {.line = "garbage\n"},
	    {.line = "00400000 r-xp 00000000 08:02 173521 /x\n"},
	    {.line = "00400000-00452000\n"},
	    {.line = "00400000-00452000 r-xp\n"},
	    {.line = "00400000-00452000 r-xp 00000000\n"},
	    {.line = "00400000-00452000 r-xp 00000000 08:02\n"},
	    {.line = "00400000-00452000 r-xp 00000000 0802 173521 /x\n"},
	    {.line = "00400000-00452000 rx 00000000 08:02 173521 /x\n"},
	    {.line = "zz400000-00452000 r-xp 00000000 08:02 173521 /x\n"},
	    {.line = "00452000-00400000 r-xp 00000000 08:02 173521 /x\n"}, /* end < start */
	    {.line = "00400000-00400000 r-xp 00000000 08:02 173521 /x\n"}, /* empty */
	    /* An address of 17 hex digits does not fit in 64 bits. */
	    {.line = "0-10000000000000000 r-xp 00000000 08:02 1 /overflow\n"},
	    {.line = "10000000000000000-20000000000000000 r-xp 00000000 08:02 1 /overflow\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct line_case *c = &cases[i];
		uint64_t start = 1, end = 1, pgoff = 1, dev = 1, ino = 1;
		char buf[512], *path = NULL;
		bool ok;

		snprintf(buf, sizeof(buf), "%s", c->line);
		ok = maps_parse_line(buf, &start, &end, &pgoff, &dev, &ino, &path);
		CHECKF(ok == c->ok, "line %zu '%.*s': want %s, got %s", i,
		       (int)strcspn(c->line, "\n"), c->line, c->ok ? "parsed" : "skipped",
		       ok ? "parsed" : "skipped");
		if (!ok || !c->ok)
			continue;
		CHECKF(start == c->start && end == c->end,
		       "line %zu: range %" PRIx64 "-%" PRIx64 ", want %" PRIx64 "-%" PRIx64, i,
		       start, end, c->start, c->end);
		CHECKF(pgoff == c->pgoff, "line %zu: pgoff %" PRIx64 ", want %" PRIx64, i, pgoff,
		       c->pgoff);
		CHECKF(ino == c->ino, "line %zu: ino %" PRIu64 ", want %" PRIu64, i, ino, c->ino);
		CHECKF(path && !strcmp(path, c->path), "line %zu: path '%s', want '%s'", i,
		       path ? path : "(null)", c->path);
	}

	/* Device numbers. */
	{
		char buf[] = "1000-2000 r-xp 00000000 fd:01 7 /x\n";
		uint64_t start, end, pgoff, dev, ino;
		char *path;

		CHECK(maps_parse_line(buf, &start, &end, &pgoff, &dev, &ino, &path));
		CHECKF(dev == makedev(0xfd, 0x01), "dev %" PRIx64 ", want %" PRIx64, dev,
		       (uint64_t)makedev(0xfd, 0x01));
	}
	{
		char buf[] = "1000-2000 r-xp 00000000 103:05 7 /x\n";
		uint64_t start, end, pgoff, dev, ino;
		char *path;

		CHECK(maps_parse_line(buf, &start, &end, &pgoff, &dev, &ino, &path));
		CHECKF(major(dev) == 0x103 && minor(dev) == 0x05, "dev %u:%u", major(dev),
		       minor(dev));
	}
	/* The path points into the line and the newline is cut off. */
	{
		char buf[] = "1000-2000 r-xp 00000000 08:01 7 /lib/x.so\n";
		uint64_t start, end, pgoff, dev, ino;
		char *path = NULL;

		CHECK(maps_parse_line(buf, &start, &end, &pgoff, &dev, &ino, &path));
		CHECK(path >= buf && path < buf + sizeof(buf));
		CHECK(!strchr(buf, '\n'));
	}
}

/* ---- mappings ---- */

struct want_map {
	uint64_t start, end, pgoff;
	const char *path;
};

/* Checks the process's mappings are exactly want, in order. */
static void check_maps_at(int line, const struct proc *p, const struct want_map *want, size_t n)
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
	printf("FAIL %s:%d: mappings of pid %u: want", __FILE__, line, p->pid);
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
		check_maps_at(__LINE__, p, w_, sizeof(w_) / sizeof(w_[0]));                        \
	} while (0)

static void test_mmap_overlaps(void)
{
	struct proc_table *t = proc_table__new(100);
	uint32_t pid = FAKE + 1;
	struct proc_stats st;
	struct proc *p;

	proc_table__mmap(t, pid, 0x1000, 0x4000, 0x10000, 1, 2, "/a");
	proc_table__mmap(t, pid, 0x8000, 0x1000, 0x30000, 1, 3, "/b");
	proc_table__mmap(t, pid, 0x6000, 0x1000, 0x20000, 1, 4, "/c");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	check_maps(p, {0x1000, 0x5000, 0x10000, "/a"}, {0x6000, 0x7000, 0x20000, "/c"},
		   {0x8000, 0x9000, 0x30000, "/b"});
	CHECKF(p->maps[0]->dev == 1 && p->maps[0]->ino == 2, "dev %" PRIu64 " ino %" PRIu64,
	       p->maps[0]->dev, p->maps[0]->ino);
	CHECKF(!strcmp(p->exe, "a"), "exe '%s', want 'a' (the first file mapping)", p->exe);

	/* Covers /c and /b entirely. */
	proc_table__mmap(t, pid, 0x5800, 0x4000, 0x40000, 1, 5, "/d");
	check_maps(p, {0x1000, 0x5000, 0x10000, "/a"}, {0x5800, 0x9800, 0x40000, "/d"});

	/* Splits /a in the middle: the right piece's offset moves with its start. */
	proc_table__mmap(t, pid, 0x2000, 0x1000, 0x100, 1, 6, "/e");
	check_maps(p, {0x1000, 0x2000, 0x10000, "/a"}, {0x2000, 0x3000, 0x100, "/e"},
		   {0x3000, 0x5000, 0x12000, "/a"}, {0x5800, 0x9800, 0x40000, "/d"});
	CHECKF(p->maps[2]->dev == 1 && p->maps[2]->ino == 2,
	       "right piece dev %" PRIu64 " ino %" PRIu64, p->maps[2]->dev, p->maps[2]->ino);

	/* Overlaps the left piece's start: it keeps its end, its offset moves. */
	proc_table__mmap(t, pid, 0x800, 0x1000, 0x0, 1, 7, "/f");
	check_maps(p, {0x800, 0x1800, 0x0, "/f"}, {0x1800, 0x2000, 0x10800, "/a"},
		   {0x2000, 0x3000, 0x100, "/e"}, {0x3000, 0x5000, 0x12000, "/a"},
		   {0x5800, 0x9800, 0x40000, "/d"});

	/* Overlaps the end of one and the start of the next. */
	proc_table__mmap(t, pid, 0x4800, 0x1100, 0x50000, 1, 8, "/g");
	check_maps(p, {0x800, 0x1800, 0x0, "/f"}, {0x1800, 0x2000, 0x10800, "/a"},
		   {0x2000, 0x3000, 0x100, "/e"}, {0x3000, 0x4800, 0x12000, "/a"},
		   {0x4800, 0x5900, 0x50000, "/g"}, {0x5900, 0x9800, 0x40100, "/d"});

	/* Exactly the same range: replaced. Touching neighbours: untouched. */
	proc_table__mmap(t, pid, 0x2000, 0x1000, 0x777, 1, 9, "/h");
	proc_table__mmap(t, pid, 0x9800, 0x800, 0x0, 1, 10, "/i");
	check_maps(p, {0x800, 0x1800, 0x0, "/f"}, {0x1800, 0x2000, 0x10800, "/a"},
		   {0x2000, 0x3000, 0x777, "/h"}, {0x3000, 0x4800, 0x12000, "/a"},
		   {0x4800, 0x5900, 0x50000, "/g"}, {0x5900, 0x9800, 0x40100, "/d"},
		   {0x9800, 0xa000, 0x0, "/i"});

	/* Covers everything. */
	proc_table__mmap(t, pid, 0x0, 0x100000, 0x0, 1, 11, "/all");
	check_maps(p, {0x0, 0x100000, 0x0, "/all"});

	/* Empty and wrapping ranges are ignored. */
	proc_table__mmap(t, pid, 0x2000, 0, 0, 0, 0, "/empty");
	proc_table__mmap(t, pid, UINT64_MAX - 0xfff, 0x2000, 0, 0, 0, "/wraps");
	check_maps(p, {0x0, 0x100000, 0x0, "/all"});
	/* Up to the very top of the address space is fine. */
	proc_table__mmap(t, pid, UINT64_MAX - 0xfff, 0xfff, 0, 0, 0, "/top");
	check_maps(p, {0x0, 0x100000, 0x0, "/all"}, {UINT64_MAX - 0xfff, UINT64_MAX, 0, "/top"});

	proc_table__stats(t, &st);
	CHECKF(st.procs == 1, "procs %" PRIu64, st.procs);
	proc_table__free(t);
}

/*
 * Random mappings over 64 pages against a page-by-page reference: every page
 * must be found in the mapping last placed over it, with the file offset the
 * page had in it.
 */
static void test_mmap_random(void)
{
	enum { PAGES = 64, PAGE = 0x1000, BASE = 0x400000 };
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 2;
	int ref_id[PAGES];
	uint64_t ref_off[PAGES];
	unsigned int seed = 12345;
	int bad = 0;

	for (int i = 0; i < PAGES; i++)
		ref_id[i] = -1;
	for (int round = 0; round < 3000 && bad < 5; round++) {
		unsigned int first = (unsigned int)rand_r(&seed) % PAGES;
		unsigned int n = 1 + (unsigned int)rand_r(&seed) % (PAGES - first);
		uint64_t pgoff = (uint64_t)(rand_r(&seed) % 1000) * PAGE;
		struct proc *p;
		char path[32];

		if (rand_r(&seed) % 4 == 0)
			n = 1 + n % 3; /* many small ones, to make splits */
		if (n > PAGES - first)
			n = PAGES - first;
		snprintf(path, sizeof(path), "/m%d", round);
		proc_table__mmap(t, pid, BASE + (uint64_t)first * PAGE, (uint64_t)n * PAGE, pgoff,
				 0, (uint64_t)round, path);
		for (unsigned int i = 0; i < n; i++) {
			ref_id[first + i] = round;
			ref_off[first + i] = pgoff + (uint64_t)i * PAGE;
		}
		p = proc_table__find(t, pid);
		if (!p) {
			CHECK(p);
			break;
		}
		/* Sorted, not overlapping, none empty. */
		for (size_t i = 0; i < p->nmaps; i++) {
			if (p->maps[i]->start >= p->maps[i]->end ||
			    (i && p->maps[i - 1]->end > p->maps[i]->start)) {
				CHECKF(0, "round %d: mapping %zu out of order", round, i);
				bad++;
			}
		}
		for (int pg = 0; pg < PAGES; pg++) {
			uint64_t addr = BASE + (uint64_t)pg * PAGE + (uint64_t)(pg * 8);
			struct mapping *m = proc__find_mapping(p, addr);
			char want[32];

			if (ref_id[pg] < 0) {
				if (m) {
					CHECKF(0, "round %d page %d: want none, got %s", round, pg,
					       m->path);
					bad++;
				}
				continue;
			}
			snprintf(want, sizeof(want), "/m%d", ref_id[pg]);
			if (!m || strcmp(m->path, want) ||
			    m->pgoff + (addr & ~(uint64_t)(PAGE - 1)) - m->start != ref_off[pg] ||
			    m->ino != (uint64_t)ref_id[pg]) {
				CHECKF(0,
				       "round %d page %d: want %s offset %" PRIx64
				       ", got %s offset %" PRIx64,
				       round, pg, want, ref_off[pg], m ? m->path : "none",
				       m ? m->pgoff + (addr & ~(uint64_t)(PAGE - 1)) - m->start
					 : 0);
				bad++;
			}
		}
	}
	proc_table__free(t);
}

static void test_find_mapping(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 3;
	struct proc *p = proc_table__get(t, pid, false);
	struct mapping *m;

	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	CHECK(!proc__find_mapping(p, 0x1000));
	proc_table__mmap(t, pid, 0x1000, 0x1000, 0, 0, 0, "/one");
	proc_table__mmap(t, pid, 0x2000, 0x1000, 0, 0, 0, "/two"); /* adjacent */
	proc_table__mmap(t, pid, 0x5000, 0x1000, 0, 0, 0, "/three");
	CHECK(!proc__find_mapping(p, 0));
	CHECK(!proc__find_mapping(p, 0xfff));
	m = proc__find_mapping(p, 0x1000);
	CHECKF(m && !strcmp(m->path, "/one"), "0x1000 -> %s", m ? m->path : "none");
	m = proc__find_mapping(p, 0x1fff);
	CHECKF(m && !strcmp(m->path, "/one"), "0x1fff -> %s", m ? m->path : "none");
	m = proc__find_mapping(p, 0x2000);
	CHECKF(m && !strcmp(m->path, "/two"), "0x2000 -> %s", m ? m->path : "none");
	m = proc__find_mapping(p, 0x2fff);
	CHECKF(m && !strcmp(m->path, "/two"), "0x2fff -> %s", m ? m->path : "none");
	CHECK(!proc__find_mapping(p, 0x3000));
	CHECK(!proc__find_mapping(p, 0x4fff));
	m = proc__find_mapping(p, 0x5000);
	CHECKF(m && !strcmp(m->path, "/three"), "0x5000 -> %s", m ? m->path : "none");
	CHECK(!proc__find_mapping(p, 0x6000));
	CHECK(!proc__find_mapping(p, UINT64_MAX));

	/* mapping__is_file */
	proc_table__mmap(t, pid, 0x10000, 0x1000, 0, 0, 0, "[vdso]");
	proc_table__mmap(t, pid, 0x11000, 0x1000, 0, 0, 0, "//anon");
	proc_table__mmap(t, pid, 0x12000, 0x1000, 0, 0, 0, "/memfd:jit (deleted)");
	proc_table__mmap(t, pid, 0x13000, 0x1000, 0, 0, 0, "/usr/lib/libz.so");
	m = proc__find_mapping(p, 0x10000);
	CHECK(m && !mapping__is_file(m));
	m = proc__find_mapping(p, 0x11000);
	CHECK(m && !mapping__is_file(m));
	m = proc__find_mapping(p, 0x12000);
	CHECK(m && !mapping__is_file(m));
	m = proc__find_mapping(p, 0x13000);
	CHECK(m && mapping__is_file(m));
	proc_table__free(t);
}

/* ---- comm, exec, fork, exit ---- */

static void test_comm_exec(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 10, tid = FAKE + 11;
	struct thread *th;
	struct proc *p;

	proc_table__comm(t, pid, pid, "oldprog", false);
	proc_table__mmap(t, pid, 0x400000, 0x1000, 0, 0, 0, "[vdso]");
	proc_table__mmap(t, pid, 0x500000, 0x1000, 0, 0, 0, "/usr/bin/oldprog");
	proc_table__mmap(t, pid, 0x600000, 0x1000, 0, 0, 0, "/usr/lib/libc.so.6");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	CHECKF(!strcmp(p->comm, "oldprog"), "comm '%s'", p->comm);
	CHECKF(!strcmp(p->exe, "oldprog"), "exe '%s', want the first file mapping's", p->exe);
	CHECKF(p->nmaps == 3, "nmaps %zu", p->nmaps);

	/* A thread renaming itself does not rename the process. */
	proc_table__comm(t, pid, tid, "worker", false);
	th = proc_table__thread(t, pid, tid);
	CHECKF(th && !strcmp(th->comm, "worker"), "thread comm '%s'", th ? th->comm : "none");
	CHECKF(!strcmp(p->comm, "oldprog"), "comm '%s'", p->comm);
	/* The main thread renaming itself does. */
	proc_table__comm(t, pid, pid, "renamed", false);
	CHECKF(!strcmp(p->comm, "renamed"), "comm '%s'", p->comm);
	CHECKF(p->nmaps == 3, "a rename kept nmaps %zu", p->nmaps);

	/* Names longer than comm are cut, terminated. */
	proc_table__comm(t, pid, pid, "a-name-much-longer-than-fifteen", false);
	CHECKF(strlen(p->comm) == 15, "comm '%s'", p->comm);

	/* exec: the address space is gone; the next file mapping names exe. */
	proc_table__comm(t, pid, pid, "newprog", true);
	CHECKF(!strcmp(p->comm, "newprog"), "comm '%s'", p->comm);
	CHECKF(p->nmaps == 0, "after exec nmaps %zu", p->nmaps);
	CHECK(!proc__find_mapping(p, 0x500000));
	CHECKF(!p->exe[0], "exe '%s' right after exec", p->exe);
	proc_table__mmap(t, pid, 0x7000, 0x1000, 0, 0, 0, "[vdso]");
	proc_table__mmap(t, pid, 0x8000, 0x1000, 0, 0, 0, "//anon");
	CHECKF(!p->exe[0], "exe '%s' from a non-file mapping", p->exe);
	proc_table__mmap(t, pid, 0x10000, 0x1000, 0, 0, 0, "/opt/new/newprog-bin (deleted)");
	CHECKF(!strcmp(p->exe, "newprog-bin"), "exe '%s', want 'newprog-bin'", p->exe);
	proc_table__mmap(t, pid, 0x20000, 0x1000, 0, 0, 0, "/lib/ld-linux-x86-64.so.2");
	CHECKF(!strcmp(p->exe, "newprog-bin"), "exe '%s' changed by a later mapping", p->exe);
	CHECKF(p->nmaps == 4, "nmaps %zu", p->nmaps);

	/* exec from a thread: the process gets the new name too. */
	proc_table__comm(t, pid, tid, "third", true);
	CHECKF(!strcmp(p->comm, "third") && p->nmaps == 0, "comm '%s' nmaps %zu", p->comm,
	       p->nmaps);
	proc_table__free(t);
}

static void test_fork(void)
{
	struct proc_table *t = proc_table__new(100);
	uint32_t parent = FAKE + 20, child = FAKE + 21, late = FAKE + 22, pending = FAKE + 23;
	uint32_t thr = FAKE + 24, orphan = FAKE + 25, parentless = FAKE + 26;
	struct proc *pp, *cp;
	struct thread *th;
	struct proc_stats st;

	proc_table__comm(t, parent, parent, "parent", false);
	proc_table__mmap(t, parent, 0x400000, 0x10000, 0, 0, 1, "/usr/bin/parent-exe");
	proc_table__mmap(t, parent, 0x7f0000, 0x10000, 0x1000, 0, 2, "/lib/libc.so.6");
	pp = proc_table__find(t, parent);
	CHECK(pp);
	if (!pp) {
		proc_table__free(t);
		return;
	}

	/* A child gets the parent's mappings, names and a thread entry. */
	proc_table__fork(t, child, parent, child);
	cp = proc_table__find(t, child);
	CHECK(cp);
	if (cp) {
		CHECKF(!strcmp(cp->comm, "parent"), "child comm '%s'", cp->comm);
		CHECKF(!strcmp(cp->exe, "parent-exe"), "child exe '%s'", cp->exe);
		check_maps(cp, {0x400000, 0x410000, 0, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
		CHECKF(cp->nmaps == 2 && cp->maps[0] == pp->maps[0],
		       "the child shares the parent's mapping objects");
		th = proc_table__thread(t, child, child);
		CHECKF(th && !strcmp(th->comm, "parent") && th->pid == child,
		       "child thread comm '%s'", th ? th->comm : "none");
		/* The child's new mapping is its own. */
		proc_table__mmap(t, child, 0x400000, 0x1000, 0, 0, 3, "/child-only");
		CHECKF(pp->nmaps == 2 && !strcmp(pp->maps[0]->path, "/usr/bin/parent-exe") &&
			   pp->maps[0]->start == 0x400000 && pp->maps[0]->end == 0x410000,
		       "parent's mappings changed by the child's mmap");
		check_maps(cp, {0x400000, 0x401000, 0, "/child-only"},
			   {0x401000, 0x410000, 0x1000, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
	}

	/*
	 * The child exec'd and mapped its program before we read the fork record
	 * (records of different CPUs): its newer state must stay.
	 */
	proc_table__comm(t, late, late, "newprog", true);
	proc_table__mmap(t, late, 0x500000, 0x2000, 0, 0, 4, "/usr/bin/newprog");
	proc_table__fork(t, late, parent, late);
	cp = proc_table__find(t, late);
	CHECK(cp);
	if (cp) {
		CHECKF(!strcmp(cp->comm, "newprog"), "late child comm '%s'", cp->comm);
		CHECKF(!strcmp(cp->exe, "newprog"), "late child exe '%s'", cp->exe);
		check_maps(cp, {0x500000, 0x502000, 0, "/usr/bin/newprog"});
		th = proc_table__thread(t, late, late);
		CHECKF(th && !strcmp(th->comm, "newprog"), "late child thread comm '%s'",
		       th ? th->comm : "none");
	}

	/* Same, exec seen but its mapping not yet. */
	proc_table__comm(t, pending, pending, "pendprog", true);
	proc_table__fork(t, pending, parent, pending);
	cp = proc_table__find(t, pending);
	CHECK(cp);
	if (cp) {
		CHECKF(cp->nmaps == 0, "pending child got %zu mappings from its parent", cp->nmaps);
		CHECKF(!strcmp(cp->comm, "pendprog"), "pending child comm '%s'", cp->comm);
		proc_table__mmap(t, pending, 0x600000, 0x1000, 0, 0, 5, "/bin/pendprog");
		CHECKF(!strcmp(cp->exe, "pendprog"), "pending child exe '%s'", cp->exe);
	}

	/* A thread (pid == ppid) is named after its process. */
	proc_table__fork(t, parent, parent, thr);
	th = proc_table__thread(t, parent, thr);
	CHECKF(th && !strcmp(th->comm, "parent") && th->pid == parent && th->tid == thr,
	       "thread comm '%s'", th ? th->comm : "none");
	CHECKF(pp->nmaps == 2, "a thread fork changed nmaps to %zu", pp->nmaps);
	proc_table__stats(t, &st);
	CHECKF(st.procs == 4, "procs %" PRIu64 ", want 4 (a thread is not a process)", st.procs);

	/* A fork whose parent is unknown and gone: an empty child (and the
	 * parent, read from /proc in vain, tracked as it is). */
	proc_table__fork(t, parentless, orphan, parentless);
	cp = proc_table__find(t, parentless);
	CHECKF(cp && cp->nmaps == 0 && !cp->comm[0], "parentless child");
	/* A fork whose parent is unknown but alive (this test): the parent
	 * is read from /proc while it lives, and the child starts as its image. */
	proc_table__fork(t, parentless + 1, (uint32_t)getpid(), parentless + 1);
	cp = proc_table__find(t, parentless + 1);
	pp = proc_table__find(t, (uint32_t)getpid());
	CHECKF(pp && pp->nmaps > 0 && !strcmp(pp->comm, "test_proc"), "live parent: %zu maps, '%s'",
	       pp ? pp->nmaps : 0, pp ? pp->comm : "none");
	CHECKF(cp && pp && cp->nmaps == pp->nmaps && !strcmp(cp->comm, "test_proc"),
	       "child of a live unknown parent: %zu maps, '%s'", cp ? cp->nmaps : 0,
	       cp ? cp->comm : "none");

	/* A pid reused after exit: the old process is forgotten. */
	proc_table__exit(t, child, child);
	proc_table__fork(t, child, parent, child);
	cp = proc_table__find(t, child);
	CHECK(cp);
	if (cp) {
		CHECK(!cp->exited);
		check_maps(cp, {0x400000, 0x410000, 0, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
	}
	proc_table__stats(t, &st);
	CHECKF(st.procs == 8, "procs %" PRIu64 ", want 8", st.procs);
	proc_table__free(t);
}

static int count_live;
static void count_fn(struct proc *p, void *arg)
{
	(void)arg;
	count_live++;
	CHECKF(!p->exited, "for_each gave exited pid %u", p->pid);
}

static void test_exit_collect(void)
{
	enum { N = 300 };
	struct proc_table *t = proc_table__new(1000);
	struct proc_stats st;
	struct thread *th;
	uint32_t base = FAKE + 1000;
	int missing = 0, kept = 0;

	for (uint32_t i = 0; i < N; i++) {
		proc_table__comm(t, base + i, base + i, "p", false);
		proc_table__mmap(t, base + i, 0x1000, 0x1000, 0, 0, 0, "/bin/p");
		/* a second thread each */
		proc_table__fork(t, base + i, base + i, base + N + i);
	}
	proc_table__stats(t, &st);
	CHECKF(st.procs == N, "procs %" PRIu64, st.procs);

	/* Every third process exits (all of its threads); of the others, the second
	 * thread exits. */
	for (uint32_t i = 0; i < N; i++) {
		if (i % 3 == 0) {
			proc_table__exit(t, base + i, base + N + i);
			proc_table__exit(t, base + i, base + i);
		} else {
			proc_table__exit(t, base + i, base + N + i);
		}
	}
	/* Exited, but still there until collected; a second exit counts once. */
	proc_table__exit(t, base, base);
	CHECK(proc_table__find(t, base) && proc_table__find(t, base)->exited);
	proc_table__stats(t, &st);
	CHECKF(st.procs == N - N / 3, "procs %" PRIu64 ", want %d", st.procs, N - N / 3);
	count_live = 0;
	proc_table__for_each(t, count_fn, NULL);
	CHECKF(count_live == N - N / 3, "for_each visited %d, want %d", count_live, N - N / 3);

	/* Mark the surviving threads' names, to tell them from re-created ones. */
	for (uint32_t i = 0; i < N; i++) {
		th = proc_table__thread(t, base + i, base + i);
		if (th)
			snprintf(th->comm, sizeof(th->comm), "kept");
	}
	proc_table__collect(t);
	for (uint32_t i = 0; i < N; i++) {
		struct proc *p = proc_table__find(t, base + i);

		if (i % 3 == 0) {
			if (p) {
				CHECKF(0, "pid %u exited but still found after collect", base + i);
				missing++;
			}
			continue;
		}
		if (!p || p->nmaps != 1) {
			CHECKF(0, "pid %u live but lost by collect", base + i);
			missing++;
			continue;
		}
		th = proc_table__thread(t, base + i, base + i);
		kept += th && !strcmp(th->comm, "kept");
		/* The exited second thread was freed: asking for it makes a new one,
		 * named from the process. */
		th = proc_table__thread(t, base + i, base + N + i);
		CHECKF(th && !strcmp(th->comm, "p"), "thread %u: comm '%s'", base + N + i,
		       th ? th->comm : "none");
		if (missing > 5)
			break;
	}
	CHECKF(kept == N - N / 3, "%d main threads kept, want %d", kept, N - N / 3);
	proc_table__stats(t, &st);
	CHECKF(st.procs == N - N / 3, "procs %" PRIu64, st.procs);
	proc_table__free(t);
}

static void test_max_procs(void)
{
	struct proc_table *t = proc_table__new(3);
	struct proc_stats st;
	struct proc *p;

	log_set_level(LOG_OFF); /* the cap's warning */
	for (uint32_t i = 0; i < 3; i++)
		CHECKF(proc_table__get(t, FAKE + 100 + i, false), "pid %u of 3", i);
	CHECK(!proc_table__get(t, FAKE + 103, false));
	proc_table__mmap(t, FAKE + 104, 0x1000, 0x1000, 0, 0, 0, "/x");
	proc_table__comm(t, FAKE + 105, FAKE + 105, "x", true);
	proc_table__fork(t, FAKE + 106, FAKE + 100, FAKE + 106);
	CHECK(!proc_table__find(t, FAKE + 103) && !proc_table__find(t, FAKE + 104) &&
	      !proc_table__find(t, FAKE + 105) && !proc_table__find(t, FAKE + 106));
	/* Known ones are still found. */
	CHECK(proc_table__get(t, FAKE + 101, false));
	proc_table__stats(t, &st);
	CHECKF(st.procs == 3, "procs %" PRIu64, st.procs);
	CHECKF(st.dropped_pids == 4, "dropped_pids %" PRIu64 ", want 4", st.dropped_pids);

	/* An exit makes room. */
	proc_table__exit(t, FAKE + 100, FAKE + 100);
	proc_table__collect(t);
	p = proc_table__get(t, FAKE + 103, false);
	CHECK(p);
	CHECK(!proc_table__get(t, FAKE + 107, false));
	proc_table__stats(t, &st);
	CHECKF(st.procs == 3 && st.dropped_pids == 5, "procs %" PRIu64 " dropped %" PRIu64,
	       st.procs, st.dropped_pids);
	log_set_level(LOG_NOTICE);
	proc_table__free(t);
}

/* ---- backfill from /proc ---- */

static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t named_cond = PTHREAD_COND_INITIALIZER;
static int named_state; /* 1: named and tid set, 2: may exit */
static pid_t named_tid;

static void *named_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "hrp-named");
	pthread_mutex_lock(&named_lock);
	named_tid = gettid();
	named_state = 1;
	pthread_cond_broadcast(&named_cond);
	while (named_state != 2)
		pthread_cond_wait(&named_cond, &named_lock);
	pthread_mutex_unlock(&named_lock);
	return NULL;
}

int main(void);

static void test_backfill(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t self = (uint32_t)getpid();
	char exe[PATH_MAX], comm[32] = "";
	const char *base;
	struct proc_stats st;
	struct mapping *m;
	struct thread *th;
	struct proc *p;
	pthread_t pt;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = 0;
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}

	p = proc_table__get(t, self, true);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	CHECK(p->backfilled);
	CHECKF(!strcmp(p->comm, comm), "comm '%s', want '%s'", p->comm, comm);
	CHECKF(!strncmp(p->exe, base, sizeof(p->exe) - 1), "exe '%s', want '%s'", p->exe, base);
	CHECKF(p->nspid == self, "nspid %u, want %u", p->nspid, self);
	CHECKF(p->nmaps >= 2, "%zu executable mappings", p->nmaps);

	m = proc__find_mapping(p, (uint64_t)(uintptr_t)&main);
	CHECKF(m && !strcmp(m->path, exe), "main at %p: mapping %s, want %s", (void *)&main,
	       m ? m->path : "none", exe);
	if (m) {
		struct stat sb;

		CHECK(mapping__is_file(m));
		CHECKF(!stat(exe, &sb) && sb.st_ino == m->ino, "ino %" PRIu64, m->ino);
	}
	if (getauxval(AT_SYSINFO_EHDR)) {
		m = proc__find_mapping(p, getauxval(AT_SYSINFO_EHDR));
		CHECKF(m && !strcmp(m->path, "[vdso]"), "vdso mapping %s", m ? m->path : "none");
	}

	/* Threads: this one, and one that named itself. */
	th = proc_table__thread(t, self, (uint32_t)gettid());
	CHECKF(th && !strcmp(th->comm, comm), "main thread comm '%s', want '%s'",
	       th ? th->comm : "none", comm);
	CHECK(!pthread_create(&pt, NULL, named_thread, NULL));
	pthread_mutex_lock(&named_lock);
	while (named_state != 1)
		pthread_cond_wait(&named_cond, &named_lock);
	pthread_mutex_unlock(&named_lock);
	th = proc_table__thread(t, self, (uint32_t)named_tid);
	CHECKF(th && !strcmp(th->comm, "hrp-named") && th->pid == self,
	       "named thread comm '%s', want 'hrp-named'", th ? th->comm : "none");
	pthread_mutex_lock(&named_lock);
	named_state = 2;
	pthread_cond_broadcast(&named_cond);
	pthread_mutex_unlock(&named_lock);
	pthread_join(pt, NULL);

	/* Backfilled once only. */
	CHECK(proc_table__get(t, self, true) == p);
	proc_table__stats(t, &st);
	CHECKF(st.backfills == 1, "backfills %" PRIu64, st.backfills);

	/* A pid with nothing in /proc: an empty process, no crash. */
	p = proc_table__get(t, FAKE + 200, true);
	CHECKF(p && p->nmaps == 0 && !p->comm[0] && !p->exe[0], "process without /proc");
	proc_table__free(t);
}

/* ---- references ---- */

static void test_refs(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 300, child = FAKE + 301;
	struct mapping *held, *split, *shared;
	struct proc *p;

	proc_table__mmap(t, pid, 0x10000, 0x10000, 0x3000, 7, 8, "/usr/lib/held.so");
	proc_table__mmap(t, pid, 0x40000, 0x1000, 0, 7, 9, "/usr/lib/shared.so");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	held = mapping__get(proc__find_mapping(p, 0x10000));
	CHECK(held);
	/* Split it: the held object stays as it was. */
	proc_table__mmap(t, pid, 0x14000, 0x1000, 0, 0, 0, "/other");
	split = proc__find_mapping(p, 0x10000);
	CHECK(split && split != held);
	/* Replace what is left entirely, and share one with a child. */
	proc_table__mmap(t, pid, 0x0, 0x30000, 0, 0, 0, "/cover");
	proc_table__fork(t, child, pid, child);
	shared = mapping__get(proc__find_mapping(p, 0x40000));
	/* The process exits and is collected; then the whole table goes. */
	proc_table__exit(t, pid, pid);
	proc_table__collect(t);
	CHECK(!proc_table__find(t, pid));
	proc_table__free(t);

	CHECK(mapping__get(NULL) == NULL);
	mapping__put(NULL);
	if (held) {
		CHECKF(held->start == 0x10000 && held->end == 0x20000 && held->pgoff == 0x3000 &&
			   held->dev == 7 && held->ino == 8 &&
			   !strcmp(held->path, "/usr/lib/held.so"),
		       "held mapping changed: %" PRIx64 "-%" PRIx64 " %s", held->start, held->end,
		       held->path);
		CHECKF(held->refs == 1, "refs %d, want 1", held->refs);
		mapping__put(held);
	}
	if (shared) {
		CHECKF(shared->start == 0x40000 && !strcmp(shared->path, "/usr/lib/shared.so"),
		       "shared mapping changed");
		CHECKF(shared->refs == 1, "refs %d, want 1", shared->refs);
		mapping__put(shared);
	}
}

/* ---- names read at start ---- */

/* A process alive at start, gone before its first sample is read: its
 * backfill finds no /proc, and takes the name read at start. */
static void test_names_at_start(void)
{
	struct proc_table *t = proc_table__new(10);
	int ready[2];
	struct proc *p;
	pid_t child;
	char c;

	CHECK(!pipe(ready));
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "hrp-early", 0, 0, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	CHECK(child > 0 && read(ready[0], &c, 1) == 1);
	proc_table__names_at_start(t);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	p = proc_table__get(t, (uint32_t)child, true);
	CHECKF(p && !strcmp(p->comm, "hrp-early") && p->nmaps == 0, "gone process named '%s'",
	       p ? p->comm : "none");
	/* A pid that was never there: still no name. */
	p = proc_table__get(t, FAKE + 500, true);
	CHECK(p && !p->comm[0]);
	close(ready[0]);
	close(ready[1]);
	proc_table__free(t);
}

/* ---- views ---- */

/* A view is made once per change of its process, and stays as it was made
 * (names, mappings) through exec, new mappings, renames and the process's
 * end, for as long as a sample holds it. */
static void test_views(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 400;
	struct proc_view *v1, *v2, *v3;
	struct proc_stats st;
	struct proc *p;

	proc_table__comm(t, pid, pid, "before", false);
	proc_table__mmap(t, pid, 0x400000, 0x10000, 0, 1, 2, "/usr/bin/before");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	v1 = proc_view__get(proc_table__view(t, p));
	CHECK(v1 && proc_table__view(t, p) == v1); /* unchanged: the same view */
	/* A thread's name is not the process's: still the same view. */
	proc_table__comm(t, pid, pid + 1, "worker", false);
	CHECK(proc_table__view(t, p) == v1);

	proc_table__mmap(t, pid, 0x7f0000, 0x1000, 0, 1, 3, "/usr/lib/libx.so");
	v2 = proc_view__get(proc_table__view(t, p));
	CHECK(v2 && v2 != v1 && v2->nmaps == 2);

	/* exec: a new name, new mappings; the old views keep the old ones. */
	proc_table__comm(t, pid, pid, "after", true);
	proc_table__mmap(t, pid, 0x500000, 0x10000, 0, 1, 4, "/usr/bin/after");
	v3 = proc_view__get(proc_table__view(t, p));
	CHECK(v3 && v3 != v2 && !strcmp(v3->comm, "after") && !strcmp(v3->exe, "after"));
	CHECK(v3 && v3->nmaps == 1 && proc_view__find_mapping(v3, 0x500000) &&
	      !proc_view__find_mapping(v3, 0x400000));
	proc_table__exit(t, pid, pid);
	proc_table__collect(t);
	proc_table__stats(t, &st);
	proc_table__free(t);

	CHECKF(v1 && !strcmp(v1->comm, "before") && !strcmp(v1->exe, "before") && v1->nmaps == 1 &&
		   v1->pid == pid,
	       "first view changed: '%s' '%s' %zu maps", v1 ? v1->comm : "", v1 ? v1->exe : "",
	       v1 ? v1->nmaps : 0);
	CHECK(v1 && proc_view__find_mapping(v1, 0x400000) &&
	      !strcmp(proc_view__find_mapping(v1, 0x400000)->path, "/usr/bin/before"));
	CHECK(v2 && !strcmp(v2->comm, "before") && proc_view__find_mapping(v2, 0x7f0000));
	CHECKF(v1 && v2 && v3 && v1->refs == 1 && v2->refs == 1 && v3->refs == 1,
	       "refs %d %d %d: only ours left", v1 ? v1->refs : 0, v2 ? v2->refs : 0,
	       v3 ? v3->refs : 0);
	CHECKF(st.views == 3 && st.views_stale == 0, "views %" PRIu64 " stale %" PRIu64, st.views,
	       st.views_stale);
	proc_view__put(v1);
	proc_view__put(v2);
	proc_view__put(v3);
	proc_view__put(NULL);
	CHECK(proc_view__get(NULL) == NULL);
}

int main(void)
{
	test_maps_parse_line();
	test_mmap_overlaps();
	test_mmap_random();
	test_find_mapping();
	test_comm_exec();
	test_fork();
	test_exit_collect();
	test_max_procs();
	test_backfill();
	test_refs();
	test_views();
	test_names_at_start();
	return check_exit("test_proc");
}
