// SPDX-License-Identifier: GPL-2.0
/*
 * The perf_event backend: one sampling event per CPU (and per thread of the
 * target in -p mode), frame-pointer callchains with kernel and user frames,
 * and the side-band records (mmap2, comm, fork, exit) that keep the process
 * table current. The events of a CPU share one ring (PERF_EVENT_IOC_SET_OUTPUT).
 * The module's backend opens the same events for side-band alone.
 */
#include <asm/perf_regs.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "backend_perf.h"
#include "diag.h"
#include "base/log.h"
#include "base/util.h"

#define MAX_STACK_SYSCTL "/proc/sys/kernel/perf_event_max_stack"

static int perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group,
			   unsigned long flags)
{
	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);

	return fd < 0 ? -errno : fd;
}

/*
 * Callchains are cut at kernel.perf_event_max_stack (127 by default), which
 * is too shallow for deep recursion. As root, raise it to what was asked; the
 * kernel refuses the change (EBUSY) while anyone records callchains, and
 * then stacks are cut and marked [truncated].
 */
static unsigned int perf_max_stack(unsigned int wanted)
{
	unsigned int cur = (unsigned int)sysctl_read(MAX_STACK_SYSCTL, 127);
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

static int fds_push(struct perf_events *pe, int fd)
{
	if (array__reserve(&pe->fds, &pe->fds_cap, pe->nfds + 1, sizeof(*pe->fds)))
		return -ENOMEM;
	pe->fds[pe->nfds++] = fd;
	return 0;
}

/* Ring pages: enough for ~200 ms of deep samples at the asked rate, a power of two. */
/* Pages for a ring that holds 200 ms of samples of sample_bytes each at
 * freq (a power of two, 16 to 4096). */
static size_t ring_pages(unsigned int freq, size_t sample_bytes)
{
	size_t want = (size_t)freq * sample_bytes / 5 / 4096, pages = 16;

	while (pages < want && pages < 4096)
		pages *= 2;
	return pages;
}

/* What one sample may take in the ring: a callchain, and the stack copy. */
static size_t sample_bytes(const struct perf_event_attr *attr)
{
	return 1024 + (attr->sample_type & PERF_SAMPLE_STACK_USER ? attr->sample_stack_user : 0);
}

size_t backend_perf_ring_bytes(const struct backend_config *cfg)
{
	size_t bytes = 1024 + (cfg->unwind != UNWIND_FP ? cfg->stack_sample_size : 0);

	return (ring_pages(cfg->frequency, bytes) + 1) * (size_t)sysconf(_SC_PAGESIZE);
}

/* Opens one event on (pid, cpu); the first on a CPU gets the ring, others share it. */
static int perf_open_one(struct perf_events *pe, int pid, int cpu)
{
	struct perf_ring *r = &pe->rings[cpu];
	int fd, err;

	fd = perf_event_open(&pe->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -EACCES && !pe->attr.exclude_kernel && !pe->nfds) {
		/* Kernel frames are not permitted here: go on without them. */
		pe->attr.exclude_kernel = 1;
		pe->attr.exclude_callchain_kernel = 1;
		pe->dec.kernel_frames = false;
		log_warn("kernel frames are not permitted (perf_event_paranoid=%u, no "
			 "CAP_PERFMON): profiling user code only",
			 (unsigned int)sysctl_read("/proc/sys/kernel/perf_event_paranoid", 2));
		fd = perf_event_open(&pe->attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
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
		size_t pages = ring_pages(pe->attr.sample_freq, sample_bytes(&pe->attr));

		err = perf_ring__map(r, fd, pages, &pe->dec);
		if (err) {
			close(fd);
			if (err == -ENOMEM)
				return err;
			diag_mmap_refused(err, (pages + 1) * (size_t)sysconf(_SC_PAGESIZE));
			return -ECANCELED;
		}
	}
	err = fds_push(pe, fd);
	if (err)
		close(fd);
	return err;
}

/* Opens the event for every thread of pid until no new thread appears. */
static int perf_open_threads(struct perf_events *pe, int pid)
{
	size_t seen = 0, cap = 0, n;
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
			if (array__reserve(&tids, &cap, seen + 1, sizeof(*tids))) {
				closedir(dir);
				free(tids);
				return -ENOMEM;
			}
			tids[seen++] = tid;
			fresh = true;
			for (int cpu = 0; cpu < pe->ncpus; cpu++) {
				err = perf_open_one(pe, tid, cpu);
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

void perf_events__free(struct perf_events *pe)
{
	if (!pe)
		return;
	for (int cpu = 0; pe->rings && cpu < pe->ncpus; cpu++)
		perf_ring__unmap(&pe->rings[cpu]);
	for (size_t i = 0; i < pe->nfds; i++)
		close(pe->fds[i]);
	perf_decoder__fini(&pe->dec);
	free(pe->rings);
	free(pe->fds);
	free(pe);
}

int perf_events__open(struct perf_events **out, const struct backend_config *cfg, int pid,
		      bool sideband, const struct backend_events *ev)
{
	struct perf_events *pe = calloc(1, sizeof(*pe));
	unsigned int max_stack;
	int err = 0;

	if (!pe)
		return -ENOMEM;
	pe->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	pe->rings = calloc(pe->ncpus, sizeof(*pe->rings));
	max_stack = sideband ? 0 : perf_max_stack(cfg->max_frames);
	if (!pe->rings || perf_decoder__init(&pe->dec, ev, &pe->stats, max_stack)) {
		err = -ENOMEM;
		goto err_free;
	}
	for (int i = 0; i < pe->ncpus; i++)
		pe->rings[i].fd = -1;
	raise_fd_limit();

	pe->attr = (struct perf_event_attr){
	    .size = sizeof(struct perf_event_attr),
	    .type = cfg->event == EVENT_CYCLES ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE,
	    .config =
		cfg->event == EVENT_CYCLES ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_SW_CPU_CLOCK,
	    .freq = 1,
	    .sample_freq = cfg->frequency,
	    .sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			   PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN,
	    .sample_max_stack = (uint16_t)max_stack,
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
	    .inherit = cfg->mode != TARGET_GLOBAL,
	    .disabled = cfg->mode == TARGET_WRAP,
	    .enable_on_exec = cfg->mode == TARGET_WRAP,
	};
	if (cfg->period) {
		/* -e "hCPU period=N": every N cycles, not a rate */
		pe->attr.freq = 0;
		pe->attr.sample_period = cfg->period;
	}
	if (cfg->unwind != UNWIND_FP && !sideband) {
		/* The user stack is unwound here, from a copy: the kernel keeps
		 * the kernel part of the callchain only. */
		pe->attr.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		pe->attr.sample_regs_user =
		    1ULL << PERF_REG_X86_BP | 1ULL << PERF_REG_X86_SP | 1ULL << PERF_REG_X86_IP;
		pe->attr.sample_stack_user = cfg->stack_sample_size;
		pe->attr.exclude_callchain_user = 1;
		pe->dec.user_stack = true;
	}
	pe->attr.wakeup_watermark =
	    (uint32_t)(ring_pages(cfg->frequency, sample_bytes(&pe->attr)) * 4096 / 4);
	if (sideband) {
		/* A dummy event carries mmap/comm/fork/exit, and no sample. */
		pe->attr.type = PERF_TYPE_SOFTWARE;
		pe->attr.config = PERF_COUNT_SW_DUMMY;
		pe->attr.freq = 0;
		pe->attr.sample_freq = 0;
		pe->attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
		pe->attr.wakeup_watermark = (uint32_t)(ring_pages(0, 0) * 4096 / 4);
		/* One process's few records: read at once (the module's CFI
		 * walks need its new mappings before its next samples). */
		if (cfg->mode != TARGET_GLOBAL)
			pe->attr.wakeup_watermark = 1;
	}

	switch (cfg->mode) {
	case TARGET_WRAP:
		for (int cpu = 0; cpu < pe->ncpus && !err; cpu++)
			err = perf_open_one(pe, pid, cpu);
		break;
	case TARGET_PID:
		err = perf_open_threads(pe, pid);
		break;
	case TARGET_GLOBAL:
		for (int cpu = 0; cpu < pe->ncpus && !err; cpu++) {
			err = perf_open_one(pe, -1, cpu);
			if (err == -ENODEV || err == -EINVAL)
				err = 0; /* an offline CPU */
		}
		break;
	}
	if (err) {
		if (err != -ECANCELED)
			diag_perf_refused(err, cfg);
		goto err_free;
	}
	if (sideband)
		log_info("perf: %zu side-band events (mmap, comm, fork, exit)", pe->nfds);
	else
		log_info("perf: %zu %s events (%u Hz, callchains up to %u frames, kernel frames "
			 "%s, user stacks %s)",
			 pe->nfds, cfg->event == EVENT_CYCLES ? "cycles" : "cpu-clock",
			 cfg->frequency, max_stack, pe->dec.kernel_frames ? "on" : "off",
			 pe->dec.user_stack ? "copied and unwound here" : "by frame pointers");
	*out = pe;
	return 0;

err_free:
	perf_events__free(pe);
	return err;
}

size_t perf_events__rings(struct perf_events *pe, struct merge_ring **out)
{
	size_t n = 0;

	for (int cpu = 0; cpu < pe->ncpus; cpu++) {
		if (pe->rings[cpu].base)
			out[n++] = &pe->rings[cpu].m;
	}
	return n;
}

size_t perf_events__poll_fds(struct perf_events *pe, int *out)
{
	size_t n = 0;

	for (int cpu = 0; cpu < pe->ncpus; cpu++) {
		if (pe->rings[cpu].fd >= 0)
			out[n++] = pe->rings[cpu].fd;
	}
	return n;
}

void perf_events__disable(struct perf_events *pe)
{
	for (size_t i = 0; i < pe->nfds; i++)
		ioctl(pe->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

/* ---- the backend ---- */

struct perf_backend {
	struct perf_events *pe;
	struct merge_ring **merge;
	size_t nmerge;
	int *poll_fds;
	size_t npoll;
	char describe[64];
	bool stopped;
};

#define to_perf(b) ((struct perf_backend *)(b))

static void perf_free(struct backend *b)
{
	struct perf_backend *pb = to_perf(b);

	if (!pb)
		return;
	perf_events__free(pb->pe);
	free(pb->merge);
	free(pb->poll_fds);
	free(pb);
}

static int perf_open(struct backend **out, const struct backend_config *cfg, int pid,
		     const struct backend_events *ev)
{
	struct perf_backend *pb = calloc(1, sizeof(*pb));
	int err;

	if (!pb)
		return -ENOMEM;
	err = perf_events__open(&pb->pe, cfg, pid, false, ev);
	if (err)
		goto err_free;
	pb->merge = calloc(pb->pe->ncpus, sizeof(*pb->merge));
	pb->poll_fds = calloc(pb->pe->ncpus, sizeof(*pb->poll_fds));
	if (!pb->merge || !pb->poll_fds) {
		err = -ENOMEM;
		goto err_free;
	}
	pb->nmerge = perf_events__rings(pb->pe, pb->merge);
	pb->npoll = perf_events__poll_fds(pb->pe, pb->poll_fds);
	snprintf(pb->describe, sizeof(pb->describe), "%s", event_name(cfg->event));
	*out = (struct backend *)pb;
	return 0;
err_free:
	perf_free((struct backend *)pb);
	return err;
}

static size_t perf_fds(struct backend *b, const int **fds)
{
	*fds = to_perf(b)->poll_fds;
	return to_perf(b)->npoll;
}

static void perf_drain(struct backend *b, uint64_t until)
{
	ring_merge__drain(to_perf(b)->merge, to_perf(b)->nmerge, until);
}

static void perf_stop(struct backend *b)
{
	struct perf_backend *pb = to_perf(b);

	if (!pb->stopped)
		perf_events__disable(pb->pe);
	pb->stopped = true;
}

static void perf_stats(struct backend *b, struct backend_stats *st)
{
	*st = to_perf(b)->pe->stats;
}

static const char *perf_describe(struct backend *b)
{
	return to_perf(b)->describe;
}

static bool perf_kernel_frames(struct backend *b)
{
	return to_perf(b)->pe->dec.kernel_frames;
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
