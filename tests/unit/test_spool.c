// SPDX-License-Identifier: GPL-2.0
/*
 * The spool, in a mkdtemp directory: entries taken oldest first with their
 * contents intact (binary blobs with NUL bytes), claims (renamed with
 * ".<pid>", invisible to other takers and to the count), release and remove,
 * claims of dead processes released at open and those of live ones kept, the
 * size bound (oldest dropped first, counted) and the age bound (mtime moved
 * back with utimensat), corrupt entry files dropped and counted, an
 * uncreatable directory, temp files never taken, and two processes taking
 * from one directory never taking the same entry.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "export/spool.h"

#define BIG (1ull << 40)

static char base[64];
static int ndirs;

/* A fresh, not yet created, spool directory under base. */
static void new_dir(char *out, size_t size)
{
	snprintf(out, size, "%s/s%d", base, ndirs++);
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st);
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	n = fwrite(data, 1, len, f);
	fclose(f);
	return n == len ? 0 : -EIO;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static const uint8_t blob3[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0xff, 0x0a, 0x00, 0x0d, 0xff};

/* ---- order, round trip, claims, release, remove ---- */

static void test_basics(void)
{
	char dir[128], claimed[PATH_MAX];
	struct spool *s, *s2;
	struct spool_entry e, e2, e3;
	uint8_t zeros[300] = {0};
	pid_t child;
	int err, st;

	new_dir(dir, sizeof(dir));
	err = spool__open(&s, dir, BIG, 0);
	CHECKF(!err, "spool__open: %d", err);
	if (err)
		return;
	CHECK(spool__count(s) == 0);
	CHECK(spool__take(s, &e) == -ENOENT);

	/* Put out of order: names sort by time, not by put order. */
	CHECK(!spool__put(s, "00000000000000000300-x", "{\"n\":3}", blob3, sizeof(blob3)));
	CHECK(!spool__put(s, "00000000000000000100-x", "{\"n\":1,\"s\":\"a\\\"b\"}", zeros,
			  sizeof(zeros)));
	CHECK(!spool__put(s, "00000000000000000200-x", "{\"n\":2}", (const uint8_t *)"", 0));
	CHECK(spool__count(s) == 3);
	CHECK(exists(dir, "00000000000000000100-x.hrspool"));

	err = spool__take(s, &e);
	CHECKF(!err, "take: %d", err);
	if (err) {
		spool__free(s);
		return;
	}
	snprintf(claimed, sizeof(claimed), "00000000000000000100-x.hrspool.%d", getpid());
	CHECKF(e.path && !strcmp(base_name(e.path), claimed), "claimed as %s, want %s", e.path,
	       claimed);
	CHECK(exists(dir, claimed));
	CHECK(!exists(dir, "00000000000000000100-x.hrspool"));
	CHECKF(e.event_json && !strcmp(e.event_json, "{\"n\":1,\"s\":\"a\\\"b\"}"), "json '%s'",
	       e.event_json);
	CHECKF(e.len == sizeof(zeros) && e.blob && !memcmp(e.blob, zeros, sizeof(zeros)),
	       "blob of %zu bytes", e.len);
	CHECK(spool__count(s) == 2);

	/* Another sender (another process, its own handle) does not see the
	 * claimed entry: it counts two and takes the next one. Exit bits say
	 * which of its checks failed. */
	child = fork();
	if (child == 0) {
		int bad = 0;

		if (spool__open(&s2, dir, BIG, 0))
			_exit(1);
		bad |= !exists(dir, claimed) << 1;
		bad |= (spool__count(s2) != 2) << 2;
		if (spool__take(s2, &e2)) {
			_exit(bad | 8);
		}
		bad |= !!strncmp(base_name(e2.path), "00000000000000000200-x.hrspool.", 31) << 4;
		bad |= (!e2.event_json || strcmp(e2.event_json, "{\"n\":2}") || e2.len != 0 ||
			!e2.blob)
		       << 5;
		spool__release(s2, &e2);
		bad |= (e2.path || e2.blob || e2.event_json) << 6;
		spool__free(s2);
		_exit(bad);
	}
	CHECK(child > 0);
	if (child > 0) {
		waitpid(child, &st, 0);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "the other sender's checks failed: status 0x%x (bits: 1 open, 2 our claim "
		       "released, 4 count, 8 take, 16 wrong entry, 32 contents, 64 release)",
		       st);
	}
	CHECK(exists(dir, claimed));
	CHECK(exists(dir, "00000000000000000200-x.hrspool")); /* released by the other */
	CHECK(spool__count(s) == 2);

	/* A second take from the same handle gets the next entry. */
	err = spool__take(s, &e2);
	CHECK(!err);
	if (!err) {
		CHECK(!strncmp(base_name(e2.path), "00000000000000000200-x", 22));
		err = spool__take(s, &e3);
		CHECK(!err);
		if (!err) {
			CHECK(!strncmp(base_name(e3.path), "00000000000000000300-x", 22));
			CHECK(e3.len == sizeof(blob3) && !memcmp(e3.blob, blob3, sizeof(blob3)));
			CHECK(spool__count(s) == 0);
			{
				struct spool_entry none;

				CHECK(spool__take(s, &none) == -ENOENT);
				CHECK(!none.path && !none.blob && !none.event_json);
			}
			spool__release(s, &e3);
			CHECK(exists(dir, "00000000000000000300-x.hrspool"));
			CHECK(spool__count(s) == 1);
		}
		/* Release: takeable again, under its unclaimed name. */
		spool__release(s, &e2);
		CHECK(exists(dir, "00000000000000000200-x.hrspool"));
		CHECK(spool__count(s) == 2);
	}
	spool__release(s, &e);
	CHECK(exists(dir, "00000000000000000100-x.hrspool"));
	CHECK(spool__count(s) == 3);

	/* Remove: deleted. */
	err = spool__take(s, &e);
	CHECK(!err && !strncmp(base_name(e.path), "00000000000000000100-x", 22));
	if (!err) {
		strcpy(claimed, base_name(e.path));
		spool__remove(s, &e);
		CHECK(!exists(dir, claimed));
		CHECK(!exists(dir, "00000000000000000100-x.hrspool"));
	}
	CHECK(spool__count(s) == 2);
	CHECK(count_files(dir) == 2);
	CHECK(spool__dropped(s) == 0);
	spool__free(s);
}

/* ---- claims of dead and live processes ---- */

static void test_claims(void)
{
	char dir[128], from[PATH_MAX], to[PATH_MAX], dead_name[128], live_name[128];
	struct spool *s;
	pid_t dead, live;
	int st, err;

	dead = fork();
	if (dead == 0)
		_exit(0);
	CHECK(dead > 0);
	if (dead <= 0)
		return;
	waitpid(dead, &st, 0);
	live = fork();
	if (live == 0) {
		pause();
		_exit(0);
	}
	CHECK(live > 0);
	if (live <= 0)
		return;

	new_dir(dir, sizeof(dir));
	err = spool__open(&s, dir, BIG, 0);
	CHECK(!err);
	if (err)
		goto out;
	CHECK(!spool__put(s, "a", "{}", blob3, sizeof(blob3)));
	CHECK(!spool__put(s, "b", "{}", blob3, sizeof(blob3)));
	spool__free(s);
	snprintf(dead_name, sizeof(dead_name), "a.hrspool.%d", (int)dead);
	snprintf(live_name, sizeof(live_name), "b.hrspool.%d", (int)live);
	snprintf(from, sizeof(from), "%s/a.hrspool", dir);
	snprintf(to, sizeof(to), "%s/%s", dir, dead_name);
	CHECK(!rename(from, to));
	snprintf(from, sizeof(from), "%s/b.hrspool", dir);
	snprintf(to, sizeof(to), "%s/%s", dir, live_name);
	CHECK(!rename(from, to));

	err = spool__open(&s, dir, BIG, 0);
	CHECK(!err);
	if (err)
		goto out;
	CHECKF(exists(dir, "a.hrspool") && !exists(dir, dead_name),
	       "the claim of dead pid %d was not released", (int)dead);
	CHECKF(exists(dir, live_name) && !exists(dir, "b.hrspool"),
	       "the claim of live pid %d was released", (int)live);
	CHECK(spool__count(s) == 1);
	{
		struct spool_entry e;

		CHECK(!spool__take(s, &e));
		CHECK(e.path && !strncmp(base_name(e.path), "a.hrspool.", 10));
		spool__remove(s, &e);
		CHECK(spool__take(s, &e) == -ENOENT);
	}
	spool__free(s);
out:
	kill(live, SIGKILL);
	waitpid(live, &st, 0);
}

/* ---- bounds ---- */

static void test_max_bytes(void)
{
	char dir[128], name[32];
	uint8_t blob[1000];
	struct spool *s;
	struct spool_entry e;
	int err;

	memset(blob, 0xab, sizeof(blob));
	new_dir(dir, sizeof(dir));
	/* Each entry is a little over 1000 bytes: 2500 holds two. */
	err = spool__open(&s, dir, 2500, 0);
	CHECK(!err);
	if (err)
		return;
	for (int i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "%020d", i);
		CHECK(!spool__put(s, name, "{}", blob, sizeof(blob)));
	}
	CHECKF(spool__count(s) == 2, "%zu entries left, want 2", spool__count(s));
	CHECKF(spool__dropped(s) == 1, "%llu dropped, want 1",
	       (unsigned long long)spool__dropped(s));
	CHECK(!exists(dir, "00000000000000000001.hrspool"));
	CHECK(exists(dir, "00000000000000000002.hrspool"));
	CHECK(exists(dir, "00000000000000000003.hrspool"));

	/* A claimed entry is not dropped; the oldest unclaimed one is. */
	CHECK(!spool__take(s, &e));
	CHECK(e.path && !strncmp(base_name(e.path), "00000000000000000002", 20));
	snprintf(name, sizeof(name), "%020d", 4);
	CHECK(!spool__put(s, name, "{}", blob, sizeof(blob)));
	CHECK(e.path && access(e.path, F_OK) == 0);
	CHECK(!exists(dir, "00000000000000000003.hrspool"));
	CHECK(exists(dir, "00000000000000000004.hrspool"));
	CHECK(spool__dropped(s) == 2);
	spool__remove(s, &e);
	spool__free(s);

	/* Reopening with a smaller bound drops at open. */
	err = spool__open(&s, dir, 1500, 0);
	CHECK(!err);
	if (err)
		return;
	CHECK(spool__count(s) == 1 && spool__dropped(s) == 0);
	spool__free(s);
	CHECK(!spool__open(&s, dir, 500, 0));
	CHECK(spool__count(s) == 0 && spool__dropped(s) == 1);
	spool__free(s);
}

static int age(const char *dir, const char *name, time_t secs)
{
	struct timespec ts[2];
	char path[PATH_MAX];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return utimensat(AT_FDCWD, path, ts, 0);
}

static void test_max_age(void)
{
	char dir[128];
	struct spool *s;
	int err;

	new_dir(dir, sizeof(dir));
	err = spool__open(&s, dir, BIG, 3600);
	CHECK(!err);
	if (err)
		return;
	CHECK(!spool__put(s, "1", "{}", blob3, sizeof(blob3)));
	CHECK(!spool__put(s, "2", "{}", blob3, sizeof(blob3)));
	CHECK(!spool__put(s, "3", "{}", blob3, sizeof(blob3)));
	CHECK(!age(dir, "2.hrspool", 7200));
	CHECK(!age(dir, "3.hrspool", 1800)); /* within the bound */
	CHECK(!spool__put(s, "4", "{}", blob3, sizeof(blob3)));
	CHECK(!exists(dir, "2.hrspool"));
	CHECK(exists(dir, "1.hrspool") && exists(dir, "3.hrspool") && exists(dir, "4.hrspool"));
	CHECK(spool__dropped(s) == 1);
	spool__free(s);

	CHECK(!age(dir, "1.hrspool", 3700));
	err = spool__open(&s, dir, BIG, 3600);
	CHECK(!err);
	if (err)
		return;
	CHECK(!exists(dir, "1.hrspool"));
	CHECK(spool__count(s) == 2 && spool__dropped(s) == 1);
	spool__free(s);

	/* max_age 0: no age bound. */
	CHECK(!age(dir, "3.hrspool", 10 * 365 * 86400));
	CHECK(!spool__open(&s, dir, BIG, 0));
	CHECK(spool__count(s) == 2 && spool__dropped(s) == 0);
	spool__free(s);
}

/* ---- corrupt entries ---- */

/* Files that are not entries: set aside as "<name>.corrupt", never given out. */
static void test_corrupt(void)
{
	static const struct {
		const char *name, *data;
		size_t len;
	} bad[] = {
	    {"01.hrspool", "", 0},
	    {"02.hrspool", "not a spool file\n2 3\n{}abc", 26},
	    {"03.hrspool", "hrprof-spool 2\n", 15},
	    {"04.hrspool", "hrprof-spool 2\n2 100 00000000\n{}abc", 35}, /* truncated blob */
	    {"05.hrspool", "hrprof-spool 2\n50 0 00000000\n{}", 31},	 /* truncated json */
	    {"06.hrspool", "hrprof-spool 2\n60000000 1 00000000\n{}",
	     37}, /* larger than the file */
	    {"07.hrspool", "hrprof-spool 2\n99999999999999999999 1 0\n{}a", 43},
	    {"08.hrspool", "hrprof-spool 2\n-1 -1 0\n{}a", 26},
	    {"09.hrspool", "hrprof-spool 2\nx y z\n{}a", 24},
	    {"10.hrspool", "hrprof-spool 1\n2 1\n{}a", 22}, /* the old format: no checksum */
	    {"11.hrspool", "hrprof-spool 2\n2 1 0", 20},
	    /* a valid header, junk content: the checksum says so */
	    {"12.hrspool", "hrprof-spool 2\n2 3 12345678\n{}abc", 33},
	    /* right checksum of "{}abc" (0x1b10c652), a byte more in the file */
	    {"13.hrspool", "hrprof-spool 2\n2 3 1b10c652\n{}abcd", 34},
	    /* right checksum, one byte of the blob changed */
	    {"14.hrspool", "hrprof-spool 2\n2 3 1b10c652\n{}abd", 33},
	};
	const size_t nbad = sizeof(bad) / sizeof(bad[0]);
	char dir[128], name[192];
	struct spool *s;
	struct spool_entry e;
	int err;

	new_dir(dir, sizeof(dir));
	err = spool__open(&s, dir, BIG, 0);
	CHECK(!err);
	if (err)
		return;
	for (size_t i = 0; i < nbad; i++)
		CHECK(!write_file(dir, bad[i].name, bad[i].data, bad[i].len));
	CHECK(
	    !write_file(dir, "15.hrspool", "hrprof-spool 2\n2 3 1b10c652\n{}abc", 33)); /* valid */
	CHECK(!spool__put(s, "99", "{\"ok\":1}", blob3, sizeof(blob3)));
	CHECK(spool__count(s) == nbad + 2);

	err = spool__take(s, &e);
	CHECKF(!err, "take past corrupt entries: %d", err);
	if (!err) {
		CHECK(!strncmp(base_name(e.path), "15.hrspool.", 11));
		CHECK(e.event_json && !strcmp(e.event_json, "{}"));
		CHECK(e.len == 3 && !memcmp(e.blob, "abc", 3));
		spool__remove(s, &e);
	}
	err = spool__take(s, &e);
	CHECKF(!err, "take the last entry: %d", err);
	if (!err) {
		CHECK(!strncmp(base_name(e.path), "99.hrspool.", 11));
		CHECK(e.event_json && !strcmp(e.event_json, "{\"ok\":1}"));
		CHECK(e.len == sizeof(blob3) && !memcmp(e.blob, blob3, sizeof(blob3)));
		spool__remove(s, &e);
	}
	CHECKF(spool__dropped(s) == nbad, "%llu dropped, want %zu",
	       (unsigned long long)spool__dropped(s), nbad);
	for (size_t i = 0; i < nbad; i++) {
		CHECKF(!exists(dir, bad[i].name), "%s left behind", bad[i].name);
		snprintf(name, sizeof(name), "%.2s.corrupt", bad[i].name);
		CHECKF(exists(dir, name), "%s not set aside as %s", bad[i].name, name);
	}
	CHECK(count_files(dir) == nbad); /* the set-aside ones */
	CHECK(spool__take(s, &e) == -ENOENT);
	CHECK(spool__count(s) == 0);

	/* Only corrupt ones: -ENOENT, not an error. */
	CHECK(!write_file(dir, "50.hrspool", "junk", 4));
	CHECK(spool__take(s, &e) == -ENOENT);
	CHECK(spool__dropped(s) == nbad + 1);
	CHECK(exists(dir, "50.corrupt"));

	/* Not regular files: a directory and a symbolic link named like entries
	 * are left where they are, not counted, not taken, not dropped. */
	snprintf(name, sizeof(name), "%s/60.hrspool", dir);
	CHECK(!mkdir(name, 0700));
	snprintf(name, sizeof(name), "%s/61.hrspool", dir);
	CHECK(!symlink("/etc/passwd", name));
	CHECK(spool__count(s) == 0);
	CHECK(spool__take(s, &e) == -ENOENT);
	CHECK(exists(dir, "60.hrspool") && exists(dir, "61.hrspool"));
	CHECK(spool__dropped(s) == nbad + 1);
	spool__free(s);
	/* a new open releases no claims on them either */
	err = spool__open(&s, dir, BIG, 0);
	CHECK(!err && exists(dir, "60.hrspool") && exists(dir, "61.hrspool"));
	if (!err)
		spool__free(s);
	snprintf(name, sizeof(name), "%s/60.hrspool", dir);
	rmdir(name);
}

/* ---- directory errors, temp files, names that are not entries ---- */

static void test_dir_and_temp(void)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct spool *s = NULL;
	struct spool_entry e;
	int err;

	snprintf(path, sizeof(path), "%s/regular", base);
	CHECK(!write_file(base, "regular", "x", 1));
	snprintf(dir, sizeof(dir), "%s/regular/spool", base);
	err = spool__open(&s, dir, BIG, 0);
	CHECKF(err == -ENOTDIR, "open under a regular file: %d, want %d", err, -ENOTDIR);
	/* The path is a regular file itself. */
	err = spool__open(&s, path, BIG, 0);
	CHECKF(err < 0, "open of a regular file: %d, want -errno", err);
	if (!err)
		spool__free(s);

	new_dir(dir, sizeof(dir));
	CHECK(!spool__open(&s, dir, BIG, 0));
	if (!s)
		return;
	CHECK(!write_file(dir, ".00.tmp.Ab12Cd", "hrprof-spool 1\n2 1\n{}a", 22));
	CHECK(!write_file(dir, ".01.hrspool.tmp.Ab12Cd", "hrprof-spool 1\n2 1\n{}a", 22));
	CHECK(!write_file(dir, ".02.hrspool", "hrprof-spool 1\n2 1\n{}a", 22));
	CHECK(!write_file(dir, "03.hrspool.notapid", "hrprof-spool 1\n2 1\n{}a", 22));
	CHECK(!write_file(dir, "04.txt", "hrprof-spool 1\n2 1\n{}a", 22));
	CHECK(spool__count(s) == 0);
	CHECK(spool__take(s, &e) == -ENOENT);
	CHECK(spool__dropped(s) == 0);
	CHECK(exists(dir, ".00.tmp.Ab12Cd") && exists(dir, ".01.hrspool.tmp.Ab12Cd"));
	/* A put leaves no temp file behind. */
	CHECK(!spool__put(s, "05", "{}", blob3, sizeof(blob3)));
	CHECK(count_files(dir) == 6);
	CHECK(spool__count(s) == 1);
	spool__free(s);
}

/* ---- two processes taking from one directory ---- */

#define NCONC 120

static void test_concurrent(void)
{
	char dir[128], name[32], buf[64];
	static bool seen[NCONC], by_child[NCONC];
	struct spool *s, *sc;
	struct spool_entry e;
	int fds[2], st, mine = 0, theirs = 0, twice = 0, missing = 0;
	pid_t child;
	FILE *in;

	new_dir(dir, sizeof(dir));
	if (spool__open(&s, dir, BIG, 0)) {
		CHECK(!"open");
		return;
	}
	for (int i = 0; i < NCONC; i++) {
		snprintf(name, sizeof(name), "%020d", i);
		CHECK(!spool__put(s, name, "{}", blob3, sizeof(blob3)));
	}
	CHECK(!pipe(fds));
	child = fork();
	if (child == 0) {
		FILE *out = fdopen(fds[1], "w");

		close(fds[0]);
		if (spool__open(&sc, dir, BIG, 0))
			_exit(2);
		while (!spool__take(sc, &e)) {
			fprintf(out, "%.20s\n", base_name(e.path));
			fflush(out);
			spool__remove(sc, &e);
		}
		fclose(out);
		spool__free(sc);
		_exit(0);
	}
	close(fds[1]);
	CHECK(child > 0);
	while (!spool__take(s, &e)) {
		int i = atoi(base_name(e.path));

		if (i >= 0 && i < NCONC) {
			twice += seen[i];
			seen[i] = true;
		}
		mine++;
		spool__remove(s, &e);
	}
	in = fdopen(fds[0], "r");
	while (in && fgets(buf, sizeof(buf), in)) {
		int i = atoi(buf);

		if (i >= 0 && i < NCONC) {
			twice += seen[i];
			seen[i] = by_child[i] = true;
		}
		theirs++;
	}
	if (in)
		fclose(in);
	waitpid(child, &st, 0);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
	for (int i = 0; i < NCONC; i++)
		missing += !seen[i];
	CHECKF(!twice, "%d entries taken twice (mine %d, theirs %d)", twice, mine, theirs);
	CHECKF(!missing, "%d entries taken by nobody", missing);
	CHECKF(mine + theirs == NCONC, "%d + %d taken, want %d", mine, theirs, NCONC);
	CHECK(count_files(dir) == 0);
	CHECK(spool__dropped(s) == 0);
	spool__free(s);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("could not remove %s\n", dir);
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/hrprof-spool-test.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(LOG_ERROR); /* drops are logged as warnings: keep the output short */

	test_basics();
	test_claims();
	test_max_bytes();
	test_max_age();
	test_corrupt();
	test_dir_and_temp();
	test_concurrent();

	rm_rf(base);
	return check_exit("test_spool");
}
