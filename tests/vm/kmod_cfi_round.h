/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmod_cfi's rounds under sampling share (included by kmod_cfi.c
 * alone): the busy child, a session sampling it with every ring mapped,
 * the start and end of a round, a table mapped over the child's code, and
 * the rings drained or scanned for the child's records.
 */
#ifndef HRPROF_VM_KMOD_CFI_ROUND_H
#define HRPROF_VM_KMOD_CFI_ROUND_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "hrprof.h"
#include "hrprof_unwind.h"
#include "kmod_cfi_tables.h"
#include "vm_check.h"

extern const char __start_cfi_busy[], __stop_cfi_busy[];

/* A few frames of real calls, so walks have something to climb. */
__attribute__((noinline, section("cfi_busy"))) static uint64_t busy_leaf(uint64_t x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

__attribute__((noinline, noreturn, section("cfi_busy"))) static void busy_loop(void)
{
	volatile uint64_t x = 1;

	for (;;)
		x = busy_leaf(x);
}

struct rings {
	struct hrprof_ring_consumer **cons;
	const struct hrprof_ring_producer **prod;
};

#define RING_PAGES 16

static int session(int fd, pid_t child, struct rings *rg)
{
	struct hrprof_config c = {.source = HRPROF_SOURCE_CPU_CLOCK,
				  .flags = HRPROF_CFG_FREQ | HRPROF_CFG_KERNEL | HRPROF_CFG_USER |
					   HRPROF_CFG_CFI,
				  .sample_rate = 5000,
				  .max_kernel_frames = 64,
				  .max_user_frames = 256,
				  .ring_pages = RING_PAGES};
	struct hrprof_target t = {.tgid = (uint32_t)child};
	size_t stride;
	int err;

	err = ioc(fd, HRPROF_IOC_CONFIGURE, &c);
	if (err == -EINVAL) { /* a low perf_event_max_sample_rate */
		c.sample_rate = 1000;
		err = ioc(fd, HRPROF_IOC_CONFIGURE, &c);
	}
	if (!expect(err, 0, "CONFIGURE"))
		return -1;
	stride = HRPROF_RING_STRIDE(c.ring_pages);
	rg->cons = calloc(info.nr_cpus, sizeof(*rg->cons));
	rg->prod = calloc(info.nr_cpus, sizeof(*rg->prod));
	for (uint32_t cpu = 0; cpu < info.nr_cpus; cpu++) {
		off_t at = (off_t)(cpu * stride) * page;
		void *cp = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, at);
		void *pp =
		    mmap(NULL, (1 + 2 * c.ring_pages) * page, PROT_READ, MAP_SHARED, fd, at + page);

		if (cp == MAP_FAILED || pp == MAP_FAILED) {
			fail("mmap of ring %u", cpu);
			return -1;
		}
		rg->cons[cpu] = cp;
		rg->prod[cpu] = pp;
	}
	expect(ioc(fd, HRPROF_IOC_ADD_TARGET, &t), 0, "ADD_TARGET");
	return expect(ioc(fd, HRPROF_IOC_START, NULL), 0, "START") ? 0 : -1;
}

/* The rings stay mapped after close; unmapping frees the session. */
static void rings_unmap(struct rings *rg)
{
	for (uint32_t cpu = 0; rg->cons && cpu < info.nr_cpus; cpu++) {
		if (rg->cons[cpu])
			munmap(rg->cons[cpu], page);
		if (rg->prod[cpu])
			munmap((void *)rg->prod[cpu], (1 + 2 * RING_PAGES) * page);
	}
	free(rg->cons);
	free(rg->prod);
}

/*
 * The end of a round: its child killed and reaped, the tables of ids (0:
 * none) deleted, the device closed, the rings unmapped (which frees the
 * session).
 */
static void round_end(pid_t child, int fd, const uint32_t *ids, size_t nids, struct rings *rg)
{
	int status;

	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	if (fd >= 0) {
		for (size_t k = 0; k < nids; k++)
			if (ids[k])
				del_table(fd, ids[k]);
		close(fd);
	}
	rings_unmap(rg);
}

static void drain(struct rings *rg)
{
	for (uint32_t cpu = 0; cpu < info.nr_cpus; cpu++)
		__atomic_store_n(&rg->cons[cpu]->consumer_pos,
				 __atomic_load_n(&rg->prod[cpu]->producer_pos, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
}

/* The child's code mapping (its executable's r-xp one). */
static bool child_text(pid_t pid, uint64_t *lo, uint64_t *hi)
{
	char path[64], line[512];
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	while (f && !ok && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && perms[2] == 'x' &&
		    a <= (uintptr_t)__start_cfi_busy && (uintptr_t)__stop_cfi_busy <= b) {
			*lo = a;
			*hi = b;
			ok = true;
		}
	}
	if (f)
		fclose(f);
	return ok;
}

/*
 * The start of a round, the child forked: the device opened and a session
 * sampling the child, with the child's code mapping in *lo, *hi (when lo is
 * not NULL). The device's fd, or -1 (closed again) when any of it failed;
 * round_end ends the round either way.
 */
static int round_start(pid_t child, struct rings *rg, uint64_t *lo, uint64_t *hi)
{
	int fd;

	if (child < 0 || (lo && !child_text(child, lo, hi)))
		return -1;
	fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && session(fd, child, rg)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * A table of rows, made the child's only mapping's (its code, lo to hi,
 * biased at lo): its id in *id. False (said) when either ioctl failed.
 */
static bool child_table(int fd, pid_t child, const struct hrprof_cfi_row *rows, uint32_t n,
			uint64_t lo, uint64_t hi, uint32_t *id, const char *what)
{
	struct hrprof_umap m = {.start = lo, .end = hi, .bias = lo};
	char msg[96];

	snprintf(msg, sizeof(msg), "ADD_TABLE %s", what);
	if (!expect(add_table(fd, rows, n, id), 0, msg))
		return false;
	m.table = *id;
	snprintf(msg, sizeof(msg), "SET_MAPS %s", what);
	return expect(set_maps(fd, (uint32_t)child, &m, 1), 0, msg);
}

/*
 * The rings' records of pid since the last drain, consumed: how many have
 * user frames, how many of those are flagged flag.
 */
static void scan(struct rings *rg, pid_t pid, uint32_t flag, uint64_t *user, uint64_t *flagged)
{
	for (uint32_t cpu = 0; cpu < info.nr_cpus; cpu++) {
		const struct hrprof_ring_producer *pr = rg->prod[cpu];
		const char *data = (const char *)pr + page;
		uint64_t head = __atomic_load_n(&pr->producer_pos, __ATOMIC_ACQUIRE);
		uint64_t pos = rg->cons[cpu]->consumer_pos;

		while (pos < head) {
			const struct hrprof_record *r =
			    (const void *)(data + (pos & (pr->data_size - 1)));

			if (r->size < sizeof(*r))
				break;
			if (r->tgid == (uint32_t)pid && r->nr_user) {
				(*user)++;
				*flagged += !!(r->flags & flag);
			}
			pos += r->size;
		}
		__atomic_store_n(&rg->cons[cpu]->consumer_pos, head, __ATOMIC_RELEASE);
	}
}

#endif
