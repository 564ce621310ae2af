// SPDX-License-Identifier: GPL-2.0
/*
 * The export thread (export.h): a queue of snapshots the loop's thread
 * pushes, each built into a pprof and handed to every exporter; the list of
 * exporters a configuration asks for; --internal_stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "export.h"

struct export_thread {
	pthread_t thread;
	pthread_mutex_t lock; /* covers queue, done */
	pthread_cond_t cond;
	struct snapshot **queue;
	size_t qlen, qcap;
	bool done;
	struct export_config cfg;
	struct exporter *exporters;
	struct symbolizer *sy;
	unsigned int since_reset;  /* profiles since the symbol caches were new */
	uint64_t build_ns;	   /* the last profile's building time */
	uint64_t stats_cpu_ns;	   /* --internal_stats: CPU time at the last send */
	bool stats_off;		   /* --internal_stats: its path failed */
	struct export_stats stats; /* the thread's own until joined */
};

/* One statsd gauge line, ddprof's format: "datadog.profiling.native.NAME:V|g". */
static int stat_line(char *buf, size_t n, const char *name, int64_t v)
{
	return snprintf(buf, n, "datadog.profiling.native.%s:%" PRId64 "|g", name, v);
}

/*
 * ddprof's --internal_stats: after each profile, its counters as statsd
 * gauges, one datagram each to a unix datagram socket at the path (as
 * ddprof sends them), or, when the path is not a socket, appended to it
 * as lines. A path that cannot take them is said once and left alone.
 */
static void stats_send(struct export_thread *t, const struct snapshot *s,
		       const struct export_item *item)
{
	const char *path = t->cfg.internal_stats;
	struct rusage ru;
	struct stat st;
	uint64_t cpu_ns, period_ns = s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 1;
	long rss_pages = 0, pagesz = sysconf(_SC_PAGESIZE);
	char lines[8][128];
	size_t n = 0;
	FILE *f;

	if (!path || t->stats_off)
		return;
	getrusage(RUSAGE_SELF, &ru);
	cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%*s %ld", &rss_pages) != 1)
			rss_pages = 0;
		fclose(f);
	}
	stat_line(lines[n++], sizeof(lines[0]), "event.count", (int64_t)(item->samples + s->lost));
	stat_line(lines[n++], sizeof(lines[0]), "event.lost", (int64_t)s->lost);
	stat_line(lines[n++], sizeof(lines[0]), "sample.count", (int64_t)item->samples);
	stat_line(lines[n++], sizeof(lines[0]), "profiler.rss", (int64_t)rss_pages * pagesz);
	stat_line(lines[n++], sizeof(lines[0]), "profiler.cpu_usage.millicores",
		  (int64_t)((cpu_ns - t->stats_cpu_ns) * 1000 / period_ns));
	stat_line(lines[n++], sizeof(lines[0]), "profile.duration_ms",
		  (int64_t)(period_ns / 1000000));
	stat_line(lines[n++], sizeof(lines[0]), "aggregation.avg_time_ns",
		  item->samples ? (int64_t)(t->build_ns / item->samples) : 0);
	t->stats_cpu_ns = cpu_ns;

	if (!stat(path, &st) && S_ISSOCK(st.st_mode)) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			log_warn("--internal_stats: cannot reach %s: %s", path, strerror(errno));
		} else {
			for (size_t i = 0; i < n; i++)
				if (write(fd, lines[i], strlen(lines[i])) < 0) {
					log_warn("--internal_stats: %s: %s: no more stats", path,
						 strerror(errno));
					t->stats_off = true;
					break;
				}
		}
		if (fd >= 0)
			close(fd);
		return;
	}
	f = fopen(path, "ae");
	if (!f) {
		log_warn("--internal_stats: cannot write to %s: %s: no more stats", path,
			 strerror(errno));
		t->stats_off = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	if (fclose(f))
		log_warn("--internal_stats: %s: %s", path, strerror(errno));
}

/*
 * Building a profile allocates and frees tens of MiB (its stacks, names,
 * the pprof and its compressed bytes); what is freed stays in malloc's
 * heaps between chunks still in use. In global mode for an hour that made
 * RSS grow while memory in use stayed flat (the soak, #13: 48 MiB in use,
 * heaps 56 -> 84 MiB in five minutes). Their free pages go back to the
 * system after each profile; malloc_trim walks every thread's heap.
 */
static void release_free_pages(void)
{
#ifdef __GLIBC__
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), ns;
	struct mallinfo2 mi;

	malloc_trim(0);
	ns = clock_ns(CLOCK_MONOTONIC) - t0;
	if (!log_enabled(LOG_DEBUG))
		return; /* mallinfo2 walks every heap too */
	mi = mallinfo2();
	log_debug("memory: %zu KiB in use, %zu KiB free in the heaps, %zu KiB mapped apart; "
		  "free pages released in %.2f ms",
		  mi.uordblks / 1024, mi.fordblks / 1024, mi.hblkhd / 1024, ns / 1e6);
#endif
}

static void export_one(struct export_thread *t, struct snapshot *s)
{
	struct export_item item = {.snap = s};
	struct exporter *e;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	item.pprof = profile__build(s, t->sy, &t->cfg.profile, &item.samples);
	t->build_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	if (!item.pprof) {
		t->stats.failed++;
		return;
	}
	log_debug("profile %" PRIu64 ": %" PRIu64 " samples, %zu stacks, %" PRIu64
		  " lost, built (frames named) in %.1f ms",
		  s->seq, item.samples, stack_table__len(s->stacks), s->lost, t->build_ns / 1e6);
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
	stats_send(t, s, &item);
	/* ddprof's --worker_period: the symbol caches start afresh every N profiles. */
	if (++t->since_reset >= t->cfg.worker_period) {
		struct symbolizer *fresh = symbolizer__new(t->cfg.debuginfod_wait_ms);

		if (fresh) {
			symbolizer__free(t->sy);
			t->sy = fresh;
			t->since_reset = 0;
			log_debug("symbol caches started afresh (--worker_period %u)",
				  t->cfg.worker_period);
		}
	}
	release_free_pages();
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

struct exporter *exporters__new(const struct export_config *cfg, int pid)
{
	struct exporter *head = NULL, *e;

	if (cfg->output_dir) {
		head = file_exporter__new(cfg->output_dir, NULL, cfg->service, pid);
		if (!head)
			log_error("out of memory");
	}
	if (cfg->pprof_prefix) {
		e = file_exporter__new(NULL, cfg->pprof_prefix, cfg->service, pid);
		if (e) {
			e->next = head;
			head = e;
		} else {
			log_error("out of memory");
		}
	}
	if (cfg->upload) {
		e = agent_exporter__new(&cfg->agent, pid);
		if (e) {
			e->next = head;
			head = e;
		} else {
			log_error("cannot start uploads: out of memory");
		}
	}
	return head;
}

static void exporters__free(struct exporter *e)
{
	struct exporter *next;

	for (; e; e = next) {
		next = e->next;
		e->free(e);
	}
}

int export_thread__start(struct export_thread **out, const struct export_config *cfg,
			 struct exporter *exporters)
{
	struct export_thread *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t)
		goto err_exporters;
	t->cfg = *cfg;
	t->exporters = exporters;
	t->sy = symbolizer__new(cfg->debuginfod_wait_ms);
	if (!t->sy)
		goto err_free;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	err = -pthread_create(&t->thread, NULL, export_main, t);
	if (err)
		goto err_destroy;
	*out = t;
	return 0;
err_destroy:
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
err_free:
	symbolizer__free(t->sy);
	free(t);
err_exporters:
	exporters__free(exporters);
	return err;
}

void export_thread__push(struct export_thread *t, struct snapshot *s)
{
	pthread_mutex_lock(&t->lock);
	if (array__reserve(&t->queue, &t->qcap, t->qlen + 1, sizeof(*t->queue))) {
		pthread_mutex_unlock(&t->lock);
		log_error("out of memory: profile %" PRIu64 " dropped", s->seq);
		snapshot__free(s);
		return;
	}
	t->queue[t->qlen++] = s;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void export_thread__finish(struct export_thread *t, struct export_stats *st)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->done = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	if (st)
		*st = t->stats;
	exporters__free(t->exporters);
	symbolizer__free(t->sy);
	free(t->queue);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
