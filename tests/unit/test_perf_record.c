// SPDX-License-Identifier: GPL-2.0
/*
 * perf record decoding on crafted records: a sample's pids, time, cpu,
 * period and callchain split into kernel and user frames (with the kernel
 * and truncation flags); samples too short, with a callchain longer than
 * the record or than allowed (bad records, never delivered); mmap2 (exec
 * only, device numbers, names without a terminator), comm (exec flag, a name
 * cut to 15 bytes), fork, exit, lost, lost samples, throttle, unknown types;
 * every side-band record cut short; the time of each kind of record. With
 * user stacks: the registers (BP, SP, IP) and the copy handed over with
 * its valid size (dyn_size, never more than the copy), a sample without
 * user registers or without a copy handed over without one, and every cut
 * of those fields a bad record.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "check.h"
#include "backend/perf_record.h"

/* What the callbacks saw. */
static struct seen {
	int samples, mmaps, comms, forks, exits;
	uint64_t lost;
	struct hrprof_record rec;
	uint64_t ips[64];
	uint32_t pid, tid, ppid;
	uint64_t start, len, pgoff, dev, ino;
	char str[4096];
	bool exec;
	bool has_us;
	struct user_stack us;
	uint8_t stack[256];
} seen;

static void on_sample(void *ctx, const struct hrprof_record *r, const struct user_stack *us)
{
	seen.has_us = us != NULL;
	if (us) {
		seen.us = *us;
		memcpy(seen.stack, us->data,
		       us->size < sizeof(seen.stack) ? us->size : sizeof(seen.stack));
	}
	seen.samples++;
	seen.rec = *r;
	memcpy(seen.ips, r->ips, (r->nr_kernel + r->nr_user) * 8u);
}

static void on_lost(void *ctx, uint64_t n)
{
	seen.lost += n;
}

static void on_mmap(void *ctx, uint32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		    uint64_t dev, uint64_t ino, const char *path)
{
	seen.mmaps++;
	seen.pid = pid;
	seen.start = start;
	seen.len = len;
	seen.pgoff = pgoff;
	seen.dev = dev;
	seen.ino = ino;
	snprintf(seen.str, sizeof(seen.str), "%s", path);
}

static void on_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	seen.comms++;
	seen.pid = pid;
	seen.tid = tid;
	seen.exec = exec;
	snprintf(seen.str, sizeof(seen.str), "%s", comm);
}

static void on_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid)
{
	seen.forks++;
	seen.pid = pid;
	seen.ppid = ppid;
	seen.tid = tid;
}

static void on_exit_rec(void *ctx, uint32_t pid, uint32_t tid)
{
	seen.exits++;
	seen.pid = pid;
	seen.tid = tid;
}

static const struct backend_events events = {
    .sample = on_sample,
    .lost = on_lost,
    .mmap = on_mmap,
    .comm = on_comm,
    .fork = on_fork,
    .exit = on_exit_rec,
};

/* A record under construction: header then 8-byte words or raw bytes. */
static union {
	struct perf_event_header h;
	uint64_t w[1024];
	char b[8192];
} buf;
static size_t nbytes;

static void rec_start(uint32_t type, uint16_t misc)
{
	memset(&buf, 0, sizeof(buf));
	buf.h.type = type;
	buf.h.misc = misc;
	nbytes = sizeof(buf.h);
}

static void put(uint64_t v)
{
	memcpy(buf.b + nbytes, &v, 8);
	nbytes += 8;
}

static void put_bytes(const void *p, size_t n)
{
	memcpy(buf.b + nbytes, p, n);
	nbytes += n;
}

static void rec_end(void)
{
	buf.h.size = (uint16_t)nbytes;
}

static void sample(uint16_t misc, uint32_t pid, uint32_t tid, const uint64_t *chain, uint64_t nr)
{
	rec_start(PERF_RECORD_SAMPLE, misc);
	put(0x401000);			/* ip */
	put((uint64_t)tid << 32 | pid); /* pid, tid */
	put(123456789);			/* time */
	put(3);				/* cpu, res */
	put(10101010);			/* period */
	put(nr);			/* callchain nr */
	for (uint64_t i = 0; i < nr && chain; i++)
		put(chain[i]);
	rec_end();
}

static void test_samples(void)
{
	struct backend_stats st = {0};
	struct perf_decoder d;
	const uint64_t chain[] = {(uint64_t)PERF_CONTEXT_KERNEL,
				  0xffffffff81000010,
				  0xffffffff81000020,
				  (uint64_t)PERF_CONTEXT_USER,
				  0x401000,
				  0x402000,
				  0x403000};
	uint64_t deep[40];

	CHECK(!perf_decoder__init(&d, &events, &st, 16));
	memset(&seen, 0, sizeof(seen));
	sample(PERF_RECORD_MISC_KERNEL, 10, 11, chain, 7);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 1 && st.samples == 1 && !st.bad_records);
	CHECKF(seen.rec.tgid == 10 && seen.rec.tid == 11 && seen.rec.time_ns == 123456789 &&
		   seen.rec.cpu == 3 && seen.rec.period == 10101010,
	       "pid %u tid %u time %llu cpu %u period %llu", seen.rec.tgid, seen.rec.tid,
	       (unsigned long long)seen.rec.time_ns, seen.rec.cpu,
	       (unsigned long long)seen.rec.period);
	CHECKF(seen.rec.nr_kernel == 2 && seen.rec.nr_user == 3, "split %u/%u", seen.rec.nr_kernel,
	       seen.rec.nr_user);
	CHECK(seen.ips[0] == 0xffffffff81000010 && seen.ips[1] == 0xffffffff81000020 &&
	      seen.ips[2] == 0x401000 && seen.ips[4] == 0x403000);
	CHECK(seen.rec.flags == HRPROF_F_IN_KERNEL);
	CHECK(seen.rec.size == sizeof(seen.rec) + 5 * 8);
	CHECK(perf_record__time(&buf.h) == 123456789);

	/* Kernel frames not permitted: marked so. A user-mode sample: no IN_KERNEL. */
	d.kernel_frames = false;
	sample(PERF_RECORD_MISC_USER, 10, 11, chain + 3, 4);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 2 && seen.rec.flags == HRPROF_F_KERNEL_EXCLUDED &&
	      seen.rec.nr_kernel == 0 && seen.rec.nr_user == 3);
	d.kernel_frames = true;

	/* As deep as allowed: delivered, marked truncated. */
	deep[0] = (uint64_t)PERF_CONTEXT_USER;
	for (int i = 1; i < 40; i++)
		deep[i] = 0x400000 + i;
	sample(PERF_RECORD_MISC_USER, 1, 1, deep, 17);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 3 && seen.rec.nr_user == 16 &&
	      (seen.rec.flags & HRPROF_F_USER_TRUNCATED));

	/* Bad: too short for the fixed words; nr past the record's end; nr
	 * past what the decoder allows (16 + 64). None is delivered. */
	sample(PERF_RECORD_MISC_USER, 1, 1, NULL, 0);
	buf.h.size = sizeof(buf.h) + 5 * 8;
	perf_record__decode(&d, &buf.h);
	sample(PERF_RECORD_MISC_USER, 1, 1, deep, 3);
	buf.w[6] = 4; /* nr, one more word than the record holds */
	perf_record__decode(&d, &buf.h);
	sample(PERF_RECORD_MISC_USER, 1, 1, NULL, 0);
	buf.w[6] = 81;
	perf_record__decode(&d, &buf.h);
	sample(PERF_RECORD_MISC_USER, 1, 1, NULL, 0);
	buf.w[6] = UINT64_MAX;
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.samples == 3 && st.bad_records == 4 && st.samples == 3,
	       "samples %d bad %" PRIu64, seen.samples, st.bad_records);
	/* A sample too short to carry a time sorts first. */
	buf.h.size = sizeof(buf.h) + 2 * 8;
	CHECK(perf_record__time(&buf.h) == 0);
	perf_decoder__fini(&d);
}

/* A sample with a kernel-only chain, then REGS_USER and STACK_USER. */
static void ustack_sample(uint64_t abi, uint64_t size, uint64_t dyn)
{
	const uint64_t chain[] = {(uint64_t)PERF_CONTEXT_KERNEL, 0xffffffff81000010};

	rec_start(PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
	put(0x401000);
	put((uint64_t)11 << 32 | 10);
	put(5);
	put(0);
	put(1);
	put(2);
	put_bytes(chain, sizeof(chain));
	put(abi);
	if (abi) {
		put(0x7ffc0100); /* bp */
		put(0x7ffc0000); /* sp */
		put(0x401234);	 /* ip */
	}
	put(size);
	for (uint64_t i = 0; i < size / 8; i++)
		put(0x1000 + i);
	if (size)
		put(dyn);
	rec_end();
}

static void test_user_stacks(void)
{
	struct backend_stats st = {0};
	struct perf_decoder d;
	uint64_t w;

	CHECK(!perf_decoder__init(&d, &events, &st, 16));
	d.user_stack = true;
	memset(&seen, 0, sizeof(seen));
	ustack_sample(2, 64, 48);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 1 && seen.has_us && !st.bad_records);
	CHECKF(seen.us.bp == 0x7ffc0100 && seen.us.sp == 0x7ffc0000 && seen.us.ip == 0x401234,
	       "regs %llx %llx %llx", (unsigned long long)seen.us.bp,
	       (unsigned long long)seen.us.sp, (unsigned long long)seen.us.ip);
	memcpy(&w, seen.stack + 8, 8);
	CHECKF(seen.us.size == 48 && !seen.us.full && w == 0x1001, "size %llu full %d word %llx",
	       (unsigned long long)seen.us.size, seen.us.full, (unsigned long long)w);
	CHECK(seen.rec.nr_kernel == 1 && seen.rec.nr_user == 0);

	/* The whole copy valid: full. dyn_size over size: cut to size. */
	ustack_sample(2, 64, 64);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 2 && seen.us.size == 64 && seen.us.full);
	ustack_sample(2, 64, 1 << 20);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 3 && seen.us.size == 64 && seen.us.full);

	/* No user registers (a kernel thread), or no copy: delivered, no stack. */
	ustack_sample(0, 64, 64);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 4 && !seen.has_us);
	ustack_sample(2, 0, 0);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.samples == 5 && !seen.has_us && !st.bad_records);

	/* Cut anywhere in the new fields, or a size not in words, or past the
	 * record: bad, not delivered. */
	for (size_t cut = 8; cut <= 7 * 8; cut += 8) {
		ustack_sample(2, 16, 16);
		buf.h.size = (uint16_t)(nbytes - cut);
		perf_record__decode(&d, &buf.h);
	}
	ustack_sample(2, 16, 16);
	buf.w[1 + 6 + 2 + 4] = 12; /* size: not whole words */
	perf_record__decode(&d, &buf.h);
	ustack_sample(2, 16, 16);
	buf.w[1 + 6 + 2 + 4] = 1 << 20; /* size: past the record */
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.samples == 5 && st.bad_records == 9, "samples %d bad %" PRIu64, seen.samples,
	       st.bad_records);
	perf_decoder__fini(&d);
}

/* mmap2's fixed part, as the kernel lays it out. */
struct mmap2_body {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
};

static void mmap2(uint32_t prot, const char *name, size_t name_bytes)
{
	struct mmap2_body m = {.pid = 42,
			       .tid = 43,
			       .addr = 0x7f0000,
			       .len = 0x1000,
			       .pgoff = 0x2000,
			       .maj = 8,
			       .min = 1,
			       .ino = 99,
			       .prot = prot};

	rec_start(PERF_RECORD_MMAP2, 0);
	put_bytes(&m, sizeof(m));
	put_bytes(name, name_bytes);
	nbytes = (nbytes + 7) & ~(size_t)7;
	put(42 | (uint64_t)43 << 32); /* sample_id_all: pid/tid, time, cpu */
	put(777);
	put(0);
	rec_end();
}

static void test_side_band(void)
{
	struct backend_stats st = {0};
	struct perf_decoder d;
	char longname[64];

	CHECK(!perf_decoder__init(&d, &events, &st, 0));
	memset(&seen, 0, sizeof(seen));

	mmap2(PROT_READ | PROT_EXEC, "/usr/lib/libc.so.6", 19);
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.mmaps == 1 && seen.pid == 42 && seen.start == 0x7f0000 && seen.len == 0x1000 &&
		   seen.pgoff == 0x2000 && seen.dev == makedev(8, 1) && seen.ino == 99 &&
		   !strcmp(seen.str, "/usr/lib/libc.so.6"),
	       "mmap2: %d '%s'", seen.mmaps, seen.str);
	CHECK(perf_record__time(&buf.h) == 777);
	mmap2(PROT_READ, "/data", 6); /* not code: not told */
	perf_record__decode(&d, &buf.h);
	CHECK(seen.mmaps == 1);
	/* A name without its terminator up to the record's end. */
	mmap2(PROT_EXEC, "/abcdefgh", 9);
	buf.h.size = (uint16_t)(sizeof(buf.h) + sizeof(struct mmap2_body) + 9);
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.mmaps == 2 && !strcmp(seen.str, "/abcdefgh"), "unterminated: '%s'", seen.str);
	/* Cut short of its fixed part. */
	mmap2(PROT_EXEC, "/x", 3);
	buf.h.size = (uint16_t)(sizeof(buf.h) + sizeof(struct mmap2_body) - 8);
	perf_record__decode(&d, &buf.h);
	CHECK(seen.mmaps == 2 && st.bad_records == 1);

	/* comm: the exec flag; a name longer than 15 bytes is cut. */
	rec_start(PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
	put(42 | (uint64_t)44 << 32);
	memset(longname, 'n', sizeof(longname));
	put_bytes(longname, 24);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.comms == 1 && seen.exec && seen.pid == 42 && seen.tid == 44 &&
		   strlen(seen.str) == 15,
	       "comm '%s' exec %d", seen.str, seen.exec);
	rec_start(PERF_RECORD_COMM, 0);
	put(42 | (uint64_t)44 << 32);
	put_bytes("worker\0\0", 8);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(seen.comms == 2 && !seen.exec && !strcmp(seen.str, "worker"));
	rec_start(PERF_RECORD_COMM, 0);
	put_bytes("abc", 3);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(seen.comms == 2 && st.bad_records == 2);

	/* fork and exit: pid, ppid, tid, ptid, time. */
	rec_start(PERF_RECORD_FORK, 0);
	put(50 | (uint64_t)42 << 32);
	put(51 | (uint64_t)43 << 32);
	put(1000);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(seen.forks == 1 && seen.pid == 50 && seen.ppid == 42 && seen.tid == 51);
	buf.h.type = PERF_RECORD_EXIT;
	perf_record__decode(&d, &buf.h);
	CHECK(seen.exits == 1 && seen.pid == 50 && seen.tid == 51);
	buf.h.size = sizeof(buf.h) + 8;
	perf_record__decode(&d, &buf.h);
	CHECK(seen.exits == 1 && st.bad_records == 3);

	/* Losses: lost (id, count) and lost samples (count); throttles. */
	rec_start(PERF_RECORD_LOST, 0);
	put(1);
	put(25);
	rec_end();
	perf_record__decode(&d, &buf.h);
	rec_start(PERF_RECORD_LOST_SAMPLES, 0);
	put(5);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECKF(seen.lost == 30 && st.lost == 30, "lost %" PRIu64 " counted %" PRIu64, seen.lost,
	       st.lost);
	rec_start(PERF_RECORD_LOST, 0);
	put(1);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(seen.lost == 30 && st.bad_records == 4);
	rec_start(PERF_RECORD_THROTTLE, 0);
	put(1);
	put(2);
	put(3);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(st.throttled == 1);

	/* Unknown types and a header alone: ignored, nothing read past them. */
	rec_start(250, 0);
	rec_end();
	perf_record__decode(&d, &buf.h);
	CHECK(perf_record__time(&buf.h) == 0);
	CHECK(seen.samples == 0 && seen.mmaps == 2 && seen.comms == 2 && st.bad_records == 4);
	perf_decoder__fini(&d);
}

int main(void)
{
	test_samples();
	test_user_stacks();
	test_side_band();
	return check_exit("test_perf_record");
}
