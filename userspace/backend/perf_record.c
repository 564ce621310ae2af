// SPDX-License-Identifier: GPL-2.0
/*
 * perf ring records decoded (perf_record.h): samples into struct
 * hrprof_record, side-band records and loss reports into backend_events
 * calls, every size checked against the record's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "base/log.h"
#include "perf_record.h"

int perf_decoder__init(struct perf_decoder *d, const struct backend_events *ev,
		       struct backend_stats *stats, unsigned int max_stack)
{
	*d = (struct perf_decoder){.ev = *ev, .stats = stats, .max_stack = max_stack};
	d->kernel_frames = true;
	d->rec = malloc(sizeof(*d->rec) + 8 * ((size_t)max_stack + 256));
	return d->rec ? 0 : -ENOMEM;
}

void perf_decoder__fini(struct perf_decoder *d)
{
	free(d->rec);
	d->rec = NULL;
}

/*
 * REGS_USER then STACK_USER, from p: {abi, regs[3] unless abi is 0}, {size,
 * data[size], dyn_size unless size is 0}. *usp is us when there are both
 * registers and a copy, else NULL. False when the record is too short.
 */
static bool user_stack(struct user_stack *us, const struct user_stack **usp, const uint64_t *p,
		       const uint64_t *end)
{
	uint64_t abi, size, dyn = 0;
	const uint64_t *data = NULL;

	*usp = NULL;
	if (end - p < 1)
		return false;
	abi = *p++;
	if (abi) {
		if (end - p < 3)
			return false;
		us->bp = p[0];
		us->sp = p[1];
		us->ip = p[2];
		p += 3;
	}
	if (end - p < 1)
		return false;
	size = *p++;
	if (size) {
		if (size % 8 || size / 8 >= (uint64_t)(end - p))
			return false;
		data = p;
		p += size / 8;
		dyn = *p < size ? *p : size;
	}
	if (abi && data) {
		us->data = (const uint8_t *)data;
		us->size = dyn;
		us->full = dyn == size;
		*usp = us;
	}
	return true;
}

static void perf_sample(struct perf_decoder *d, const struct perf_event_header *h)
{
	const struct user_stack *usp = NULL;
	struct user_stack us;
	const uint64_t *p = (const uint64_t *)(h + 1);
	const uint64_t *end = (const uint64_t *)((const char *)h + (h->size & ~7u));
	struct hrprof_record *rec = d->rec;
	uint64_t nr, ctx = 0;
	uint16_t nk = 0, nu = 0;

	/* ip, pid/tid, time, cpu/res, period, nr: six words before the chain. */
	if (end - p < 6) {
		d->stats->bad_records++;
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
	if (nr > (uint64_t)(end - p) || nr > d->max_stack + 64) {
		d->stats->bad_records++;
		return;
	}
	if ((h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL)
		rec->flags |= HRPROF_F_IN_KERNEL;
	if (!d->kernel_frames)
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
	/* markers aside, the kernel keeps a callchain within max_stack frames */
	if (nk + nu > d->max_stack) {
		d->stats->bad_records++;
		return;
	}
	if (nk + nu == d->max_stack)
		rec->flags |= HRPROF_F_USER_TRUNCATED;
	rec->nr_kernel = nk;
	rec->nr_user = nu;
	rec->size = (uint16_t)(sizeof(*rec) + (nk + nu) * sizeof(uint64_t));
	p += nr;
	if (d->user_stack && !user_stack(&us, &usp, p, end)) {
		d->stats->bad_records++;
		return;
	}
	d->stats->samples++;
	d->ev.sample(d->ev.ctx, rec, usp);
}

/* Copies a string field of at most max bytes that may lack its terminator. */
static void copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = strnlen(src, max < size ? max : size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

void perf_record__decode(struct perf_decoder *d, const struct perf_event_header *h)
{
	const char *body = (const char *)(h + 1);
	size_t len = h->size > sizeof(*h) ? h->size - sizeof(*h) : 0;
	char str[4096];

	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		perf_sample(d, h);
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
			d->stats->bad_records++;
			break;
		}
		if (!(m->prot & PROT_EXEC))
			break;
		copy_str(str, sizeof(str), m->filename, len - sizeof(*m));
		d->ev.mmap(d->ev.ctx, m->pid, m->addr, m->len, m->pgoff, makedev(m->maj, m->min),
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
			d->stats->bad_records++;
			break;
		}
		copy_str(str, sizeof(str), m->filename, len - sizeof(*m));
		d->ev.mmap(d->ev.ctx, m->pid, m->addr, m->len, m->pgoff, 0, 0, str);
		break;
	}
	case PERF_RECORD_COMM: {
		const struct {
			uint32_t pid, tid;
			char comm[];
		} *c = (const void *)body;

		if (len < sizeof(*c)) {
			d->stats->bad_records++;
			break;
		}
		copy_str(str, 16, c->comm, len - sizeof(*c));
		d->ev.comm(d->ev.ctx, c->pid, c->tid, str,
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
			d->stats->bad_records++;
			break;
		}
		if (h->type == PERF_RECORD_FORK)
			d->ev.fork(d->ev.ctx, t->pid, t->ppid, t->tid);
		else
			d->ev.exit(d->ev.ctx, t->pid, t->tid);
		break;
	}
	case PERF_RECORD_LOST: {
		const uint64_t *l = (const uint64_t *)body;

		if (len < 16) {
			d->stats->bad_records++;
			break;
		}
		d->stats->lost += l[1];
		log_debug("perf: %llu samples lost (ring full)", (unsigned long long)l[1]);
		d->ev.lost(d->ev.ctx, l[1]);
		break;
	}
	case PERF_RECORD_LOST_SAMPLES: {
		const uint64_t *l = (const uint64_t *)body;

		if (len < 8) {
			d->stats->bad_records++;
			break;
		}
		d->stats->lost += l[0];
		d->ev.lost(d->ev.ctx, l[0]);
		break;
	}
	case PERF_RECORD_THROTTLE:
		d->stats->throttled++;
		log_debug("perf: sampling throttled by the kernel");
		break;
	default:
		break;
	}
}

uint64_t perf_record__time(const struct perf_event_header *h)
{
	const uint64_t *w = (const uint64_t *)(h + 1);
	size_t words = h->size > sizeof(*h) ? (h->size - sizeof(*h)) / 8 : 0;

	if (h->type == PERF_RECORD_SAMPLE)
		return words >= 3 ? w[2] : 0;
	return words >= 3 ? w[words - 2] : 0;
}
