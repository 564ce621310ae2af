/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the report's unit tests share: a scratch directory (tmpdir, made by
 * main, removed with rm_entry) and paths in it, files written whole,
 * report_print run on a file with its output and its stderr caught, and
 * the known profile they read (fixture__build: 65ms over
 * leaf_fn/memcpy/main/an address).
 */
#ifndef HRPROF_TEST_REPORT_CHECK_H
#define HRPROF_TEST_REPORT_CHECK_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/pprof.h"
#include "report/report.h"

#include "check.h"

#define MS 1000000LL

static char tmpdir[256];

/* tmpdir/name; the same name always gives the same buffer. */
static inline char *tmp_path(const char *name)
{
	static char bufs[32][600];
	static const char *names[32];
	int i;

	for (i = 0; i < 32 && names[i]; i++)
		if (!strcmp(names[i], name))
			return bufs[i];
	if (i == 32)
		abort();
	names[i] = name;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, name);
	return bufs[i];
}

static inline void file__write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

/* Captures what goes to fd (1 or 2) between begin and end. */
struct capture {
	int fd, saved, file;
	char path[600];
};

static inline void capture__begin(struct capture *c, int fd)
{
	static int seq;

	fflush(stdout);
	fflush(stderr);
	snprintf(c->path, sizeof(c->path), "%s/capture.%d", tmpdir, seq++);
	c->fd = fd;
	c->file = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	c->saved = dup(fd);
	dup2(c->file, fd);
}

static inline char *capture__end(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	close(c->file);
	return file__slurp(c->path, NULL);
}

/* report_print on path: its output in *out, its stderr in *err. */
static inline int report(const char *path, int top_n, const char *sample_index, char **out,
			 char **err)
{
	struct capture ce;
	FILE *f = tmpfile();
	size_t len;
	int rc;

	capture__begin(&ce, 2);
	rc = report_print(f, path, top_n, sample_index);
	*err = capture__end(&ce);
	len = (size_t)ftell(f);
	*out = calloc(1, len + 1);
	rewind(f);
	if (fread(*out, 1, len, f) != len)
		CHECK(0);
	fclose(f);
	return rc;
}

static inline int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* The profile of test_pprof: 65ms over leaf_fn/memcpy/main/an address. */
static inline struct pprof *fixture__build(void)
{
	struct pprof *p = pprof__new();
	uint64_t m, fm, fw, fl, fc, lm, lw, ll, lc, la;

	pprof__add_sample_type(p, "cpu-time", "nanoseconds");
	pprof__add_sample_type(p, "cpu-samples", "count");
	pprof__set_period(p, "cpu-time", "nanoseconds", 10 * MS);
	pprof__set_time(p, 1700000000123456789LL, 2500 * MS);
	m = pprof__mapping(p, 0x400000, 0x500000, 0, "/usr/bin/app", "abcdef", true, true);
	fm = pprof__function(p, "main", NULL, "app.c");
	fw = pprof__function(p, "work", NULL, "app.c");
	fl = pprof__function(p, "leaf_fn", NULL, "app.c");
	fc = pprof__function(p, "memcpy", NULL, NULL);
	lm = pprof__location(p, m, 0x401000, fm);
	lw = pprof__location(p, m, 0x401100, fw);
	ll = pprof__location(p, m, 0x401200, fl);
	lc = pprof__location(p, 0, 0x7f0000001000, fc);
	la = pprof__location(p, m, 0x401300, 0);
	CHECK(!pprof__sample(p, (uint64_t[]){ll, lw, lm}, 3, (int64_t[]){30 * MS, 3}, NULL, 0));
	CHECK(!pprof__sample(p, (uint64_t[]){lc, lw, lm}, 3, (int64_t[]){20 * MS, 2}, NULL, 0));
	CHECK(!pprof__sample(p, (uint64_t[]){lm}, 1, (int64_t[]){10 * MS, 1}, NULL, 0));
	CHECK(!pprof__sample(p, (uint64_t[]){la, lm}, 2, (int64_t[]){5 * MS, 1}, NULL, 0));
	return p;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

#endif
