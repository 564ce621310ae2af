// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "log.h"
#include "pprof.h"
#include "profile.h"

struct export_thread {
	pthread_t thread;
	pthread_mutex_t lock; /* covers queue, done */
	pthread_cond_t cond;
	struct snapshot **queue;
	size_t qlen, qcap;
	bool done;
	const struct options *opts;
	struct exporter *exporters;
	struct symbolizer *sy;
	struct export_stats stats; /* the thread's own until joined */
};

static void export_one(struct export_thread *t, struct snapshot *s)
{
	struct export_item item = {.snap = s};
	struct exporter *e;

	item.pprof = profile__build(s, t->sy, t->opts, &item.samples);
	if (!item.pprof) {
		t->stats.failed++;
		return;
	}
	log_debug("profile %" PRIu64 ": %" PRIu64 " samples, %zu stacks, %" PRIu64 " lost", s->seq,
		  item.samples, stack_table__len(s->stacks), s->lost);
	if (!item.samples)
		t->stats.empty++;
	t->stats.samples += item.samples;
	for (e = t->exporters; e; e = e->next) {
		if (e->export(e, &item))
			t->stats.failed++;
	}
	t->stats.profiles++;
	pprof__free(item.pprof);
	symbolizer__trim(t->sy);
}

static void *export_main(void *arg)
{
	struct export_thread *t = arg;

	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct snapshot *s;

		while (!t->qlen && !t->done)
			pthread_cond_wait(&t->cond, &t->lock);
		if (!t->qlen)
			break;
		s = t->queue[0];
		memmove(t->queue, t->queue + 1, --t->qlen * sizeof(*t->queue));
		pthread_mutex_unlock(&t->lock);
		export_one(t, s);
		snapshot__free(s);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int export_thread__start(struct export_thread **out, const struct options *opts,
			 struct exporter *exporters)
{
	struct export_thread *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	t->opts = opts;
	t->exporters = exporters;
	t->sy = symbolizer__new();
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (!t->sy) {
		err = -ENOMEM;
		goto err_free;
	}
	err = -pthread_create(&t->thread, NULL, export_main, t);
	if (err)
		goto err_free;
	*out = t;
	return 0;
err_free:
	symbolizer__free(t->sy);
	free(t);
	return err;
}

void export_thread__push(struct export_thread *t, struct snapshot *s)
{
	pthread_mutex_lock(&t->lock);
	if (t->qlen == t->qcap) {
		size_t cap = t->qcap ? t->qcap * 2 : 8;
		struct snapshot **q = realloc(t->queue, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&t->lock);
			log_error("out of memory: profile %" PRIu64 " dropped", s->seq);
			snapshot__free(s);
			return;
		}
		t->queue = q;
		t->qcap = cap;
	}
	t->queue[t->qlen++] = s;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void export_thread__finish(struct export_thread *t, struct export_stats *st)
{
	struct exporter *e, *next;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->done = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	if (st)
		*st = t->stats;
	for (e = t->exporters; e; e = next) {
		next = e->next;
		e->free(e);
	}
	symbolizer__free(t->sy);
	free(t->queue);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
