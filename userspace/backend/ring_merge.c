// SPDX-License-Identifier: GPL-2.0
/*
 * Every ring drained in time order (ring_merge.h): the oldest head record
 * of all rings first, up to a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring_merge.h"

/* Records shorter than this carry no time: they sort first. */
#define REC_MAX 65536

void ring_merge__drain(struct merge_ring *const *rings, size_t n, uint64_t until)
{
	for (size_t i = 0; i < n; i++) {
		rings[i]->ops->begin(rings[i]);
		rings[i]->ops->peek(rings[i]);
	}
	for (;;) {
		struct merge_ring *first = NULL;

		for (size_t i = 0; i < n; i++) {
			if (rings[i]->next && (!first || rings[i]->next_time < first->next_time))
				first = rings[i];
		}
		if (!first || first->next_time > until)
			break;
		first->ops->consume(first);
		first->ops->peek(first);
	}
	for (size_t i = 0; i < n; i++)
		rings[i]->ops->end(rings[i]);
}

#define to_perf_ring(mr) ((struct perf_ring *)(mr))

static void perf_ring_begin(struct merge_ring *mr)
{
	struct perf_ring *r = to_perf_ring(mr);
	struct perf_event_mmap_page *pg = r->base;

	r->head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
	r->pos = pg->data_tail;
}

static bool perf_ring_peek(struct merge_ring *mr)
{
	struct perf_ring *r = to_perf_ring(mr);
	struct perf_event_mmap_page *pg = r->base;
	const char *data = (const char *)r->base + pg->data_offset;
	const struct perf_event_header *h;
	size_t off = r->pos & (r->data_size - 1);

	mr->next = NULL;
	if (r->pos >= r->head)
		return false;
	h = (const void *)(data + off);
	if (h->size < sizeof(*h) || h->size > r->head - r->pos) {
		r->dec->stats->bad_records++;
		r->pos = r->head;
		return false;
	}
	if (off + h->size > r->data_size) {
		size_t first = r->data_size - off;

		memcpy(r->wrapped, data + off, first);
		memcpy((char *)r->wrapped + first, data, h->size - first);
		h = (const void *)r->wrapped;
	}
	mr->next = h;
	mr->next_time = perf_record__time(h);
	return true;
}

static void perf_ring_consume(struct merge_ring *mr)
{
	struct perf_ring *r = to_perf_ring(mr);
	const struct perf_event_header *h = mr->next;

	perf_record__decode(r->dec, h);
	r->pos += h->size;
}

static void perf_ring_end(struct merge_ring *mr)
{
	struct perf_ring *r = to_perf_ring(mr);

	__atomic_store_n(&((struct perf_event_mmap_page *)r->base)->data_tail, r->pos,
			 __ATOMIC_RELEASE);
}

static const struct merge_ring_ops perf_ring_ops = {
    .begin = perf_ring_begin,
    .peek = perf_ring_peek,
    .consume = perf_ring_consume,
    .end = perf_ring_end,
};

int perf_ring__attach(struct perf_ring *r, void *base, size_t data_size, struct perf_decoder *dec)
{
	r->wrapped = malloc(REC_MAX);
	if (!r->wrapped)
		return -ENOMEM;
	r->m.ops = &perf_ring_ops;
	r->dec = dec;
	r->base = base;
	r->data_size = data_size;
	return 0;
}

int perf_ring__map(struct perf_ring *r, int fd, size_t pages, struct perf_decoder *dec)
{
	long page = sysconf(_SC_PAGESIZE);
	void *base;

	base = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (perf_ring__attach(r, base, pages * page, dec)) {
		munmap(base, (pages + 1) * page);
		return -ENOMEM;
	}
	r->fd = fd;
	return 0;
}

void perf_ring__unmap(struct perf_ring *r)
{
	if (r->base)
		munmap(r->base, r->data_size + sysconf(_SC_PAGESIZE));
	free(r->wrapped);
	r->base = NULL;
	r->wrapped = NULL;
}
