/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rings read in time order. Each ring (a perf event ring, a module ring) is
 * in time order, but a process's records spread over the rings of the CPUs
 * it ran on (fork on one, exec and mmaps on another): delivering the oldest
 * head record of all rings first keeps the process table's view causal.
 *
 * A ring kind implements merge_ring_ops; ring_merge__drain() takes what
 * every ring holds now, delivers it oldest first (up to a time: a record
 * may be visible in one ring before an older one is in another), and
 * releases the space.
 */
#ifndef HRPROF_RING_MERGE_H
#define HRPROF_RING_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "perf_record.h"

struct merge_ring;

struct merge_ring_ops {
	/* Reads the producer's position: what may be consumed in this drain. */
	void (*begin)(struct merge_ring *r);
	/* Sets next and next_time to the ring's next record; false when none
	 * (or the rest is corrupt: then it is skipped whole and counted). */
	bool (*peek)(struct merge_ring *r);
	/* Delivers next and moves past it. */
	void (*consume)(struct merge_ring *r);
	/* Publishes the consumer position: the producer may reuse the space. */
	void (*end)(struct merge_ring *r);
};

struct merge_ring {
	const struct merge_ring_ops *ops;
	const void *next; /* during a drain: the record to deliver next, or NULL */
	uint64_t next_time;
};

/*
 * Delivers the records the rings hold now, in time order across them, up to
 * those of time until: the newer ones wait for the next drain, so that a
 * record still being written on another CPU, older than them, comes first.
 */
void ring_merge__drain(struct merge_ring *const *rings, size_t n, uint64_t until);

/*
 * A perf event ring (perf_event_mmap_page, then the data), read with perf's
 * protocol: data_head with acquire semantics, records up to it consumed,
 * data_tail published with release semantics. Records go to dec.
 */
struct perf_ring {
	struct merge_ring m;
	struct perf_decoder *dec;
	int fd; /* the event whose buffer this is; -1: none */
	void *base;
	size_t data_size;
	uint64_t head, pos;
	uint64_t *wrapped; /* a record that wraps the ring's end, made whole */
};

/* Maps fd's ring of pages data pages. Returns -errno. */
int perf_ring__map(struct perf_ring *r, int fd, size_t pages, struct perf_decoder *dec);
/* Reads the ring at base (a perf_event_mmap_page; data_size bytes of data
 * at its data_offset, a power of two), mapped by the caller. Returns -ENOMEM. */
int perf_ring__attach(struct perf_ring *r, void *base, size_t data_size, struct perf_decoder *dec);
/* Unmaps it (the fd is the caller's); a ring never mapped is fine. */
void perf_ring__unmap(struct perf_ring *r);

#endif
