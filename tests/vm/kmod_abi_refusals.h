/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod_abi's refusals (included by kmod_abi.c alone): GET_INFO's answer,
 * then every bad ioctl argument, call in the wrong state and bad mmap, a
 * second open and an unprivileged open, each refused with the errno
 * include/hrprof.h gives.
 */
#ifndef HRPROF_VM_KMOD_ABI_REFUSALS_H
#define HRPROF_VM_KMOD_ABI_REFUSALS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "hrprof.h"
#include "kmod_abi_session.h"
#include "vm_check.h"

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

#endif
