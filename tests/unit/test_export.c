// SPDX-License-Identifier: GPL-2.0
/*
 * The export path. The queue (export_thread__*), with exporters of this
 * test that record what they get: every profile pushed reaches every
 * exporter exactly once, in push order, with its pprof, seq and sample
 * count; the stats (profiles, samples, empty, failed) add up; a failing
 * exporter is counted and the next ones in the list still get the profile;
 * finish exports what is still queued, then frees each exporter once; a push
 * never waits for a slow exporter.
 *
 * Spool then upload (agent_exporter__new), against a small HTTP server in a
 * thread of this test that records the profile_seq each request carries:
 * while the Agent is away (its port bound but not listening) each profile
 * is in the spool directory when its export returns; when it listens, each
 * is delivered exactly once, oldest first, only ever sent from a spool file,
 * and the spool is empty afterwards. And the next run: an exporter freed
 * while the Agent answers 503 leaves its profiles in the spool, unclaimed;
 * a second one on that directory delivers them (as the first built them)
 * before its own.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "base/util.h"
#include "export/export.h"

#define NSEC	 ((uint64_t)1000000000)
#define MAX_REC	 64
#define MAX_REQS 256
#define DEADLINE 30000 /* ms: the agent's backoff starts at 0.5-1 s */

static uint64_t base_ns; /* CLOCK_REALTIME: profile seq's start is base_ns + seq s */

static uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* Profile seq: nsamples samples over up to three stacks of one untracked
 * thread, and 2 lost. */
static struct snapshot *make_snapshot(uint64_t seq, unsigned int nsamples)
{
	struct stack_table *t = stack_table__new();
	struct stack_owner who = {.pid = 100, .tid = 101, .thread_name = "worker"};
	struct snapshot *s;

	if (!t)
		return NULL;
	for (unsigned int i = 0; i < nsamples; i++) {
		uint64_t ips[] = {0x401000 + (i % 3) * 0x10, 0x402000, 0x403000};

		if (stack_table__add(t, &who, 0, NULL, 0, ips, 3, 10101010, 0)) {
			stack_table__free(t);
			return NULL;
		}
	}
	s = snapshot__new(t);
	if (!s) {
		stack_table__free(t);
		return NULL;
	}
	s->seq = seq;
	s->start_ns = base_ns + seq * NSEC;
	s->end_ns = s->start_ns + NSEC;
	s->lost = 2;
	s->backend = "perf";
	return s;
}

/* ---- the queue, with recording exporters ---- */

struct rec {
	struct exporter e;
	int id;
	bool fail;	       /* export returns -EIO */
	unsigned int sleep_ms; /* each export takes this long */
	bool gated;	       /* the first export waits for the gate */
	uint64_t seq[MAX_REC], samples[MAX_REC], lost[MAX_REC];
	size_t n;
	int no_pprof; /* exports that came without a pprof */
	int freed;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static int exports_done;
static int journal[4 * MAX_REC][2]; /* (exporter id, seq), in call order */
static size_t njournal;

static int rec_export(struct exporter *e, const struct export_item *item)
{
	struct rec *r = (struct rec *)e;
	uint64_t until = clock_ns(CLOCK_REALTIME) + 10 * NSEC;
	struct timespec ts = {.tv_sec = (time_t)(until / NSEC), .tv_nsec = (long)(until % NSEC)};

	pthread_mutex_lock(&lock);
	/* the gate: at most 10 s, so a test that never opens it still ends */
	while (r->gated && !r->n && !gate_open)
		if (pthread_cond_timedwait(&cond, &lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&lock);
	if (r->sleep_ms)
		usleep(r->sleep_ms * 1000);
	pthread_mutex_lock(&lock);
	if (r->n < MAX_REC) {
		r->seq[r->n] = item->snap->seq;
		r->samples[r->n] = item->samples;
		r->lost[r->n] = item->snap->lost;
		r->n++;
	}
	r->no_pprof += !item->pprof;
	if (njournal < sizeof(journal) / sizeof(journal[0])) {
		journal[njournal][0] = r->id;
		journal[njournal++][1] = (int)item->snap->seq;
	}
	exports_done++;
	pthread_mutex_unlock(&lock);
	return r->fail ? -EIO : 0;
}

static void rec_free(struct exporter *e)
{
	((struct rec *)e)->freed++;
}

static void rec_init(struct rec *r, int id, struct exporter *next)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->e.name = "rec";
	r->e.export = rec_export;
	r->e.free = rec_free;
	r->e.next = next;
}

static const struct export_config export_cfg = {
    .profile = {.frequency = 99},
    .worker_period = 1000,
};

/* The samples profile seq has in the queue tests: seq 3 none. */
static unsigned int samples_of(uint64_t seq)
{
	return seq == 3 ? 0 : (unsigned int)(seq % 7) * 5 + 1;
}

/* Pushes profiles 0..n-1; returns how many could be built. */
static int push_all(struct export_thread *t, int n)
{
	int pushed = 0;

	for (int i = 0; i < n; i++) {
		struct snapshot *s = make_snapshot((uint64_t)i, samples_of((uint64_t)i));

		if (s) {
			export_thread__push(t, s);
			pushed++;
		}
	}
	return pushed;
}

/* r got profiles 0..n-1, once each, in order, each with its pprof and counts. */
static void check_rec(const struct rec *r, size_t n)
{
	size_t bad = 0;

	CHECKF(r->n == n, "exporter %d got %zu profiles, want %zu", r->id, r->n, n);
	for (size_t i = 0; i < r->n; i++)
		bad += r->seq[i] != i || r->samples[i] != samples_of(i) || r->lost[i] != 2;
	CHECKF(!bad, "exporter %d: %zu profiles out of order or with wrong counts", r->id, bad);
	CHECKF(!r->no_pprof, "exporter %d: %d profiles without a pprof", r->id, r->no_pprof);
	CHECKF(r->freed == 1, "exporter %d freed %d times, want once", r->id, r->freed);
}

/* Three exporters, the middle one failing: each gets every profile, in
 * order, one exporter after the other; the failures are counted. */
static void test_queue(void)
{
	enum { N = 12 };
	struct rec a, b, c;
	struct export_thread *t = NULL;
	struct export_stats st = {0};
	uint64_t samples = 0, empty = 0;
	size_t bad = 0;

	rec_init(&c, 3, NULL);
	rec_init(&b, 2, &c.e);
	rec_init(&a, 1, &b.e);
	b.fail = true;
	njournal = 0;
	CHECK(!export_thread__start(&t, &export_cfg, &a.e));
	if (!t)
		return;
	CHECK(push_all(t, N) == N);
	export_thread__finish(t, &st);
	for (uint64_t i = 0; i < N; i++) {
		samples += samples_of(i);
		empty += !samples_of(i);
	}
	CHECKF(st.profiles == N && st.samples == samples && st.empty == empty && empty == 1,
	       "stats: %" PRIu64 " profiles, %" PRIu64 " samples, %" PRIu64
	       " empty; want %d, %" PRIu64 ", %" PRIu64,
	       st.profiles, st.samples, st.empty, N, samples, empty);
	CHECKF(st.failed == N, "stats: %" PRIu64 " failed, want %d (one exporter fails)", st.failed,
	       N);
	check_rec(&a, N);
	check_rec(&b, N);
	check_rec(&c, N);
	CHECKF(njournal == 3 * N, "%zu exports, want %d", njournal, 3 * N);
	for (size_t i = 0; i < njournal; i++)
		bad += journal[i][0] != (int)(i % 3) + 1 || journal[i][1] != (int)(i / 3);
	CHECKF(!bad, "%zu exports not in the order (profile, then exporter in the list)", bad);
}

static void *open_gate_later(void *arg)
{
	usleep(200 * 1000);
	pthread_mutex_lock(&lock);
	gate_open = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Many pushed while the exporter is held at the gate, then finish at
 * once: finish exports all that was queued before it returns. */
static void test_finish_drains(void)
{
	enum { N = 40 };
	struct rec r;
	struct export_thread *t = NULL;
	struct export_stats st = {0};
	pthread_t opener;
	bool opening;
	int done;

	rec_init(&r, 1, NULL);
	r.gated = true;
	gate_open = false;
	exports_done = 0;
	CHECK(!export_thread__start(&t, &export_cfg, &r.e));
	if (!t)
		return;
	CHECK(push_all(t, N) == N);
	pthread_mutex_lock(&lock);
	done = exports_done;
	pthread_mutex_unlock(&lock);
	CHECKF(done == 0, "%d exported before finish, want 0 (held at the gate)", done);
	opening = !pthread_create(&opener, NULL, open_gate_later, NULL);
	CHECK(opening);
	export_thread__finish(t, &st);
	if (opening)
		pthread_join(opener, NULL);
	CHECKF(st.profiles == N && !st.failed, "stats: %" PRIu64 " profiles, %" PRIu64 " failed",
	       st.profiles, st.failed);
	check_rec(&r, N);
}

/* An exporter taking 200 ms a profile: five pushes take far less. */
static void test_push_never_waits(void)
{
	enum { N = 5 };
	struct snapshot *s[N];
	struct rec r;
	struct export_thread *t = NULL;
	struct export_stats st = {0};
	uint64_t t0, pushed_ms, finished_ms;
	int built = 0;

	rec_init(&r, 1, NULL);
	r.sleep_ms = 200;
	CHECK(!export_thread__start(&t, &export_cfg, &r.e));
	if (!t)
		return;
	for (int i = 0; i < N; i++)
		built += !!(s[i] = make_snapshot((uint64_t)i, samples_of((uint64_t)i)));
	CHECK(built == N);
	t0 = now_ms();
	for (int i = 0; i < N; i++)
		if (s[i])
			export_thread__push(t, s[i]);
	pushed_ms = now_ms() - t0;
	export_thread__finish(t, &st);
	finished_ms = now_ms() - t0;
	CHECKF(pushed_ms < 100, "%d pushes took %" PRIu64 " ms, want < 100", N, pushed_ms);
	CHECKF(finished_ms >= N * 200, "the exports took %" PRIu64 " ms, want >= %d", finished_ms,
	       N * 200);
	CHECK(st.profiles == N);
	check_rec(&r, N);
}

/* ---- spool then upload ---- */

struct req {
	uint64_t seq;
	int status;	     /* answered */
	bool spooled;	     /* its spool file was there when it came */
	char runtime_id[37]; /* the runtime-id tag */
};

/* The fake Agent: one request a connection, answered with status. */
struct server {
	int lfd, port;
	pthread_t thread;
	bool running;
	const char *spool_dir;
	int status; /* under lock, as the records */
	struct req reqs[MAX_REQS];
	size_t nreqs;
};

/* Entries of profile seq in dir: "<start:%020>-<runtime id>-<seq:%06>.hrspool",
 * unclaimed or claimed (".<pid>" after). unclaimed_only: those not claimed. */
static int spool_entries(const char *dir, uint64_t seq, bool unclaimed_only)
{
	char head[32], tail[32];
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	snprintf(head, sizeof(head), "%020" PRIu64 "-", base_ns + seq * NSEC);
	snprintf(tail, sizeof(tail), "-%06" PRIu64 ".hrspool", seq);
	while ((de = readdir(d))) {
		const char *p = strstr(de->d_name, tail);

		if (!p || strncmp(de->d_name, head, strlen(head)))
			continue;
		p += strlen(tail);
		n += !*p || (!unclaimed_only && *p == '.' && strspn(p + 1, "0123456789") &&
			     !p[1 + strspn(p + 1, "0123456789")]);
	}
	closedir(d);
	return n;
}

/* Whether buf holds a whole request: its head, then a Content-Length body
 * or a chunked one (libcurl sends the former; either is read). */
static bool request_done(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *cl;
	size_t head = end ? (size_t)(end - buf) + 4 : 0;

	if (!head)
		return false;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && cl < end)
		return len >= head + strtoull(cl + 17, NULL, 10);
	cl = strcasestr(buf, "\r\nTransfer-Encoding: chunked");
	if (cl && cl < end)
		return len >= head + 5 && !memcmp(buf + len - 5, "0\r\n\r\n", 5);
	return true;
}

/* The value after tag (as "profile_seq:") in the body, up to a , or ". */
static void tag_value(const char *buf, size_t len, const char *tag, char *out, size_t size)
{
	const char *p = memmem(buf, len, tag, strlen(tag));
	size_t n = 0;

	if (p) {
		p += strlen(tag);
		while (p + n < buf + len && p[n] != ',' && p[n] != '"' && n + 1 < size)
			n++;
	}
	snprintf(out, size, "%.*s", (int)n, p ? p : "");
}

/* Reads one request (a profile is a few KiB: 1 MiB holds it), records it
 * and answers. */
static void serve_one(struct server *sv, int fd)
{
	struct timeval tv = {.tv_sec = 5};
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1), seq[32], resp[128];
	struct req r = {0};
	ssize_t got;
	int n;

	if (!buf)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < cap && (got = recv(fd, buf + len, cap - len, 0)) > 0) {
		len += (size_t)got;
		buf[len] = 0;
		if (request_done(buf, len))
			break;
	}
	buf[len] = 0;
	tag_value(buf, len, "profile_seq:", seq, sizeof(seq));
	tag_value(buf, len, "runtime-id:", r.runtime_id, sizeof(r.runtime_id));
	r.seq = seq[0] ? strtoull(seq, NULL, 10) : UINT64_MAX;
	r.spooled = seq[0] && spool_entries(sv->spool_dir, r.seq, false) == 1;
	pthread_mutex_lock(&lock);
	r.status = sv->status;
	if (sv->nreqs < MAX_REQS)
		sv->reqs[sv->nreqs++] = r;
	pthread_mutex_unlock(&lock);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 %d Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		     r.status);
	if (send(fd, resp, (size_t)n, MSG_NOSIGNAL) != n)
		perror("send");
	free(buf);
}

static void *serve(void *arg)
{
	struct server *sv = arg;
	int fd;

	/* accept fails once server_stop shuts the socket down */
	while ((fd = accept(sv->lfd, NULL, NULL)) >= 0) {
		serve_one(sv, fd);
		close(fd);
	}
	return NULL;
}

/* Binds 127.0.0.1:0 without listening: connections are refused. */
static int server_bind(struct server *sv, const char *spool_dir)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->spool_dir = spool_dir;
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &alen))
		return -errno;
	sv->port = ntohs(a.sin_port);
	return 0;
}

static int server_listen(struct server *sv, int status)
{
	sv->status = status;
	if (listen(sv->lfd, 16))
		return -errno;
	if (pthread_create(&sv->thread, NULL, serve, sv))
		return -EAGAIN;
	sv->running = true;
	return 0;
}

static void server_set(struct server *sv, int status)
{
	pthread_mutex_lock(&lock);
	sv->status = status;
	pthread_mutex_unlock(&lock);
}

static void server_stop(struct server *sv)
{
	shutdown(sv->lfd, SHUT_RDWR);
	if (sv->running)
		pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

/* Requests from index from on answered status (-1: any) about seq (UINT64_MAX: any). */
static size_t answered(struct server *sv, size_t from, int status, uint64_t seq)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = from; i < sv->nreqs; i++)
		n += (status < 0 || sv->reqs[i].status == status) &&
		     (seq == UINT64_MAX || sv->reqs[i].seq == seq);
	pthread_mutex_unlock(&lock);
	return n;
}

/* Polls until want requests from index from were answered 200 and the
 * spool is empty, or DEADLINE ms passed. Returns true when they were. */
static bool wait_delivered(struct server *sv, size_t from, size_t want, const char *dir)
{
	uint64_t end = now_ms() + DEADLINE;

	while (now_ms() < end) {
		if (answered(sv, from, 200, UINT64_MAX) >= want && count_files(dir) == 0)
			return true;
		usleep(20 * 1000);
	}
	return false;
}

/* The 200 answers from index from on carried seqs, in this order, each
 * from a spool file; the runtime-ids of those at and after split (an
 * index into seqs) differ from those before it. */
static void check_delivered(struct server *sv, size_t from, const uint64_t *seqs, size_t n,
			    size_t split)
{
	size_t got = 0, bad = 0, unspooled = 0, ids = 0;
	char first[37] = "", second[37] = "";

	pthread_mutex_lock(&lock);
	for (size_t i = from; i < sv->nreqs; i++) {
		const struct req *r = &sv->reqs[i];

		if (r->status != 200)
			continue;
		bad += got >= n || r->seq != seqs[got];
		unspooled += !r->spooled;
		if (got < n) {
			char *id = got < split ? first : second;

			if (!id[0])
				snprintf(id, 37, "%s", r->runtime_id);
			ids += strlen(r->runtime_id) != 36 || strcmp(id, r->runtime_id);
		}
		got++;
	}
	pthread_mutex_unlock(&lock);
	CHECKF(got == n, "%zu profiles delivered, want %zu (each exactly once)", got, n);
	CHECKF(!bad, "%zu deliveries out of order (oldest first) or unknown", bad);
	CHECKF(!unspooled, "%zu profiles sent that were not in the spool", unspooled);
	CHECKF(!ids, "%zu deliveries with another runtime-id than their run's", ids);
	CHECKF(split == n || strcmp(first, second), "both runs' profiles carry runtime-id %s",
	       first);
}

/* Builds profile seq and hands it to e directly; checks it is in the spool
 * (with nfiles files in all) when the export returns. */
static void export_spooled(struct exporter *e, struct symbolizer *sy, uint64_t seq, const char *dir,
			   int nfiles)
{
	struct snapshot *s = make_snapshot(seq, 4);
	struct export_item item = {.snap = s};

	CHECK(s != NULL);
	if (!s)
		return;
	item.pprof = profile__build(s, sy, &export_cfg.profile, &item.samples);
	CHECK(item.pprof && item.samples == 4);
	if (item.pprof)
		CHECKF(!e->export(e, &item), "export of profile %" PRIu64 " failed", seq);
	CHECKF(spool_entries(dir, seq, false) == 1, "profile %" PRIu64 " not in %s after export",
	       seq, dir);
	CHECKF(count_files(dir) == nfiles, "%d files in %s, want %d", count_files(dir), dir,
	       nfiles);
	pprof__free(item.pprof);
	snapshot__free(s);
}

static void test_spool_then_upload(const char *base)
{
	static const uint64_t first[] = {0, 1, 2, 3, 4}, next_run[] = {10, 11, 12, 20, 21};
	struct symbolizer *sy = symbolizer__new(0);
	struct upload_config cfg = {
	    .endpoint_desc = "the test's Agent",
	    .timeout_s = 5,
	    .spool_max_mb = 64,
	    .spool_max_age_s = 3600,
	    .service = "svc",
	};
	struct server sv;
	struct exporter *e, *x;
	char dir[PATH_MAX], url[128];
	size_t from;
	uint64_t t0;
	int err;

	snprintf(dir, sizeof(dir), "%s/spool", base);
	cfg.spool_dir = dir;
	err = server_bind(&sv, dir);
	CHECKF(!err && sy, "server: %s", strerror(-err));
	if (err || !sy)
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/profiling/v1/input", sv.port);
	cfg.url = url;

	/* (a) the Agent is away: each profile is on disk when export returns */
	e = agent_exporter__new(&cfg, -1);
	CHECK(e != NULL);
	if (!e)
		goto out;
	for (size_t i = 0; i < 5; i++)
		export_spooled(e, sy, first[i], dir, (int)i + 1);

	/* (b) it listens: each delivered once, oldest first, the spool emptied */
	CHECK(!server_listen(&sv, 200));
	CHECKF(wait_delivered(&sv, 0, 5, dir), "not all delivered in %d ms (%zu answered 200)",
	       DEADLINE, answered(&sv, 0, 200, UINT64_MAX));
	e->free(e);
	check_delivered(&sv, 0, first, 5, 5);
	CHECKF(count_files(dir) == 0, "%d files left in the spool", count_files(dir));

	/* (c) a run that ends while the Agent answers 503 leaves its profiles */
	server_set(&sv, 503);
	from = answered(&sv, 0, -1, UINT64_MAX);
	cfg.timeout_s = 1;
	x = agent_exporter__new(&cfg, -1);
	CHECK(x != NULL);
	if (!x)
		goto out;
	for (size_t i = 0; i < 3; i++)
		export_spooled(x, sy, next_run[i], dir, (int)i + 1);
	t0 = now_ms() + DEADLINE;
	while (!answered(&sv, from, 503, 10) && now_ms() < t0)
		usleep(20 * 1000);
	CHECKF(answered(&sv, from, 503, 10) >= 1, "the first run never tried profile 10");
	t0 = now_ms();
	x->free(x);
	t0 = now_ms() - t0;
	CHECKF(t0 < (cfg.timeout_s + 5) * 1000, "free took %" PRIu64 " ms, timeout_s is %u", t0,
	       cfg.timeout_s);
	for (size_t i = 0; i < 3; i++)
		CHECKF(spool_entries(dir, next_run[i], true) == 1,
		       "profile %" PRIu64 " not left unclaimed in the spool", next_run[i]);
	CHECK(answered(&sv, from, 200, UINT64_MAX) == 0);

	/* the next run delivers those first, then its own */
	cfg.timeout_s = 5;
	e = agent_exporter__new(&cfg, -1);
	CHECK(e != NULL);
	if (!e)
		goto out;
	for (size_t i = 3; i < 5; i++)
		export_spooled(e, sy, next_run[i], dir, (int)i + 1);
	server_set(&sv, 200);
	CHECKF(wait_delivered(&sv, from, 5, dir), "not all delivered in %d ms (%zu answered 200)",
	       DEADLINE, answered(&sv, from, 200, UINT64_MAX));
	e->free(e);
	check_delivered(&sv, from, next_run, 5, 3);
	CHECKF(count_files(dir) == 0, "%d files left in the spool", count_files(dir));
out:
	server_stop(&sv);
	symbolizer__free(sy);
}

int main(void)
{
	char base[] = "/tmp/hrprof-export-test.XXXXXX", cmd[64];

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		printf("curl_global_init failed\n");
		return 1;
	}
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(LOG_ERROR); /* the Agent away is logged as a warning */
	base_ns = clock_ns(CLOCK_REALTIME) / NSEC * NSEC;

	test_queue();
	test_finish_drains();
	test_push_never_waits();
	test_spool_then_upload(base);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd))
		printf("could not remove %s\n", base);
	curl_global_cleanup();
	return check_exit("test_export");
}
