// SPDX-License-Identifier: GPL-2.0
/*
 * Debug files from debuginfod servers (DEBUGINFOD_URLS), by build id,
 * through libdebuginfod. One thread fetches, in the order asked: never the
 * sampling path, never the export thread, which waits for an answer at most
 * until its profile's deadline and otherwise takes the file in a later
 * profile. Answers (files and failures) are kept for the fetcher's life;
 * libdebuginfod keeps the files in its own cache ($DEBUGINFOD_CACHE_PATH,
 * else ~/.cache/debuginfod_client) across runs. Stopping aborts a transfer
 * in progress (its progress callback says so within a second).
 */
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "sym_elf.h"
#include "base/util.h"

#define FETCH_MAX 4096 /* build ids asked, at most */

struct fetch {
	char build_id[2 * BUILD_ID_MAX + 1];
	char *path; /* malloc'd, when done */
	int state;
	int err; /* when failed: -errno from libdebuginfod */
};

struct sym_fetcher {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* work asked, work done, stop */
	pthread_t thread;
	bool stop;
	struct fetch *v;
	size_t n, cap;
	size_t next; /* the first not yet fetched: v[] is a queue */
};

static int fetch_progress(debuginfod_client *client, long done, long total)
{
	struct sym_fetcher *f = debuginfod_get_user_data(client);

	(void)done;
	(void)total;
	return __atomic_load_n(&f->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static void *fetch_main(void *arg)
{
	struct sym_fetcher *f = arg;
	debuginfod_client *client = debuginfod_begin();

	if (client) {
		debuginfod_set_user_data(client, f);
		debuginfod_set_progressfn(client, fetch_progress);
	}
	pthread_mutex_lock(&f->lock);
	for (;;) {
		char id[2 * BUILD_ID_MAX + 1];
		char *path = NULL;
		size_t i;
		int fd;

		while (!f->stop && f->next == f->n)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop)
			break;
		i = f->next++;
		memcpy(id, f->v[i].build_id, sizeof(id));
		pthread_mutex_unlock(&f->lock);

		fd = client ? debuginfod_find_debuginfo(client, (const unsigned char *)id, 0, &path)
			    : -ENOSYS;
		if (fd >= 0)
			close(fd);

		pthread_mutex_lock(&f->lock);
		if (fd >= 0 && path) {
			f->v[i].state = SYM_FETCH_DONE;
			f->v[i].path = path;
			log_info("sym: debuginfod: debug file of %s: %s", id, path);
		} else {
			free(path);
			f->v[i].state = SYM_FETCH_FAILED;
			f->v[i].err = fd < 0 ? fd : -ENOENT;
			log_info("sym: debuginfod: no debug file for %s: %s", id,
				 strerror(-f->v[i].err));
		}
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	if (client)
		debuginfod_end(client);
	return NULL;
}

struct sym_fetcher *sym_fetcher__new(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct sym_fetcher *f;
	pthread_condattr_t ca;

	if (!urls || !*urls)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&f->thread, NULL, fetch_main, f) != 0) {
		log_warn("sym: debuginfod: cannot start its thread; debug files are not fetched");
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return NULL;
	}
	log_info("sym: debuginfod: debug files missing here are asked of %s", urls);
	return f;
}

void sym_fetcher__free(struct sym_fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	__atomic_store_n(&f->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* build_id's entry, or NULL; with the lock held. */
static struct fetch *fetch_find(struct sym_fetcher *f, const char *build_id)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].build_id, build_id))
			return &f->v[i];
	return NULL;
}

int sym_fetcher__state(struct sym_fetcher *f, const char *build_id)
{
	struct fetch *e;
	int state;

	if (!f || !build_id || !*build_id)
		return SYM_FETCH_FAILED;
	pthread_mutex_lock(&f->lock);
	e = fetch_find(f, build_id);
	state = e ? e->state : SYM_FETCH_NONE;
	pthread_mutex_unlock(&f->lock);
	return state;
}

int sym_fetcher__get(struct sym_fetcher *f, const char *build_id, uint64_t deadline_ns, char **path)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000),
			      .tv_nsec = (long)(deadline_ns % 1000000000)};
	struct fetch *e;
	size_t i;
	int state;

	*path = NULL;
	if (!f || !build_id || !*build_id || strlen(build_id) >= sizeof(e->build_id))
		return SYM_FETCH_FAILED;
	pthread_mutex_lock(&f->lock);
	e = fetch_find(f, build_id);
	if (!e) {
		if (f->n == FETCH_MAX || array__reserve(&f->v, &f->cap, f->n + 1, sizeof(*f->v))) {
			pthread_mutex_unlock(&f->lock);
			return SYM_FETCH_FAILED;
		}
		e = &f->v[f->n++];
		memset(e, 0, sizeof(*e));
		strcpy(e->build_id, build_id);
		e->state = SYM_FETCH_PENDING;
		pthread_cond_broadcast(&f->cond);
	}
	i = (size_t)(e - f->v);
	while (f->v[i].state == SYM_FETCH_PENDING && !f->stop &&
	       pthread_cond_timedwait(&f->cond, &f->lock, &ts) != ETIMEDOUT)
		;
	state = f->v[i].state;
	if (state == SYM_FETCH_DONE)
		*path = strdup(f->v[i].path);
	pthread_mutex_unlock(&f->lock);
	if (state == SYM_FETCH_DONE && !*path)
		return SYM_FETCH_FAILED;
	return state;
}
