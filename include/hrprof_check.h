/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The module's checks of what userspace hands it through ioctls, in plain C
 * that builds in the kernel and in userspace, so the fuzzers run the very
 * code the module runs (tests/fuzz/fuzz_kabi.c).
 */
#ifndef _HRPROF_CHECK_H
#define _HRPROF_CHECK_H

#include "hrprof.h"

#define HRPROF_MAX_KERNEL_FRAMES 1024
#define HRPROF_MAX_USER_FRAMES	 1024
#define HRPROF_MAX_FRAMES	 HRPROF_MAX_USER_FRAMES
#define HRPROF_MAX_RING_PAGES	 4096
#define HRPROF_DEFAULT_PAGES	 256
#define HRPROF_MAX_RATE		 100000 /* perf's default perf_event_max_sample_rate */

static inline int hrprof_zeroed(const void *p, unsigned long n)
{
	const unsigned char *b = (const unsigned char *)p;

	for (unsigned long i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/*
 * HRPROF_IOC_CONFIGURE's argument, with page_size bytes a page: 0 when it
 * is valid (its defaults then filled in: ring_pages, watermark), else
 * -EINVAL's value (22) negated. A ring holds at least two of the deepest
 * records.
 */
static inline int hrprof_config_check(struct hrprof_config *c, __u64 page_size)
{
	__u64 record_max, ring_bytes;

	if (!hrprof_zeroed(c->reserved, sizeof(c->reserved)) || c->flags & ~HRPROF_CFG_FLAGS_MASK)
		return -22;
	if (c->source > HRPROF_SOURCE_NMI_TEST)
		return -22;
	if (!c->sample_rate || ((c->flags & HRPROF_CFG_FREQ) && c->sample_rate > HRPROF_MAX_RATE))
		return -22;
	if (c->max_kernel_frames > HRPROF_MAX_KERNEL_FRAMES ||
	    c->max_user_frames > HRPROF_MAX_USER_FRAMES)
		return -22;
	if (!c->ring_pages)
		c->ring_pages = HRPROF_DEFAULT_PAGES;
	if (c->ring_pages > HRPROF_MAX_RING_PAGES || (c->ring_pages & (c->ring_pages - 1)))
		return -22;
	record_max = sizeof(struct hrprof_record) +
		     8ULL * ((__u64)c->max_kernel_frames + c->max_user_frames);
	ring_bytes = (__u64)c->ring_pages * page_size;
	if (ring_bytes < 2 * record_max)
		return -22;
	if (!c->watermark)
		c->watermark = (__u32)(ring_bytes / 4);
	if (c->watermark > ring_bytes)
		return -22;
	return 0;
}

/*
 * HRPROF_IOC_SET_MAPS's entries: each a non-empty range below task_size,
 * sorted by start, not overlapping, naming a table (its id checked apart).
 */
static inline int hrprof_umaps_ok(const struct hrprof_umap *m, __u32 n, __u64 task_size)
{
	for (__u32 i = 0; i < n; i++)
		if (m[i].reserved || !m[i].table || m[i].start >= m[i].end ||
		    m[i].end > task_size || (i && m[i].start < m[i - 1].end))
			return 0;
	return 1;
}

#endif /* _HRPROF_CHECK_H */
