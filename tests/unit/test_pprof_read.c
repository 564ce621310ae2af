// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof reader under `hrprof report`: a profile written by Go's
 * runtime/pprof (gzip, two sample types; the same uncompressed), two gzip
 * members read as one, and bad input of every kind (missing files, a
 * directory, truncated, random, gzip of garbage, trailing garbage, broken
 * references, fuzzed bytes): one error line, a negative return, never a
 * crash. What the report prints is test_report's.
 *
 * Exit: 0 pass, 1 a check failed, 77 all else passed but `go` is missing.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
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
#include "report_check.h"

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

int main(void)
{
	const char *t = getenv("TMPDIR");
	char *good, *good_raw;
	struct pprof *p;
	uint8_t *buf;
	size_t len;
	bool go;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hrprof-test-pprof-read.XXXXXX", t && *t ? t : "/tmp");
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

	test_bad_input(good, good_raw);
	go = system("command -v go >/dev/null 2>&1") == 0;
	if (go)
		test_go_profile();
	else
		printf("SKIP: go not installed: Go-written profile not checked\n");
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (!go && !failures)
		return 77;
	return check_exit("test_pprof_read");
}
