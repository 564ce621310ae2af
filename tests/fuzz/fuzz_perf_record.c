// SPDX-License-Identifier: GPL-2.0
/*
 * perf ring records, as the kernel writes them and a bad one could look:
 * the input is a run of records (each its own header and size), decoded
 * with and without user stacks. Whatever reaches the callbacks must be
 * consistent: a sample's frames fit its record and max_stack, a user stack
 * copy lies inside the record.
 */
#include "fuzz.h"
#include "backend/perf_record.h"

#define MAX_STACK 127

static const uint8_t *rec_lo, *rec_hi;

static void on_sample(void *ctx, const struct hrprof_record *rec, const struct user_stack *us)
{
	(void)ctx;
	FUZZ_CHECK(rec->nr_kernel + rec->nr_user <= MAX_STACK);
	FUZZ_CHECK(rec->size >= sizeof(*rec) + 8u * (rec->nr_kernel + rec->nr_user));
	if (us && us->size)
		FUZZ_CHECK(us->data >= rec_lo && us->data + us->size <= rec_hi);
}

static void on_lost(void *ctx, uint64_t n)
{
	(void)ctx;
	(void)n;
}

static void on_mmap(void *ctx, uint32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		    uint64_t dev, uint64_t ino, const char *path)
{
	(void)ctx, (void)pid, (void)start, (void)len, (void)pgoff, (void)dev, (void)ino;
	FUZZ_CHECK(path && strlen(path) < 4096);
}

static void on_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	(void)ctx, (void)pid, (void)tid, (void)exec;
	FUZZ_CHECK(comm && strlen(comm) < 4096);
}

static void on_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid)
{
	(void)ctx, (void)pid, (void)ppid, (void)tid;
}

static void on_exit_ev(void *ctx, uint32_t pid, uint32_t tid)
{
	(void)ctx, (void)pid, (void)tid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backend_events ev = {
	    .sample = on_sample,
	    .lost = on_lost,
	    .mmap = on_mmap,
	    .comm = on_comm,
	    .fork = on_fork,
	    .exit = on_exit_ev,
	};
	struct backend_stats stats = {0};
	struct perf_decoder d;

	fuzz_quiet();
	if (perf_decoder__init(&d, &ev, &stats, MAX_STACK))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t off = 0;

		d.user_stack = pass;
		d.kernel_frames = !pass;
		while (off + sizeof(struct perf_event_header) <= size) {
			struct perf_event_header h;
			uint8_t *copy;

			memcpy(&h, data + off, sizeof(h));
			if (h.size < sizeof(h) || h.size > size - off)
				break;
			/* aligned, as in the ring, and exactly h.size bytes (ASan sees past it) */
			copy = malloc(h.size);
			if (!copy)
				break;
			memcpy(copy, data + off, h.size);
			rec_lo = copy;
			rec_hi = copy + h.size;
			perf_record__time((const struct perf_event_header *)copy);
			perf_record__decode(&d, (const struct perf_event_header *)copy);
			free(copy);
			off += h.size;
		}
	}
	perf_decoder__fini(&d);
	return 0;
}
