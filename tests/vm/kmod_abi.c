// SPDX-License-Identifier: GPL-2.0
/*
 * kmod_abi [SESSIONS]: the /dev/hrprof ABI from userspace, as include/hrprof.h
 * states it. First every refusal: bad ioctl arguments, calls in the wrong
 * state, bad mmaps, a second open, an unprivileged open, each with its errno.
 * Then the ring protocol: a ring left full (producer never passes
 * consumer + data_size, lost counted, writing resumes once consumer_pos is
 * written back), poll wakeups, REMOVE_TARGET. Then SESSIONS (default 200)
 * whole sessions against a busy child: open, configure, mmap every ring,
 * start, read and check every record, stop, close.
 *
 * Prints one line per failed check and a summary; exits 0 when every check
 * passed, 1 otherwise, 77 when /dev/hrprof does not exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

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

/* ---------------------------------------------------------------- refusals */

static void test_info(int fd)
{
	int err = ioc(fd, HRPROF_IOC_GET_INFO, &info);

	if (!expect(err, 0, "GET_INFO"))
		exit(1);
	if (info.abi_version != HRPROF_ABI_VERSION)
		fail("abi_version %u, header says %u", info.abi_version, HRPROF_ABI_VERSION);
	if (info.nr_cpus < 1 || info.nr_cpus > 8192)
		fail("nr_cpus %u", info.nr_cpus);
	if (info.nr_cpus < (unsigned int)sysconf(_SC_NPROCESSORS_CONF))
		fail("nr_cpus %u < %ld configured CPUs", info.nr_cpus,
		     sysconf(_SC_NPROCESSORS_CONF));
	if (info.page_size != (uint32_t)page)
		fail("page_size %u, sysconf says %ld", info.page_size, page);
	if (!info.max_frames)
		fail("max_frames 0");
	if (!info.max_ring_pages || (info.max_ring_pages & (info.max_ring_pages - 1)))
		fail("max_ring_pages %u is not a power of two", info.max_ring_pages);
	if (!(info.features & HRPROF_FEAT_CPU_CLOCK))
		fail("features %#llx lack CPU_CLOCK", (unsigned long long)info.features);
	if (!(info.features & HRPROF_FEAT_CFI) || !info.table_mem_mb)
		fail("features %#llx lack CFI, or table_mem_mb is %u",
		     (unsigned long long)info.features, info.table_mem_mb);
	for (int i = 0; i < (int)(sizeof(info.reserved) / sizeof(info.reserved[0])); i++)
		if (info.reserved[i])
			fail("info.reserved[%d] = %u", i, info.reserved[i]);
	printf("info: abi %u, %u cpus, features %#llx, page %u, max_frames %u, max_ring_pages %u\n",
	       info.abi_version, info.nr_cpus, (unsigned long long)info.features, info.page_size,
	       info.max_frames, info.max_ring_pages);
	if (!info.max_frames || !info.nr_cpus || !info.max_ring_pages)
		exit(1);
}

static void bad_config(int fd, void (*edit)(struct hrprof_config *), int want, const char *what)
{
	struct hrprof_config c = base_config();

	edit(&c);
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), want, "CONFIGURE with %s", what);
}

static void e_res0(struct hrprof_config *c)
{
	c->reserved[0] = 1;
}
static void e_res7(struct hrprof_config *c)
{
	c->reserved[7] = 0x80000000U;
}
static void e_flag5(struct hrprof_config *c)
{
	c->flags |= 1U << 5;
}
static void e_flag31(struct hrprof_config *c)
{
	c->flags |= 1U << 31;
}
static void e_src4(struct hrprof_config *c)
{
	c->source = 4;
}
static void e_src_big(struct hrprof_config *c)
{
	c->source = 0xffffffffU;
}
static void e_rate0(struct hrprof_config *c)
{
	c->sample_rate = 0;
}
static void e_period0(struct hrprof_config *c)
{
	c->flags &= ~HRPROF_CFG_FREQ;
	c->sample_rate = 0;
}
static void e_rate_hi(struct hrprof_config *c)
{
	c->sample_rate = 100001;
}
/* Writes s to the file at path; 0 or -errno. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

static void e_clock_period_1ns(struct hrprof_config *c)
{
	c->source = HRPROF_SOURCE_CPU_CLOCK;
	c->flags &= ~HRPROF_CFG_FREQ;
	c->sample_rate = 1; /* 1 GHz of timer interrupts */
}
static void e_rate_over_sysctl(struct hrprof_config *c)
{
	c->sample_rate = 2000; /* the sysctl is 1000 while this runs */
}
static void e_clock_period_over_sysctl(struct hrprof_config *c)
{
	c->source = HRPROF_SOURCE_CPU_CLOCK;
	c->flags &= ~HRPROF_CFG_FREQ;
	c->sample_rate = 999999; /* ns: just over 1000 Hz */
}
static void e_rate_huge(struct hrprof_config *c)
{
	c->sample_rate = 1ULL << 40;
}
static void e_kframes(struct hrprof_config *c)
{
	c->max_kernel_frames = info.max_frames + 1;
}
static void e_uframes(struct hrprof_config *c)
{
	c->max_user_frames = info.max_frames + 1;
}
static void e_uframes_huge(struct hrprof_config *c)
{
	c->max_user_frames = 0xffffffffU;
}
static void e_pages3(struct hrprof_config *c)
{
	c->ring_pages = 3;
}
static void e_pages_hi(struct hrprof_config *c)
{
	c->ring_pages = info.max_ring_pages * 2;
}
static void e_pages_odd(struct hrprof_config *c)
{
	c->ring_pages = info.max_ring_pages + 1;
}
static void e_wm(struct hrprof_config *c)
{
	c->ring_pages = 1;
	c->watermark = (uint32_t)page + 1;
}
static void e_wm_default(struct hrprof_config *c)
{
	c->ring_pages = 0;
	c->watermark = 0xffffffffU;
}

static void test_refusals(void)
{
	struct hrprof_config c;
	struct hrprof_stats st;
	int fd, fd2, err;
	void *p;

	fd = dev_open();
	if (fd == -ENOENT) {
		printf("SKIP: no %s\n", HRPROF_DEVICE);
		exit(77);
	}
	if (fd < 0) {
		fail("open %s: %s", HRPROF_DEVICE, ename(fd));
		exit(1);
	}
	test_info(fd);

	expect(ioc(fd, _IO(HRPROF_IOC_MAGIC, 99), NULL), ENOTTY, "unknown ioctl nr 99");
	expect(ioc(fd, _IO(HRPROF_IOC_MAGIC, 0), NULL), ENOTTY, "unknown ioctl nr 0");
	expect(ioc(fd, _IO('T', 1), NULL), ENOTTY, "ioctl of another magic");
	expect(ioc(fd, _IOR(HRPROF_IOC_MAGIC, 1, uint32_t), &err), ENOTTY,
	       "GET_INFO's number with a wrong size");
	expect(ioc(fd, HRPROF_IOC_GET_INFO, (void *)8), EFAULT, "GET_INFO to a bad pointer");

	/* The wrong state: nothing configured yet. */
	expect(ioc(fd, HRPROF_IOC_START, NULL), ENODATA, "START before CONFIGURE");
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect(p == MAP_FAILED ? -errno : 0, ENODATA, "mmap before CONFIGURE");
	if (p != MAP_FAILED)
		munmap(p, page);

	bad_config(fd, e_res0, EINVAL, "reserved[0] = 1");
	bad_config(fd, e_res7, EINVAL, "reserved[7] set");
	bad_config(fd, e_flag5, EINVAL, "flag bit 5");
	bad_config(fd, e_flag31, EINVAL, "flag bit 31");
	bad_config(fd, e_src4, EINVAL, "source 4");
	bad_config(fd, e_src_big, EINVAL, "source 0xffffffff");
	bad_config(fd, e_rate0, EINVAL, "FREQ rate 0");
	bad_config(fd, e_period0, EINVAL, "period 0");
	bad_config(fd, e_rate_hi, EINVAL, "FREQ rate 100001");
	bad_config(fd, e_rate_huge, EINVAL, "FREQ rate 2^40");
	bad_config(fd, e_clock_period_1ns, EINVAL, "cpu-clock period 1 ns");
	/* The kernel's limit on sampling rates binds the module too. */
	{
		const char *sysctl = "/proc/sys/kernel/perf_event_max_sample_rate";
		char was[32] = "";
		FILE *f = fopen(sysctl, "r");

		if (!f || !fgets(was, sizeof(was), f)) {
			fail("cannot read %s", sysctl);
		} else if (write_file(sysctl, "1000")) {
			fail("cannot write %s", sysctl);
		} else {
			bad_config(fd, e_rate_over_sysctl, EINVAL,
				   "FREQ 2000 Hz over perf_event_max_sample_rate 1000");
			bad_config(
			    fd, e_clock_period_over_sysctl, EINVAL,
			    "cpu-clock period 999999 ns over perf_event_max_sample_rate 1000");
			if (write_file(sysctl, was))
				fail("cannot restore %s to %s", sysctl, was);
		}
		if (f)
			fclose(f);
	}
	bad_config(fd, e_kframes, EINVAL, "max_kernel_frames = max_frames + 1");
	bad_config(fd, e_uframes, EINVAL, "max_user_frames = max_frames + 1");
	bad_config(fd, e_uframes_huge, EINVAL, "max_user_frames 0xffffffff");
	bad_config(fd, e_pages3, EINVAL, "ring_pages 3");
	bad_config(fd, e_pages_hi, EINVAL, "ring_pages 2 * max_ring_pages");
	bad_config(fd, e_pages_odd, EINVAL, "ring_pages max_ring_pages + 1");
	bad_config(fd, e_wm, EINVAL, "watermark one byte over a 1-page ring");
	bad_config(fd, e_wm_default, EINVAL, "watermark 0xffffffff over the default ring");
	if (!(info.features & HRPROF_FEAT_PMU)) {
		c = base_config();
		c.source = HRPROF_SOURCE_PMU;
		expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), ENODEV, "CONFIGURE of PMU without a PMU");
	}
	if (!(info.features & HRPROF_FEAT_NMI_TEST)) {
		c = base_config();
		c.source = HRPROF_SOURCE_NMI_TEST;
		expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), ENODEV,
		       "CONFIGURE of NMI_TEST without the feature");
	}
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, (void *)8), EFAULT, "CONFIGURE from a bad pointer");
	/* Every refusal left the session unconfigured. */
	expect(ioc(fd, HRPROF_IOC_START, NULL), ENODATA, "START after refused CONFIGUREs");

	/* Targets. */
	{
		struct hrprof_target t = {.tgid = (uint32_t)getpid()};
		pid_t nopid = 0;

		t.flags = 1;
		expect(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), EINVAL, "ADD_TARGET with flags 1");
		t.flags = 0;
		t.reserved = 1;
		expect(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), EINVAL, "ADD_TARGET with reserved 1");
		expect(ioc(fd, HRPROF_IOC_REMOVE_TARGET, &t), EINVAL,
		       "REMOVE_TARGET with reserved 1");
		t.reserved = 0;
		for (pid_t p = 4194000; p > 1000; p -= 997) {
			if (kill(p, 0) && errno == ESRCH) {
				nopid = p;
				break;
			}
		}
		t.tgid = (uint32_t)nopid;
		expect(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), ESRCH, "ADD_TARGET of missing pid %d",
		       (int)nopid);
		t.tgid = 0x7fffffffU;
		expect2(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), ESRCH, EINVAL,
			"ADD_TARGET of pid 0x7fffffff");
		t.tgid = (uint32_t)getpid();
		expect(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), 0, "ADD_TARGET of itself");
		expect(ioc(fd, HRPROF_IOC_REMOVE_TARGET, &t), 0, "REMOVE_TARGET of itself");
		expect(ioc(fd, HRPROF_IOC_REMOVE_TARGET, &t), ENOENT,
		       "REMOVE_TARGET of a process not in the set");
		t.tgid = (uint32_t)nopid;
		expect(ioc(fd, HRPROF_IOC_REMOVE_TARGET, &t), ESRCH,
		       "REMOVE_TARGET of missing pid %d", (int)nopid);
	}

	/* A second open while this one lives. */
	fd2 = dev_open();
	expect(fd2 < 0 ? fd2 : 0, EBUSY, "second open");
	if (fd2 >= 0)
		close(fd2);

	/* The largest frame counts the header allows (0..max_frames each). */
	c = base_config();
	c.max_kernel_frames = info.max_frames;
	c.ring_pages = 16;
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), 0,
	       "CONFIGURE with max_kernel_frames = max_frames (%u)", info.max_frames);
	c = base_config();
	c.max_user_frames = info.max_frames;
	c.ring_pages = 16;
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), 0,
	       "CONFIGURE with max_user_frames = max_frames (%u)", info.max_frames);

	/* Configured, not mapped. */
	c = base_config();
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), 0, "CONFIGURE of cpu-clock 1 kHz, 4 pages");
	if (c.source != HRPROF_SOURCE_CPU_CLOCK || c.ring_pages != 4)
		fail("CONFIGURE wrote back source %u ring_pages %u", c.source, c.ring_pages);
	err = ioc(fd, HRPROF_IOC_GET_STATS, &st);
	expect(err, 0, "GET_STATS after CONFIGURE");
	if (!err && (st.samples || st.lost))
		fail("fresh stats: samples %llu lost %llu", (unsigned long long)st.samples,
		     (unsigned long long)st.lost);
	{
		size_t stride = stride_bytes(&c), plen = prod_len(&c);
		off_t last = (off_t)((info.nr_cpus - 1) * stride);
		struct {
			off_t off;
			size_t len;
			int prot;
			int want, want2;
			const char *what;
		} m[] = {
		    {0, 2 * page, PROT_READ | PROT_WRITE, EINVAL, -1, "consumer page, 2 pages"},
		    {0, stride, PROT_READ, EINVAL, -1, "a whole ring in one mapping"},
		    {page, page, PROT_READ, EINVAL, -1, "producer page alone"},
		    {page, plen - page, PROT_READ, EINVAL, -1, "producer + one data copy"},
		    {page, plen + page, PROT_READ, EINVAL, -1, "producer + data + one page"},
		    {2 * page, 2 * c.ring_pages * page, PROT_READ, EINVAL, -1,
		     "data without producer"},
		    {3 * page, page, PROT_READ, EINVAL, -1, "one data page"},
		    {(off_t)(info.nr_cpus * stride), page, PROT_READ | PROT_WRITE, EINVAL, -1,
		     "consumer page past the last ring"},
		    {(off_t)(info.nr_cpus * stride) + page, plen, PROT_READ, EINVAL, -1,
		     "producer past the last ring"},
		    {(off_t)1 << 40, page, PROT_READ, EINVAL, -1, "offset 2^40"},
		    {last + (off_t)stride - page, page, PROT_READ, EINVAL, -1,
		     "the last ring's last data page"},
		    {page, plen, PROT_READ | PROT_WRITE, EPERM, EINVAL, "producer + data writable"},
		    {last + page, plen, PROT_READ | PROT_WRITE, EPERM, EINVAL,
		     "the last ring's producer writable"},
		};

		for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
			p = mmap(NULL, m[i].len, m[i].prot, MAP_SHARED, fd, m[i].off);
			expect2(p == MAP_FAILED ? -errno : 0, m[i].want, m[i].want2, "mmap of %s",
				m[i].what);
			if (p != MAP_FAILED)
				munmap(p, m[i].len);
		}
		/* Mapped read-only, the producer part cannot be made writable. */
		p = mmap(NULL, plen, PROT_READ, MAP_SHARED, fd, page);
		if (expect(p == MAP_FAILED ? -errno : 0, 0, "mmap of producer + data read-only")) {
			checks++;
			if (!mprotect(p, plen, PROT_READ | PROT_WRITE))
				fail("mprotect of the producer mapping to PROT_WRITE succeeded");
			else
				printf("mprotect(PROT_WRITE) of the producer: %s (refused, ok)\n",
				       ename(errno));
			checks++;
			if (!mprotect(p, page, PROT_READ | PROT_WRITE))
				fail("mprotect of the producer page alone to PROT_WRITE succeeded");
			munmap(p, plen);
		}
		p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, last);
		expect(p == MAP_FAILED ? -errno : 0, 0, "mmap of the last ring's consumer page");
		if (p != MAP_FAILED) {
			/* Mapped: CONFIGURE is refused until it is gone. */
			c = base_config();
			expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), EBUSY,
			       "CONFIGURE while a ring is mapped");
			munmap(p, page);
		}
	}
	/* Not mapped: START is either refused or allowed (the header does not say). */
	err = ioc(fd, HRPROF_IOC_START, NULL);
	printf("START after CONFIGURE without mmap: %s\n", ename(err));
	expect(ioc(fd, HRPROF_IOC_STOP, NULL), 0, "STOP");
	expect(ioc(fd, HRPROF_IOC_STOP, NULL), 0, "STOP while stopped");
	c = base_config();
	c.ring_pages = 1;
	expect(ioc(fd, HRPROF_IOC_CONFIGURE, &c), 0, "CONFIGURE again while stopped, unmapped");
	close(fd);

	/* Unprivileged: refused. */
	{
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int r;

			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(100);
			r = open(HRPROF_DEVICE, O_RDWR);
			_exit(r >= 0 ? 0 : errno > 99 ? 99 : errno);
		}
		waitpid(pid, &status, 0);
		checks++;
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 100)
			fail("unprivileged child could not drop privileges");
		else if (WEXITSTATUS(status) != EACCES && WEXITSTATUS(status) != EPERM)
			fail("open as uid 65534: got %s, expected EACCES",
			     ename(WEXITSTATUS(status)));
		else
			printf("open as uid 65534: %s (refused, ok)\n", ename(WEXITSTATUS(status)));
	}
}

/* ---------------------------------------------------------------- protocol */

/* Keeps the busy child on one CPU (the last online one), or lets it go. */
static void pin_busy(bool pin)
{
	cpu_set_t set;

	if (pin) {
		CPU_ZERO(&set);
		CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
	} else {
		CPU_ZERO(&set);
		for (long i = 0; i < sysconf(_SC_NPROCESSORS_ONLN) && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	}
	if (sched_setaffinity(busy_pid, sizeof(set), &set))
		printf("note: sched_setaffinity: %s\n", strerror(errno));
}

/*
 * A 1-page ring left unread fills: the producer stops at consumer + data_size
 * and counts lost; once consumer_pos is written back, writing resumes.
 */
static void test_full_ring(void)
{
	struct hrprof_config c = base_config();
	struct hrprof_stats st;
	struct session s;
	uint64_t head, tail, deadline, full_head[64] = {0};
	unsigned int full = 0;
	bool resumed = false;

	c.sample_rate = 20000;
	c.ring_pages = 1;
	pin_busy(true);
	if (!session_begin(&s, &c, busy_pid, "full ring")) {
		pin_busy(false);
		return;
	}
	expect(ioc(s.fd, HRPROF_IOC_START, NULL), 0, "full ring: START");
	expect(ioc(s.fd, HRPROF_IOC_START, NULL), 0, "full ring: START while running");
	c = base_config();
	expect(ioc(s.fd, HRPROF_IOC_CONFIGURE, &c), EBUSY, "CONFIGURE while running");
	deadline = now_ns() + 10000000000ULL;
	while (now_ns() < deadline) {
		memset(&st, 0, sizeof(st));
		ioc(s.fd, HRPROF_IOC_GET_STATS, &st);
		if (st.lost >= 10)
			break;
		sleep_ms(20);
	}
	if (st.lost < 10) {
		fail("full ring: only %llu lost after 10 s unread (%llu samples)",
		     (unsigned long long)st.lost, (unsigned long long)st.samples);
	}
	for (unsigned int i = 0; i < info.nr_cpus && i < 64; i++) {
		struct ring *r = &s.rings[i];

		head = __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE);
		tail = r->cons->consumer_pos;
		checks++;
		if (head - tail > r->size)
			fail("full ring %u: producer_pos %llu beyond consumer_pos %llu + %llu", i,
			     (unsigned long long)head, (unsigned long long)tail,
			     (unsigned long long)r->size);
		if (r->prod->lost) {
			full++;
			full_head[i] = head;
		}
	}
	checks++;
	if (!full)
		fail("full ring: no ring's producer page counts lost (stats lost %llu)",
		     (unsigned long long)st.lost);
	/* Consume: the producer must see consumer_pos and write again. */
	drain_all(&s);
	deadline = now_ns() + 10000000000ULL;
	while (!resumed && now_ns() < deadline) {
		sleep_ms(20);
		for (unsigned int i = 0; i < info.nr_cpus && i < 64; i++) {
			head = __atomic_load_n(&s.rings[i].prod->producer_pos, __ATOMIC_ACQUIRE);
			if (full_head[i] && head > full_head[i])
				resumed = true;
		}
	}
	checks++;
	if (!resumed)
		fail("full ring: no writing after consumer_pos was written back");
	drain_all(&s);
	expect(ioc(s.fd, HRPROF_IOC_STOP, NULL), 0, "full ring: STOP");
	drain_all(&s);
	pin_busy(false);
	printf("full ring: %llu samples read, %llu lost (stats)\n", (unsigned long long)s.samples,
	       (unsigned long long)st.lost);
	session_end(&s);
}

/* poll wakes at the watermark; REMOVE_TARGET stops the samples. */
static void test_poll_and_remove(void)
{
	struct hrprof_config c = base_config();
	struct hrprof_target t = {.tgid = (uint32_t)busy_pid};
	struct hrprof_stats st;
	struct pollfd pfd;
	struct session s;
	uint64_t before;
	int n;

	c.sample_rate = 5000;
	c.ring_pages = 2;
	c.watermark = 512;
	if (!session_begin(&s, &c, busy_pid, "poll"))
		return;
	pfd.fd = s.fd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 0);
	checks++;
	if (n != 0)
		fail("poll before START: %d (revents %#x), expected nothing to read", n,
		     pfd.revents);
	expect(ioc(s.fd, HRPROF_IOC_START, NULL), 0, "poll: START");
	n = poll(&pfd, 1, 10000);
	checks++;
	if (n != 1 || !(pfd.revents & POLLIN))
		fail("poll with a 512-byte watermark: %d (revents %#x) within 10 s", n,
		     pfd.revents);
	drain_all(&s);
	expect(ioc(s.fd, HRPROF_IOC_REMOVE_TARGET, &t), 0, "REMOVE_TARGET of the busy child");
	sleep_ms(20);
	drain_all(&s);
	before = s.samples;
	sleep_ms(300);
	drain_all(&s);
	checks++;
	if (s.samples != before)
		fail("%llu samples of the busy child after REMOVE_TARGET",
		     (unsigned long long)(s.samples - before));
	memset(&st, 0, sizeof(st));
	expect(ioc(s.fd, HRPROF_IOC_GET_STATS, &st), 0, "poll: GET_STATS");
	if (st.targets)
		fail("stats.targets %llu after removing the only target",
		     (unsigned long long)st.targets);
	expect(ioc(s.fd, HRPROF_IOC_STOP, NULL), 0, "poll: STOP");
	session_end(&s);
}

/* close() with rings still mapped: the session lives until the last munmap. */
static void test_close_mapped(void)
{
	struct hrprof_config c = base_config();
	struct session s;
	int fd;

	if (!session_begin(&s, &c, busy_pid, "close mapped"))
		return;
	expect(ioc(s.fd, HRPROF_IOC_START, NULL), 0, "close mapped: START");
	sleep_ms(50);
	close(s.fd);
	s.fd = -1;
	sleep_ms(50);
	drain_all(&s); /* the mappings stay readable */
	session_unmap(&s);
	fd = dev_open();
	expect(fd < 0 ? fd : 0, 0, "open after close + munmap of a running session");
	if (fd >= 0)
		close(fd);
}

/* ---------------------------------------------------------------- sessions */

static void run_sessions(int count)
{
	static const uint32_t pages[] = {0, 1, 2, 8, 16};
	uint64_t total = 0, lost = 0, kern = 0, user = 0, busy = 0, ns = 0, bad = 0;
	int empty = 0, ok = 0, mismatched = 0;

	for (int i = 0; i < count; i++) {
		struct hrprof_config c = base_config();
		struct hrprof_stats st;
		struct session s;
		struct pollfd pfd;
		uint64_t end, hard_end;
		char what[64];

		snprintf(what, sizeof(what), "session %d", i);
		c.ring_pages = pages[i % 5];
		c.sample_rate = i % 3 == 0 ? 10000 : i % 3 == 1 ? 1000 : 50000;
		if (i % 7 == 3) {
			c.flags &= ~HRPROF_CFG_FREQ;
			c.sample_rate = 250000; /* ns of cpu-clock */
		}
		if (i % 10 == 5)
			c.source = HRPROF_SOURCE_AUTO;
		if (i % 4 == 1 && (info.features & HRPROF_FEAT_NMI_TEST) &&
		    (c.flags & HRPROF_CFG_FREQ))
			c.source = HRPROF_SOURCE_NMI_TEST;
		if (i % 11 == 6)
			c.flags &= ~HRPROF_CFG_KERNEL;
		if (!session_begin(&s, &c, busy_pid, what))
			continue;
		if (!expect(ioc(s.fd, HRPROF_IOC_START, NULL), 0, "%s: START", what)) {
			session_end(&s);
			continue;
		}
		pfd.fd = s.fd;
		pfd.events = POLLIN;
		end = now_ns() + 30000000ULL;
		hard_end = now_ns() + 3000000000ULL;
		for (;;) {
			uint64_t t = now_ns();

			if (t >= hard_end || (t >= end && s.samples))
				break;
			poll(&pfd, 1, 10);
			drain_all(&s);
		}
		expect(ioc(s.fd, HRPROF_IOC_STOP, NULL), 0, "%s: STOP", what);
		drain_all(&s);
		memset(&st, 0, sizeof(st));
		if (expect(ioc(s.fd, HRPROF_IOC_GET_STATS, &st), 0, "%s: GET_STATS", what)) {
			if (st.samples != s.samples && mismatched++ < 5)
				fail("%s: stats.samples %llu, %llu SAMPLE records read after STOP",
				     what, (unsigned long long)st.samples,
				     (unsigned long long)s.samples);
			if (st.targets < 1)
				fail("%s: stats.targets %llu with the busy child added", what,
				     (unsigned long long)st.targets);
			lost += st.lost;
			ns += st.sample_ns;
		}
		if (!s.samples)
			empty++;
		total += s.samples;
		kern += s.kernel_samples;
		user += s.user_samples;
		busy += s.in_busy;
		bad += s.bad;
		session_end(&s);
		ok++;
	}
	printf("sessions: %d of %d whole, %d without samples; %llu samples (%llu in kernel, "
	       "%llu user, %llu with the leaf in busy_spin), %llu lost, %llu bad records, "
	       "%.0f ns/sample in the module\n",
	       ok, count, empty, (unsigned long long)total, (unsigned long long)kern,
	       (unsigned long long)user, (unsigned long long)busy, (unsigned long long)lost,
	       (unsigned long long)bad, total ? (double)ns / (double)total : 0.0);
	checks++;
	if (ok != count)
		fail("only %d of %d sessions went through", ok, count);
	if (empty > count / 10)
		fail("%d of %d sessions read no sample", empty, count);
	if (user && busy * 10 < user * 9)
		fail("only %llu of %llu user-mode samples have their leaf in busy_spin",
		     (unsigned long long)busy, (unsigned long long)user);
	if (!user)
		fail("no user-mode sample at all");
}

int main(int argc, char **argv)
{
	int sessions = argc > 1 ? atoi(argv[1]) : 200;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	test_refusals();

	busy_pid = fork();
	if (busy_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		busy_spin();
	}
	if (busy_pid < 0) {
		perror("fork");
		return 1;
	}
	test_full_ring();
	test_poll_and_remove();
	test_close_mapped();
	run_sessions(sessions);
	kill(busy_pid, SIGKILL);
	waitpid(busy_pid, NULL, 0);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
