// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof builder and writer: interning, protobuf round trip, gzip file
 * written atomically (errors leave nothing behind). test_pprof_go.c has
 * the written file decoded by `go tool pprof`.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "profile/pprof.h"
#include "profile.pb-c.h"

#include "check.h"
#include "pprof_fixture.h"

static char tmpdir[256];

static void test_intern(void)
{
	struct pprof *p = pprof__new();
	const int n = 100000;
	struct timespec t0, t1;
	int64_t *idx;
	char buf[64];
	double secs;

	CHECK(p);
	if (!p)
		return;
	CHECK(pprof__str(p, "") == 0);
	CHECK(pprof__str(p, NULL) == 0);
	CHECK(pprof__str(p, "a") == 1);
	CHECK(pprof__str(p, "b") == 2);
	CHECK(pprof__str(p, "a") == 1);

	idx = calloc(n, sizeof(*idx));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "function_%d_with_a_longer_name", i);
		idx[i] = pprof__str(p, buf);
	}
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "function_%d_with_a_longer_name", i);
		if (pprof__str(p, buf) != idx[i] || idx[i] != i + 3) {
			CHECKF(0, "string %d: index %" PRId64 " then %" PRId64, i, idx[i],
			       pprof__str(p, buf));
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECKF(secs < 2.0, "interning 2x%d strings took %.3fs", n, secs);
	free(idx);

	/* functions: interned by (name, system_name, filename) */
	CHECK(pprof__function(p, "f", NULL, "a.c") == 1);
	CHECK(pprof__function(p, "f", NULL, "a.c") == 1);
	CHECK(pprof__function(p, "f", "f", "a.c") == 1);
	CHECK(pprof__function(p, "f", NULL, "b.c") == 2);
	CHECK(pprof__function(p, "f", "_Zf", "a.c") == 3);
	for (int i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "fn%d", i);
		if (pprof__function(p, buf, NULL, "x.c") != (uint64_t)i + 4) {
			CHECKF(0, "function %d got a wrong id", i);
			break;
		}
	}
	CHECK(pprof__function(p, "fn7", NULL, "x.c") == 11);

	/* misuse */
	CHECK(pprof__sample(p, NULL, 0, (int64_t[]){1}, NULL, 0) == -EINVAL); /* no types */
	CHECK(!pprof__add_sample_type(p, "t", "count"));
	CHECK(pprof__location(p, 99, 0x1, 0) == 0); /* no such mapping */
	CHECK(pprof__location(p, 0, 0x1, 999999) == 0);
	CHECK(pprof__sample(p, (uint64_t[]){5}, 1, (int64_t[]){1}, NULL, 0) == -EINVAL);
	CHECK(pprof__location(p, 0, 0x1, 1) == 1);
	CHECK(pprof__sample(p, (uint64_t[]){1}, 1, (int64_t[]){1}, NULL, 0) == 0);
	CHECK(pprof__sample(p, (uint64_t[]){0}, 1, (int64_t[]){1}, NULL, 0) == -EINVAL);
	CHECK(pprof__add_sample_type(p, "late", "count") == -EBUSY);
	pprof__free(p);
	pprof__free(NULL);
}

static const char *pstr(const Perftools__Profiles__Profile *pr, int64_t i)
{
	return i >= 0 && (uint64_t)i < pr->n_string_table ? pr->string_table[i] : "<bad>";
}

/* pprof__encode, then protobuf-c unpack: every field as put in. */
static void test_roundtrip(void)
{
	struct fixture fx;
	struct pprof *p = fixture__build(&fx);
	Perftools__Profiles__Profile *pr;
	const Perftools__Profiles__Sample *s;
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK(p);
	if (!p)
		return;
	CHECK(!pprof__encode(p, &buf, &len));
	pr = perftools__profiles__profile__unpack(NULL, len, buf);
	CHECK(pr);
	if (!pr)
		goto out;
	CHECK(pr->n_string_table > 1 && !strcmp(pr->string_table[0], ""));
	CHECK(pr->n_sample_type == 2);
	CHECK(!strcmp(pstr(pr, pr->sample_type[0]->type), "cpu-time"));
	CHECK(!strcmp(pstr(pr, pr->sample_type[0]->unit), "nanoseconds"));
	CHECK(!strcmp(pstr(pr, pr->sample_type[1]->type), "cpu-samples"));
	CHECK(!strcmp(pstr(pr, pr->sample_type[1]->unit), "count"));
	CHECK(pr->period_type && !strcmp(pstr(pr, pr->period_type->type), "cpu-time"));
	CHECK(pr->period == 10 * MS);
	CHECK(pr->time_nanos == fx_time && pr->duration_nanos == fx_duration);
	CHECK(pr->n_comment == 1 && !strcmp(pstr(pr, pr->comment[0]), "hrprof unit test"));
	CHECK(pr->n_mapping == 2 && pr->mapping[0]->id == 1 && pr->mapping[1]->id == 2);
	CHECK(!strcmp(pstr(pr, pr->mapping[0]->build_id), "abcdef0123456789"));
	CHECK(!strcmp(pstr(pr, pr->mapping[1]->filename), "/lib/libc.so.6"));
	CHECK(pr->mapping[1]->memory_start == 0x7f0000000000 &&
	      pr->mapping[1]->memory_limit == 0x7f0000100000 &&
	      pr->mapping[1]->file_offset == 0x1000);
	CHECK(pr->mapping[0]->has_functions && pr->mapping[0]->has_filenames);
	CHECK(pr->mapping[1]->has_functions && !pr->mapping[1]->has_filenames);
	CHECK(pr->n_function == 4);
	CHECK(pr->function[2]->id == fx.f_leaf);
	CHECK(!strcmp(pstr(pr, pr->function[2]->name), "leaf_fn"));
	CHECK(!strcmp(pstr(pr, pr->function[2]->system_name), "_Z7leaf_fnv"));
	CHECK(!strcmp(pstr(pr, pr->function[2]->filename), "src/leaf.cc"));
	CHECK(!strcmp(pstr(pr, pr->function[0]->system_name), "main"));
	CHECK(pr->n_location == 5);
	CHECK(pr->location[4]->n_line == 0 && pr->location[4]->address == 0x401300);
	CHECK(pr->location[2]->n_line == 1 && pr->location[2]->line[0]->function_id == fx.f_leaf);
	CHECK(pr->n_sample == 4);
	if (pr->n_sample != 4)
		goto out;
	s = pr->sample[1];
	CHECK(s->n_location_id == 3 && s->location_id[0] == fx.l_memcpy &&
	      s->location_id[2] == fx.l_main);
	CHECK(s->n_value == 2 && s->value[0] == 20 * MS && s->value[1] == 2);
	CHECK(s->n_label == 3);
	if (s->n_label == 3) {
		CHECK(!strcmp(pstr(pr, s->label[0]->key), "thread id") &&
		      s->label[0]->num == 1235 && s->label[0]->str == 0);
		CHECK(!strcmp(pstr(pr, s->label[1]->key), "thread name") &&
		      !strcmp(pstr(pr, s->label[1]->str), "worker 2"));
		CHECK(s->label[2]->num == 4096 &&
		      !strcmp(pstr(pr, s->label[2]->num_unit), "bytes"));
	}
	CHECK(pr->sample[3]->n_label == 0 && pr->sample[3]->value[0] == 5 * MS);
out:
	if (pr)
		perftools__profiles__profile__free_unpacked(pr, NULL);
	free(buf);
	pprof__free(p);
}

/* A location with inlined functions: its lines, innermost first, as put in. */
static void test_lines(void)
{
	struct pprof *p = pprof__new();
	Perftools__Profiles__Profile *pr = NULL;
	uint64_t f1, f2, f3, l1, l2, l3;
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK(p);
	if (!p)
		return;
	CHECK(!pprof__add_sample_type(p, "cpu-samples", "count"));
	f1 = pprof__function(p, "step", NULL, "a.h");
	f2 = pprof__function(p, "spin", NULL, "a.c");
	f3 = pprof__function(p, "driver", NULL, "a.c");
	l1 = pprof__location_lines(p, 0, 0x10, (struct pprof_line[]){{f1, 15}, {f2, 21}, {f3, 38}},
				   3);
	l2 = pprof__location(p, 0, 0x20, f3);
	l3 = pprof__location_lines(p, 0, 0x30, (struct pprof_line[]){{f3, 40}}, 1);
	CHECK(l1 == 1 && l2 == 2 && l3 == 3);
	CHECK(!strcmp(pprof__location_name(p, l1), "step")); /* the innermost */
	/* every line's function must exist; none is a location without lines */
	CHECK(pprof__location_lines(p, 0, 0x40, (struct pprof_line[]){{f1, 1}, {99, 2}}, 2) == 0);
	CHECK(pprof__location_lines(p, 0, 0x40, (struct pprof_line[]){{0, 2}}, 1) == 0);
	CHECK(pprof__location_lines(p, 0, 0x40, NULL, 1) == 0);
	CHECK(pprof__location_lines(p, 0, 0x40, NULL, 0) == 4);
	CHECK(!strcmp(pprof__location_name(p, 4), "?"));
	CHECK(!pprof__sample(p, (uint64_t[]){l1, l3}, 2, (int64_t[]){1}, NULL, 0));
	CHECK(!pprof__encode(p, &buf, &len));
	pr = perftools__profiles__profile__unpack(NULL, len, buf);
	CHECK(pr && pr->n_location == 4);
	if (!pr || pr->n_location != 4)
		goto out;
	CHECK(pr->location[0]->n_line == 3);
	if (pr->location[0]->n_line == 3) {
		CHECK(pr->location[0]->line[0]->function_id == f1 &&
		      pr->location[0]->line[0]->line == 15);
		CHECK(pr->location[0]->line[1]->function_id == f2 &&
		      pr->location[0]->line[1]->line == 21);
		CHECK(pr->location[0]->line[2]->function_id == f3 &&
		      pr->location[0]->line[2]->line == 38);
	}
	CHECK(pr->location[1]->n_line == 1 && pr->location[1]->line[0]->function_id == f3 &&
	      pr->location[1]->line[0]->line == 0);
	CHECK(pr->location[2]->n_line == 1 && pr->location[2]->line[0]->line == 40);
	CHECK(pr->location[3]->n_line == 0);
out:
	if (pr)
		perftools__profiles__profile__free_unpacked(pr, NULL);
	free(buf);
	pprof__free(p);
}

/* Entries in dir other than "." and "..", and how many look like our temps. */
static int dir__count(const char *dir, int *temps)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	*temps = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp."))
			(*temps)++;
	}
	closedir(d);
	return n;
}

/* A profile big enough and random enough to exceed a small RLIMIT_FSIZE. */
static struct pprof *big__build(void)
{
	struct pprof *p = pprof__new();
	char name[64];
	uint64_t seed = 42;

	pprof__add_sample_type(p, "cpu-time", "nanoseconds");
	for (int i = 0; i < 5000; i++) {
		uint64_t f, l;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(name, sizeof(name), "fn_%016" PRIx64, seed);
		f = pprof__function(p, name, NULL, NULL);
		l = pprof__location(p, 0, seed, f);
		pprof__sample(p, &l, 1, (int64_t[]){(int64_t)(seed >> 20)}, NULL, 0);
	}
	return p;
}

static void test_write(void)
{
	struct fixture fx;
	struct pprof *p = fixture__build(&fx);
	char dir[512], path[600], other[600];
	uint8_t *enc = NULL, *unz = NULL;
	size_t enc_len = 0, gz_len = 0;
	char *gz;
	struct stat st;
	int temps, n, fd;

	if (!p)
		return;
	snprintf(dir, sizeof(dir), "%s/ok", tmpdir);
	CHECK(!mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/prof.pb.gz", dir);
	CHECK(pprof__write_file(p, path) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	n = dir__count(dir, &temps);
	CHECKF(n == 1 && temps == 0, "%d entries, %d temps after a write", n, temps);
	/* again over the existing file */
	CHECK(pprof__write_file(p, path) == 0);
	n = dir__count(dir, &temps);
	CHECKF(n == 1 && temps == 0, "%d entries, %d temps after a rewrite", n, temps);

	/* gzip of exactly what pprof__encode gives */
	gz = file__slurp(path, &gz_len);
	CHECK(gz && gz_len > 18 && (uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b);
	CHECK(!pprof__encode(p, &enc, &enc_len));
	unz = malloc(enc_len + 1);
	if (gz && unz) {
		z_stream zs = {0};

		CHECK(inflateInit2(&zs, 31) == Z_OK);
		zs.next_in = (Bytef *)gz;
		zs.avail_in = (uInt)gz_len;
		zs.next_out = unz;
		zs.avail_out = (uInt)enc_len + 1;
		CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END);
		CHECK(zs.total_out == enc_len && !memcmp(unz, enc, enc_len));
		inflateEnd(&zs);
	}
	free(gz);
	free(unz);
	free(enc);

	/* errors: -errno and nothing left behind */
	snprintf(other, sizeof(other), "%s/missing/prof.pb.gz", tmpdir);
	CHECK(pprof__write_file(p, other) == -ENOENT);
	snprintf(other, sizeof(other), "%s/missing", tmpdir);
	CHECK(access(other, F_OK) && errno == ENOENT);

	snprintf(other, sizeof(other), "%s/ok/prof.pb.gz/x.pb.gz", tmpdir);
	CHECK(pprof__write_file(p, other) == -ENOTDIR);

	snprintf(other, sizeof(other), "%s/ok/", tmpdir);
	CHECK(pprof__write_file(p, other) == -EINVAL);
	CHECK(pprof__write_file(p, "") == -EINVAL);

	snprintf(other, sizeof(other), "%s/isdir", tmpdir);
	CHECK(!mkdir(other, 0755));
	snprintf(path, sizeof(path), "%s/isdir/sub", tmpdir);
	CHECK(!mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/isdir/sub", tmpdir);
	n = pprof__write_file(p, path);
	CHECKF(n == -EISDIR, "write over a directory: %d", n);
	n = dir__count(other, &temps);
	CHECKF(n == 1 && temps == 0, "%d entries, %d temps after a failed rename", n, temps);

	snprintf(other, sizeof(other), "%s/ro", tmpdir);
	CHECK(!mkdir(other, 0555));
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro/prof.pb.gz", tmpdir);
		CHECK(pprof__write_file(p, path) == -EACCES);
		n = dir__count(other, &temps);
		CHECKF(n == 0, "%d entries in a read-only dir", n);
	} else {
		/* root writes anywhere; procfs takes no new files */
		n = pprof__write_file(p, "/proc/hrprof-test-pprof.pb.gz");
		CHECKF(n < 0, "write into /proc gave %d", n);
		CHECK(access("/proc/hrprof-test-pprof.pb.gz", F_OK));
	}
	pprof__free(p);

	/* a write that fails half way (file size limit): no temp, no target */
	snprintf(other, sizeof(other), "%s/fsize", tmpdir);
	CHECK(!mkdir(other, 0755));
	snprintf(path, sizeof(path), "%s/fsize/big.pb.gz", tmpdir);
	fflush(stdout);
	if (fork() == 0) {
		struct rlimit rl = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
		struct pprof *big = big__build();
		int err;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		err = pprof__write_file(big, path);
		pprof__free(big);
		_exit(err == -EFBIG ? 0 : 10 + (-err & 0xff) % 100);
	}
	CHECK(wait(&fd) > 0 && WIFEXITED(fd));
	CHECKF(WEXITSTATUS(fd) == 0, "write past RLIMIT_FSIZE: child exit %d (10 + errno)",
	       WEXITSTATUS(fd));
	n = dir__count(other, &temps);
	CHECKF(n == 0, "%d entries (%d temps) after a failed write", n, temps);
}

int main(void)
{
	const char *t = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hrprof-test-pprof.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_intern();
	test_roundtrip();
	test_lines();
	test_write();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit("test_pprof");
}
