// SPDX-License-Identifier: GPL-2.0
/*
 * kmod_hold [-c] READY_FILE GO_FILE: holds a running /dev/hrprof session
 * (cpu-clock 1 kHz, every ring mapped, a busy child as the target) so that a
 * test can act on the module meanwhile. With -c the file is closed at once
 * and only the mappings hold the session. Creates READY_FILE once sampling
 * runs, reads the rings until GO_FILE exists (60 s at most), then unmaps,
 * closes and prints "records: N before ready, N after" on stdout. Exits 0
 * when samples kept coming after READY_FILE, 1 otherwise, 3 on a refusal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hrprof.h"

struct ring {
	struct hrprof_ring_consumer *cons;
	struct hrprof_ring_producer *prod;
	const char *data;
	uint64_t size;
};

static uint64_t drain(struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->prod->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t tail = r->cons->consumer_pos, n = 0;

	while (tail < head) {
		const struct hrprof_record *rec = (const void *)(r->data + (tail & (r->size - 1)));

		if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > head - tail) {
			tail = head;
			break;
		}
		n += rec->type == HRPROF_REC_SAMPLE;
		tail += rec->size;
	}
	__atomic_store_n(&r->cons->consumer_pos, tail, __ATOMIC_RELEASE);
	return n;
}

static int refused(const char *what)
{
	fprintf(stderr, "kmod_hold: %s: %s\n", what, strerror(errno));
	return 3;
}

int main(int argc, char **argv)
{
	struct hrprof_config cfg = {0};
	struct hrprof_target target = {0};
	struct hrprof_info info;
	struct ring *rings;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t before = 0, after = 0;
	int fd, argi = 1, close_early = 0, rc;
	size_t plen;
	pid_t busy;
	struct stat sb;

	if (argc > 1 && !strcmp(argv[1], "-c")) {
		close_early = 1;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: kmod_hold [-c] READY_FILE GO_FILE\n");
		return 2;
	}
	busy = fork();
	if (busy == 0) {
		volatile uint64_t x = 1;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			x = x * 6364136223846793005ULL + 1;
	}
	fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return refused("open");
	if (ioctl(fd, HRPROF_IOC_GET_INFO, &info))
		return refused("GET_INFO");
	cfg.source = HRPROF_SOURCE_CPU_CLOCK;
	cfg.flags = HRPROF_CFG_FREQ | HRPROF_CFG_KERNEL | HRPROF_CFG_USER;
	cfg.sample_rate = 1000;
	cfg.max_kernel_frames = 32;
	cfg.max_user_frames = 32;
	cfg.ring_pages = 16;
	if (ioctl(fd, HRPROF_IOC_CONFIGURE, &cfg))
		return refused("CONFIGURE");
	plen = (size_t)(1 + 2 * cfg.ring_pages) * (size_t)page;
	rings = calloc(info.nr_cpus, sizeof(*rings));
	if (!rings)
		return 3;
	for (unsigned int i = 0; i < info.nr_cpus; i++) {
		off_t off = (off_t)i * HRPROF_RING_STRIDE(cfg.ring_pages) * page;
		void *c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		void *p = mmap(NULL, plen, PROT_READ, MAP_SHARED, fd, off + page);

		if (c == MAP_FAILED || p == MAP_FAILED)
			return refused("mmap");
		rings[i] = (struct ring){c, p, (const char *)p + page,
					 (uint64_t)cfg.ring_pages * (uint64_t)page};
	}
	target.tgid = (uint32_t)busy;
	if (ioctl(fd, HRPROF_IOC_ADD_TARGET, &target))
		return refused("ADD_TARGET");
	if (ioctl(fd, HRPROF_IOC_START, NULL))
		return refused("START");
	if (close_early)
		close(fd);
	usleep(100000);
	for (unsigned int i = 0; i < info.nr_cpus; i++)
		before += drain(&rings[i]);
	rc = open(argv[argi], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (rc < 0)
		return refused(argv[argi]);
	close(rc);
	for (int t = 0; t < 1200 && stat(argv[argi + 1], &sb); t++) {
		usleep(50000);
		for (unsigned int i = 0; i < info.nr_cpus; i++)
			after += drain(&rings[i]);
	}
	for (unsigned int i = 0; i < info.nr_cpus; i++)
		after += drain(&rings[i]);
	for (unsigned int i = 0; i < info.nr_cpus; i++) {
		munmap(rings[i].cons, page);
		munmap(rings[i].prod, plen);
	}
	if (!close_early)
		close(fd);
	kill(busy, SIGKILL);
	waitpid(busy, NULL, 0);
	printf("records: %llu before ready, %llu after\n", (unsigned long long)before,
	       (unsigned long long)after);
	return after ? 0 : 1;
}
