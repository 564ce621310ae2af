// SPDX-License-Identifier: GPL-2.0
/*
 * `hrprof report`: ranking and percentages of a known profile, recursion
 * counted once in cum, lost samples, sample_index, a profile written by Go's
 * runtime/pprof, and bad input of every kind (truncated, random, gzip of
 * garbage, broken references, fuzzed bytes, missing files, bad usage): one
 * error line, the right exit code, never a crash.
 *
 * Exit: 0 pass, 1 a check failed, 77 all else passed but `go` is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "profile/pprof.h"
#include "report/report.h"
#include "profile.pb-c.h"

#include "check.h"

#define MS 1000000LL

static char tmpdir[256];

/* tmpdir/name; the same name always gives the same buffer. */
static char *tmp_path(const char *name)
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

static void file__write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

static size_t gzip__buf(const void *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs = {0};
	size_t n;

	deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	return n;
}

/* Captures what goes to fd (1 or 2) between begin and end. */
struct capture {
	int fd, saved, file;
	char path[600];
};

static void capture__begin(struct capture *c, int fd)
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

static char *capture__end(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	close(c->file);
	return file__slurp(c->path, NULL);
}

/* report_print on path: its output in *out, its stderr in *err. */
static int report(const char *path, int top_n, const char *sample_index, char **out, char **err)
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

/* report_main(argv): exit code, stdout and stderr. */
static int report_argv(char **out, char **err, int argc, ...)
{
	struct capture co, ce;
	char *argv[16];
	va_list ap;
	int rc;

	va_start(ap, argc);
	for (int i = 0; i < argc && i < 15; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	capture__begin(&co, 1);
	capture__begin(&ce, 2);
	rc = report_main(argc, argv);
	*err = capture__end(&ce);
	*out = capture__end(&co);
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

struct row {
	char flat[32], flatp[16], sump[16], cum[32], cump[16];
	char name[256];
};

/* The rows of the table whose title contains title ("by flat", "by cum"). */
static int table__rows(const char *out, const char *title, struct row *rows, int max)
{
	const char *p = strstr(out, title);
	int n = 0;

	if (!p || !(p = strchr(p, '\n')) || !(p = strchr(p + 1, '\n')))
		return -1;
	for (p++; *p && *p != '\n' && n < max;) {
		const char *nl = strchr(p, '\n');
		int off = 0;

		if (sscanf(p, " %31s %15s %15s %31s %15s %n", rows[n].flat, rows[n].flatp,
			   rows[n].sump, rows[n].cum, rows[n].cump, &off) < 5 ||
		    !off)
			break;
		snprintf(rows[n].name, sizeof(rows[n].name), "%.*s",
			 (int)((nl ? nl : p + strlen(p)) - (p + off)), p + off);
		n++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	return n;
}

static bool row__is(const struct row *r, const char *name, const char *flat, const char *flatp,
		    const char *cum, const char *cump)
{
	return !strcmp(r->name, name) && !strcmp(r->flat, flat) && !strcmp(r->flatp, flatp) &&
	       !strcmp(r->cum, cum) && !strcmp(r->cump, cump);
}

/* The profile of test_pprof: 65ms over leaf_fn/memcpy/main/an address. */
static struct pprof *fixture__build(void)
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

static void test_ranking(const char *good)
{
	struct row r[16];
	char *out, *err;
	int n;

	CHECK(report(good, 0, NULL, &out, &err) == 0);
	CHECKF(!*err, "stderr: %s", err);
	CHECKF(strstr(out, "File: "), "%s", out);
	CHECKF(strstr(out, "Sample types: cpu-time/nanoseconds [shown], cpu-samples/count\n"), "%s",
	       out);
	CHECKF(strstr(out, "Time: 2023-11-14 22:13:20 UTC\n"), "%s", out);
	CHECKF(strstr(out, "Duration: 2.50s\n"), "%s", out);
	CHECKF(strstr(out, "Period: 10ms cpu-time\n"), "%s", out);
	CHECKF(strstr(out, "Samples: 7 (4 distinct stacks)\n"), "%s", out);
	CHECKF(strstr(out, "Total: 65ms cpu-time (2.60% of 2.50s)\n"), "%s", out);
	CHECKF(strstr(out, "Lost samples: 0 (0 cpu-time)\n"), "%s", out);

	n = table__rows(out, "functions by flat", r, 16);
	CHECKF(n == 5, "%d flat rows in:\n%s", n, out);
	if (n == 5) {
		CHECKF(row__is(&r[0], "leaf_fn", "30ms", "46.15%", "30ms", "46.15%"), "%s", out);
		CHECKF(row__is(&r[1], "memcpy", "20ms", "30.77%", "20ms", "30.77%"), "%s", out);
		CHECKF(row__is(&r[2], "main", "10ms", "15.38%", "65ms", "100.00%"), "%s", out);
		CHECKF(row__is(&r[3], "0x401300 [app]", "5ms", "7.69%", "5ms", "7.69%"), "%s", out);
		CHECKF(row__is(&r[4], "work", "0", "0.00%", "50ms", "76.92%"), "%s", out);
		CHECKF(!strcmp(r[1].sump, "76.92%") && !strcmp(r[4].sump, "100.00%"), "%s", out);
	}
	n = table__rows(out, "functions by cum", r, 16);
	CHECKF(n == 5, "%d cum rows in:\n%s", n, out);
	if (n == 5) {
		CHECKF(!strcmp(r[0].name, "main") && !strcmp(r[1].name, "work") &&
			   !strcmp(r[2].name, "leaf_fn") && !strcmp(r[3].name, "memcpy") &&
			   !strcmp(r[4].name, "0x401300 [app]"),
		       "%s", out);
		CHECKF(!strcmp(r[1].cum, "50ms") && !strcmp(r[1].cump, "76.92%"), "%s", out);
	}
	free(out);
	free(err);

	/* -n and sample_index by name and by index */
	CHECK(report(good, 2, "cpu-samples", &out, &err) == 0);
	CHECKF(strstr(out, "Sample types: cpu-time/nanoseconds, cpu-samples/count [shown]\n"), "%s",
	       out);
	CHECKF(strstr(out, "Total: 7 cpu-samples\n") && strstr(out, "Lost samples: 0\n"), "%s",
	       out);
	CHECKF(strstr(out, "Top 2 of 5 functions by flat cpu-samples:"), "%s", out);
	n = table__rows(out, "functions by flat", r, 16);
	CHECKF(n == 2 && row__is(&r[0], "leaf_fn", "3", "42.86%", "3", "42.86%"), "%s", out);
	free(out);
	free(err);
	CHECK(report(good, 0, "1", &out, &err) == 0);
	CHECKF(strstr(out, "cpu-samples/count [shown]"), "%s", out);
	free(out);
	free(err);
	CHECK(report(good, 0, "bogus", &out, &err) == -EINVAL);
	CHECKF(count_lines(err) == 1 &&
		   strstr(err, ": no sample type \"bogus\" (have: cpu-time, cpu-samples)\n"),
	       "stderr: %s", err);
	free(out);
	free(err);
	CHECK(report(good, 0, "2", &out, &err) == -EINVAL);
	free(out);
	free(err);
}

/* f appears twice in one stack: cum counts it once. And a lost sample. */
static void test_recursion(void)
{
	struct pprof *p = pprof__new();
	uint64_t ff, fg, fm, flost, lf1, lf2, lg, lm, llost;
	char *path = tmp_path("recursion.pb.gz"), *out, *err;
	struct row r[8];
	int n;

	pprof__add_sample_type(p, "cpu-time", "nanoseconds");
	pprof__add_sample_type(p, "cpu-samples", "count");
	ff = pprof__function(p, "f", NULL, NULL);
	fg = pprof__function(p, "g", NULL, NULL);
	fm = pprof__function(p, "main", NULL, NULL);
	flost = pprof__function(p, "[lost]", NULL, NULL);
	lf1 = pprof__location(p, 0, 0x100, ff);
	lf2 = pprof__location(p, 0, 0x104, ff); /* another call site in f */
	lg = pprof__location(p, 0, 0x200, fg);
	lm = pprof__location(p, 0, 0x300, fm);
	llost = pprof__location(p, 0, 0, flost);
	CHECK(
	    !pprof__sample(p, (uint64_t[]){lf1, lg, lf2, lm}, 4, (int64_t[]){10 * MS, 1}, NULL, 0));
	CHECK(!pprof__sample(p, (uint64_t[]){lg, lm}, 2, (int64_t[]){5 * MS, 1}, NULL, 0));
	CHECK(!pprof__sample(p, (uint64_t[]){llost}, 1, (int64_t[]){5 * MS, 5}, NULL, 0));
	CHECK(!pprof__write_file(p, path));
	pprof__free(p);

	CHECK(report(path, 0, NULL, &out, &err) == 0);
	CHECKF(strstr(out, "Total: 20ms cpu-time\n"), "%s", out);
	CHECKF(strstr(out, "Lost samples: 5 (5ms cpu-time)\n"), "%s", out);
	n = table__rows(out, "functions by cum", r, 8);
	CHECKF(n == 4, "%d rows:\n%s", n, out);
	if (n == 4) {
		CHECKF(row__is(&r[0], "g", "5ms", "25.00%", "15ms", "75.00%"), "%s", out);
		CHECKF(row__is(&r[1], "main", "0", "0.00%", "15ms", "75.00%"), "%s", out);
		CHECKF(row__is(&r[2], "f", "10ms", "50.00%", "10ms", "50.00%"), "%s", out);
		CHECKF(row__is(&r[3], "[lost]", "5ms", "25.00%", "5ms", "25.00%"), "%s", out);
	}
	free(out);
	free(err);
}

/* Names are printed safely: control bytes replaced, long names cut. */
static void test_names(void)
{
	struct pprof *p = pprof__new();
	char *path = tmp_path("names.pb"), *out, *err, longname[400];
	uint64_t f1, f2, l1, l2;
	uint8_t *buf;
	size_t len, maxline = 0, cur = 0;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	pprof__add_sample_type(p, "alloc_space", "bytes");
	f1 = pprof__function(p, longname, NULL, NULL);
	f2 = pprof__function(p, "evil\n\x1b[31mred", NULL, NULL);
	l1 = pprof__location(p, 0, 1, f1);
	l2 = pprof__location(p, 0, 2, f2);
	CHECK(!pprof__sample(p, &l1, 1, (int64_t[]){3 << 20}, NULL, 0));
	CHECK(!pprof__sample(p, &l2, 1, (int64_t[]){1 << 20}, NULL, 0));
	/* a raw (not gzip-compressed) file */
	CHECK(!pprof__encode(p, &buf, &len));
	file__write(path, buf, len);
	free(buf);
	pprof__free(p);

	CHECK(report(path, 0, NULL, &out, &err) == 0);
	CHECKF(!strchr(out, '\x1b') && strstr(out, "evil??[31mred"), "%s", out);
	CHECKF(strstr(out, "xxx...\n"), "%s", out);
	CHECKF(strstr(out, "Total: 4MB alloc_space\n") && strstr(out, "Lost: 0 alloc_space\n"),
	       "%s", out);
	for (const char *s = out; *s; s++) {
		cur = *s == '\n' ? 0 : cur + 1;
		maxline = cur > maxline ? cur : maxline;
	}
	CHECKF(maxline <= 160, "a line of %zu chars:\n%s", maxline, out);
	free(out);
	free(err);
}

/* Expects report to fail on path with one line "hrprof report: PATH: ...why...". */
static void expect_error(const char *path, const char *why)
{
	char *out, *err, prefix[700];
	int rc = report(path, 0, NULL, &out, &err);

	snprintf(prefix, sizeof(prefix), "hrprof report: %s: ", path);
	CHECKF(rc < 0, "%s: rc %d, stdout:\n%s", why, rc, out);
	CHECKF(!strncmp(err, prefix, strlen(prefix)) && count_lines(err) == 1 &&
		   (!*why || strstr(err, why)),
	       "expected \"%s\", stderr: %s", why, err);
	CHECKF(!*out, "stdout on error: %s", out);
	free(out);
	free(err);
}

static uint64_t rng_state = 0x1234567;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

/* Packs a modified copy of the good profile and expects why. */
static void expect_broken(const uint8_t *raw, size_t len,
			  void (*breakit)(Perftools__Profiles__Profile *), const char *why)
{
	Perftools__Profiles__Profile *pr = perftools__profiles__profile__unpack(NULL, len, raw);
	char *path = tmp_path("broken.pb");
	uint8_t *buf;
	size_t n;

	CHECK(pr);
	if (!pr)
		return;
	breakit(pr);
	buf = malloc(perftools__profiles__profile__get_packed_size(pr));
	n = perftools__profiles__profile__pack(pr, buf);
	file__write(path, buf, n);
	free(buf);
	perftools__profiles__profile__free_unpacked(pr, NULL);
	expect_error(path, why);
}

static void break_loc_ref(Perftools__Profiles__Profile *pr)
{
	pr->sample[0]->location_id[1] = 99;
}

static void break_fn_name(Perftools__Profiles__Profile *pr)
{
	pr->function[1]->name = 999;
}

static void break_dup_loc(Perftools__Profiles__Profile *pr)
{
	pr->location[1]->id = pr->location[0]->id;
}

static void break_zero_fn(Perftools__Profiles__Profile *pr)
{
	pr->function[0]->id = 0;
}

static void break_values(Perftools__Profiles__Profile *pr)
{
	pr->sample[2]->n_value = 1;
}

static void break_mapping_ref(Perftools__Profiles__Profile *pr)
{
	pr->location[0]->mapping_id = 7;
}

static void break_line_fn(Perftools__Profiles__Profile *pr)
{
	pr->location[0]->line[0]->function_id = 77;
}

static void break_strtab(Perftools__Profiles__Profile *pr)
{
	char *t = pr->string_table[0];

	pr->string_table[0] = pr->string_table[1];
	pr->string_table[1] = t;
}

/* malloc'd like protobuf-c's own, so free_unpacked frees them */
static void break_label(Perftools__Profiles__Profile *pr)
{
	Perftools__Profiles__Label *l = malloc(sizeof(*l));

	perftools__profiles__label__init(l);
	l->key = -3;
	free(pr->sample[0]->label);
	pr->sample[0]->label = malloc(sizeof(*pr->sample[0]->label));
	pr->sample[0]->label[0] = l;
	pr->sample[0]->n_label = 1;
}

static void break_sample_type(Perftools__Profiles__Profile *pr)
{
	pr->sample_type[1]->unit = 1 << 30;
}

static void test_bad_input(const char *good_gz, const char *good_raw)
{
	size_t gz_len, raw_len;
	char *gz = file__slurp(good_gz, &gz_len);
	char *raw = file__slurp(good_raw, &raw_len);
	char *path = tmp_path("bad"), *out, *err;
	uint8_t junk[4096], zbuf[8192];
	int fails = 0, errlines = 0;

	if (!gz || !raw) {
		CHECK(0);
		return;
	}
	expect_error(tmp_path("does-not-exist.pb.gz"), "No such file or directory");
	expect_error(tmpdir, "Is a directory");

	file__write(path, "", 0);
	expect_error(path, "string table");

	file__write(path, gz, gz_len / 2);
	expect_error(path, "truncated gzip data");
	file__write(path, gz, 10);
	expect_error(path, "truncated gzip data");
	file__write(path, raw, raw_len / 2);
	expect_error(path, "");
	file__write(path, raw, raw_len - 1);
	expect_error(path, "");

	/* gzip header, then garbage */
	memcpy(junk, gz, 10);
	for (size_t i = 10; i < 200; i++)
		junk[i] = (uint8_t)rng();
	file__write(path, junk, 200);
	expect_error(path, "corrupt gzip data");

	/* valid gzip of garbage */
	for (size_t i = 0; i < 1000; i++)
		junk[i] = (uint8_t)rng();
	file__write(path, zbuf, gzip__buf(junk, 1000, zbuf, sizeof(zbuf)));
	expect_error(path, "");

	/* good gzip, then junk; then two members (as cat a.gz b.gz): fine */
	memcpy(zbuf, gz, gz_len);
	memcpy(zbuf + gz_len, "junk", 4);
	file__write(path, zbuf, gz_len + 4);
	expect_error(path, "trailing garbage after gzip data");
	{
		size_t half = raw_len / 2, n1, n2;

		n1 = gzip__buf(raw, half, zbuf, sizeof(zbuf));
		n2 = gzip__buf(raw + half, raw_len - half, zbuf + n1, sizeof(zbuf) - n1);
		file__write(path, zbuf, n1 + n2);
		CHECK(report(path, 0, NULL, &out, &err) == 0);
		CHECKF(strstr(out, "Total: 65ms cpu-time"), "two gzip members: %s%s", out, err);
		free(out);
		free(err);
	}

	expect_broken((uint8_t *)raw, raw_len, break_loc_ref,
		      "sample 0 refers to missing location 99");
	expect_broken((uint8_t *)raw, raw_len, break_fn_name, "string index 999 out of range (");
	expect_broken((uint8_t *)raw, raw_len, break_dup_loc, "duplicate location id 1");
	expect_broken((uint8_t *)raw, raw_len, break_zero_fn, "function with id 0");
	expect_broken((uint8_t *)raw, raw_len, break_values,
		      "sample 2 has 1 values for 2 sample types");
	expect_broken((uint8_t *)raw, raw_len, break_mapping_ref,
		      "location 1 refers to missing mapping 7");
	expect_broken((uint8_t *)raw, raw_len, break_line_fn,
		      "location 1 refers to missing function 77");
	expect_broken((uint8_t *)raw, raw_len, break_strtab, "string table does not start with");
	expect_broken((uint8_t *)raw, raw_len, break_label, "string index -3 out of range");
	expect_broken((uint8_t *)raw, raw_len, break_sample_type,
		      "string index 1073741824 out of range");

	/* random bytes, some behind a gzip magic: each one error line, no crash */
	for (int i = 0; i < 300; i++) {
		size_t len = rng() % sizeof(junk);
		int rc;

		for (size_t j = 0; j < len; j++)
			junk[j] = (uint8_t)rng();
		if (i % 3 == 0 && len >= 2)
			junk[0] = 0x1f, junk[1] = 0x8b;
		file__write(path, junk, len);
		rc = report(path, 0, NULL, &out, &err);
		fails += rc < 0;
		errlines += count_lines(err);
		free(out);
		free(err);
	}
	CHECKF(fails == 300 && errlines == 300, "random input: %d failures, %d error lines", fails,
	       errlines);

	/* the good profile with a few bytes changed: whatever it says, no crash
	 * (ASan/UBSan builds check that), and one line when it fails */
	for (int i = 0; i < 1500; i++) {
		bool use_gz = i % 4 == 0;
		char *src = use_gz ? gz : raw;
		size_t len = use_gz ? gz_len : raw_len;
		int rc;

		memcpy(zbuf, src, len);
		for (int k = 0, nk = 1 + (int)(rng() % 4); k < nk; k++)
			zbuf[rng() % len] ^= (uint8_t)(1 + rng() % 255);
		file__write(path, zbuf, len);
		rc = report(path, 0, NULL, &out, &err);
		CHECKF(rc == 0 ? !*err : count_lines(err) == 1, "fuzz %d: rc %d, stderr %s", i, rc,
		       err);
		free(out);
		free(err);
	}
	free(gz);
	free(raw);
}

static void test_usage(const char *good)
{
	char *missing = tmp_path("missing.pb.gz"), *out, *err;
	struct {
		int argc;
		char *argv[4];
		int rc;
		const char *in_out, *in_err;
	} cases[] = {
	    {1, {"report"}, 2, "", "no profile file given"},
	    {2, {"report", "-n"}, 2, "", "-n needs a number"},
	    {4, {"report", "-n", "0", (char *)good}, 2, "", "from 1 to"},
	    {4, {"report", "-n", "x", (char *)good}, 2, "", "from 1 to"},
	    {3, {"report", "--bogus", (char *)good}, 2, "", "unknown option '--bogus'"},
	    {2, {"report", "--sample_index"}, 2, "", "needs a name"},
	    {2, {"report", "--help"}, 0, "usage: hrprof report", ""},
	    {2, {"report", missing}, 1, "", "No such file"},
	    {4,
	     {"report", "-n", "2", (char *)good},
	     0,
	     "Top 2 of 5 functions by flat cpu-time",
	     ""},
	    {3, {"report", "-n3", (char *)good}, 0, "Top 3 of 5", ""},
	    {3,
	     {"report", (char *)good, "--sample_index=cpu-samples"},
	     0,
	     "Total: 7 cpu-samples",
	     ""},
	    {4, {"report", "--sample_index", "1", (char *)good}, 0, "count [shown]", ""},
	    {4, {"report", "--sample_index", "nope", (char *)good}, 1, "", "no sample type"},
	    {3, {"report", (char *)good, missing}, 1, "Total: 65ms", "missing.pb.gz: No such"},
	    {4, {"report", "--", "-n", (char *)good}, 1, "Total: 65ms", "-n: No such"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = report_argv(&out, &err, cases[i].argc, cases[i].argv[0], cases[i].argv[1],
				     cases[i].argv[2], cases[i].argv[3]);

		CHECKF(rc == cases[i].rc && strstr(out, cases[i].in_out) &&
			   strstr(err, cases[i].in_err),
		       "case %zu (%s %s): rc %d\nstdout: %s\nstderr: %s", i, cases[i].argv[1],
		       cases[i].argc > 2 ? cases[i].argv[2] : "", rc, out, err);
		if (cases[i].rc == 2)
			CHECKF(strstr(err, "usage: hrprof report"), "case %zu: %s", i, err);
		free(out);
		free(err);
	}
}

static const char go_main[] = "package main\n"
			      "\n"
			      "import (\n"
			      "\t\"os\"\n"
			      "\t\"runtime/pprof\"\n"
			      "\t\"time\"\n"
			      ")\n"
			      "\n"
			      "var sink uint64\n"
			      "\n"
			      "//go:noinline\n"
			      "func burn(d time.Duration) {\n"
			      "\tend := time.Now().Add(d)\n"
			      "\tfor time.Now().Before(end) {\n"
			      "\t\tfor i := 0; i < 100000; i++ {\n"
			      "\t\t\tsink += uint64(i) * 2654435761\n"
			      "\t\t}\n"
			      "\t}\n"
			      "}\n"
			      "\n"
			      "func main() {\n"
			      "\tf, err := os.Create(os.Args[1])\n"
			      "\tif err != nil {\n"
			      "\t\tpanic(err)\n"
			      "\t}\n"
			      "\tif err := pprof.StartCPUProfile(f); err != nil {\n"
			      "\t\tpanic(err)\n"
			      "\t}\n"
			      "\tburn(300 * time.Millisecond)\n"
			      "\tpprof.StopCPUProfile()\n"
			      "\tf.Close()\n"
			      "}\n";

/* A CPU profile written by Go's runtime/pprof (gzip, two sample types). */
static void test_go_profile(void)
{
	char *dir = tmp_path("gomod"), *prof = tmp_path("go-cpu.pprof");
	char *rawp = tmp_path("go-cpu.raw"), *log = tmp_path("go.log");
	char cmd[4096], path[700], *out, *err, *out2, *err2, *gz;
	size_t gz_len;
	int rc;

	CHECK(!mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/main.go", dir);
	file__write(path, go_main, strlen(go_main));
	snprintf(path, sizeof(path), "%s/go.mod", dir);
	file__write(path, "module hrproftest\n\ngo 1.19\n", 27);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && env HOME='%s' GOCACHE='%s/gocache' GOPATH='%s/gopath' "
		 "GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 "
		 "go run . '%s' >'%s' 2>&1",
		 dir, tmpdir, tmpdir, tmpdir, prof, log);
	rc = system(cmd);
	if (rc) {
		char *l = file__slurp(log, NULL);

		CHECKF(0, "go run exited %d: %s", rc, l ? l : "");
		free(l);
		return;
	}
	CHECK(report(prof, 5, NULL, &out, &err) == 0);
	CHECKF(!*err, "stderr: %s", err);
	CHECKF(strstr(out, "Sample types: samples/count, cpu/nanoseconds [shown]\n"), "%s", out);
	CHECKF(strstr(out, "Period: 10ms cpu\n"), "%s", out);
	CHECKF(!strstr(out, "Duration: unknown") && !strstr(out, "Time: unknown"), "%s", out);
	if (!strstr(out, "Samples: 0 "))
		CHECKF(strstr(out, "  main.burn\n"), "%s", out);

	/* the same, uncompressed */
	gz = file__slurp(prof, &gz_len);
	if (gz) {
		size_t cap = 1 << 20;
		uint8_t *raw = malloc(cap);
		z_stream zs = {0};

		inflateInit2(&zs, 31);
		zs.next_in = (Bytef *)gz;
		zs.avail_in = (uInt)gz_len;
		zs.next_out = raw;
		zs.avail_out = (uInt)cap;
		CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END);
		file__write(rawp, raw, zs.total_out);
		inflateEnd(&zs);
		free(raw);
		free(gz);
		CHECK(report(rawp, 5, NULL, &out2, &err2) == 0);
		CHECKF(strchr(out, '\n') && strchr(out2, '\n') &&
			   !strcmp(strchr(out, '\n'), strchr(out2, '\n')),
		       "gzip and raw differ:\n%s\n%s", out, out2);
		free(out2);
		free(err2);
	}
	free(out);
	free(err);

	CHECK(report(prof, 5, "samples", &out, &err) == 0);
	CHECKF(strstr(out, "samples/count [shown]") && strstr(out, "Total: "), "%s", out);
	free(out);
	free(err);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *good, *good_raw;
	struct pprof *p;
	uint8_t *buf;
	size_t len;
	bool go;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hrprof-test-report.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	good = tmp_path("good.pb.gz");
	good_raw = tmp_path("good.pb");
	p = fixture__build();
	CHECK(!pprof__write_file(p, good));
	CHECK(!pprof__encode(p, &buf, &len));
	file__write(good_raw, buf, len);
	free(buf);
	pprof__free(p);

	test_ranking(good);
	test_recursion();
	test_names();
	test_bad_input(good, good_raw);
	test_usage(good);
	go = system("command -v go >/dev/null 2>&1") == 0;
	if (go)
		test_go_profile();
	else
		printf("SKIP: go not installed: Go-written profile not checked\n");
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		return check_exit("test_report");
	return go ? 0 : 77;
}
