// SPDX-License-Identifier: GPL-2.0
/*
 * JIT perf maps: a fixture with names holding spaces, "0x" prefixes or none,
 * overlapping entries (the later line wins), malformed lines and an
 * unterminated last line; then random overlapping maps against a brute-force
 * model.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/sym.h"

#include "check.h"

static char tmpdir[] = "/tmp/hrprof-sym-perfmap-XXXXXX";

static const char fixture[] = "0x1000 0x100 outer function\n"
			      "1080 10 inner one\n"
			      "2000 20 JIT: Lfoo::bar(int, char) [tier 1]\n"
			      "0x3000 0x10 _ZN3foo3barEv\n"
			      "4000 0 zero size\n"
			      "zzzz 10 bad start\n"
			      "5000\n"
			      "5000 10\n"
			      "5000 10 \t \n"
			      "-10 10 negative\n"
			      "fffffffffffffff0 20 wraps around\n"
			      "5000x 10 junk after start\n"
			      "   6000 10    padded name  \r\n"
			      "1000 8 reused head\n"
			      "\n"
			      "8000 10 first\n"
			      "8000 10 second at the same place\n"
			      "7000 10 unterminated";

struct want {
	uint64_t addr;
	const char *name;
	uint64_t start;
	const char *raw;
};

static void check(const struct perfmap *m, const struct want *w)
{
	struct sym_info si = {0};
	bool found = perfmap__lookup(m, w->addr, &si);

	if (!w->name) {
		CHECKF(!found, "%#" PRIx64 ": expected nothing, got '%s'", w->addr,
		       found ? si.name : "");
		return;
	}
	CHECKF(found, "%#" PRIx64 ": expected '%s', got nothing", w->addr, w->name);
	if (!found)
		return;
	CHECKF(!strcmp(si.name, w->name), "%#" PRIx64 ": expected '%s', got '%s'", w->addr, w->name,
	       si.name);
	CHECKF(!strcmp(si.raw_name, w->raw ? w->raw : w->name),
	       "%#" PRIx64 ": expected raw '%s', got '%s'", w->addr, w->raw ? w->raw : w->name,
	       si.raw_name);
	CHECKF(si.start == w->start, "%#" PRIx64 ": expected start %#" PRIx64 ", got %#" PRIx64,
	       w->addr, w->start, si.start);
	CHECK(si.file == NULL);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void test_fixture(void)
{
	static const struct want wants[] = {
	    {0xfff, NULL, 0, NULL},
	    {0x1000, "reused head", 0x1000, NULL},
	    {0x1007, "reused head", 0x1000, NULL},
	    {0x1008, "outer function", 0x1000, NULL},
	    {0x107f, "outer function", 0x1000, NULL},
	    {0x1080, "inner one", 0x1080, NULL},
	    {0x108f, "inner one", 0x1080, NULL},
	    {0x1090, "outer function", 0x1000, NULL},
	    {0x10ff, "outer function", 0x1000, NULL},
	    {0x1100, NULL, 0, NULL},
	    {0x2010, "JIT: Lfoo::bar(int, char) [tier 1]", 0x2000, NULL},
	    {0x3004, "foo::bar()", 0x3000, "_ZN3foo3barEv"},
	    {0x4000, NULL, 0, NULL},
	    {0x5000, NULL, 0, NULL},
	    {0x6005, "padded name", 0x6000, NULL},
	    {0x7000, NULL, 0, NULL},
	    {0x8004, "second at the same place", 0x8000, NULL},
	    {0xfffffffffffffff8ULL, NULL, 0, NULL},
	    {UINT64_MAX, NULL, 0, NULL},
	};
	char path[256];
	struct perfmap *m;

	snprintf(path, sizeof(path), "%s/perf-1.map", tmpdir);
	CHECK(write_file(path, fixture) == 0);
	m = perfmap__load(path);
	CHECK(m != NULL);
	for (size_t i = 0; m && i < sizeof(wants) / sizeof(wants[0]); i++)
		check(m, &wants[i]);
	perfmap__free(m);

	snprintf(path, sizeof(path), "%s/empty.map", tmpdir);
	CHECK(write_file(path, "") == 0);
	m = perfmap__load(path);
	CHECK(m != NULL);
	CHECK(!perfmap__lookup(m, 0x1000, &(struct sym_info){0}));
	perfmap__free(m);

	snprintf(path, sizeof(path), "%s/missing.map", tmpdir);
	CHECK(perfmap__load(path) == NULL);
	CHECK(perfmap__load(tmpdir) == NULL);
	CHECK(perfmap__load(NULL) == NULL);
	perfmap__free(NULL);
	CHECK(!perfmap__lookup(NULL, 0x1000, &(struct sym_info){0}));
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random overlapping entries; every address must go to the last line that covers it. */
static void test_random(void)
{
	enum { N = 3000, SPACE = 0x10000 };
	static uint64_t start[N], size[N];
	char path[256];
	struct perfmap *m;
	int bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/random.map", tmpdir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < N; i++) {
		start[i] = 0x7f0000000000ULL + rng() % SPACE;
		size[i] = 1 + rng() % (i % 10 == 0 ? 0x2000 : 0x40);
		fprintf(f,
			i % 2 ? "%" PRIx64 " %" PRIx64 " fn %d\n"
			      : "0x%" PRIx64 " 0x%" PRIx64 " fn %d\n",
			start[i], size[i], i);
	}
	CHECK(fclose(f) == 0);
	m = perfmap__load(path);
	CHECK(m != NULL);
	for (uint64_t a = 0x7f0000000000ULL - 4; m && a < 0x7f0000000000ULL + SPACE + 0x2010; a++) {
		struct sym_info si;
		int want = -1;
		char name[32];
		bool found;

		for (int i = N - 1; i >= 0; i--) {
			if (a >= start[i] && a - start[i] < size[i]) {
				want = i;
				break;
			}
		}
		found = perfmap__lookup(m, a, &si);
		if (want < 0) {
			if (found && bad++ < 10)
				CHECKF(0, "%#" PRIx64 ": expected nothing, got %s", a, si.name);
			continue;
		}
		snprintf(name, sizeof(name), "fn %d", want);
		if ((!found || strcmp(si.name, name) || si.start != start[want]) && bad++ < 10)
			CHECKF(0, "%#" PRIx64 ": expected %s at %#" PRIx64 ", got %s at %#" PRIx64,
			       a, name, start[want], found ? si.name : "nothing",
			       found ? si.start : 0);
	}
	CHECKF(bad == 0, "%d random lookups wrong", bad);
	perfmap__free(m);
}

int main(void)
{
	char cmd[512];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_fixture();
	test_random();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tmpdir);
	return check_exit("test_sym_perfmap");
}
