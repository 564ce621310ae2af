// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer's cost of CFI unwinding, without perf: this program records
 * its own stack at the bottom of call chains 20 to 40 frames deep (the
 * registers and a copy of COPY bytes from SP up, as PERF_SAMPLE_REGS_USER
 * and PERF_SAMPLE_STACK_USER give them), then replays the recorded samples
 * through the daemon's unwinder for SECONDS and prints samples per second
 * on one core, frames per sample, and the share that came out whole.
 *
 *   unwind_replay [SECONDS] [COPY]     (defaults 2, 32768)
 *
 * Built and run by tests/bench/bench.sh (make bench); built without frame
 * pointers, so only the CFI tables find the frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc/proc.h"
#include "unwind/unwind.h"
#include "base/util.h"

#define SAMPLES	   64
#define MAX_FRAMES 128

struct recorded {
	struct user_stack us;
	uint8_t *copy;
	unsigned int depth;
};

static struct recorded rec[SAMPLES];
static size_t copy_size = 32768;
static uint64_t stack_end; /* the top of the main thread's stack */
static volatile uint64_t sink;

/* Captures IP, SP, BP at one instruction and copies the stack above SP, up
 * to its top, as perf does. */
__attribute__((noinline)) static void record(struct recorded *r)
{
	uint64_t sp, bp, ip, n;

	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	r->us.ip = ip;
	r->us.sp = sp;
	r->us.bp = bp;
	n = stack_end - sp < copy_size ? stack_end - sp : copy_size;
	r->copy = malloc(n);
	if (!r->copy)
		exit(1);
	memcpy(r->copy, (const void *)(uintptr_t)sp, n);
	r->us.data = r->copy;
	r->us.size = n;
	r->us.full = n == copy_size;
}

static uint64_t find_stack_end(void)
{
	char line[256];
	uint64_t lo, hi = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	if (f)
		fclose(f);
	return hi;
}

__attribute__((noinline)) static uint64_t chain(unsigned int n, struct recorded *r)
{
	volatile char pad[48];

	pad[0] = (char)n;
	if (n == 0) {
		record(r);
		return (uint64_t)pad[0];
	}
	return chain(n - 1, r) + (uint64_t)pad[0];
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	struct proc_table *t = proc_table__new(16);
	struct unwinder *u = unwinder__new(UNWIND_AUTO);
	uint64_t ips[MAX_FRAMES], n = 0, frames = 0, t0, t1, deadline;
	struct unwind_stats st;
	struct proc *p;

	if (argc > 2)
		copy_size = (size_t)atol(argv[2]) & ~7ul;
	stack_end = find_stack_end();
	if (!t || !u || copy_size < 64 || !stack_end)
		return 1;
	for (unsigned int i = 0; i < SAMPLES; i++) {
		rec[i].depth = 20 + i % 21;
		sink += chain(rec[i].depth, &rec[i]);
	}
	p = proc_table__get(t, (uint32_t)getpid(), true);
	if (!p) {
		fprintf(stderr, "unwind_replay: cannot read this process's mappings\n");
		return 1;
	}
	/* The first pass compiles the tables: not counted. */
	for (unsigned int i = 0; i < SAMPLES; i++) {
		uint32_t flags = 0;

		unwinder__unwind(u, p, &rec[i].us, ips, MAX_FRAMES, &flags);
	}
	t0 = clock_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (unsigned int i = 0; i < SAMPLES; i++) {
			uint32_t flags = 0;

			frames += unwinder__unwind(u, p, &rec[i].us, ips, MAX_FRAMES, &flags);
		}
		n += SAMPLES;
		t1 = clock_ns(CLOCK_MONOTONIC);
	} while (t1 < deadline);
	unwinder__stats(u, &st);
	printf("unwind_replay: %.0f samples/s on one core, %.1f frames a sample, %.1f%% whole "
	       "(%zu-byte copies, chains 20-40 deep)\n",
	       (double)n * 1e9 / (double)(t1 - t0), (double)frames / (double)n,
	       100.0 * (double)st.complete / (double)st.stacks, copy_size);
	unwinder__free(u);
	proc_table__free(t);
	return 0;
}
