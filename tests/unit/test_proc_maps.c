// SPDX-License-Identifier: GPL-2.0
/*
 * A process's mappings: /proc/<pid>/maps lines, mappings replacing what they
 * overlap (pieces left on either side with the right file offsets, checked
 * against a page-by-page reference on random mappings), lookups at the
 * boundaries, which mappings are files, and mapping references outliving the
 * table (run under ASan to prove it). The table's processes and their views
 * are test_proc's.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "check.h"
#include "proc/proc.h"
#include "proc_check.h"

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

int main(void)
{
	test_maps_parse_line();
	test_mmap_overlaps();
	test_mmap_random();
	test_find_mapping();
	test_refs();
	return check_exit("test_proc_maps");
}
