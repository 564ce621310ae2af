/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pprof every test of the writer starts from (test_pprof.c,
 * test_pprof_go.c): two mappings, four functions, five locations, four
 * samples with labels; and removing a test's directory.
 */
#ifndef HRPROF_TEST_PPROF_FIXTURE_H
#define HRPROF_TEST_PPROF_FIXTURE_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "check.h"
#include "profile/pprof.h"

#define MS 1000000LL

/* The profile every check starts from; expected values below follow it. */
struct fixture {
	uint64_t m_app, m_libc;
	uint64_t f_main, f_work, f_leaf, f_memcpy;
	uint64_t l_main, l_work, l_leaf, l_memcpy, l_addr;
};

static const int64_t fx_time = 1700000000123456789LL;
static const int64_t fx_duration = 2500 * MS;

static inline struct pprof *fixture__build(struct fixture *fx)
{
	struct pprof *p = pprof__new();
	struct pprof_label l1[] = {
	    {.key = "thread id", .num = 1234},
	    {.key = "thread name", .str = "worker 1"},
	};
	struct pprof_label l2[] = {
	    {.key = "thread id", .num = 1235},
	    {.key = "thread name", .str = "worker 2"},
	    {.key = "size", .num = 4096, .num_unit = "bytes"},
	};
	struct pprof_label l3[] = {{.key = "thread id", .num = 1234}};
	uint64_t s1[3], s2[3], s3[1], s4[2];
	int64_t v1[] = {30 * MS, 3}, v2[] = {20 * MS, 2}, v3[] = {10 * MS, 1}, v4[] = {5 * MS, 1};

	if (!p)
		return NULL;
	CHECK(!pprof__add_sample_type(p, "cpu-time", "nanoseconds"));
	CHECK(!pprof__add_sample_type(p, "cpu-samples", "count"));
	CHECK(!pprof__set_period(p, "cpu-time", "nanoseconds", 10 * MS));
	pprof__set_time(p, fx_time, fx_duration);
	CHECK(!pprof__add_comment(p, "hrprof unit test"));
	fx->m_app = pprof__mapping(p, 0x400000, 0x500000, 0, "/usr/bin/app", "abcdef0123456789",
				   true, true);
	fx->m_libc = pprof__mapping(p, 0x7f0000000000, 0x7f0000100000, 0x1000, "/lib/libc.so.6",
				    "c0ffee42", true, false);
	fx->f_main = pprof__function(p, "main", NULL, "app.c");
	fx->f_work = pprof__function(p, "work", NULL, "app.c");
	fx->f_leaf = pprof__function(p, "leaf_fn", "_Z7leaf_fnv", "src/leaf.cc");
	fx->f_memcpy = pprof__function(p, "memcpy", NULL, NULL);
	fx->l_main = pprof__location(p, fx->m_app, 0x401000, fx->f_main);
	fx->l_work = pprof__location(p, fx->m_app, 0x401100, fx->f_work);
	fx->l_leaf = pprof__location(p, fx->m_app, 0x401200, fx->f_leaf);
	fx->l_memcpy = pprof__location(p, fx->m_libc, 0x7f0000001000, fx->f_memcpy);
	fx->l_addr = pprof__location(p, fx->m_app, 0x401300, 0);
	CHECK(fx->m_app == 1 && fx->m_libc == 2);
	CHECK(fx->f_main && fx->f_work && fx->f_leaf && fx->f_memcpy);
	CHECK(fx->l_main && fx->l_work && fx->l_leaf && fx->l_memcpy && fx->l_addr);

	s1[0] = fx->l_leaf, s1[1] = fx->l_work, s1[2] = fx->l_main;
	s2[0] = fx->l_memcpy, s2[1] = fx->l_work, s2[2] = fx->l_main;
	s3[0] = fx->l_main;
	s4[0] = fx->l_addr, s4[1] = fx->l_main;
	CHECK(!pprof__sample(p, s1, 3, v1, l1, 2));
	CHECK(!pprof__sample(p, s2, 3, v2, l2, 3));
	CHECK(!pprof__sample(p, s3, 1, v3, l3, 1));
	CHECK(!pprof__sample(p, s4, 2, v4, NULL, 0));
	return p;
}

/* For nftw: removes each entry (FTW_DEPTH: a directory after its files). */
static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

#endif
