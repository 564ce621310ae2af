// SPDX-License-Identifier: GPL-2.0
/*
 * The spool's files: "hrprof-spool 2\n<json bytes> <blob bytes> <crc32>\n"
 * then the event JSON and the compressed profile; the CRC-32 (zlib) covers
 * both. Written to a temporary file, fsynced, renamed. A file whose header,
 * size or checksum is wrong is set aside as "<name>.corrupt" and never sent;
 * anything in the directory that is not a regular file is left alone and
 * named in the log once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/fileio.h"
#include "base/log.h"
#include "spool.h"
#include "base/util.h"

#define SUFFIX	    ".hrspool"
#define SUFFIX_TMP  ".tmp."
#define MAGIC	    "hrprof-spool 2\n"
#define ENTRY_LIMIT (64u << 20)
#define SET_ASIDE   ".corrupt"
#define IGNORED_MAX 64 /* names of non-regular files already logged */

struct spool {
	pthread_mutex_t lock; /* one operation at a time (an exporter, an uploader) */
	char *dir;
	uint64_t max_bytes;
	uint64_t max_age_s;
	uint64_t dropped;
	char claim[24]; /* ".<pid>" */
	char *ignored[IGNORED_MAX];
	size_t nignored;
};

/* Logs, once per name, that a non-regular file in the spool is left alone. */
static void spool__ignore(struct spool *s, const char *name, mode_t mode)
{
	for (size_t i = 0; i < s->nignored; i++)
		if (!strcmp(s->ignored[i], name))
			return;
	log_warn("spool: %s/%s is not a regular file (%s): ignored", s->dir, name,
		 S_ISDIR(mode)	 ? "a directory"
		 : S_ISLNK(mode) ? "a symbolic link"
				 : "a special file");
	if (s->nignored < IGNORED_MAX && (s->ignored[s->nignored] = strdup(name)))
		s->nignored++;
}

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
		struct stat st;

		if (!is_entry(de->d_name, &owner))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* gone meanwhile */
		if (!S_ISREG(st.st_mode)) {
			spool__ignore(s, de->d_name, st.st_mode);
			continue;
		}
		if (array__reserve(&names, &cap, *n + 1, sizeof(*names)))
			break;
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
	pthread_mutex_init(&s->lock, NULL);
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
	for (size_t i = 0; i < s->nignored; i++)
		free(s->ignored[i]);
	pthread_mutex_destroy(&s->lock);
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
	uLong crc = crc32(0, NULL, 0);
	char head[96];
	int err;

	crc = crc32_z(crc, (const Bytef *)j->event_json, jlen);
	crc = crc32_z(crc, j->blob, j->len);
	snprintf(head, sizeof(head), MAGIC "%zu %zu %08lx\n", jlen, j->len, (unsigned long)crc);
	err = write_all(fd, head, strlen(head));
	if (!err)
		err = write_all(fd, j->event_json, jlen);
	if (!err)
		err = write_all(fd, j->blob, j->len);
	return err;
}

static int spool_put(struct spool *s, const char *name, const char *event_json, const uint8_t *blob,
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

/* Reads a claimed entry: -EBADMSG when it is not one (header, size, checksum). */
static int read_entry(const char *path, struct spool_entry *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	unsigned long want_crc;
	size_t jlen, blen;
	char head[96];
	struct stat st;
	int err = -EBADMSG, used;
	uLong crc;
	FILE *f;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	if (!fgets(head, sizeof(head), f) || strcmp(head, MAGIC) || !fgets(head, sizeof(head), f) ||
	    sscanf(head, "%zu %zu %8lx\n%n", &jlen, &blen, &want_crc, &used) != 3 ||
	    (size_t)used != strlen(head) || jlen > ENTRY_LIMIT || blen > ENTRY_LIMIT ||
	    (uint64_t)st.st_size != strlen(MAGIC) + strlen(head) + jlen + blen)
		goto out;
	e->event_json = malloc(jlen + 1);
	e->blob = malloc(blen ? blen : 1);
	if (!e->event_json || !e->blob) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(e->event_json, 1, jlen, f) != jlen || fread(e->blob, 1, blen, f) != blen)
		goto out;
	crc = crc32_z(crc32(0, NULL, 0), (const Bytef *)e->event_json, jlen);
	crc = crc32_z(crc, e->blob, blen);
	if (crc != want_crc)
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

/* Renames a claimed entry that is not one to "<name>.corrupt", out of the way. */
static void spool__set_aside(struct spool *s, const char *name, const char *claimed)
{
	char to[PATH_MAX];
	int n = snprintf(to, sizeof(to), "%s/%.*s" SET_ASIDE, s->dir,
			 (int)(strstr(name, SUFFIX) - name), name);

	if (n > 0 && (size_t)n < sizeof(to) && !rename(claimed, to)) {
		log_warn("spool: %s is not a valid spool entry (its header, size or checksum is "
			 "wrong): set aside as %s, not sent",
			 name, to);
		return;
	}
	log_warn("spool: %s is not a valid spool entry: removed, not sent", name);
	unlink(claimed);
}

static int spool_take(struct spool *s, struct spool_entry *e)
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
		if (err == -EBADMSG) {
			spool__set_aside(s, names[i], e->path);
		} else if (err) {
			log_warn("spool: %s is unreadable (%s): dropped", names[i], strerror(-err));
			unlink(e->path);
		}
		if (err) {
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

uint64_t spool__dropped(struct spool *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->dropped;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static size_t spool_count(struct spool *s)
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

int spool__put(struct spool *s, const char *name, const char *event_json, const uint8_t *blob,
	       size_t len)
{
	int err;

	pthread_mutex_lock(&s->lock);
	err = spool_put(s, name, event_json, blob, len);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int spool__take(struct spool *s, struct spool_entry *e)
{
	int err;

	pthread_mutex_lock(&s->lock);
	err = spool_take(s, e);
	pthread_mutex_unlock(&s->lock);
	return err;
}

size_t spool__count(struct spool *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = spool_count(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}
