/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One unwind step for x86-64 user stacks, from a compiled CFI table, for
 * the daemon and (later) the kernel module alike: plain C, no libc, no
 * allocation, bounded work.
 *
 * A table is an object's .eh_frame / .debug_frame compiled (by the daemon,
 * with libdw) into rows sorted by pc. Row i holds from rows[i].pc up to
 * rows[i + 1].pc; pc is the object's own virtual address (as in its ELF
 * headers), so one table serves every process that maps the object. For
 * each range a row says how to find the canonical frame address (CFA: the
 * caller's SP before the call) and the caller's BP; the return address is
 * at CFA - 8, as the System V ABI has it (a range where it is not is
 * compiled as HRPROF_CFI_EXPR).
 */
#ifndef HRPROF_UNWIND_H
#define HRPROF_UNWIND_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stdbool.h>
#endif

/* hrprof_cfi_row.kind */
#define HRPROF_CFI_NONE 0 /* no CFI covers this range: frame pointers */
#define HRPROF_CFI_SP	1 /* CFA = SP + cfa_off */
#define HRPROF_CFI_BP	2 /* CFA = BP + cfa_off */
#define HRPROF_CFI_PLT	3 /* a PLT stub: CFA = SP + 8, + 8 more when (IP & 15) >= 11 */
#define HRPROF_CFI_SIGNAL                                                                          \
	4		  /* a signal trampoline: the interrupted registers are in                 \
			   * the ucontext at SP */
#define HRPROF_CFI_END	5 /* the outermost frame (return address undefined) */
#define HRPROF_CFI_EXPR 6 /* a rule rows cannot express: frame pointers */

/* hrprof_cfi_row.bp */
#define HRPROF_BP_SAME	0 /* the caller's BP is this frame's */
#define HRPROF_BP_SAVED 1 /* saved at CFA + bp_off */
#define HRPROF_BP_UNDEF 2 /* not recoverable */

struct hrprof_cfi_row {
	__u32 pc; /* object vaddr, as an offset from the table's base */
	__u8 kind;
	__u8 bp;
	__s16 bp_off;
	__s32 cfa_off;
};

/* The registers an unwind step needs and gives. */
struct hrprof_uregs {
	__u64 ip, sp, bp;
};

/* Outcomes of a step. */
#define HRPROF_UW_OK	   0 /* regs now hold the caller's frame */
#define HRPROF_UW_END	   1 /* the outermost frame: the stack is complete */
#define HRPROF_UW_BAD_READ 2 /* a read fell outside what can be read */
#define HRPROF_UW_BAD	   3 /* the frame makes no sense (SP does not climb...) */

/*
 * Reads the 8 bytes at addr of the unwound task's stack into *val; false
 * when they cannot be read (outside the copy, a fault).
 */
typedef bool (*hrprof_uw_read)(void *ctx, __u64 addr, __u64 *val);

/*
 * The row covering pc among rows[lo .. hi), whose answer is known to lie
 * in rows[lo - 1 .. hi - 1]: the last row whose pc is at most pc, or NULL.
 */
static inline const struct hrprof_cfi_row *hrprof_cfi_search(const struct hrprof_cfi_row *rows,
							     __u32 lo, __u32 hi, __u64 pc)
{
	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (rows[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &rows[lo - 1] : 0;
}

/* The row covering pc (an offset from the table's base), or NULL. */
static inline const struct hrprof_cfi_row *hrprof_cfi_lookup(const struct hrprof_cfi_row *rows,
							     __u32 nrows, __u64 pc)
{
	return pc > 0xffffffffULL ? 0 : hrprof_cfi_search(rows, 0, nrows, pc);
}

/*
 * A block index over a table's rows, as the kernel's ORC lookup table has:
 * the table's pc range, from its first row's pc, cut into blocks of
 * 1 << shift bytes, and first[b] the number of rows whose pc is below
 * block b's start (first[nblocks] is nrows). A pc's row is then searched
 * among its block's rows only: a few rows in one or two pages, not a
 * binary search whose first steps touch a page each across the whole
 * table. The shift is the smallest from HRPROF_CFI_BLOCK_SHIFT_MIN that
 * keeps nblocks within nrows / 4 + 1, so the index (4 bytes a block) costs
 * about a twelfth of the rows' memory (12 bytes a row) at most.
 */
#define HRPROF_CFI_BLOCK_SHIFT_MIN 8

/* The shift for rows[0 .. nrows) (nrows > 0, sorted); *nblocks its block count. */
static inline __u32 hrprof_cfi_index_shift(const struct hrprof_cfi_row *rows, __u32 nrows,
					   __u32 *nblocks)
{
	__u64 span = (__u64)rows[nrows - 1].pc - rows[0].pc;
	__u32 shift = HRPROF_CFI_BLOCK_SHIFT_MIN;

	while ((span >> shift) + 1 > nrows / 4 + 1)
		shift++;
	*nblocks = (__u32)(span >> shift) + 1;
	return shift;
}

/* Fills first[0 .. nblocks] for rows (sorted) and the shift above. */
static inline void hrprof_cfi_index_build(const struct hrprof_cfi_row *rows, __u32 nrows,
					  __u32 shift, __u32 *first, __u32 nblocks)
{
	__u32 i = 0;

	for (__u32 b = 0; b <= nblocks; b++) {
		while (i < nrows && ((__u64)(rows[i].pc - rows[0].pc) >> shift) < b)
			i++;
		first[b] = i;
	}
}

/* hrprof_cfi_lookup through the index. */
static inline const struct hrprof_cfi_row *
hrprof_cfi_lookup_indexed(const struct hrprof_cfi_row *rows, __u32 nrows, const __u32 *first,
			  __u32 nblocks, __u32 shift, __u64 pc)
{
	__u64 b;

	if (pc > 0xffffffffULL || pc < rows[0].pc)
		return 0;
	b = (pc - rows[0].pc) >> shift;
	if (b >= nblocks)
		return &rows[nrows - 1];
	return hrprof_cfi_search(rows, first[b], first[b + 1], pc);
}

/* The largest CFA offset a row may hold (a 16 MiB frame); the compiler
 * leaves larger ones to frame pointers (HRPROF_CFI_EXPR). */
#define HRPROF_CFA_OFF_MAX (1 << 24)

/*
 * Whether rows can be trusted by the step and the lookup: pcs strictly
 * increasing, known kinds and BP rules, offsets within bounds. The module
 * checks every table it is given with this.
 */
static inline bool hrprof_cfi_rows_ok(const struct hrprof_cfi_row *rows, __u32 nrows)
{
	for (__u32 i = 0; i < nrows; i++) {
		const struct hrprof_cfi_row *r = &rows[i];

		if (i && r->pc <= rows[i - 1].pc)
			return false;
		if (r->kind > HRPROF_CFI_EXPR || r->bp > HRPROF_BP_UNDEF)
			return false;
		if (r->cfa_off > HRPROF_CFA_OFF_MAX || r->cfa_off < -HRPROF_CFA_OFF_MAX)
			return false;
	}
	return true;
}

/* Offsets in a signal frame at the trampoline's SP (struct ucontext's
 * uc_mcontext, struct sigcontext in asm/sigcontext.h). */
#define HRPROF_SIGFRAME_BP 120
#define HRPROF_SIGFRAME_SP 160
#define HRPROF_SIGFRAME_IP 168

/*
 * One step from r (a frame) to its caller's, by row (NULL: by frame
 * pointers, the chain {saved BP, return address} at BP). A caller's SP must
 * be above the callee's: a step that does not climb is HRPROF_UW_BAD, so a
 * walk of bounded depth always ends.
 */
static inline int hrprof_unwind_step(const struct hrprof_cfi_row *row, struct hrprof_uregs *r,
				     hrprof_uw_read rd, void *ctx)
{
	unsigned int kind = row ? row->kind : HRPROF_CFI_NONE;
	__u64 cfa, ra, bp = r->bp;

	/* Most frames: SP, BP or PLT rows, told apart from the rest in one compare. */
	if (kind - HRPROF_CFI_SP <= HRPROF_CFI_PLT - HRPROF_CFI_SP) {
		if (kind == HRPROF_CFI_SP)
			cfa = r->sp + (__s64)row->cfa_off;
		else if (kind == HRPROF_CFI_BP)
			cfa = r->bp + (__s64)row->cfa_off;
		else
			cfa = r->sp + 8 + ((r->ip & 15) >= 11 ? 8 : 0);
		if (cfa <= r->sp)
			return HRPROF_UW_BAD;
		/*
		 * A save slot below SP was popped already (compilers do not
		 * mark the restore in epilogues): the register holds it. The
		 * slot is read before the return address above it: a reader
		 * that copies the stack a window at a time upwards from the
		 * first address it is asked for then needs one copy, not two.
		 */
		if (row->bp == HRPROF_BP_SAVED && cfa + (__s64)row->bp_off >= r->sp &&
		    !rd(ctx, cfa + (__s64)row->bp_off, &bp))
			return HRPROF_UW_BAD_READ;
		if (!rd(ctx, cfa - 8, &ra))
			return HRPROF_UW_BAD_READ;
		if (row->bp == HRPROF_BP_UNDEF)
			bp = 0;
	} else if (kind == HRPROF_CFI_END) {
		return HRPROF_UW_END;
	} else if (kind == HRPROF_CFI_SIGNAL) {
		/* The interrupted frame: its SP is the "caller's". */
		if (!rd(ctx, r->sp + HRPROF_SIGFRAME_BP, &bp) ||
		    !rd(ctx, r->sp + HRPROF_SIGFRAME_SP, &cfa) ||
		    !rd(ctx, r->sp + HRPROF_SIGFRAME_IP, &ra))
			return HRPROF_UW_BAD_READ;
		if (cfa <= r->sp)
			return HRPROF_UW_BAD;
	} else {
		/* No row, NONE or EXPR: frame pointers. */
		if (r->bp < r->sp || (r->bp & 7))
			return HRPROF_UW_BAD;
		if (!rd(ctx, r->bp, &bp) || !rd(ctx, r->bp + 8, &ra))
			return HRPROF_UW_BAD_READ;
		cfa = r->bp + 16;
		if (cfa <= r->sp)
			return HRPROF_UW_BAD;
	}
	r->ip = ra;
	r->sp = cfa;
	r->bp = bp;
	return ra ? HRPROF_UW_OK : HRPROF_UW_END;
}

#endif
