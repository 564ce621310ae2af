/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmod_abi's parts share (included by kmod_abi.c alone): the device's
 * info, the busy child's code, checks that expect an errno, and a session
 * against /dev/hrprof: open, CONFIGURE, mmap every ring, ADD_TARGET, then
 * each ring read as include/hrprof.h's barrier protocol says, every record
 * checked (size, type, cpu, frames, flags, reserved fields, tgid, time).
 */
#ifndef HRPROF_VM_KMOD_ABI_SESSION_H
#define HRPROF_VM_KMOD_ABI_SESSION_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hrprof.h"
#include "vm_check.h"

#define KERNEL_MIN 0xffff800000000000ULL
#define USER_MAX   0x0000800000000000ULL

static struct hrprof_info info;
static long page;
static pid_t busy_pid;

/* The busy child spins here only: its own section, bounded by the linker. */
extern const char __start_hrprof_busy[], __stop_hrprof_busy[];

__attribute__((noinline, noreturn, section("hrprof_busy"))) static void busy_spin(void)
{
	volatile uint64_t x = 1;

	for (;;)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* got: 0 or -errno; want: 0 or an errno; want2: another accepted errno, or -1. */
static bool expect2(int got, int want, int want2, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	checks++;
	if (got == -want || (want2 >= 0 && got == -want2))
		return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (want2 >= 0)
		fail("%s: got %s, expected %s or %s", what, ename(got), ename(want), ename(want2));
	else
		fail("%s: got %s, expected %s", what, ename(got), ename(want));
	return false;
}

#define expect(got, want, ...) expect2(got, want, -1, __VA_ARGS__)

static int dev_open(void)
{
	int fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static struct hrprof_config base_config(void)
{
	struct hrprof_config c;

	memset(&c, 0, sizeof(c));
	c.source = HRPROF_SOURCE_CPU_CLOCK;
	c.flags = HRPROF_CFG_FREQ | HRPROF_CFG_KERNEL | HRPROF_CFG_USER;
	c.sample_rate = 1000;
	c.max_kernel_frames = info.max_frames < 64 ? info.max_frames : 64;
	c.max_user_frames = info.max_frames < 127 ? info.max_frames : 127;
	c.ring_pages = 4;
	return c;
}

/* ---------------------------------------------------------------- rings */

struct ring {
	struct hrprof_ring_consumer *cons;
	struct hrprof_ring_producer *prod;
	const char *data;
	uint64_t size;
	uint64_t last_head;
	uint64_t last_time;
};

struct session {
	int fd;
	struct hrprof_config cfg;
	struct ring *rings;
	uint64_t t0;	  /* CLOCK_MONOTONIC before START */
	pid_t tgid;	  /* every sample's tgid, or 0 */
	uint64_t samples; /* SAMPLE records read */
	uint64_t user_samples, in_busy, kernel_samples;
	uint64_t bad; /* records that failed a check */
};

static size_t stride_bytes(const struct hrprof_config *c)
{
	return (size_t)HRPROF_RING_STRIDE(c->ring_pages) * (size_t)page;
}

static size_t prod_len(const struct hrprof_config *c)
{
	return (size_t)(1 + 2 * c->ring_pages) * (size_t)page;
}

/* Maps every ring; returns 0 or -errno (the failing mmap's). */
static int session_map(struct session *s)
{
	s->rings = calloc(info.nr_cpus, sizeof(*s->rings));
	if (!s->rings)
		return -ENOMEM;
	for (unsigned int i = 0; i < info.nr_cpus; i++) {
		struct ring *r = &s->rings[i];
		off_t off = (off_t)(i * stride_bytes(&s->cfg));
		void *c, *p;

		c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, off);
		if (c == MAP_FAILED)
			return -errno;
		r->cons = c;
		p = mmap(NULL, prod_len(&s->cfg), PROT_READ, MAP_SHARED, s->fd, off + page);
		if (p == MAP_FAILED)
			return -errno;
		r->prod = p;
		r->data = (const char *)p + page;
		r->size = (uint64_t)s->cfg.ring_pages * (uint64_t)page;
		r->last_head = __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE);
		if (r->prod->data_size != r->size || r->prod->cpu != i) {
			fail(
			    "ring %u: producer page says data_size %u cpu %u, expected %llu and %u",
			    i, r->prod->data_size, r->prod->cpu, (unsigned long long)r->size, i);
		}
		if (r->cons->consumer_pos != r->last_head)
			fail("ring %u: fresh ring with producer_pos %llu != consumer_pos %llu", i,
			     (unsigned long long)r->last_head,
			     (unsigned long long)r->cons->consumer_pos);
	}
	return 0;
}

static void session_unmap(struct session *s)
{
	if (!s->rings)
		return;
	for (unsigned int i = 0; i < info.nr_cpus; i++) {
		if (s->rings[i].cons)
			munmap(s->rings[i].cons, page);
		if (s->rings[i].prod)
			munmap(s->rings[i].prod, prod_len(&s->cfg));
	}
	free(s->rings);
	s->rings = NULL;
}

static bool in_busy(uint64_t ip)
{
	return ip >= (uint64_t)(uintptr_t)__start_hrprof_busy &&
	       ip < (uint64_t)(uintptr_t)__stop_hrprof_busy;
}

/* Checks one record of ring cpu; false when it is not sound. */
static bool check_record(struct session *s, unsigned int cpu, const struct hrprof_record *rec,
			 uint64_t avail, uint64_t now)
{
	struct ring *r = &s->rings[cpu];
	const uint32_t known = HRPROF_F_USER_TRUNCATED | HRPROF_F_KERNEL_TRUNCATED |
			       HRPROF_F_KERNEL_EXCLUDED | HRPROF_F_IN_KERNEL;
	const char *why = NULL;
	char buf[160];

	if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > avail) {
		snprintf(buf, sizeof(buf), "size %u (%llu bytes left to read)", rec->size,
			 (unsigned long long)avail);
		why = buf;
	} else if (rec->type != HRPROF_REC_SAMPLE) {
		snprintf(buf, sizeof(buf), "type %u", rec->type);
		why = buf;
	} else if (rec->cpu != cpu) {
		snprintf(buf, sizeof(buf), "cpu %u in ring %u", rec->cpu, cpu);
		why = buf;
	} else if (sizeof(*rec) + 8ULL * (rec->nr_kernel + rec->nr_user) > rec->size) {
		snprintf(buf, sizeof(buf), "%u kernel + %u user frames do not fit in size %u",
			 rec->nr_kernel, rec->nr_user, rec->size);
		why = buf;
	} else if (rec->nr_kernel > s->cfg.max_kernel_frames ||
		   rec->nr_user > s->cfg.max_user_frames) {
		snprintf(buf, sizeof(buf),
			 "%u kernel / %u user frames, over the configured %u / %u", rec->nr_kernel,
			 rec->nr_user, s->cfg.max_kernel_frames, s->cfg.max_user_frames);
		why = buf;
	} else if (rec->flags & ~known) {
		snprintf(buf, sizeof(buf), "unknown flags %#x", rec->flags);
		why = buf;
	} else if (rec->reserved0 || rec->reserved1) {
		why = "reserved fields not zero";
	} else if (s->tgid && ((pid_t)rec->tgid != s->tgid || (pid_t)rec->tid != s->tgid)) {
		snprintf(buf, sizeof(buf), "tgid %u tid %u, expected the busy child %d", rec->tgid,
			 rec->tid, (int)s->tgid);
		why = buf;
	} else if (rec->ns_tgid != rec->tgid || rec->ns_tid != rec->tid) {
		snprintf(buf, sizeof(buf),
			 "ns_tgid/ns_tid %u/%u != tgid/tid %u/%u (same namespace)", rec->ns_tgid,
			 rec->ns_tid, rec->tgid, rec->tid);
		why = buf;
	} else if (rec->time_ns < s->t0 || rec->time_ns > now) {
		snprintf(buf, sizeof(buf), "time_ns %llu outside [%llu, %llu]",
			 (unsigned long long)rec->time_ns, (unsigned long long)s->t0,
			 (unsigned long long)now);
		why = buf;
	} else if (rec->time_ns < r->last_time) {
		why = "time_ns went back within the ring";
	} else if (!rec->period) {
		why = "period 0";
	} else {
		for (unsigned int k = 0; k < rec->nr_kernel && !why; k++) {
			if (rec->ips[k] < KERNEL_MIN) {
				snprintf(buf, sizeof(buf), "kernel frame %u is %#llx", k,
					 (unsigned long long)rec->ips[k]);
				why = buf;
			}
		}
		for (unsigned int u = 0; u < rec->nr_user && !why; u++) {
			if (rec->ips[rec->nr_kernel + u] >= USER_MAX) {
				snprintf(buf, sizeof(buf), "user frame %u is %#llx", u,
					 (unsigned long long)rec->ips[rec->nr_kernel + u]);
				why = buf;
			}
		}
		if (!why && (s->cfg.flags & HRPROF_CFG_KERNEL) &&
		    !(rec->flags & HRPROF_F_KERNEL_EXCLUDED) && s->cfg.max_kernel_frames) {
			if ((rec->flags & HRPROF_F_IN_KERNEL) && !rec->nr_kernel)
				why = "IN_KERNEL sample without kernel frames";
			else if (!(rec->flags & HRPROF_F_IN_KERNEL) && rec->nr_kernel)
				why = "user-mode sample with kernel frames";
		}
		if (!why && (s->cfg.flags & HRPROF_CFG_USER) && s->cfg.max_user_frames &&
		    !(rec->flags & HRPROF_F_IN_KERNEL) && !rec->nr_user)
			why = "user-mode sample without user frames";
	}
	if (why) {
		s->bad++;
		if (s->bad <= 5)
			fail("ring %u: bad record: %s", cpu, why);
		return false;
	}
	if (rec->type == HRPROF_REC_SAMPLE) {
		s->samples++;
		r->last_time = rec->time_ns;
		if (rec->flags & HRPROF_F_IN_KERNEL) {
			s->kernel_samples++;
		} else if (rec->nr_user) {
			s->user_samples++;
			s->in_busy += in_busy(rec->ips[rec->nr_kernel]);
		}
	}
	return true;
}

/*
 * Reads ring cpu as the barrier protocol says: producer_pos with acquire,
 * the records up to it, consumer_pos published with release. Returns the
 * bytes consumed.
 */
static uint64_t ring_drain(struct session *s, unsigned int cpu)
{
	struct ring *r = &s->rings[cpu];
	uint64_t head = __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t tail = r->cons->consumer_pos, start = tail, now = now_ns();

	if (head < r->last_head)
		fail("ring %u: producer_pos went back from %llu to %llu", cpu,
		     (unsigned long long)r->last_head, (unsigned long long)head);
	if (head < tail || head - tail > r->size)
		fail("ring %u: producer_pos %llu passed consumer_pos %llu + data_size %llu", cpu,
		     (unsigned long long)head, (unsigned long long)tail,
		     (unsigned long long)r->size);
	r->last_head = head;
	while (tail < head && head - tail <= r->size) {
		const struct hrprof_record *rec = (const void *)(r->data + (tail & (r->size - 1)));

		if (!check_record(s, cpu, rec, head - tail, now)) {
			tail = head;
			break;
		}
		tail += rec->size;
	}
	if (tail < head)
		tail = head;
	__atomic_store_n(&r->cons->consumer_pos, tail, __ATOMIC_RELEASE);
	return tail - start;
}

static uint64_t drain_all(struct session *s)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < info.nr_cpus; i++)
		n += ring_drain(s, i);
	return n;
}

static int add_target(int fd, pid_t pid)
{
	struct hrprof_target t = {.tgid = (uint32_t)pid};

	return ioc(fd, HRPROF_IOC_ADD_TARGET, &t);
}

/* open + CONFIGURE + mmap + ADD_TARGET(tgid, if any); fails the test and returns
 * false on any error. */
static bool session_begin(struct session *s, const struct hrprof_config *cfg, pid_t tgid,
			  const char *what)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->fd = dev_open();
	if (s->fd < 0) {
		fail("%s: open: %s", what, ename(s->fd));
		return false;
	}
	s->cfg = *cfg;
	err = ioc(s->fd, HRPROF_IOC_CONFIGURE, &s->cfg);
	if (err) {
		fail("%s: CONFIGURE: %s", what, ename(err));
		goto err_close;
	}
	if (!s->cfg.ring_pages || (s->cfg.ring_pages & (s->cfg.ring_pages - 1)) ||
	    s->cfg.ring_pages > info.max_ring_pages) {
		fail("%s: CONFIGURE wrote back ring_pages %u", what, s->cfg.ring_pages);
		goto err_close;
	}
	if (cfg->source != HRPROF_SOURCE_AUTO && s->cfg.source != cfg->source)
		fail("%s: CONFIGURE changed source %u to %u", what, cfg->source, s->cfg.source);
	if (cfg->source == HRPROF_SOURCE_AUTO &&
	    s->cfg.source !=
		((info.features & HRPROF_FEAT_PMU) ? HRPROF_SOURCE_PMU : HRPROF_SOURCE_CPU_CLOCK))
		fail("%s: AUTO resolved to source %u (features %#llx)", what, s->cfg.source,
		     (unsigned long long)info.features);
	err = session_map(s);
	if (err) {
		fail("%s: mmap: %s", what, ename(err));
		goto err_unmap;
	}
	s->tgid = tgid;
	if (tgid && (err = add_target(s->fd, tgid))) {
		fail("%s: ADD_TARGET %d: %s", what, (int)tgid, ename(err));
		goto err_unmap;
	}
	s->t0 = now_ns();
	return true;
err_unmap:
	session_unmap(s);
err_close:
	close(s->fd);
	s->fd = -1;
	return false;
}

static void session_end(struct session *s)
{
	session_unmap(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

#endif
