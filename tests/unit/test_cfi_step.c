// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of the unwinder (include/hrprof_unwind.h) on tables
 * and stacks laid out by hand.
 *
 * The block index: on one row, rows far apart and rows one byte apart, it
 * finds the row the plain binary search finds (cfi_check.h).
 *
 * The step on recorded stacks: a stack laid out by hand for rows of each
 * kind (SP and BP based CFA, BP saved and restored, a PLT stub, a signal
 * frame, frame pointers where no row covers), walked to its END row; reads
 * outside the stack and frames that do not climb refused.
 *
 * Tables compiled from real objects: test_cfi.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <stdint.h>
#include <string.h>

#include "hrprof_unwind.h"

#include "check.h"
#include "cfi_check.h"

/* ---- the block index ---- */

/* Small and sparse tables: one row, rows far apart, rows one byte apart. */
static void test_index(void)
{
	struct hrprof_cfi_row one[] = {{.pc = 0x400, .kind = HRPROF_CFI_SP, .cfa_off = 8}};
	struct hrprof_cfi_row sparse[] = {
	    {.pc = 0x10, .kind = HRPROF_CFI_SP, .cfa_off = 8},
	    {.pc = 0x11, .kind = HRPROF_CFI_SP, .cfa_off = 16},
	    {.pc = 0x70000000, .kind = HRPROF_CFI_NONE},
	    {.pc = 0xfffffff0, .kind = HRPROF_CFI_SP, .cfa_off = 8},
	    {.pc = 0xffffffff, .kind = HRPROF_CFI_END},
	};
	struct hrprof_cfi_row dense[4096];

	for (uint32_t i = 0; i < 4096; i++)
		dense[i] = (struct hrprof_cfi_row){
		    .pc = 0x1000 + i + (i / 64) * 5000, .kind = HRPROF_CFI_SP, .cfa_off = 8};
	check_index(one, 1, "one row");
	check_index(sparse, 5, "sparse rows");
	check_index(dense, 4096, "dense rows");
}

/* ---- the step ---- */

#define STACK_BASE 0x7ff000000000ULL

static uint64_t mem[512];

static bool mem_read(void *ctx, __u64 addr, __u64 *val)
{
	(void)ctx;
	if (addr < STACK_BASE || addr + 8 > STACK_BASE + sizeof(mem) || addr % 8)
		return false;
	*val = mem[(addr - STACK_BASE) / 8];
	return true;
}

static void put_at(uint64_t addr, uint64_t v)
{
	mem[(addr - STACK_BASE) / 8] = v;
}

/*
 * Code at 0x1000.. (pcs are table offsets): leaf 0x1000 (CFA = SP + 24,
 * BP same), mid 0x2000 (CFA = BP + 16, BP saved at CFA - 16: a frame-pointer
 * function), a PLT stub at 0x3000, a signal trampoline at 0x4000, outer
 * 0x5000 (CFA = SP + 40, BP saved at CFA - 24), root 0x6000 (END); nothing
 * covers 0x7000 (frame pointers).
 */
static const struct hrprof_cfi_row rows[] = {
    {.pc = 0x1000, .kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAME, .cfa_off = 24},
    {.pc = 0x2000, .kind = HRPROF_CFI_BP, .bp = HRPROF_BP_SAVED, .bp_off = -16, .cfa_off = 16},
    {.pc = 0x3000, .kind = HRPROF_CFI_PLT},
    {.pc = 0x4000, .kind = HRPROF_CFI_SIGNAL},
    {.pc = 0x5000, .kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAVED, .bp_off = -24, .cfa_off = 40},
    {.pc = 0x6000, .kind = HRPROF_CFI_END},
    {.pc = 0x7000, .kind = HRPROF_CFI_NONE},
};

static const struct hrprof_cfi_row *row(uint64_t pc)
{
	return hrprof_cfi_lookup(rows, sizeof(rows) / sizeof(rows[0]), pc);
}

static void test_step(void)
{
	const uint64_t sp0 = STACK_BASE + 0x100;
	struct hrprof_uregs r = {.ip = 0x1010, .sp = sp0, .bp = STACK_BASE + 0x180};
	uint64_t sig_sp = sp0 + 0x40, outer_sp = sig_sp + 176;

	memset(mem, 0, sizeof(mem));
	/* leaf: CFA = sp0 + 24, return into mid. */
	put_at(sp0 + 16, 0x2020);
	/* mid: BP = STACK_BASE + 0x180 is its frame: CFA = BP + 16; it saved the
	 * caller's BP at CFA - 16 = BP; return into the trampoline (4000). */
	put_at(STACK_BASE + 0x180, STACK_BASE + 0x1c0);
	put_at(STACK_BASE + 0x188, 0x4001);
	/* The rt_sigframe's ucontext at the trampoline's SP: BP, SP, IP of the
	 * interrupted outer frame. */
	(void)sig_sp;
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x2020 && r.sp == sp0 + 24 && r.bp == STACK_BASE + 0x180,
	       "after leaf: ip %#llx sp %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp, (unsigned long long)r.bp);
	CHECK(hrprof_unwind_step(row(0x2020 - 1), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x4001 && r.sp == STACK_BASE + 0x190 && r.bp == STACK_BASE + 0x1c0,
	       "after mid: ip %#llx sp %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp, (unsigned long long)r.bp);
	/* The trampoline's frame: SP at the ucontext. */
	sig_sp = r.sp;
	outer_sp = sig_sp + 0x100;
	put_at(sig_sp + HRPROF_SIGFRAME_BP, STACK_BASE + 0x1f0);
	put_at(sig_sp + HRPROF_SIGFRAME_SP, outer_sp);
	put_at(sig_sp + HRPROF_SIGFRAME_IP, 0x5010);
	CHECK(hrprof_unwind_step(row(0x4001 - 1), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x5010 && r.sp == outer_sp && r.bp == STACK_BASE + 0x1f0,
	       "after the signal frame: ip %#llx sp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp);
	/* outer (interrupted: its exact ip): CFA = SP + 40, BP saved at CFA - 24,
	 * return into root. */
	put_at(outer_sp + 40 - 8, 0x6010);
	put_at(outer_sp + 40 - 24, STACK_BASE + 0x1f8);
	CHECK(hrprof_unwind_step(row(0x5010), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x6010 && r.sp == outer_sp + 40 && r.bp == STACK_BASE + 0x1f8,
	       "after outer: ip %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.bp);
	CHECK(hrprof_unwind_step(row(0x6010 - 1), &r, mem_read, NULL) == HRPROF_UW_END);

	/* A PLT stub: CFA = SP + 8 before the push at +11, SP + 16 after. */
	r = (struct hrprof_uregs){.ip = 0x3006, .sp = sp0};
	put_at(sp0, 0x1111);
	CHECK(hrprof_unwind_step(row(0x3006), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x1111 && r.sp == sp0 + 8);
	r = (struct hrprof_uregs){.ip = 0x300b, .sp = sp0};
	put_at(sp0 + 8, 0x2222);
	CHECK(hrprof_unwind_step(row(0x300b), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x2222 && r.sp == sp0 + 16);

	/* No row: frame pointers, {saved BP, return address} at BP. */
	r = (struct hrprof_uregs){.ip = 0x7010, .sp = sp0, .bp = sp0 + 0x20};
	put_at(sp0 + 0x20, sp0 + 0x60);
	put_at(sp0 + 0x28, 0x3333);
	CHECK(hrprof_unwind_step(row(0x7010), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x3333 && r.sp == sp0 + 0x30 && r.bp == sp0 + 0x60);
	/* ... a BP below SP is not a frame. */
	r = (struct hrprof_uregs){.ip = 0x7010, .sp = sp0, .bp = sp0 - 0x20};
	CHECK(hrprof_unwind_step(NULL, &r, mem_read, NULL) == HRPROF_UW_BAD);

	/* A saved BP's slot below SP was popped already: BP is kept. */
	r = (struct hrprof_uregs){.ip = 0x5010, .sp = sp0 + 30, .bp = 0xabc};
	put_at(sp0 + 64, 0x4444);
	{
		const struct hrprof_cfi_row epilogue = {.pc = 0x5000,
							.kind = HRPROF_CFI_SP,
							.bp = HRPROF_BP_SAVED,
							.bp_off = -40,
							.cfa_off = 8};

		r.sp = sp0 + 64;
		CHECK(hrprof_unwind_step(&epilogue, &r, mem_read, NULL) == HRPROF_UW_OK &&
		      r.ip == 0x4444 && r.bp == 0xabc);
	}

	/* Reads past the stack: refused. A CFA that does not climb: bad. */
	r = (struct hrprof_uregs){.ip = 0x1010, .sp = STACK_BASE + sizeof(mem) - 8};
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_BAD_READ);
	{
		const struct hrprof_cfi_row down = {
		    .pc = 0x1000, .kind = HRPROF_CFI_SP, .cfa_off = -8};

		r = (struct hrprof_uregs){.ip = 0x1010, .sp = sp0};
		CHECK(hrprof_unwind_step(&down, &r, mem_read, NULL) == HRPROF_UW_BAD);
	}
	/* A return address of 0 ends the stack. */
	r = (struct hrprof_uregs){.ip = 0x1010, .sp = sp0};
	put_at(sp0 + 16, 0);
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_END);
}

int main(void)
{
	test_index();
	test_step();
	return check_exit("test_cfi_step");
}
