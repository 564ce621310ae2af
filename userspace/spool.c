// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "spool.h"

#define SUFFIX	    ".hrspool"
#define SUFFIX_TMP  ".tmp."
#define MAGIC	    "hrprof-spool 1\n"
#define ENTRY_LIMIT (64u << 20)

struct spool {
	char *dir;
	uint64_t max_bytes;
	uint64_t max_age_s;
	uint64_t dropped;
	char claim[24]; /* ".<pid>" */
};

/* An entry file's name: "<name>.hrspool", or "<name>.hrspool.<pid>" when claimed. */
static bool is_entry(const char *name, long *owner)
{
	const char *s = strstr(name, SUFFIX);

	if (!s || name[0] == '.')
		return false;
	s += strlen(SUFFIX);
	*owner = 0;
	if (!*s)
		return true;
	if (*s != '.' || !s[1])
		return false;
	*owner = strtol(s + 1, NULL, 10);
	return *owner > 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries, sorted by name (so by time). Returns -errno. */
static int spool__list(struct spool *s, char ***out, size_t *n)
{
	DIR *d = opendir(s->dir);
	char **names = NULL;
	struct dirent *de;
	size_t cap = 0;
	long owner;

	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_entry(de->d_name, &owner))
			continue;
		if (*n == cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*p));

			if (!p)
				break;
			names = p;
		}
		names[*n] = strdup(de->d_name);
		if (names[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_str);
	*out = names;
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Drops the oldest unclaimed entries past the size or age bound. */
static void spool__enforce(struct spool *s)
{
	uint64_t total = 0, now = (uint64_t)time(NULL);
	char **names, path[PATH_MAX];
	struct stat st;
	size_t n;
	long owner;

	if (spool__list(s, &names, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, names[i]);
		if (!stat(path, &st))
			total += (uint64_t)st.st_size;
	}
	for (size_t i = 0; i < n; i++) {
		bool old;

		snprintf(path, sizeof(path), "%s/%s", s->dir, names[i]);
		if (stat(path, &st) || !is_entry(names[i], &owner) || owner)
			continue;
		old = s->max_age_s && now > (uint64_t)st.st_mtime + s->max_age_s;
		if (!old && total <= s->max_bytes)
			continue;
		if (unlink(path))
			continue;
		total -= (uint64_t)st.st_size;
		s->dropped++;
		log_warn("spool: dropped %s (%s): %" PRIu64 " profiles dropped so far", names[i],
			 old ? "older than the spool's age limit" : "the spool is full",
			 s->dropped);
	}
	free_names(names, n);
}

/* Removes temporary files a crash left behind (older than a minute, so a
 * concurrent writer's are spared). */
static void spool__sweep_temp(struct spool *s)
{
	DIR *d = opendir(s->dir);
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.' || !strstr(de->d_name, SUFFIX_TMP))
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		if (!stat(path, &st) && time(NULL) - st.st_mtime > 60)
			unlink(path);
	}
	closedir(d);
}

int spool__open(struct spool **out, const char *dir, uint64_t max_bytes, uint64_t max_age_s)
{
	struct spool *s;
	char **names, from[PATH_MAX], to[PATH_MAX];
	size_t n;
	long owner;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return -ENOMEM;
	}
	s->max_bytes = max_bytes;
	s->max_age_s = max_age_s;
	snprintf(s->claim, sizeof(s->claim), ".%d", getpid());
	if (spool__list(s, &names, &n)) {
		int err = -errno;

		spool__free(s);
		return err ? err : -EIO;
	}
	spool__sweep_temp(s);
	/* Release the claims of senders that are gone. */
	for (size_t i = 0; i < n; i++) {
		if (!is_entry(names[i], &owner) || !owner ||
		    (owner != getpid() && !(kill((pid_t)owner, 0) && errno == ESRCH)))
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, names[i]);
		snprintf(to, sizeof(to), "%s/%.*s", dir,
			 (int)(strstr(names[i], SUFFIX) - names[i] + strlen(SUFFIX)), names[i]);
		rename(from, to);
	}
	free_names(names, n);
	spool__enforce(s);
	*out = s;
	return 0;
}

void spool__free(struct spool *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s);
}

struct spool_job {
	const char *event_json;
	const uint8_t *blob;
	size_t len;
};

static int spool_fill(int fd, void *arg)
{
	struct spool_job *j = arg;
	size_t jlen = strlen(j->event_json);
	char head[64];
	int err;

	snprintf(head, sizeof(head), MAGIC "%zu %zu\n", jlen, j->len);
	err = write_all(fd, head, strlen(head));
	if (!err)
		err = write_all(fd, j->event_json, jlen);
	if (!err)
		err = write_all(fd, j->blob, j->len);
	return err;
}

int spool__put(struct spool *s, const char *name, const char *event_json, const uint8_t *blob,
	       size_t len)
{
	struct spool_job j = {event_json, blob, len};
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s" SUFFIX, s->dir, name);
	err = file_write_atomic(path, 0600, spool_fill, &j);
	if (err)
		return err;
	spool__enforce(s);
	return 0;
}

static int read_entry(const char *path, struct spool_entry *e)
{
	size_t jlen, blen;
	char head[64];
	FILE *f = fopen(path, "re");
	int err = -EINVAL;

	if (!f)
		return -errno;
	if (!fgets(head, sizeof(head), f) || strcmp(head, MAGIC) || !fgets(head, sizeof(head), f) ||
	    sscanf(head, "%zu %zu", &jlen, &blen) != 2 || jlen > ENTRY_LIMIT || blen > ENTRY_LIMIT)
		goto out;
	e->event_json = malloc(jlen + 1);
	e->blob = malloc(blen ? blen : 1);
	if (!e->event_json || !e->blob) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(e->event_json, 1, jlen, f) != jlen || fread(e->blob, 1, blen, f) != blen)
		goto out;
	e->event_json[jlen] = 0;
	e->len = blen;
	err = 0;
out:
	fclose(f);
	if (err) {
		free(e->event_json);
		free(e->blob);
		e->event_json = NULL;
		e->blob = NULL;
	}
	return err;
}

int spool__take(struct spool *s, struct spool_entry *e)
{
	char **names, from[PATH_MAX];
	int err = -ENOENT;
	size_t n;
	long owner;

	memset(e, 0, sizeof(*e));
	if (spool__list(s, &names, &n))
		return -errno;
	for (size_t i = 0; i < n && err; i++) {
		if (!is_entry(names[i], &owner) || owner)
			continue;
		snprintf(from, sizeof(from), "%s/%s", s->dir, names[i]);
		if (asprintf(&e->path, "%s%s", from, s->claim) < 0) {
			e->path = NULL;
			err = -ENOMEM;
			break;
		}
		if (rename(from, e->path)) { /* another sender took it */
			free(e->path);
			e->path = NULL;
			continue;
		}
		err = read_entry(e->path, e);
		if (err) {
			log_warn("spool: %s is unreadable (%s): dropped", names[i], strerror(-err));
			unlink(e->path);
			free(e->path);
			e->path = NULL;
			s->dropped++;
			err = -ENOENT;
		}
	}
	free_names(names, n);
	return err;
}

static void entry_free(struct spool_entry *e)
{
	free(e->path);
	free(e->event_json);
	free(e->blob);
	memset(e, 0, sizeof(*e));
}

void spool__remove(struct spool *s, struct spool_entry *e)
{
	if (e->path)
		unlink(e->path);
	entry_free(e);
}

void spool__release(struct spool *s, struct spool_entry *e)
{
	if (e->path) {
		char *to = strdup(e->path);

		if (to) {
			to[strlen(to) - strlen(s->claim)] = 0;
			rename(e->path, to);
			free(to);
		}
	}
	entry_free(e);
}

uint64_t spool__dropped(const struct spool *s)
{
	return s->dropped;
}

size_t spool__count(struct spool *s)
{
	char **names;
	size_t n, count = 0;
	long owner;

	if (spool__list(s, &names, &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		count += is_entry(names[i], &owner) && !owner;
	free_names(names, n);
	return count;
}
