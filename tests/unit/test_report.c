// SPDX-License-Identifier: GPL-2.0
/*
 * `hrprof report`'s output: ranking and percentages of a known profile, -n
 * and sample_index by name and by index, recursion counted once in cum, lost
 * samples, names printed safely (control bytes replaced, long names cut), and
 * bad usage: one error line and the right exit code. Reading bad input and a
 * profile written by Go is test_pprof_read's.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/pprof.h"
#include "report/report.h"

#include "check.h"
#include "report_check.h"

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

int main(void)
{
	const char *t = getenv("TMPDIR");
	struct pprof *p;
	char *good;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hrprof-test-report.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	good = tmp_path("good.pb.gz");
	p = fixture__build();
	CHECK(!pprof__write_file(p, good));
	pprof__free(p);

	test_ranking(good);
	test_recursion();
	test_names();
	test_usage(good);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit("test_report");
}
