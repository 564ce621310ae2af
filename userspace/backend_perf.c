// SPDX-License-Identifier: GPL-2.0
/*
 * The perf_event backend: one sampling event per CPU (and per thread of the
 * target in -p mode), frame-pointer callchains with kernel and user frames,
 * and the side-band records (mmap2, comm, fork, exit) that keep the process
 * table current. The events of a CPU share one ring (PERF_EVENT_IOC_SET_OUTPUT),
 * read with perf's head/tail protocol.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "kmod.h"
#include "diag.h"
#include "log.h"

#define MAX_STACK_SYSCTL "/proc/sys/kernel/perf_event_max_stack"

struct ring {
	struct kmod_ring *k; /* a module ring, or NULL for a perf ring */
	int fd;		     /* the event whose buffer this is */
	void *base;
	size_t data_size;
	/* During a drain: what is readable, where we are, the next record. */
	uint64_t head, pos;
	const struct perf_event_header *next;
	uint64_t next_time;
	uint64_t *wrapped; /* a record that wraps the ring's end, made whole */
};

/* Records shorter than this carry no time: they sort first. */
#define REC_MAX 65536

struct perf_backend {
	struct backend_events ev;
	struct perf_event_attr attr;
	int ncpus;
	int nrings; /* perf rings (one per CPU), then the module's */
	struct ring *rings;
	bool kmod_mode;	   /* samples from the module; perf events for side-band only */
	char describe[64]; /* what samples, in words */
	struct kmod_dev kmod;
	int *fds; /* every event fd, rings' first */
	size_t nfds, fds_cap;
	int *ring_fds; /* what to poll: one per perf ring, and the module's fd */
	unsigned int max_stack;
	bool kernel_frames;
	bool stopped;
	struct backend_stats stats;
	uint64_t *scratch; /* the record being built */
	size_t scratch_size;
	struct hrprof_record *rec;
};

/* The struct backend handle is the perf_backend itself. */
#define to_perf(b) ((struct perf_backend *)(b))

static int perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group,
			   unsigned long flags)
{
	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);

	return fd < 0 ? -errno : fd;
}

static unsigned int read_uint(const char *path, unsigned int dflt)
{
	unsigned int v = dflt;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/*
 * Callchains are cut at kernel.perf_event_max_stack (127 by default), which
 * is too shallow for deep recursion. As root, raise it to what was asked; the
 * kernel refuses the change (EBUSY) while anyone records callchains, and
 * then stacks are cut and marked [truncated].
 */
static unsigned int perf_max_stack(unsigned int wanted)
{
	unsigned int cur = read_uint(MAX_STACK_SYSCTL, 127);
	FILE *f;

	if (cur >= wanted)
		return wanted;
	f = fopen(MAX_STACK_SYSCTL, "we");
	if (f) {
		fprintf(f, "%u\n", wanted);
		if (!fclose(f)) {
			log_info("raised kernel.perf_event_max_stack from %u to %u for deep stacks",
				 cur, wanted);
			return wanted;
		}
	}
	log_info("stacks deeper than %u frames are truncated (kernel.perf_event_max_stack)", cur);
	return cur;
}

static int fds_push(struct perf_backend *pb, int fd)
{
	if (pb->nfds == pb->fds_cap) {
		size_t cap = pb->fds_cap ? pb->fds_cap * 2 : 64;
		int *fds = realloc(pb->fds, cap * sizeof(*fds));

		if (!fds)
			return -ENOMEM;
		pb->fds = fds;
		pb->fds_cap = cap;
	}
	pb->fds[pb->nfds++] = fd;
	return 0;
}

/* Ring pages: enough for ~200 ms of deep samples at the asked rate, a power of two. */
static size_t ring_pages(unsigned int freq)
{
	size_t want = (size_t)freq * 1024 / 5 / 4096, pages = 16;

	while (pages < want && pages < 1024)
		pages *= 2;
	return pages;
}

/* Opens one event on (pid, cpu); the first on a CPU gets the ring, others share it. */
static int perf_open_one(struct perf_backend *pb, int pid, int cpu)
{
	struct ring *r = &pb->rings[cpu];
	int fd, err;

	fd = perf_event_open(&pb->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -EACCES && !pb->attr.exclude_kernel && !pb->nfds) {
		/* Kernel frames are not permitted here: go on without them. */
		pb->attr.exclude_kernel = 1;
		pb->attr.exclude_callchain_kernel = 1;
		pb->kernel_frames = false;
		log_warn("kernel frames are not permitted (perf_event_paranoid=%u, no "
			 "CAP_PERFMON): profiling user code only",
			 read_uint("/proc/sys/kernel/perf_event_paranoid", 2));
		fd = perf_event_open(&pb->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0)
		return fd;
	if (r->fd >= 0) {
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd)) {
			err = -errno;
			close(fd);
			return err;
		}
	} else {
		size_t pages = ring_pages(pb->attr.sample_freq);
		long page = sysconf(_SC_PAGESIZE);
		void *base;

		base = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (base == MAP_FAILED) {
			err = -errno;
			close(fd);
			diag_mmap_refused(err, (pages + 1) * page);
			return -ECANCELED;
		}
		r->wrapped = malloc(REC_MAX);
		if (!r->wrapped) {
			munmap(base, (pages + 1) * page);
			close(fd);
			return -ENOMEM;
		}
		r->fd = fd;
		r->base = base;
		r->data_size = pages * page;
	}
	err = fds_push(pb, fd);
	if (err)
		close(fd);
	return err;
}

/* Opens the event for every thread of pid until no new thread appears. */
static int perf_open_threads(struct perf_backend *pb, int pid)
{
	size_t seen = 0, n;
	int *tids = NULL;
	bool fresh = true;

	while (fresh) {
		char path[64];
		struct dirent *d;
		DIR *dir;

		fresh = false;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		dir = opendir(path);
		if (!dir) {
			free(tids);
			return -ESRCH;
		}
		while ((d = readdir(dir))) {
			int tid = atoi(d->d_name), err;
			bool known = false;

			if (tid <= 0)
				continue;
			for (n = 0; n < seen && !known; n++)
				known = tids[n] == tid;
			if (known)
				continue;
			if (!(seen & (seen - 1))) {
				int *t = realloc(tids, (seen ? seen * 2 : 16) * sizeof(*t));

				if (!t) {
					closedir(dir);
					free(tids);
					return -ENOMEM;
				}
				tids = t;
			}
			tids[seen++] = tid;
			fresh = true;
			for (int cpu = 0; cpu < pb->ncpus; cpu++) {
				err = perf_open_one(pb, tid, cpu);
				if (err == -ESRCH)
					break; /* the thread exited meanwhile */
				if (err) {
					closedir(dir);
					free(tids);
					return err;
				}
			}
		}
		closedir(dir);
	}
	log_debug("perf: attached to %zu threads of pid %d", seen, pid);
	free(tids);
	return 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void perf_free(struct backend *b)
{
	struct perf_backend *pb = to_perf(b);
	long page = sysconf(_SC_PAGESIZE);

	if (!pb)
		return;
	for (int cpu = 0; pb->rings && cpu < pb->ncpus; cpu++) {
		if (pb->rings[cpu].base)
			munmap(pb->rings[cpu].base, pb->rings[cpu].data_size + page);
		free(pb->rings[cpu].wrapped);
	}
	if (pb->kmod_mode) {
		struct hrprof_stats st;

		if (pb->kmod.fd > 0 && !kmod_stats(&pb->kmod, &st))
			log_debug(
			    "kmod stats: samples=%llu lost=%llu skipped=%llu user_faults=%llu "
			    "sample_ns=%llu ns_per_sample=%llu wakeups=%llu missed=%llu "
			    "targets=%llu",
			    (unsigned long long)st.samples, (unsigned long long)st.lost,
			    (unsigned long long)st.skipped, (unsigned long long)st.user_faults,
			    (unsigned long long)st.sample_ns,
			    (unsigned long long)(st.samples ? st.sample_ns / st.samples : 0),
			    (unsigned long long)st.wakeups, (unsigned long long)st.missed,
			    (unsigned long long)st.targets);
		kmod_close(&pb->kmod);
	}
	for (size_t i = 0; i < pb->nfds; i++)
		close(pb->fds[i]);
	free(pb->rings);
	free(pb->fds);
	free(pb->ring_fds);
	free(pb->scratch);
	free(pb);
}

/* The module's side: device, rings, targets. Returns -errno after logging why. */
static int kmod_setup(struct perf_backend *pb, const struct options *opts, int pid)
{
	char why[256];
	uint32_t source = opts->kmod_source;
	int err;

	err = kmod_open(&pb->kmod, why, sizeof(why));
	if (err) {
		log_error("--backend kmod: %s", why);
		return err;
	}
	if (opts->event == EVENT_CYCLES && source == HRPROF_SOURCE_AUTO)
		source = HRPROF_SOURCE_PMU;
	err = kmod_configure(&pb->kmod, opts, source);
	if (err) {
		log_error("kernel module: configuring %s sampling at %u Hz failed: %s%s",
			  kmod_source_name(source), opts->frequency, strerror(-err),
			  err == -ENODEV ? " (no PMU here: use cpu-clock)" : "");
		return err;
	}
	if (opts->mode != TARGET_GLOBAL && (err = kmod_add_target(&pb->kmod, (uint32_t)pid))) {
		log_error("kernel module: cannot follow pid %d: %s", pid, strerror(-err));
		return err;
	}
	snprintf(pb->describe, sizeof(pb->describe), "%s", kmod_source_name(pb->kmod.cfg.source));
	log_info("backend kmod: %s at %u Hz, %u pages per CPU ring, %u user frames",
		 kmod_source_name(pb->kmod.cfg.source), opts->frequency, pb->kmod.cfg.ring_pages,
		 pb->kmod.cfg.max_user_frames);
	return 0;
}

static int perf_open_mode(struct backend **out, const struct options *opts, int pid,
			  const struct backend_events *ev, bool kmod_mode)
{
	struct perf_backend *pb = calloc(1, sizeof(*pb));
	int err = 0;

	if (!pb)
		return -ENOMEM;
	pb->ev = *ev;
	pb->kmod_mode = kmod_mode;
	pb->kmod.fd = -1;
	pb->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (kmod_mode) {
		err = kmod_setup(pb, opts, pid);
		if (err)
			goto err_free;
	}
	if (!kmod_mode)
		snprintf(pb->describe, sizeof(pb->describe), "%s", event_name(opts->event));
	pb->nrings = pb->ncpus + (kmod_mode ? (int)pb->kmod.info.nr_cpus : 0);
	pb->rings = calloc(pb->nrings, sizeof(*pb->rings));
	pb->ring_fds = calloc(pb->ncpus + 1, sizeof(*pb->ring_fds));
	pb->max_stack = kmod_mode ? opts->max_frames : perf_max_stack(opts->max_frames);
	pb->scratch_size = sizeof(struct hrprof_record) + 8 * (pb->max_stack + 256);
	pb->scratch = malloc(pb->scratch_size);
	if (!pb->rings || !pb->ring_fds || !pb->scratch) {
		err = -ENOMEM;
		goto err_free;
	}
	pb->rec = (struct hrprof_record *)pb->scratch;
	for (int i = 0; i < pb->nrings; i++) {
		pb->rings[i].fd = -1;
		if (i >= pb->ncpus)
			pb->rings[i].k = &pb->kmod.rings[i - pb->ncpus];
	}
	raise_fd_limit();

	pb->kernel_frames = true;
	pb->attr = (struct perf_event_attr){
	    .size = sizeof(struct perf_event_attr),
	    .type = opts->event == EVENT_CYCLES ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE,
	    .config =
		opts->event == EVENT_CYCLES ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_SW_CPU_CLOCK,
	    .freq = 1,
	    .sample_freq = opts->frequency,
	    .sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			   PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN,
	    .sample_max_stack = (uint16_t)pb->max_stack,
	    .exclude_idle = 1,
	    .exclude_guest = 1,
	    .mmap = 1,
	    .mmap2 = 1,
	    .comm = 1,
	    .comm_exec = 1,
	    .task = 1,
	    .sample_id_all = 1,
	    .watermark = 1,
	    .use_clockid = 1,
	    .clockid = CLOCK_MONOTONIC,
	    .inherit = opts->mode != TARGET_GLOBAL,
	    .disabled = opts->mode == TARGET_WRAP,
	    .enable_on_exec = opts->mode == TARGET_WRAP,
	};
	pb->attr.wakeup_watermark = (uint32_t)(ring_pages(opts->frequency) * 4096 / 4);
	if (kmod_mode) {
		/* Side-band only: a dummy event carries mmap/comm/fork/exit. */
		pb->attr.type = PERF_TYPE_SOFTWARE;
		pb->attr.config = PERF_COUNT_SW_DUMMY;
		pb->attr.freq = 0;
		pb->attr.sample_freq = 0;
		pb->attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
		pb->attr.sample_max_stack = 0;
		pb->attr.wakeup_watermark = (uint32_t)(ring_pages(0) * 4096 / 4);
	}

	switch (opts->mode) {
	case TARGET_WRAP:
		for (int cpu = 0; cpu < pb->ncpus && !err; cpu++)
			err = perf_open_one(pb, pid, cpu);
		break;
	case TARGET_PID:
		err = perf_open_threads(pb, pid);
		break;
	case TARGET_GLOBAL:
		for (int cpu = 0; cpu < pb->ncpus && !err; cpu++) {
			err = perf_open_one(pb, -1, cpu);
			if (err == -ENODEV || err == -EINVAL)
				err = 0; /* an offline CPU */
		}
		break;
	}
	if (err) {
		if (err != -ECANCELED)
			diag_perf_refused(err, opts);
		goto err_free;
	}
	for (int cpu = 0, n = 0; cpu < pb->ncpus; cpu++) {
		if (pb->rings[cpu].fd >= 0)
			pb->ring_fds[n++] = pb->rings[cpu].fd;
	}
	if (kmod_mode) {
		err = kmod_start(&pb->kmod);
		if (err) {
			log_error("kernel module: start failed: %s", strerror(-err));
			goto err_free;
		}
		log_info("perf: %zu side-band events (mmap, comm, fork, exit)", pb->nfds);
	} else {
		log_info("perf: %zu %s events (%u Hz, callchains up to %u frames, kernel frames "
			 "%s)",
			 pb->nfds, opts->event == EVENT_CYCLES ? "cycles" : "cpu-clock",
			 opts->frequency, pb->max_stack, pb->kernel_frames ? "on" : "off");
	}
	*out = (struct backend *)pb;
	return 0;

err_free:
	perf_free((struct backend *)pb);
	return err;
}

static int perf_open(struct backend **out, const struct options *opts, int pid,
		     const struct backend_events *ev)
{
	return perf_open_mode(out, opts, pid, ev, false);
}

static int kmod_backend_open(struct backend **out, const struct options *opts, int pid,
			     const struct backend_events *ev)
{
	return perf_open_mode(out, opts, pid, ev, true);
}

static size_t perf_fds(struct backend *b, const int **fds)
{
	struct perf_backend *pb = to_perf(b);
	size_t n = 0;

	for (int cpu = 0; cpu < pb->ncpus; cpu++)
		n += pb->rings[cpu].fd >= 0;
	if (pb->kmod_mode)
		pb->ring_fds[n++] = pb->kmod.fd;
	*fds = pb->ring_fds;
	return n;
}

/* The sample_id_all trailer is not needed: records are handled in ring order. */
static void perf_sample(struct perf_backend *pb, const struct perf_event_header *h)
{
	const uint64_t *p = (const uint64_t *)(h + 1);
	const uint64_t *end = (const uint64_t *)((const char *)h + h->size);
	struct hrprof_record *rec = pb->rec;
	uint64_t nr, ctx = 0;
	uint16_t nk = 0, nu = 0;

	/* ip, pid/tid, time, cpu/res, period, nr: six words before the chain. */
	if (end - p < 6) {
		pb->stats.bad_records++;
		return;
	}
	memset(rec, 0, sizeof(*rec));
	rec->type = HRPROF_REC_SAMPLE;
	rec->tgid = (uint32_t)p[1];
	rec->tid = (uint32_t)(p[1] >> 32);
	rec->ns_tgid = rec->tgid;
	rec->ns_tid = rec->tid;
	rec->time_ns = p[2];
	rec->cpu = (uint32_t)p[3];
	rec->period = p[4];
	nr = p[5];
	p += 6;
	if (nr > (uint64_t)(end - p) || nr > pb->max_stack + 64) {
		pb->stats.bad_records++;
		return;
	}
	if ((h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL)
		rec->flags |= HRPROF_F_IN_KERNEL;
	if (!pb->kernel_frames)
		rec->flags |= HRPROF_F_KERNEL_EXCLUDED;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t ip = p[i];

		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			ctx = ip;
			continue;
		}
		if (ctx == (uint64_t)PERF_CONTEXT_KERNEL && !nu)
			rec->ips[nk++] = ip;
		else if (ctx == (uint64_t)PERF_CONTEXT_USER)
			rec->ips[nk + nu++] = ip;
	}
	if (nk + nu >= pb->max_stack)
		rec->flags |= HRPROF_F_USER_TRUNCATED;
	rec->nr_kernel = nk;
	rec->nr_user = nu;
	rec->size = (uint16_t)(sizeof(*rec) + (nk + nu) * sizeof(uint64_t));
	pb->stats.samples++;
	pb->ev.sample(pb->ev.ctx, rec);
}

/* Copies a string field of at most max bytes that may lack its terminator. */
static void copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = strnlen(src, max < size ? max : size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void perf_record(struct perf_backend *pb, const struct perf_event_header *h)
{
	const char *body = (const char *)(h + 1);
	size_t len = h->size - sizeof(*h);
	char str[4096];

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		perf_sample(pb, h);
		break;
	case PERF_RECORD_MMAP2: {
		const struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			uint32_t maj, min;
			uint64_t ino, ino_generation;
			uint32_t prot, flags;
			char filename[];
		} *m = (const void *)body;

		if (len < sizeof(*m)) {
			pb->stats.bad_records++;
			break;
		}
		if (!(m->prot & PROT_EXEC))
			break;
		copy_str(str, sizeof(str), m->filename, len - sizeof(*m));
		pb->ev.mmap(pb->ev.ctx, m->pid, m->addr, m->len, m->pgoff, makedev(m->maj, m->min),
			    m->ino, str);
		break;
	}
	case PERF_RECORD_MMAP: {
		const struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			char filename[];
		} *m = (const void *)body;

		if (len < sizeof(*m)) {
			pb->stats.bad_records++;
			break;
		}
		copy_str(str, sizeof(str), m->filename, len - sizeof(*m));
		pb->ev.mmap(pb->ev.ctx, m->pid, m->addr, m->len, m->pgoff, 0, 0, str);
		break;
	}
	case PERF_RECORD_COMM: {
		const struct {
			uint32_t pid, tid;
			char comm[];
		} *c = (const void *)body;

		if (len < sizeof(*c)) {
			pb->stats.bad_records++;
			break;
		}
		copy_str(str, 16, c->comm, len - sizeof(*c));
		pb->ev.comm(pb->ev.ctx, c->pid, c->tid, str,
			    !!(h->misc & PERF_RECORD_MISC_COMM_EXEC));
		break;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		const struct {
			uint32_t pid, ppid, tid, ptid;
			uint64_t time;
		} *t = (const void *)body;

		if (len < sizeof(*t)) {
			pb->stats.bad_records++;
			break;
		}
		if (h->type == PERF_RECORD_FORK)
			pb->ev.fork(pb->ev.ctx, t->pid, t->ppid, t->tid);
		else
			pb->ev.exit(pb->ev.ctx, t->pid, t->tid);
		break;
	}
	case PERF_RECORD_LOST: {
		const uint64_t *l = (const uint64_t *)body;

		if (len >= 16) {
			pb->stats.lost += l[1];
			log_debug("perf: %llu samples lost (ring full)", (unsigned long long)l[1]);
			pb->ev.lost(pb->ev.ctx, l[1]);
		}
		break;
	}
	case PERF_RECORD_LOST_SAMPLES: {
		const uint64_t *l = (const uint64_t *)body;

		if (len >= 8) {
			pb->stats.lost += l[0];
			pb->ev.lost(pb->ev.ctx, l[0]);
		}
		break;
	}
	case PERF_RECORD_THROTTLE:
		pb->stats.throttled++;
		log_debug("perf: sampling throttled by the kernel");
		break;
	default:
		break;
	}
}

/*
 * A record's time: samples carry it third (ip, pid/tid, time); other records
 * in the sample_id_all trailer (pid/tid, time, cpu/res) at their end.
 */
static uint64_t record_time(const struct perf_event_header *h)
{
	const uint64_t *w = (const uint64_t *)(h + 1);
	size_t words = (h->size - sizeof(*h)) / 8;

	if (h->type == PERF_RECORD_SAMPLE)
		return words >= 3 ? w[2] : 0;
	return words >= 3 ? w[words - 2] : 0;
}

/*
 * The consumer side of perf's ring: data_head is read with acquire
 * semantics, records up to it are consumed, then data_tail is published
 * with release semantics so the kernel may reuse the space. Returns false
 * when the ring has nothing more (or is corrupt, then it is skipped whole).
 */
/* The module's records: contiguous (the data is mapped twice), checked whole. */
static bool kring_peek(struct perf_backend *pb, struct ring *r)
{
	const struct hrprof_record *rec;

	r->next = NULL;
	if (r->pos >= r->head)
		return false;
	rec = (const void *)(r->k->data + (r->pos & (r->k->data_size - 1)));
	if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > r->head - r->pos ||
	    rec->size != sizeof(*rec) + 8 * ((size_t)rec->nr_kernel + rec->nr_user) ||
	    rec->nr_kernel + rec->nr_user > pb->max_stack + 256) {
		pb->stats.bad_records++;
		r->pos = r->head;
		return false;
	}
	r->next = (const void *)rec;
	r->next_time = rec->time_ns;
	return true;
}

/* A module record enters the pipeline with the pids this daemon sees. */
static void kring_record(struct perf_backend *pb, const struct hrprof_record *rec)
{
	memcpy(pb->rec, rec, rec->size);
	if (rec->ns_tgid) {
		pb->rec->tgid = rec->ns_tgid;
		pb->rec->tid = rec->ns_tid;
	}
	pb->stats.samples++;
	pb->ev.sample(pb->ev.ctx, pb->rec);
}

static bool ring_peek(struct perf_backend *pb, struct ring *r)
{
	struct perf_event_mmap_page *pg = r->base;
	const char *data = (const char *)r->base + pg->data_offset;
	const struct perf_event_header *h;
	size_t off = r->pos & (r->data_size - 1);

	r->next = NULL;
	if (r->pos >= r->head)
		return false;
	h = (const void *)(data + off);
	if (h->size < sizeof(*h) || h->size > r->head - r->pos) {
		pb->stats.bad_records++;
		r->pos = r->head;
		return false;
	}
	if (off + h->size > r->data_size) {
		size_t first = r->data_size - off;

		memcpy(r->wrapped, data + off, first);
		memcpy((char *)r->wrapped + first, data, h->size - first);
		h = (const void *)r->wrapped;
	}
	r->next = h;
	r->next_time = record_time(h);
	return true;
}

/*
 * Each ring is in time order, but a process's records spread over the rings
 * of the CPUs it ran on (fork on one, exec and mmaps on another). Merging
 * the rings by time keeps the process table's view causal.
 */
static void perf_drain(struct backend *b)
{
	struct perf_backend *pb = to_perf(b);

	for (int i = 0; i < pb->nrings; i++) {
		struct ring *r = &pb->rings[i];

		if (r->k) {
			uint64_t lost = __atomic_load_n(&r->k->prod->lost, __ATOMIC_RELAXED);

			if (lost != r->k->lost_seen) {
				pb->stats.lost += lost - r->k->lost_seen;
				log_debug("kmod: %llu samples lost (ring full)",
					  (unsigned long long)(lost - r->k->lost_seen));
				pb->ev.lost(pb->ev.ctx, lost - r->k->lost_seen);
				r->k->lost_seen = lost;
			}
			r->head = __atomic_load_n(&r->k->prod->producer_pos, __ATOMIC_ACQUIRE);
			r->pos = r->k->cons->consumer_pos;
			kring_peek(pb, r);
			continue;
		}
		if (!r->base)
			continue;
		r->head = __atomic_load_n(&((struct perf_event_mmap_page *)r->base)->data_head,
					  __ATOMIC_ACQUIRE);
		r->pos = ((struct perf_event_mmap_page *)r->base)->data_tail;
		ring_peek(pb, r);
	}
	for (;;) {
		struct ring *first = NULL;

		for (int i = 0; i < pb->nrings; i++) {
			struct ring *r = &pb->rings[i];

			if (r->next && (!first || r->next_time < first->next_time))
				first = r;
		}
		if (!first)
			break;
		if (first->k) {
			kring_record(pb, (const struct hrprof_record *)first->next);
			first->pos += ((const struct hrprof_record *)first->next)->size;
			kring_peek(pb, first);
		} else {
			perf_record(pb, first->next);
			first->pos += first->next->size;
			ring_peek(pb, first);
		}
	}
	for (int i = 0; i < pb->nrings; i++) {
		struct ring *r = &pb->rings[i];

		if (r->k)
			__atomic_store_n(&r->k->cons->consumer_pos, r->pos, __ATOMIC_RELEASE);
		else if (r->base)
			__atomic_store_n(&((struct perf_event_mmap_page *)r->base)->data_tail,
					 r->pos, __ATOMIC_RELEASE);
	}
}

static void perf_stop(struct backend *b)
{
	struct perf_backend *pb = to_perf(b);

	if (pb->stopped)
		return;
	pb->stopped = true;
	if (pb->kmod_mode)
		kmod_stop(&pb->kmod);
	for (size_t i = 0; i < pb->nfds; i++)
		ioctl(pb->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

static void perf_stats(struct backend *b, struct backend_stats *st)
{
	*st = to_perf(b)->stats;
}

static const char *perf_describe(struct backend *b)
{
	return to_perf(b)->describe;
}

static bool perf_kernel_frames(struct backend *b)
{
	return to_perf(b)->kernel_frames;
}

const struct backend_ops backend_perf = {
    .name = "perf",
    .open = perf_open,
    .fds = perf_fds,
    .drain = perf_drain,
    .stop = perf_stop,
    .stats = perf_stats,
    .describe = perf_describe,
    .kernel_frames = perf_kernel_frames,
    .free = perf_free,
};

const struct backend_ops backend_kmod = {
    .name = "kmod",
    .open = kmod_backend_open,
    .fds = perf_fds,
    .drain = perf_drain,
    .stop = perf_stop,
    .stats = perf_stats,
    .describe = perf_describe,
    .kernel_frames = perf_kernel_frames,
    .free = perf_free,
};
