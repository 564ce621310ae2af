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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "hrprof.h"
#include "kmod_abi_refusals.h"
#include "kmod_abi_session.h"
#include "vm_check.h"

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
