// SPDX-License-Identifier: GPL-2.0
/*
 * The time-ordered merge: records of three rings delivered oldest first
 * across them, each ring begun and ended once per drain, a ring that stops
 * early (corrupt) not stopping the others, records newer than the drain's
 * limit left for the next one. And perf's ring read from memory
 * laid out as the kernel lays it: records in order, one that wraps the
 * ring's end made whole, data_tail published at the end, a record whose
 * size runs past data_head skipped with the rest and counted.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "backend/ring_merge.h"

/* A ring of timestamps; a 0 stands for a corrupt record (peek gives up). */
struct fake_ring {
	struct merge_ring m;
	const uint64_t *times;
	size_t n, pos;
	int begun, ended;
};

static uint64_t delivered[64];
static size_t ndelivered;

static void fake_begin(struct merge_ring *mr)
{
	((struct fake_ring *)mr)->begun++;
}

static bool fake_peek(struct merge_ring *mr)
{
	struct fake_ring *r = (struct fake_ring *)mr;

	mr->next = NULL;
	if (r->pos >= r->n || !r->times[r->pos])
		return false;
	mr->next = &r->times[r->pos];
	mr->next_time = r->times[r->pos];
	return true;
}

static void fake_consume(struct merge_ring *mr)
{
	struct fake_ring *r = (struct fake_ring *)mr;

	delivered[ndelivered++] = *(const uint64_t *)mr->next;
	r->pos++;
}

static void fake_end(struct merge_ring *mr)
{
	((struct fake_ring *)mr)->ended++;
}

static const struct merge_ring_ops fake_ops = {fake_begin, fake_peek, fake_consume, fake_end};

static void test_merge(void)
{
	const uint64_t a[] = {1, 4, 9, 10}, b[] = {2, 3, 11}, c[] = {5, 0, 6};
	struct fake_ring ra = {{&fake_ops, NULL, 0}, a, 4, 0, 0, 0};
	struct fake_ring rb = {{&fake_ops, NULL, 0}, b, 3, 0, 0, 0};
	struct fake_ring rc = {{&fake_ops, NULL, 0}, c, 3, 0, 0, 0};
	struct merge_ring *rings[] = {&ra.m, &rb.m, &rc.m};
	const uint64_t want[] = {1, 2, 3, 4, 5, 9, 10, 11};

	ring_merge__drain(rings, 3, UINT64_MAX);
	CHECKF(ndelivered == 8, "%zu delivered", ndelivered);
	for (size_t i = 0; i < 8 && i < ndelivered; i++)
		CHECKF(delivered[i] == want[i], "record %zu: %" PRIu64 ", want %" PRIu64, i,
		       delivered[i], want[i]);
	CHECK(ra.begun == 1 && ra.ended == 1 && rb.begun == 1 && rc.ended == 1);
	ndelivered = 0;
	ring_merge__drain(rings, 0, UINT64_MAX);
	CHECK(ndelivered == 0);

	/* Up to a time: what is newer waits, in its ring, for the next drain. */
	{
		const uint64_t d[] = {1, 5, 7}, e[] = {2, 6};
		struct fake_ring rd = {{&fake_ops, NULL, 0}, d, 3, 0, 0, 0};
		struct fake_ring re = {{&fake_ops, NULL, 0}, e, 2, 0, 0, 0};
		struct merge_ring *two[] = {&rd.m, &re.m};

		ring_merge__drain(two, 2, 5);
		CHECKF(ndelivered == 3 && delivered[2] == 5 && rd.pos == 2 && re.pos == 1,
		       "until 5: %zu delivered", ndelivered);
		ring_merge__drain(two, 2, UINT64_MAX);
		CHECKF(ndelivered == 5 && delivered[3] == 6 && delivered[4] == 7,
		       "then: %zu delivered", ndelivered);
	}
}

/* ---- perf's ring, in memory ---- */

#define DATA 256

static struct {
	int samples, comms;
	uint64_t last_time;
	char comm[16];
} got;

static void on_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	got.comms++;
	snprintf(got.comm, sizeof(got.comm), "%s", comm);
}

static void on_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid)
{
}

/* A comm record of 40 bytes (header, pid/tid, 8 name bytes, sample_id_all
 * trailer pid/tid, time, cpu) written at byte offset at of the data. */
static void put_comm(char *data, size_t at, const char *name, uint64_t time)
{
	uint64_t rec[6] = {0};
	struct perf_event_header *h = (void *)rec;

	h->type = PERF_RECORD_COMM;
	h->size = 48;
	rec[1] = 1 | (uint64_t)2 << 32;
	memcpy(&rec[2], name, strlen(name) < 8 ? strlen(name) + 1 : 8);
	rec[3] = 1 | (uint64_t)2 << 32;
	rec[4] = time;
	rec[5] = 0;
	for (size_t i = 0; i < sizeof(rec); i++)
		data[(at + i) % DATA] = ((char *)rec)[i];
}

static void test_perf_ring(void)
{
	static union {
		struct perf_event_mmap_page pg;
		char b[4096 + DATA];
	} mem;
	struct backend_events ev = {.comm = on_comm, .fork = on_fork};
	struct backend_stats st = {0};
	struct perf_decoder dec;
	struct perf_ring r = {.fd = -1};
	struct merge_ring *rings[] = {&r.m};
	char *data = mem.b + 4096;

	CHECK(!perf_decoder__init(&dec, &ev, &st, 0));
	mem.pg.data_offset = 4096;
	mem.pg.data_size = DATA;
	CHECK(!perf_ring__attach(&r, &mem, DATA, &dec));
	/* Start near the end: the second record wraps around. */
	mem.pg.data_tail = 1000 * DATA + 192;
	put_comm(data, 192, "first", 10);
	put_comm(data, 240, "second", 20);
	put_comm(data, 288, "third", 30);
	mem.pg.data_head = mem.pg.data_tail + 3 * 48;
	ring_merge__drain(rings, 1, UINT64_MAX);
	CHECKF(got.comms == 3 && !strcmp(got.comm, "third"), "%d comms, last '%s'", got.comms,
	       got.comm);
	CHECKF(mem.pg.data_tail == mem.pg.data_head, "tail %llu head %llu",
	       (unsigned long long)mem.pg.data_tail, (unsigned long long)mem.pg.data_head);
	CHECK(!st.bad_records);

	/* A size past data_head: the rest is skipped, counted, tail at head. */
	put_comm(data, (size_t)(mem.pg.data_tail % DATA), "fourth", 40);
	mem.pg.data_head = mem.pg.data_tail + 40;
	ring_merge__drain(rings, 1, UINT64_MAX);
	CHECK(got.comms == 3 && st.bad_records == 1 && mem.pg.data_tail == mem.pg.data_head);
	/* Nothing new: nothing delivered. */
	ring_merge__drain(rings, 1, UINT64_MAX);
	CHECK(got.comms == 3);
	perf_ring__unmap(&(struct perf_ring){.wrapped = r.wrapped});
	perf_decoder__fini(&dec);
}

int main(void)
{
	test_merge();
	test_perf_ring();
	return check_exit("test_ring_merge");
}
