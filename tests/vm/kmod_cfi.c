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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "hrprof.h"
#include "hrprof_unwind.h"
#include "kmod_cfi_round.h"
#include "kmod_cfi_tables.h"
#include "vm_check.h"

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
