// SPDX-License-Identifier: GPL-2.0
/*
 * kmod_stats [-F HZ | -P NS] [-s SOURCE] [-r PAGES] [-k FRAMES] [-u FRAMES] -- CMD [ARGS...]
 *
 * The module without the daemon: runs CMD as the only target (its children
 * follow), samples it at HZ (default 1000; -P: every NS of the source's
 * events instead, no frequency mode) with SOURCE (cpu-clock, nmi-test,
 * pmu or auto; default cpu-clock), reads and discards every record, and when
 * CMD exits prints the module's HRPROF_IOC_GET_STATS on stderr:
 *
 *   kmod stats: samples=N lost=N skipped=N user_faults=N sample_ns=N
 *     wakeups=N missed=N records=N other_records=N ns_per_sample=X
 *
 * (one line). Exits with CMD's exit status (128 + signal when killed), 2 on
 * a usage error, 3 when the module refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

struct ring {
	struct hrprof_ring_consumer *cons;
	struct hrprof_ring_producer *prod;
	const char *data;
	uint64_t size;
};

static uint64_t records, other_records;

static void drain(struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t tail = r->cons->consumer_pos;

	while (tail < head) {
		const struct hrprof_record *rec = (const void *)(r->data + (tail & (r->size - 1)));

		if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > head - tail) {
			fprintf(stderr, "kmod_stats: bad record size %u on cpu %u\n", rec->size,
				r->prod->cpu);
			tail = head;
			break;
		}
		if (rec->type == HRPROF_REC_SAMPLE)
			records++;
		else
			other_records++;
		tail += rec->size;
	}
	__atomic_store_n(&r->cons->consumer_pos, tail, __ATOMIC_RELEASE);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: kmod_stats [-F HZ | -P NS] [-s cpu-clock|nmi-test|pmu|auto] [-r PAGES] "
		"[-k FRAMES] [-u FRAMES] -- CMD [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct hrprof_config cfg = {0};
	struct hrprof_target target = {0};
	struct hrprof_info info;
	struct hrprof_stats st;
	struct ring *rings;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long hz = 1000, period = 0, kframes = 64, uframes = 127, pages = 0;
	const char *source = "cpu-clock";
	int fd, opt, go[2], status = 0;
	pid_t child;
	size_t plen;

	while ((opt = getopt(argc, argv, "+F:P:s:r:k:u:")) != -1) {
		switch (opt) {
		case 'F':
			hz = strtoul(optarg, NULL, 10);
			break;
		case 'P':
			period = strtoul(optarg, NULL, 10);
			break;
		case 's':
			source = optarg;
			break;
		case 'r':
			pages = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			kframes = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			uframes = strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || !hz)
		return usage();
	if (!strcmp(source, "cpu-clock"))
		cfg.source = HRPROF_SOURCE_CPU_CLOCK;
	else if (!strcmp(source, "nmi-test"))
		cfg.source = HRPROF_SOURCE_NMI_TEST;
	else if (!strcmp(source, "pmu"))
		cfg.source = HRPROF_SOURCE_PMU;
	else if (!strcmp(source, "auto"))
		cfg.source = HRPROF_SOURCE_AUTO;
	else
		return usage();

	fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kmod_stats: open %s: %s\n", HRPROF_DEVICE, strerror(errno));
		return 3;
	}
	if (ioctl(fd, HRPROF_IOC_GET_INFO, &info)) {
		fprintf(stderr, "kmod_stats: GET_INFO: %s\n", strerror(errno));
		return 3;
	}
	cfg.flags = HRPROF_CFG_KERNEL | HRPROF_CFG_USER | (period ? 0 : HRPROF_CFG_FREQ);
	cfg.sample_rate = period ? period : hz;
	cfg.max_kernel_frames = (uint32_t)(kframes < info.max_frames ? kframes : info.max_frames);
	cfg.max_user_frames = (uint32_t)(uframes < info.max_frames ? uframes : info.max_frames);
	cfg.ring_pages = (uint32_t)pages;
	if (ioctl(fd, HRPROF_IOC_CONFIGURE, &cfg)) {
		fprintf(stderr, "kmod_stats: CONFIGURE: %s\n", strerror(errno));
		return 3;
	}
	plen = (size_t)(1 + 2 * cfg.ring_pages) * (size_t)page;
	rings = calloc(info.nr_cpus, sizeof(*rings));
	if (!rings)
		return 3;
	for (unsigned int i = 0; i < info.nr_cpus; i++) {
		off_t off = (off_t)i * HRPROF_RING_STRIDE(cfg.ring_pages) * page;
		void *c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		void *p = mmap(NULL, plen, PROT_READ, MAP_SHARED, fd, off + page);

		if (c == MAP_FAILED || p == MAP_FAILED) {
			fprintf(stderr, "kmod_stats: mmap of ring %u: %s\n", i, strerror(errno));
			return 3;
		}
		rings[i].cons = c;
		rings[i].prod = p;
		rings[i].data = (const char *)p + page;
		rings[i].size = (uint64_t)cfg.ring_pages * (uint64_t)page;
	}

	/* The child waits until it is a target and sampling runs. */
	if (pipe2(go, O_CLOEXEC))
		return 3;
	child = fork();
	if (child < 0)
		return 3;
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "kmod_stats: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	target.tgid = (uint32_t)child;
	if (ioctl(fd, HRPROF_IOC_ADD_TARGET, &target) || ioctl(fd, HRPROF_IOC_START, NULL)) {
		fprintf(stderr, "kmod_stats: ADD_TARGET/START: %s\n", strerror(errno));
		kill(child, SIGKILL);
		return 3;
	}
	if (write(go[1], "g", 1) != 1)
		return 3;
	close(go[1]);

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		pid_t w;

		poll(&pfd, 1, 50);
		for (unsigned int i = 0; i < info.nr_cpus; i++)
			drain(&rings[i]);
		w = waitpid(child, &status, WNOHANG);
		if (w == child)
			break;
		if (w < 0 && errno != EINTR)
			return 3;
	}
	ioctl(fd, HRPROF_IOC_STOP, NULL);
	for (unsigned int i = 0; i < info.nr_cpus; i++)
		drain(&rings[i]);
	memset(&st, 0, sizeof(st));
	if (ioctl(fd, HRPROF_IOC_GET_STATS, &st)) {
		fprintf(stderr, "kmod_stats: GET_STATS: %s\n", strerror(errno));
		return 3;
	}
	fprintf(stderr,
		"kmod stats: samples=%llu lost=%llu skipped=%llu user_faults=%llu sample_ns=%llu "
		"wakeups=%llu missed=%llu records=%llu other_records=%llu ns_per_sample=%.0f\n",
		(unsigned long long)st.samples, (unsigned long long)st.lost,
		(unsigned long long)st.skipped, (unsigned long long)st.user_faults,
		(unsigned long long)st.sample_ns, (unsigned long long)st.wakeups,
		(unsigned long long)st.missed, (unsigned long long)records,
		(unsigned long long)other_records,
		st.samples ? (double)st.sample_ns / (double)st.samples : 0.0);
	close(fd);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
