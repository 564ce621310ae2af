// SPDX-License-Identifier: GPL-2.0
/*
 * The Agent exporter: every profile is compressed (zstd), wrapped in the
 * intake's multipart body and sent by an upload thread of its own, so a slow
 * or absent Agent never holds up profiling or the next profile.
 *
 * Nothing is given up: a network error, a timeout, 408, 429 or 5xx is
 * retried with exponential backoff and jitter, oldest profile first. Every
 * profile is in the spool directory (fsynced) before it is handed to the
 * upload thread, so a kill at any moment loses none already built; a later
 * run finds those not delivered. Only when the spool cannot take it (no
 * directory, a full disk) does a profile wait in memory, up to a bound. 403,
 * 404 and 413 are final: logged once with their meaning, and the profile is
 * dropped (counted).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "export.h"
#include "http.h"
#include "base/log.h"
#include "proc/proc.h"
#include "spool.h"
#include "tags.h"
#include "base/util.h"

#define MEM_MAX_JOBS	 8
#define MEM_MAX_BYTES	 (64u << 20)
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS	 60000

struct job {
	struct job *next;
	uint64_t seq;
	char name[96]; /* spool name: sorts by time */
	char *event_json;
	uint8_t *blob;
	size_t len;
};

struct agent {
	struct exporter e;
	struct upload_config cfg;
	struct http_target target;
	char *tags; /* of the run */
	char runtime_id[37];
	char container_id[65];
	struct spool *spool;

	pthread_t thread;
	pthread_mutex_t lock; /* covers the queue, finishing, deadline, stats */
	pthread_cond_t cond;
	struct job *head, *tail;
	size_t mem_jobs, mem_bytes;
	bool finishing;
	uint64_t deadline; /* CLOCK_MONOTONIC ns, once finishing */

	/* The upload thread's own. */
	bool down;    /* the last attempt got no answer */
	bool said[3]; /* 403, 404, 413 logged */

	bool spool_failing; /* the last profile could not be spooled (logged) */
	uint64_t taken, uploaded, dropped;
};

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->event_json);
	free(j->blob);
	free(j);
}

/* Takes the oldest job out of memory (NULL: none). Called with the lock held. */
static struct job *agent_pop_locked(struct agent *a)
{
	struct job *j = a->head;

	if (!j)
		return NULL;
	a->head = j->next;
	if (!a->head)
		a->tail = NULL;
	a->mem_jobs--;
	a->mem_bytes -= j->len;
	j->next = NULL;
	return j;
}

/* Moves the oldest job in memory to the spool. Called with the lock held. */
static void agent_spill_locked(struct agent *a)
{
	struct job *j = agent_pop_locked(a);
	int err;

	if (!j)
		return;
	err = a->spool ? spool__put(a->spool, j->name, j->event_json, j->blob, j->len) : -ENOENT;
	if (err) {
		a->dropped++;
		log_warn("profile %" PRIu64 " dropped: it cannot wait in the spool (%s)", j->seq,
			 a->spool ? strerror(-err) : "no spool directory");
	} else {
		log_debug("profile %" PRIu64 " waits in the spool", j->seq);
	}
	job_free(j);
}

/* Drops the oldest job in memory, past the memory bound (the spool could
 * not take them either). Called with the lock held. */
static void agent_drop_locked(struct agent *a)
{
	struct job *j = agent_pop_locked(a);

	if (!j)
		return;
	a->dropped++;
	log_warn("profile %" PRIu64 " dropped: neither the spool nor memory (%d profiles) can "
		 "hold it",
		 j->seq, MEM_MAX_JOBS);
	job_free(j);
}

static int agent_export(struct exporter *e, const struct export_item *item)
{
	struct agent *a = (struct agent *)e;
	const struct snapshot *s = item->snap;
	uint8_t *raw = NULL;
	struct job *j;
	char *tags = NULL;
	size_t raw_len, bound;
	int err;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->seq = s->seq;
	snprintf(j->name, sizeof(j->name), "%020" PRIu64 "-%s-%06" PRIu64, s->start_ns,
		 a->runtime_id, s->seq);
	err = pprof__encode(item->pprof, &raw, &raw_len);
	if (err)
		goto err_free;
	bound = ZSTD_compressBound(raw_len);
	j->blob = malloc(bound);
	err = -ENOMEM;
	if (!j->blob)
		goto err_free;
	j->len = ZSTD_compress(j->blob, bound, raw, raw_len, 1);
	if (ZSTD_isError(j->len)) {
		log_error("zstd: %s", ZSTD_getErrorName(j->len));
		err = -EIO;
		goto err_free;
	}
	tags = tags_for_upload(a->tags, s->seq, s->kernel_frames, s->backend ? s->backend : "perf");
	if (!tags)
		goto err_free;
	j->event_json = event_json(s->start_ns, s->end_ns, tags);
	if (!j->event_json)
		goto err_free;
	free(tags);
	free(raw);

	/* on disk first: from here on, a kill loses nothing */
	err = a->spool ? spool__put(a->spool, j->name, j->event_json, j->blob, j->len) : -ENOENT;
	pthread_mutex_lock(&a->lock);
	a->taken++;
	if (a->spool && err && !a->spool_failing)
		log_warn("profile %" PRIu64 " cannot be written to the spool (%s): profiles wait "
			 "in memory (the last %d) until it can",
			 j->seq, strerror(-err), MEM_MAX_JOBS);
	else if (a->spool && !err && a->spool_failing)
		log_notice("the spool takes profiles again");
	a->spool_failing = a->spool && err;
	if (!err) {
		pthread_cond_signal(&a->cond);
		pthread_mutex_unlock(&a->lock);
		job_free(j);
		return 0;
	}
	if (a->tail)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	a->mem_jobs++;
	a->mem_bytes += j->len;
	while (a->mem_jobs > MEM_MAX_JOBS || a->mem_bytes > MEM_MAX_BYTES)
		agent_drop_locked(a);
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return 0;

err_free:
	log_error("profile %" PRIu64 " cannot be prepared for upload: %s", s->seq, strerror(-err));
	free(tags);
	free(raw);
	job_free(j);
	pthread_mutex_lock(&a->lock);
	a->taken++;
	a->dropped++;
	pthread_mutex_unlock(&a->lock);
	return err;
}

enum verdict { DELIVERED, RETRY, FINAL };

/* Sends one profile and judges the answer. */
static enum verdict agent_send(struct agent *a, struct http_client *http, uint64_t seq,
			       const char *event_json, const uint8_t *blob, size_t len)
{
	struct http_result res;
	long st;

	if (http_client__post(http, &a->target, event_json, blob, len, &res)) {
		if (!a->down)
			log_warn("Failure to establish connection, check url %s: %s",
				 a->cfg.endpoint_desc, res.error);
		else
			log_debug("upload seq=%" PRIu64 " failed: %s", seq, res.error);
		a->down = true;
		return RETRY;
	}
	st = res.status;
	log_debug("upload seq=%" PRIu64 " bytes=%zu status=%ld latency=%.0fms", seq, len, st,
		  res.seconds * 1000);
	if (a->down) {
		log_notice("%s answers again: delivering the profiles that waited",
			   a->cfg.endpoint_desc);
		a->down = false;
	}
	if (st >= 200 && st < 300)
		return DELIVERED;
	if (st == 408 || st == 429 || st >= 500) {
		log_info("upload seq=%" PRIu64 ": %s answered %ld; will retry", seq,
			 a->cfg.endpoint_desc, st);
		return RETRY;
	}
	if (st == 403 && !a->said[0]) {
		a->said[0] = true;
		log_error("upload refused (403): the API key was not accepted; profiles are "
			  "dropped until it is fixed");
	} else if (st == 404 && !a->said[1]) {
		a->said[1] = true;
		log_error("upload refused (404): the Agent is older than 7.20 or its profiling "
			  "endpoint is not enabled");
	} else if (st == 413 && !a->said[2]) {
		a->said[2] = true;
		log_error("upload refused (413): the profile is too large for the intake");
	} else {
		log_debug("upload seq=%" PRIu64 " refused with %ld: dropped", seq, st);
	}
	return FINAL;
}

static uint64_t backoff_ns(unsigned int attempts)
{
	uint64_t ms = BACKOFF_FIRST_MS;
	unsigned int jitter;

	while (--attempts && ms < BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	/* Half to the whole of the step, so restarting Agents are not hit in step. */
	jitter = (unsigned int)(clock_ns(CLOCK_MONOTONIC) % 1000);
	return (ms / 2 + ms * jitter / 2000) * 1000000ull;
}

/* Waits until when (CLOCK_MONOTONIC ns) or a signal; with the lock held. */
static void wait_until_locked(struct agent *a, uint64_t when)
{
	struct timespec ts;

	if (!when) {
		pthread_cond_wait(&a->cond, &a->lock);
		return;
	}
	ts.tv_sec = (time_t)(when / 1000000000);
	ts.tv_nsec = (long)(when % 1000000000);
	pthread_cond_timedwait(&a->cond, &a->lock, &ts);
}

/* The profile_seq in a spool entry's name ("<start>-<runtime id>-<seq>.hrspool"). */
static uint64_t spooled_seq(const char *path)
{
	const char *end = strstr(path, ".hrspool"), *p = end;

	while (p && p > path && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p && p < end ? strtoull(p, NULL, 10) : 0;
}

/*
 * The upload thread: always the oldest profile first, the spool's (older)
 * before memory's. The one being sent is held here until it is delivered or
 * refused for good; newer ones queue behind it meanwhile.
 */
static void *agent_main(void *arg)
{
	struct agent *a = arg;
	struct http_client *http = http_client__new();
	struct spool_entry se = {0};
	struct job *cur = NULL;
	unsigned int attempts = 0;
	uint64_t not_before = 0, taken = 0;

	if (!http)
		log_error("upload thread: out of memory");
	pthread_mutex_lock(&a->lock);
	while (http) {
		enum verdict v;
		uint64_t now = clock_ns(CLOCK_MONOTONIC), seq;

		if (a->finishing && now >= a->deadline)
			break;
		if (!cur && !se.path) {
			taken = a->taken;
			pthread_mutex_unlock(&a->lock);
			if (!a->spool || spool__take(a->spool, &se))
				memset(&se, 0, sizeof(se));
			pthread_mutex_lock(&a->lock);
			if (!se.path)
				cur = agent_pop_locked(a);
			attempts = 0;
			not_before = 0;
		}
		if (!cur && !se.path) {
			if (a->finishing)
				break;
			/* A profile spooled while the spool was looked at: its
			 * signal came before this wait, so look again. */
			if (a->taken == taken)
				wait_until_locked(a, 0);
			continue;
		}
		if (now < not_before) {
			uint64_t until = not_before;

			if (a->finishing && a->deadline < until)
				until = a->deadline;
			wait_until_locked(a, until);
			continue;
		}
		pthread_mutex_unlock(&a->lock);
		seq = cur ? cur->seq : spooled_seq(se.path);
		v = cur ? agent_send(a, http, seq, cur->event_json, cur->blob, cur->len)
			: agent_send(a, http, seq, se.event_json, se.blob, se.len);
		pthread_mutex_lock(&a->lock);
		if (v == RETRY) {
			not_before = clock_ns(CLOCK_MONOTONIC) + backoff_ns(++attempts);
			continue;
		}
		if (v == DELIVERED)
			a->uploaded++;
		else
			a->dropped++;
		if (cur) {
			job_free(cur);
			cur = NULL;
		} else {
			pthread_mutex_unlock(&a->lock);
			spool__remove(a->spool, &se);
			pthread_mutex_lock(&a->lock);
		}
	}
	/* Out of time: what is left waits in the spool for a later run. */
	if (cur) {
		cur->next = a->head;
		a->head = cur;
		if (!a->tail)
			a->tail = cur;
		a->mem_jobs++;
		a->mem_bytes += cur->len;
	}
	while (a->head)
		agent_spill_locked(a);
	pthread_mutex_unlock(&a->lock);
	if (se.path)
		spool__release(a->spool, &se);
	http_client__free(http);
	return NULL;
}

static void agent_free(struct exporter *e)
{
	struct agent *a = (struct agent *)e;
	size_t waiting;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->finishing = true;
	a->deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)a->cfg.timeout_s * 1000000000ull;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	waiting = a->spool ? spool__count(a->spool) : 0;
	log_notice("profiles: %" PRIu64 " taken, %" PRIu64 " uploaded, %zu"
		   " spooled, %" PRIu64 " dropped%s",
		   a->taken, a->uploaded, waiting,
		   a->dropped + (a->spool ? spool__dropped(a->spool) : 0),
		   waiting ? "; undelivered profiles wait in the spool for the next run" : "");
	spool__free(a->spool);
	free(a->tags);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

struct exporter *agent_exporter__new(const struct upload_config *cfg, int pid)
{
	struct agent *a = calloc(1, sizeof(*a));
	pthread_condattr_t attr;
	size_t waiting;
	int err;

	if (!a)
		return NULL;
	a->e.name = "agent";
	a->e.export = agent_export;
	a->e.free = agent_free;
	a->cfg = *cfg;
	if (cfg->runtime_id)
		snprintf(a->runtime_id, sizeof(a->runtime_id), "%s", cfg->runtime_id);
	else
		uuid_v4(a->runtime_id);
	container_id_of(pid, a->container_id);
	a->target = (struct http_target){
	    .url = cfg->url,
	    .unix_socket = cfg->unix_socket,
	    .api_key = cfg->agentless ? cfg->api_key : NULL,
	    .container_id = a->container_id[0] ? a->container_id : NULL,
	    .timeout_s = cfg->timeout_s,
	};
	a->tags = tags_for_run(cfg, a->runtime_id);
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (!a->tags)
		goto err_free;
	err = spool__open(&a->spool, cfg->spool_dir, (uint64_t)cfg->spool_max_mb << 20,
			  cfg->spool_max_age_s);
	if (err)
		log_warn("spool directory %s unusable (%s): while the Agent is away, only the "
			 "last %d profiles wait (in memory)",
			 cfg->spool_dir, strerror(-err), MEM_MAX_JOBS);
	else if ((waiting = spool__count(a->spool)))
		log_notice("%zu profiles from earlier runs wait in %s: delivering them first",
			   waiting, cfg->spool_dir);
	if (pthread_create(&a->thread, NULL, agent_main, a))
		goto err_free;
	return &a->e;
err_free:
	spool__free(a->spool);
	free(a->tags);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
	return NULL;
}
