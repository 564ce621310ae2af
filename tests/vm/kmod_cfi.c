// SPDX-License-Identifier: GPL-2.0
/*
 * kmod_cfi [ROUNDS]: the module's CFI table ioctls (ADD_TABLE, DEL_TABLE,
 * SET_MAPS in include/hrprof.h) from userspace.
 *
 * First each refusal with its errno: bad sizes, flags, unsorted rows, an
 * unknown kind or BP rule, an offset out of bounds, bad addresses, maps
 * that overlap or name no table, a process that does not exist; then the
 * memory limit (tables added until ENOSPC, never past table_mem_mb).
 *
 * Then ROUNDS (default 3) fuzzing sessions: a busy child is sampled at a
 * high rate (its rings drained) while random and mutated tables are loaded,
 * mapped over the child's own code with random biases (so its samples walk
 * garbage rows), replaced, deleted, and the child's mappings replaced and
 * cleared, thousands of times. After each: the module's counters must
 * come back to no table and no byte held; after all, the kernel's slab and
 * vmalloc use must be back near where it started.
 *
 * Prints one line per failed check and a summary; exits 0 when every check
 * passed, 1 otherwise, 77 when /dev/hrprof does not exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>

#include "hrprof.h"
#include "hrprof_unwind.h"
#include "vm_check.h"

static struct hrprof_info info;
static long page;
static unsigned int seed = 2026;

static bool expect(int got, int want, const char *what)
{
	checks++;
	if (got == want)
		return true;
	fail("%s: got %s, want %s", what, ename(got), ename(want));
	return false;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)rand_r(&seed) % n : 0;
}

/* n sorted rows of random kinds, as the daemon would give. */
static struct hrprof_cfi_row *rows_new(uint32_t n)
{
	struct hrprof_cfi_row *r = calloc(n, sizeof(*r));
	uint32_t pc = rnd(4096);

	for (uint32_t i = 0; r && i < n; i++) {
		pc += 1 + rnd(64);
		r[i] = (struct hrprof_cfi_row){.pc = pc,
					       .kind = (uint8_t)rnd(HRPROF_CFI_EXPR + 1),
					       .bp = (uint8_t)rnd(HRPROF_BP_UNDEF + 1),
					       .bp_off = (int16_t)(-8 * (int)rnd(8)),
					       .cfa_off = (int32_t)(8 * (int)rnd(64)) - 64};
	}
	return r;
}

static int add_table(int fd, const struct hrprof_cfi_row *rows, uint32_t n, uint32_t *id)
{
	struct hrprof_table t = {.rows = (uintptr_t)rows, .nrows = n};
	int err = ioc(fd, HRPROF_IOC_ADD_TABLE, &t);

	if (!err)
		*id = t.id;
	return err;
}

static int del_table(int fd, uint32_t id)
{
	struct hrprof_table_id t = {.id = id};

	return ioc(fd, HRPROF_IOC_DEL_TABLE, &t);
}

static int set_maps(int fd, uint32_t tgid, const struct hrprof_umap *m, uint32_t nr)
{
	struct hrprof_maps a = {.tgid = tgid, .nr = nr, .maps = (uintptr_t)m};

	return ioc(fd, HRPROF_IOC_SET_MAPS, &a);
}

static struct hrprof_stats stats(int fd)
{
	struct hrprof_stats st = {0};

	if (ioc(fd, HRPROF_IOC_GET_STATS, &st))
		fail("GET_STATS");
	return st;
}

/* Mappings replaced or cleared go after an RCU grace period: waits up to
 * 2 s for the counters to say nothing is held. */
static bool nothing_held(int fd)
{
	for (int i = 0; i < 200; i++) {
		struct hrprof_stats st = stats(fd);

		if (!st.tables && !st.table_bytes)
			return true;
		usleep(10000);
	}
	return false;
}

static void refusals(int fd)
{
	struct hrprof_cfi_row *r = rows_new(16), saved;
	struct hrprof_table t;
	struct hrprof_table_id tid;
	struct hrprof_umap m[2];
	struct hrprof_maps a;
	uint32_t id = 0, ids[64];
	unsigned int nids = 0;
	int err;

	expect(add_table(fd, r, 0, &id), -EINVAL, "ADD_TABLE of 0 rows");
	expect(add_table(fd, r, HRPROF_TABLE_ROWS_MAX + 1, &id), -EINVAL,
	       "ADD_TABLE too many rows");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE flags");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .id = 5};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE id set");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .reserved[2] = 1};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE reserved");
	expect(add_table(fd, NULL, 16, &id), -EFAULT, "ADD_TABLE rows at NULL");
	expect(add_table(fd, (void *)0xffff888000000000ULL, 16, &id), -EFAULT,
	       "ADD_TABLE rows at a kernel address");
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, (void *)8), -EFAULT, "ADD_TABLE argument at 8");
	saved = r[5];
	r[5].pc = r[4].pc;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE rows not increasing");
	r[5] = saved;
	r[5].kind = HRPROF_CFI_EXPR + 1;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE unknown kind");
	r[5] = saved;
	r[5].bp = HRPROF_BP_UNDEF + 1;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE unknown BP rule");
	r[5] = saved;
	r[5].cfa_off = HRPROF_CFA_OFF_MAX + 8;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE CFA offset out of bounds");
	r[5] = saved;
	if (!expect(add_table(fd, r, 16, &id), 0, "ADD_TABLE of good rows") || !id)
		fail("table id %u", id);

	tid = (struct hrprof_table_id){.id = 0};
	expect(ioc(fd, HRPROF_IOC_DEL_TABLE, &tid), -EINVAL, "DEL_TABLE id 0");
	tid = (struct hrprof_table_id){.id = id, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_DEL_TABLE, &tid), -EINVAL, "DEL_TABLE flags");
	expect(del_table(fd, id + 1000), -ENOENT, "DEL_TABLE of no table");

	m[0] = (struct hrprof_umap){.start = 0x400000, .end = 0x500000, .table = id};
	m[1] = (struct hrprof_umap){.start = 0x480000, .end = 0x600000, .table = id};
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS overlapping");
	m[1].start = 0x500000;
	m[1].table = id + 1000;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -ENOENT, "SET_MAPS of no table");
	m[1].table = id;
	m[1].end = m[1].start;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS empty range");
	m[1].end = 0x600000;
	m[1].reserved = 1;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS reserved");
	m[1].reserved = 0;
	expect(set_maps(fd, (uint32_t)getpid(), m, HRPROF_MAPS_MAX + 1), -EINVAL,
	       "SET_MAPS too many");
	expect(set_maps(fd, 0, m, 2), -EINVAL, "SET_MAPS of pid 0");
	expect(set_maps(fd, 4194303, m, 2), -ESRCH, "SET_MAPS of no process");
	expect(set_maps(fd, (uint32_t)getpid(), NULL, 2), -EFAULT, "SET_MAPS maps at NULL");
	a = (struct hrprof_maps){
	    .tgid = (uint32_t)getpid(), .nr = 2, .maps = (uintptr_t)m, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_SET_MAPS, &a), -EINVAL, "SET_MAPS flags");
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), 0, "SET_MAPS good");
	/* The maps hold the table: deleting the id leaves them working. */
	expect(del_table(fd, id), 0, "DEL_TABLE of a mapped table");
	if (stats(fd).tables != 1)
		fail("a table deleted while mapped is gone from the counters");
	expect(set_maps(fd, (uint32_t)getpid(), NULL, 0), 0, "SET_MAPS clearing");
	if (!nothing_held(fd))
		fail("after clearing: %llu tables, %llu bytes",
		     (unsigned long long)stats(fd).tables,
		     (unsigned long long)stats(fd).table_bytes);
	free(r);

	/* The limit: the largest tables until ENOSPC. */
	r = rows_new(HRPROF_TABLE_ROWS_MAX / 64);
	for (err = 0; !err && nids < 64;) {
		struct hrprof_cfi_row *big = calloc(HRPROF_TABLE_ROWS_MAX, sizeof(*big));

		for (uint32_t i = 0; big && i < HRPROF_TABLE_ROWS_MAX; i++)
			big[i] =
			    (struct hrprof_cfi_row){.pc = i, .kind = HRPROF_CFI_SP, .cfa_off = 8};
		err = big ? add_table(fd, big, HRPROF_TABLE_ROWS_MAX, &ids[nids]) : -ENOMEM;
		if (!err)
			nids++;
		free(big);
	}
	expect(err, -ENOSPC, "ADD_TABLE past table_mem_mb");
	if (stats(fd).table_bytes > (uint64_t)info.table_mem_mb << 20)
		fail("%llu bytes held, over the %u MiB limit",
		     (unsigned long long)stats(fd).table_bytes, info.table_mem_mb);
	printf("limit: %u tables of %u rows before ENOSPC (%u MiB)\n", nids, HRPROF_TABLE_ROWS_MAX,
	       info.table_mem_mb);
	while (nids)
		expect(del_table(fd, ids[--nids]), 0, "DEL_TABLE");
	if (stats(fd).table_bytes)
		fail("%llu bytes held after deleting every table",
		     (unsigned long long)stats(fd).table_bytes);
	free(r);
}

/* ---- fuzzing under sampling ---- */

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

static void fuzz_round(int round, int iters)
{
	struct rings rg = {0};
	uint32_t ids[32] = {0};
	struct hrprof_umap m[16];
	uint64_t lo = 0, hi = 0, samples;
	struct hrprof_stats st;
	unsigned int accepted = 0, refused = 0;
	pid_t child;
	int fd, status;

	child = fork();
	if (child == 0)
		busy_loop();
	fd = round_start(child, &rg, &lo, &hi);
	if (fd < 0) {
		fail("round %d: no child, child text or session", round);
		goto out;
	}
	for (int i = 0; i < iters; i++) {
		uint32_t slot = rnd(32), n, nm;
		struct hrprof_cfi_row *r;
		int err;

		switch (rnd(4)) {
		case 0: /* a table, maybe mutated past what the checks accept */
			n = 1 + rnd(rnd(8) ? 64 : 4096);
			r = rows_new(n);
			if (r && rnd(3) == 0) {
				uint8_t *b = (uint8_t *)r;

				for (int k = 1 + (int)rnd(4); k; k--)
					b[rnd(n * sizeof(*r))] = (uint8_t)rand_r(&seed);
			}
			if (ids[slot])
				del_table(fd, ids[slot]);
			ids[slot] = 0;
			err = add_table(fd, r, n, &ids[slot]);
			if (!err != hrprof_cfi_rows_ok(r, n))
				fail("ADD_TABLE %s rows the checks %s", err ? "refused" : "took",
				     err ? "accept" : "refuse");
			err ? refused++ : accepted++;
			free(r);
			break;
		case 1: /* the child's mappings over its own code, random tables and biases */
			nm = rnd(16);
			for (uint32_t k = 0; k < nm; k++) {
				uint64_t span = (hi - lo) / (nm ? nm : 1);
				uint32_t id = ids[rnd(32)];

				m[k] = (struct hrprof_umap){.start = lo + k * span,
							    .end = lo + (k + 1) * span,
							    .bias = lo + rnd(8192) - 4096,
							    .table = id ? id : 1};
				if (rnd(16) == 0)
					m[k].bias = rand_r(&seed) * 4096ULL;
			}
			err = set_maps(fd, (uint32_t)child, m, nm);
			if (err && err != -ENOENT)
				fail("SET_MAPS of the child: %s", ename(err));
			break;
		case 2:
			if (ids[slot] && !del_table(fd, ids[slot]))
				ids[slot] = 0;
			break;
		default:
			drain(&rg);
			usleep(rnd(500));
			break;
		}
	}
	st = stats(fd);
	samples = st.samples;
	printf("round %d: %d operations, %u tables taken, %u refused; %llu samples, %llu frames "
	       "by CFI, %llu by frame pointers, %llu bad walks, %llu unreadable; %llu tables, "
	       "%llu bytes held\n",
	       round, iters, accepted, refused, (unsigned long long)samples,
	       (unsigned long long)st.frames_cfi, (unsigned long long)st.frames_fp,
	       (unsigned long long)st.cfi_bad, (unsigned long long)st.user_faults,
	       (unsigned long long)st.tables, (unsigned long long)st.table_bytes);
	if (!samples || !st.frames_cfi)
		fail("round %d: %llu samples, %llu frames by CFI: the walks were not exercised",
		     round, (unsigned long long)samples, (unsigned long long)st.frames_cfi);
	/* The child exits with its mappings: the exit probe frees them. */
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	child = 0;
	for (int k = 0; k < 32; k++)
		if (ids[k])
			expect(del_table(fd, ids[k]), 0, "DEL_TABLE at the end");
	if (!nothing_held(fd)) {
		st = stats(fd);
		fail("round %d: after the child exited and every id was deleted: %llu tables, %llu "
		     "bytes",
		     round, (unsigned long long)st.tables, (unsigned long long)st.table_bytes);
	}
out:
	round_end(child, fd, NULL, 0, &rg);
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

/*
 * A walk that meets an address in none of the process's mappings flags its
 * record HRPROF_F_USER_UNMAPPED and counts once (cfi_unmapped): with one
 * mapping away from the child's code, every record of the child is such a
 * walk; with its mappings cleared, none is (walks by frame pointers,
 * cfi_no_maps).
 */
static void unmapped_round(void)
{
	struct hrprof_cfi_row row = {.pc = 0, .kind = HRPROF_CFI_NONE};
	struct hrprof_umap m = {.start = 0x10000, .end = 0x20000, .bias = 0x10000};
	struct rings rg = {0};
	struct hrprof_stats a, b, c;
	uint64_t user = 0, flagged = 0;
	uint32_t id = 0;
	pid_t child;
	int fd;

	child = fork();
	if (child == 0)
		busy_loop();
	fd = round_start(child, &rg, NULL, NULL);
	if (fd < 0) {
		fail("unmapped: no child or session");
		goto out;
	}
	if (!expect(add_table(fd, &row, 1, &id), 0, "ADD_TABLE of one row"))
		goto out;
	m.table = id;
	a = stats(fd);
	if (!expect(set_maps(fd, (uint32_t)child, &m, 1), 0, "SET_MAPS away from the code"))
		goto out;
	scan(&rg, child, HRPROF_F_USER_UNMAPPED, &user, &flagged);
	usleep(300000);
	user = flagged = 0;
	scan(&rg, child, HRPROF_F_USER_UNMAPPED, &user, &flagged);
	b = stats(fd);
	printf("unmapped: %llu records of the child with user frames, %llu flagged; "
	       "cfi_unmapped %llu\n",
	       (unsigned long long)user, (unsigned long long)flagged,
	       (unsigned long long)(b.cfi_unmapped - a.cfi_unmapped));
	checks++;
	if (!user || flagged != user || b.cfi_unmapped - a.cfi_unmapped < user)
		fail("unmapped: %llu of %llu records flagged, %llu counted",
		     (unsigned long long)flagged, (unsigned long long)user,
		     (unsigned long long)(b.cfi_unmapped - a.cfi_unmapped));
	expect(set_maps(fd, (uint32_t)child, NULL, 0), 0, "SET_MAPS clearing");
	a = stats(fd); /* before the walks without mappings that scan2 sees */
	user = flagged = 0;
	scan(&rg, child, HRPROF_F_USER_UNMAPPED, &user, &flagged);
	b = stats(fd); /* after the last walk with them */
	usleep(300000);
	user = flagged = 0;
	scan(&rg, child, HRPROF_F_USER_UNMAPPED, &user, &flagged);
	c = stats(fd);
	printf("no mappings: %llu records, %llu flagged; cfi_no_maps %llu, cfi_unmapped %llu\n",
	       (unsigned long long)user, (unsigned long long)flagged,
	       (unsigned long long)(c.cfi_no_maps - a.cfi_no_maps),
	       (unsigned long long)(c.cfi_unmapped - b.cfi_unmapped));
	checks++;
	if (!user || flagged || c.cfi_unmapped != b.cfi_unmapped ||
	    c.cfi_no_maps - a.cfi_no_maps < user)
		fail("no mappings: %llu of %llu records flagged, cfi_unmapped +%llu, cfi_no_maps "
		     "+%llu",
		     (unsigned long long)flagged, (unsigned long long)user,
		     (unsigned long long)(c.cfi_unmapped - b.cfi_unmapped),
		     (unsigned long long)(c.cfi_no_maps - a.cfi_no_maps));
out:
	round_end(child, fd, &id, 1, &rg);
}

/*
 * Hostile registers: a child that loads SP and BP with values no stack has
 * (the kernel half, non-canonical, next to TASK_SIZE_MAX, near zero, a few
 * bytes below 2^64 so that an address plus 8 wraps) and spins on a jump,
 * touching no memory (its SP is never used), while rows of every kind and
 * extreme offsets map its code. Each walk must refuse the reads and end,
 * counted as bad or unreadable; the harness fails the case on any splat.
 */
__asm__(".pushsection cfi_busy,\"ax\",@progbits\n"
	".type hostile_spin, @function\n"
	"hostile_spin:\n"
	"\tmov %rdi, %rsp\n"
	"\tmov %rsi, %rbp\n"
	"1:\tjmp 1b\n"
	".size hostile_spin, . - hostile_spin\n"
	"hostile_land:\n"
	"\t.skip 16, 0x90\n"
	".popsection\n");
__attribute__((noreturn)) void hostile_spin(uint64_t sp, uint64_t bp);
extern const char hostile_land[];

/*
 * A stack that is readable at first: its frame saves BP = 2^64 - 32 and
 * returns to hostile_land, whose row computes CFA = BP + 16 = 2^64 - 16
 * (above SP: it climbs) and the saved BP's slot at CFA + 8 = 2^64 - 8. The
 * walk's stack window then holds the first frame; an address check that
 * let 2^64 - 8 + 8 wrap to 0 would take the slot for a word of the window
 * and read far outside it (a walk read only the 8 bytes before its window
 * when none was filled yet, which the hostile registers above cannot tell).
 */
static uint64_t hostile_stack[64] __attribute__((aligned(16)));

static void hostile_frame(void)
{
	struct hrprof_cfi_row rows[2] = {
	    {.kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAVED, .bp_off = -16, .cfa_off = 16},
	    {.kind = HRPROF_CFI_BP, .bp = HRPROF_BP_SAVED, .bp_off = 8, .cfa_off = 16},
	};
	struct rings rg = {0};
	struct hrprof_stats a, b;
	uint64_t lo, hi, user = 0, flagged = 0;
	uint32_t id = 0;
	int fd;
	pid_t child;

	hostile_stack[32] = 0xffffffffffffffe0ULL;
	hostile_stack[33] = (uintptr_t)hostile_land + 1;
	child = fork();
	if (child == 0)
		hostile_spin((uintptr_t)&hostile_stack[32], 0);
	fd = round_start(child, &rg, &lo, &hi);
	if (fd < 0) {
		fail("hostile frame: no child, child text or session");
		goto out;
	}
	rows[0].pc = (uint32_t)((uintptr_t)hostile_spin - lo);
	rows[1].pc = (uint32_t)((uintptr_t)hostile_land - lo);
	a = stats(fd);
	if (!child_table(fd, child, rows, 2, lo, hi, &id, "hostile frame"))
		goto out;
	usleep(300000);
	scan(&rg, child, 0, &user, &flagged);
	b = stats(fd);
	printf("hostile frame: %llu records with user frames; %llu frames by CFI, walks %llu bad, "
	       "%llu unreadable, %llu complete\n",
	       (unsigned long long)user, (unsigned long long)(b.frames_cfi - a.frames_cfi),
	       (unsigned long long)(b.cfi_bad - a.cfi_bad),
	       (unsigned long long)(b.user_faults - a.user_faults),
	       (unsigned long long)(b.cfi_complete - a.cfi_complete));
	checks++;
	/* Each walk steps the first frame, then refuses the slot at 2^64 - 8. */
	if (!user || b.frames_cfi - a.frames_cfi < user ||
	    b.user_faults - a.user_faults < user / 2 || b.cfi_complete != a.cfi_complete)
		fail("hostile frame: %llu records, %llu frames by CFI, %llu unreadable walks, "
		     "%llu complete",
		     (unsigned long long)user, (unsigned long long)(b.frames_cfi - a.frames_cfi),
		     (unsigned long long)(b.user_faults - a.user_faults),
		     (unsigned long long)(b.cfi_complete - a.cfi_complete));
out:
	round_end(child, fd, &id, 1, &rg);
}

static void hostile_round(void)
{
	static const uint64_t regs[][2] = {
	    {0xffffffffffffffe0ULL, 0xffffffffffffffe0ULL},
	    {0xfffffffffffffff0ULL, 0xfffffffffffffff8ULL},
	    {0x00007ffffffff000ULL - 16, 0x00007ffffffff000ULL - 8},
	    {0x7ffffffffffffff0ULL, 0x8000000000000000ULL},
	    {0, 0},
	    {8, 0xfffffffffffffff8ULL},
	};
	static const struct hrprof_cfi_row kinds[] = {
	    /* slot at CFA + 8: SP + 24, which wraps past 2^64 from the top */
	    {.kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAVED, .bp_off = 8, .cfa_off = 16},
	    {.kind = HRPROF_CFI_SP,
	     .bp = HRPROF_BP_SAVED,
	     .bp_off = -16,
	     .cfa_off = HRPROF_CFA_OFF_MAX},
	    {.kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAME, .cfa_off = -HRPROF_CFA_OFF_MAX},
	    {.kind = HRPROF_CFI_BP, .bp = HRPROF_BP_SAVED, .bp_off = -16, .cfa_off = 16},
	    {.kind = HRPROF_CFI_SIGNAL},
	    {.kind = HRPROF_CFI_PLT},
	    {.kind = HRPROF_CFI_NONE},
	};
	const size_t nk = sizeof(kinds) / sizeof(kinds[0]);

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		struct rings rg = {0};
		uint32_t ids[sizeof(kinds) / sizeof(kinds[0])] = {0};
		struct hrprof_stats a, b;
		uint64_t lo, hi, user = 0, flagged = 0;
		int fd;
		pid_t child = fork();

		if (child == 0)
			hostile_spin(regs[i][0], regs[i][1]);
		fd = round_start(child, &rg, &lo, &hi);
		if (fd < 0) {
			fail("hostile %zu: no child, child text or session", i);
			goto next;
		}
		a = stats(fd);
		for (size_t k = 0; k < nk; k++) {
			if (!child_table(fd, child, &kinds[k], 1, lo, hi, &ids[k], "hostile"))
				goto next;
			usleep(60000);
			scan(&rg, child, 0, &user, &flagged);
		}
		b = stats(fd);
		printf("hostile sp %#llx bp %#llx: %llu records with user frames; walks %llu bad, "
		       "%llu unreadable, %llu complete\n",
		       (unsigned long long)regs[i][0], (unsigned long long)regs[i][1],
		       (unsigned long long)user, (unsigned long long)(b.cfi_bad - a.cfi_bad),
		       (unsigned long long)(b.user_faults - a.user_faults),
		       (unsigned long long)(b.cfi_complete - a.cfi_complete));
		checks++;
		if (!user || b.cfi_bad + b.user_faults == a.cfi_bad + a.user_faults ||
		    b.cfi_complete != a.cfi_complete)
			fail("hostile %zu: %llu records, walks %llu refused, %llu complete", i,
			     (unsigned long long)user,
			     (unsigned long long)(b.cfi_bad + b.user_faults - a.cfi_bad -
						  a.user_faults),
			     (unsigned long long)(b.cfi_complete - a.cfi_complete));
	next:
		round_end(child, fd, ids, nk, &rg);
	}
}

/* Slab plus vmalloc use, KiB, from /proc/meminfo. */
static long kernel_mem_kib(void)
{
	char line[256];
	long total = 0, v;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld", &v) == 1 || sscanf(line, "VmallocUsed: %ld", &v) == 1)
			total += v;
	}
	if (f)
		fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3, fd;
	long before, after;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		printf("SKIP: no %s\n", HRPROF_DEVICE);
		return 77;
	}
	if (fd < 0 || ioc(fd, HRPROF_IOC_GET_INFO, &info)) {
		printf("FAIL: open or GET_INFO: %s\n", strerror(errno));
		return 1;
	}
	if (!(info.features & HRPROF_FEAT_CFI)) {
		printf("FAIL: the module lacks HRPROF_FEAT_CFI\n");
		return 1;
	}
	before = kernel_mem_kib();
	refusals(fd);
	close(fd);
	for (int r = 0; r < rounds; r++)
		fuzz_round(r, 4000);
	unmapped_round();
	hostile_round();
	hostile_frame();
	sleep(1);
	after = kernel_mem_kib();
	printf("kernel memory (slab + vmalloc): %ld KiB before, %ld KiB after\n", before, after);
	if (after - before > 4096)
		fail("the kernel holds %ld KiB more after the sessions", after - before);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
