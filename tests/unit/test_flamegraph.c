// SPDX-License-Identifier: GPL-2.0
/*
 * The flame graph's escaping and page: every name becomes a JSON string that
 * is valid UTF-8 and cannot end the <script> holding it; the page of an
 * empty flame graph has its data in place of the marker; a crafted profile
 * cannot make it grow without bound (a stack is cut to its outermost 65,536
 * frames and counted, all stacks together fail past 64 Mi frames); the
 * array helper it grows with refuses sizes past SIZE_MAX. (The page itself
 * runs in Chromium in tests/integration/flamegraph.sh.)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/flamegraph.h"
#include "profile.pb-c.h"
#include "base/util.h"

#include "check.h"

/* json_str__write(s) into a malloc'd string. */
static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	json_str__write(f, s);
	fclose(f);
	return buf;
}

static void test_json_str(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", "\"\""},
	    {"main", "\"main\""},
	    {"a\"b\\c", "\"a\\\"b\\\\c\""},
	    {"</script><b>&", "\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\""},
	    {"\x01\t\n\x1f\x7f", "\"\\u0001\\u0009\\u000a\\u001f\\u007f\""},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5",
	     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\""},
	    {"\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\""},
	    /* invalid: a lone continuation, a cut sequence, overlong, a
	     * surrogate, past U+10FFFF, 0xff */
	    {"a\x80z", "\"a\\ufffdz\""},
	    {"a\xe2\x82", "\"a\\ufffd\\ufffd\""},
	    {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
	    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
	    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
	    {"\xff", "\"\\ufffd\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json_of(cases[i].in);

		CHECKF(!strcmp(got, cases[i].want), "case %zu: got %s, want %s", i, got,
		       cases[i].want);
		free(got);
	}
}

static void test_empty_page(void)
{
	struct flamegraph *fg = flamegraph__new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!fg || !f)
		abort();
	CHECK(flamegraph__write_html(fg, f) == 0);
	fclose(f);
	CHECKF(strstr(buf, "<script id=\"profile-data\" type=\"application/json\">{\"version\":1,"),
	       "%.300s", buf);
	CHECKF(strstr(buf, "\"samples\":[]}</script>"), "no empty samples");
	CHECKF(!strstr(buf, "@HRPROF_DATA@"), "the marker is left in the page");
	CHECKF(!strstr(buf, "http://") && !strstr(buf, "https://"), "the page names a URL");
	free(buf);
	flamegraph__free(fg);
	flamegraph__free(NULL);
}

#define STACK_MAX (1 << 16)
#define POOL_MAX  (1 << 26)

typedef Perftools__Profiles__Profile profile_t;

/*
 * A raw pprof file in a temporary file (path written to path): nfn
 * functions named "fN", location 1 with big_lines lines of function 1,
 * location 1 + i with one line of function 1 + i (i in 1..nfn-1), and
 * nsamples samples of value 1: sample i is location 2 + i % (nfn - 1) (when
 * nfn > 1), then location 1 repeated big_reps times.
 */
static void write_profile(char *path, size_t nfn, size_t big_lines, size_t nsamples,
			  size_t big_reps)
{
	profile_t pr = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT, *vtp = &vt;
	size_t nloc = nfn, nstr = 3 + nfn, len, per = big_reps + (nfn > 1);
	Perftools__Profiles__Function *fns = calloc(nfn, sizeof(*fns));
	Perftools__Profiles__Function **fnp = calloc(nfn, sizeof(*fnp));
	Perftools__Profiles__Location *locs = calloc(nloc, sizeof(*locs));
	Perftools__Profiles__Location **locp = calloc(nloc, sizeof(*locp));
	Perftools__Profiles__Line *lines = calloc(big_lines + nloc, sizeof(*lines));
	Perftools__Profiles__Line **linep = calloc(big_lines + nloc, sizeof(*linep));
	Perftools__Profiles__Sample *ss = calloc(nsamples, sizeof(*ss));
	Perftools__Profiles__Sample **ssp = calloc(nsamples, sizeof(*ssp));
	uint64_t *ids = calloc(nsamples * per, sizeof(*ids));
	int64_t one = 1;
	char **strs = calloc(nstr, sizeof(*strs));
	uint8_t *buf;
	FILE *f;
	int fd;

	if (!fns || !fnp || !locs || !locp || !lines || !linep || !ss || !ssp || !ids || !strs)
		abort();
	strs[0] = strdup("");
	strs[1] = strdup("samples");
	strs[2] = strdup("count");
	for (size_t i = 0; i < nfn; i++) {
		if (asprintf(&strs[3 + i], "f%zu", i + 1) < 0)
			abort();
		perftools__profiles__function__init(&fns[i]);
		fns[i].id = i + 1;
		fns[i].name = (int64_t)(3 + i);
		fnp[i] = &fns[i];
	}
	for (size_t i = 0; i < big_lines + nloc; i++) {
		perftools__profiles__line__init(&lines[i]);
		lines[i].function_id = i < big_lines ? 1 : i - big_lines + 1;
		linep[i] = &lines[i];
	}
	for (size_t i = 0; i < nloc; i++) {
		perftools__profiles__location__init(&locs[i]);
		locs[i].id = i + 1;
		locs[i].n_line = i ? 1 : big_lines;
		locs[i].line = i ? &linep[big_lines + i] : linep;
		locp[i] = &locs[i];
	}
	for (size_t i = 0; i < nsamples; i++) {
		uint64_t *id = ids + i * per;

		perftools__profiles__sample__init(&ss[i]);
		if (nfn > 1)
			*id++ = 2 + i % (nfn - 1);
		for (size_t j = 0; j < big_reps; j++)
			*id++ = 1;
		ss[i].n_location_id = per;
		ss[i].location_id = ids + i * per;
		ss[i].n_value = 1;
		ss[i].value = &one;
		ssp[i] = &ss[i];
	}
	vt.type = 1;
	vt.unit = 2;
	pr.n_sample_type = 1;
	pr.sample_type = &vtp;
	pr.n_function = nfn;
	pr.function = fnp;
	pr.n_location = nloc;
	pr.location = locp;
	pr.n_sample = nsamples;
	pr.sample = ssp;
	pr.n_string_table = nstr;
	pr.string_table = strs;
	len = perftools__profiles__profile__get_packed_size(&pr);
	buf = malloc(len);
	if (!buf)
		abort();
	perftools__profiles__profile__pack(&pr, buf);
	strcpy(path, "/tmp/test_flamegraph.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w")) || fwrite(buf, 1, len, f) != len || fclose(f))
		abort();
	for (size_t i = 0; i < nstr; i++)
		free(strs[i]);
	free(strs);
	free(buf);
	free(ids);
	free(ssp);
	free(ss);
	free(linep);
	free(lines);
	free(locp);
	free(locs);
	free(fnp);
	free(fns);
}

/* Two samples of 70,000 frames: one stack of the outermost 65,536, both
 * counted as truncated, their values summed in one row. */
static void test_deep_stack(void)
{
	struct flamegraph *fg = flamegraph__new();
	char path[64], why[256] = "", *page = NULL, *p;
	size_t n = 0, len = 0;
	FILE *f = open_memstream(&page, &len);

	if (!fg || !f)
		abort();
	write_profile(path, 1, 1, 2, 70000);
	CHECKF(flamegraph__add_file(fg, path, NULL, why, sizeof(why)) == 0, "%s", why);
	CHECK(flamegraph__write_html(fg, f) == 0);
	fclose(f);
	CHECKF(strstr(page, "\"truncated\":2,\"max_depth\":65536,"), "%.200s",
	       strstr(page, "\"dropped\""));
	CHECKF(strstr(page, "\"samples\":[[0,-1,-1,2]]}"), "samples not merged");
	p = strstr(page, "\"stacks\":[[");
	CHECK(p);
	for (p = p ? p + 11 : ""; *p && *p != ']'; p++) {
		if (*p == ',')
			n++;
	}
	CHECKF(n + 1 == STACK_MAX && !strncmp(p, "]],", 3), "stack of %zu frames, want %d", n + 1,
	       STACK_MAX);
	free(page);
	flamegraph__free(fg);
	unlink(path);
}

/* 1,025 distinct stacks of 65,536 frames (65,535 of one location's lines,
 * then a leaf of its own): the 1,025th takes the stacks past 64 Mi frames. */
static void test_pool_bound(void)
{
	struct flamegraph *fg = flamegraph__new();
	size_t nstacks = POOL_MAX / STACK_MAX + 1;
	char path[64], why[256] = "";
	int err;

	if (!fg)
		abort();
	write_profile(path, nstacks + 1, STACK_MAX - 1, nstacks, 1);
	err = flamegraph__add_file(fg, path, NULL, why, sizeof(why));
	CHECKF(err == -E2BIG && strstr(why, "67108864 frames"), "err %d, why '%s'", err, why);
	flamegraph__free(fg);
	unlink(path);

	/* One stack fewer fits exactly. */
	fg = flamegraph__new();
	if (!fg)
		abort();
	write_profile(path, nstacks, STACK_MAX - 1, nstacks - 1, 1);
	why[0] = '\0';
	err = flamegraph__add_file(fg, path, NULL, why, sizeof(why));
	CHECKF(err == 0, "err %d, why '%s'", err, why);
	flamegraph__free(fg);
	unlink(path);
}

static void test_array_reserve(void)
{
	uint64_t *a = NULL;
	size_t cap = 0;

	CHECK(array__reserve(&a, &cap, 3, sizeof(*a)) == 0 && a && cap == 16);
	a[0] = 42;
	CHECK(array__reserve(&a, &cap, 17, sizeof(*a)) == 0 && cap == 32 && a[0] == 42);
	CHECK(array__reserve(&a, &cap, 5, sizeof(*a)) == 0 && cap == 32);
	CHECK(array__reserve(&a, &cap, SIZE_MAX / 4, sizeof(*a)) == -ENOMEM && cap == 32 &&
	      a[0] == 42);
	CHECK(array__reserve(&a, &cap, SIZE_MAX, 1) == -ENOMEM && cap == 32);
	free(a);
}

int main(void)
{
	test_json_str();
	test_empty_page();
	test_deep_stack();
	test_pool_bound();
	test_array_reserve();
	return check_exit("test_flamegraph");
}
