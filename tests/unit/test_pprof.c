// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof builder and writer: interning, protobuf round trip, gzip file
 * written atomically (errors leave nothing behind), and the written file
 * decoded independently by `go tool pprof` (-raw and -top), whose text output
 * is checked against what was put in.
 *
 * Exit: 0 pass, 1 a check failed, 77 everything ran passed but `go` is
 * missing so the go tool part was skipped.
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

static char tmpdir[256];

#define MS 1000000LL

/* The profile every check starts from; expected values below follow it. */
struct fixture {
	uint64_t m_app, m_libc;
	uint64_t f_main, f_work, f_leaf, f_memcpy;
	uint64_t l_main, l_work, l_leaf, l_memcpy, l_addr;
};

static const int64_t fx_time = 1700000000123456789LL;
static const int64_t fx_duration = 2500 * MS;

static struct pprof *fixture__build(struct fixture *fx)
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

/* ---- go tool pprof ---- */

static bool go__available(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

/* Runs `go tool pprof ARGS FILE` offline, as root or not; returns its output. */
static char *go__pprof(const char *args, const char *file)
{
	char cmd[2048], out[600];
	char *text;
	int rc;

	snprintf(out, sizeof(out), "%s/go.out", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && env HOME='%s' GOCACHE='%s/gocache' GOPATH='%s/gopath' "
		 "GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local PPROF_TMPDIR='%s' "
		 "go tool pprof %s '%s' >'%s' 2>&1",
		 tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, args, file, out);
	rc = system(cmd);
	text = file__slurp(out, NULL);
	CHECKF(rc == 0, "`go tool pprof %s` exited %d: %s", args, rc, text ? text : "");
	if (rc) {
		free(text);
		return NULL;
	}
	return text;
}

struct raw_sample {
	int64_t v[2];
	char stack[256]; /* function names, leaf first, space separated */
	char labels[256];
};

struct raw_loc {
	unsigned long id;
	char name[64];
};

/* Parses `-raw` (profile.String()): Samples, Locations and Mappings. */
static int raw__parse(char *text, struct raw_sample *smp, int max, char *maps, size_t maps_len)
{
	struct raw_loc locs[32];
	unsigned long ids[max][8];
	int nids[max];
	int n = 0, nlocs = 0;
	enum { NONE, SAMPLES, LOCATIONS, MAPPINGS } sec = NONE;
	char *save, *line;

	maps[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Samples:", 8)) {
			sec = SAMPLES;
			continue;
		}
		if (!strncmp(line, "Locations", 9)) {
			sec = LOCATIONS;
			continue;
		}
		if (!strncmp(line, "Mappings", 8)) {
			sec = MAPPINGS;
			continue;
		}
		if (sec == SAMPLES) {
			long long a, b;
			int off;

			if (sscanf(line, " %lld %lld:%n", &a, &b, &off) == 2 && n < max) {
				char *p = line + off, *end;

				smp[n].v[0] = a;
				smp[n].v[1] = b;
				smp[n].stack[0] = smp[n].labels[0] = '\0';
				nids[n] = 0;
				for (;;) {
					unsigned long id = strtoul(p, &end, 10);

					if (end == p || nids[n] == 8)
						break;
					ids[n][nids[n]++] = id;
					p = end;
				}
				n++;
			} else if (n && strstr(line, ":[")) {
				size_t l = strlen(smp[n - 1].labels);

				snprintf(smp[n - 1].labels + l, sizeof(smp[n - 1].labels) - l,
					 "%s ", line);
			}
		} else if (sec == LOCATIONS && nlocs < 32) {
			unsigned long id, addr, mid;
			char name[64] = "";

			if (sscanf(line, " %lu: 0x%lx M=%lu %63s", &id, &addr, &mid, name) >= 3) {
				locs[nlocs].id = id;
				snprintf(locs[nlocs].name, sizeof(locs[nlocs].name), "%s",
					 name[0] ? name : "?");
				nlocs++;
			}
		} else if (sec == MAPPINGS) {
			size_t l = strlen(maps);

			snprintf(maps + l, maps_len - l, "%s\n", line);
		}
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < nids[i]; j++) {
			const char *name = "<unresolved>";
			size_t l = strlen(smp[i].stack);

			for (int k = 0; k < nlocs; k++)
				if (locs[k].id == ids[i][j])
					name = locs[k].name;
			snprintf(smp[i].stack + l, sizeof(smp[i].stack) - l, "%s%s", j ? " " : "",
				 name);
		}
	}
	return n;
}

/* Finds in `-top` output the row for name: flat and cum as printed. */
static bool top__row(const char *text, const char *name, int64_t *flat, int64_t *cum)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char fl[32], flp[32], sum[32], cu[32], cup[32], nm[128];

		if (sscanf(line, " %31s %31s %31s %31s %31s %127s", fl, flp, sum, cu, cup, nm) ==
			6 &&
		    !strcmp(nm, name) && strchr(flp, '%')) {
			*flat = strtoll(fl, NULL, 10);
			*cum = strtoll(cu, NULL, 10);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static void test_go_pprof(void)
{
	static const struct {
		const char *stack, *labels[3];
		int64_t v[2];
	} want[] = {
	    {"leaf_fn work main", {"thread id:[1234]", "thread name:[worker 1]"}, {30 * MS, 3}},
	    {"memcpy work main",
	     {"thread id:[1235]", "thread name:[worker 2]", "size:[4096 bytes]"},
	     {20 * MS, 2}},
	    {"main", {"thread id:[1234]"}, {10 * MS, 1}},
	    {"? main", {NULL}, {5 * MS, 1}},
	};
	static const struct {
		const char *name;
		int64_t flat_ns, cum_ns, flat_n, cum_n;
	} tops[] = {
	    {"leaf_fn", 30 * MS, 30 * MS, 3, 3},
	    {"memcpy", 20 * MS, 20 * MS, 2, 2},
	    {"work", 0, 50 * MS, 0, 5},
	    {"main", 10 * MS, 65 * MS, 1, 7},
	};
	struct raw_sample smp[8];
	struct fixture fx;
	struct pprof *p = fixture__build(&fx);
	char path[600], maps[1024];
	char *text;
	int n;

	if (!p)
		return;
	snprintf(path, sizeof(path), "%s/go.pb.gz", tmpdir);
	CHECK(!pprof__write_file(p, path));
	pprof__free(p);

	text = go__pprof("-raw -symbolize=none", path);
	if (!text)
		return;
	CHECKF(strstr(text, "PeriodType: cpu-time nanoseconds"), "%s", text);
	CHECKF(strstr(text, "Period: 10000000\n"), "%s", text);
	CHECKF(strstr(text, "Time: 2023-11-14 22:13:20.123456789 +0000 UTC"), "%s", text);
	CHECKF(strstr(text, "Duration: 2.5s"), "%s", text);
	CHECKF(strstr(text, "Comment: hrprof unit test"), "%s", text);
	CHECKF(strstr(text, "cpu-time/nanoseconds cpu-samples/count"), "%s", text);
	CHECKF(strstr(text, "leaf_fn src/leaf.cc"), "function file name: %s", text);
	n = raw__parse(text, smp, 8, maps, sizeof(maps));
	CHECKF(n == 4, "%d samples in -raw output", n);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (int j = 0; j < n && !found; j++) {
			if (strcmp(smp[j].stack, want[i].stack) || smp[j].v[0] != want[i].v[0] ||
			    smp[j].v[1] != want[i].v[1])
				continue;
			found = true;
			for (int k = 0; k < 3 && want[i].labels[k]; k++)
				CHECKF(strstr(smp[j].labels, want[i].labels[k]),
				       "sample %zu: label %s not in \"%s\"", i, want[i].labels[k],
				       smp[j].labels);
			if (!want[i].labels[0])
				CHECKF(!smp[j].labels[0], "sample %zu: labels \"%s\"", i,
				       smp[j].labels);
		}
		CHECKF(found, "no sample [%s] %" PRId64 "/%" PRId64 " in go's -raw:\n%s",
		       want[i].stack, want[i].v[0], want[i].v[1], text);
	}
	CHECKF(strstr(maps, "0x400000/0x500000/0x0 /usr/bin/app abcdef0123456789 [FN][FL]"),
	       "mappings: %s", maps);
	CHECKF(strstr(maps, "0x7f0000000000/0x7f0000100000/0x1000 /lib/libc.so.6 c0ffee42 [FN]"),
	       "mappings: %s", maps);
	free(text);

	text = go__pprof("-top -sample_index=cpu-time -unit=ns", path);
	if (text) {
		CHECKF(strstr(text, "Duration: 2.50s"), "%s", text);
		CHECKF(strstr(text, "Type: cpu-time"), "%s", text);
		for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
			int64_t fl = -1, cu = -1;

			CHECKF(top__row(text, tops[i].name, &fl, &cu) && fl == tops[i].flat_ns &&
				   cu == tops[i].cum_ns,
			       "%s: flat %" PRId64 " cum %" PRId64 " in:\n%s", tops[i].name, fl, cu,
			       text);
		}
		free(text);
	}
	text = go__pprof("-top -sample_index=cpu-samples", path);
	if (text) {
		CHECKF(strstr(text, "Total samples = 7"), "%s", text);
		for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
			int64_t fl = -1, cu = -1;

			CHECKF(top__row(text, tops[i].name, &fl, &cu) && fl == tops[i].flat_n &&
				   cu == tops[i].cum_n,
			       "%s: flat %" PRId64 " cum %" PRId64 " in:\n%s", tops[i].name, fl, cu,
			       text);
		}
		free(text);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	bool go;

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
	go = go__available();
	if (go)
		test_go_pprof();
	else
		printf("SKIP: go not installed: go tool pprof checks skipped\n");
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		return check_exit("test_pprof");
	return go ? 0 : 77;
}
