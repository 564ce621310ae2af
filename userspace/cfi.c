// SPDX-License-Identifier: GPL-2.0
/*
 * CFI tables (see cfi.h). Rows come from libdw's own evaluation of the CFI:
 * for an FDE starting at pc, dwarf_cfi_addrframe gives the row at pc and
 * dwarf_frame_info the range it covers; the next row starts where that one
 * ends. Each row's rules are read back as DWARF operations and classified.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"

#define DW_REG_BP 6
#define DW_REG_SP 7
#define DW_REG_RA 16

/* ---- .eh_frame_hdr: the sorted index of FDEs ---- */

/* Reads one pointer of encoding enc (DW_EH_PE_*) at *p, where at is *p's
 * address and data that of the section. False for what the index does not
 * use (indirect, aligned, omitted) or past end. */
static bool read_enc(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t at, uint64_t data,
		     uint64_t *out)
{
	size_t n;
	uint64_t v = 0;
	bool sign = false;

	switch (enc & 0x0f) {
	case 0x00: /* absptr */
		n = 8;
		break;
	case 0x02: /* udata2 */
	case 0x0a: /* sdata2 */
		n = 2;
		sign = enc & 0x08;
		break;
	case 0x03: /* udata4 */
	case 0x0b: /* sdata4 */
		n = 4;
		sign = enc & 0x08;
		break;
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		n = 8;
		break;
	default:
		return false;
	}
	if ((size_t)(end - *p) < n)
		return false;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	if (sign && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ULL << (8 * n);
	switch (enc & 0x70) {
	case 0x00:
		break;
	case 0x10: /* pcrel */
		v += at;
		break;
	case 0x30: /* datarel */
		v += data;
		break;
	default:
		return false;
	}
	*p += n;
	*out = v;
	return true;
}

/* The FDEs' start addresses from PT_GNU_EH_FRAME, in the index's order
 * (sorted). Returns the count, -ENOENT without an index, -EINVAL, -ENOMEM. */
static long fde_starts(Elf *elf, uint64_t **out)
{
	const uint8_t *p, *end, *base;
	uint64_t eh_frame, count, *v;
	Elf_Data *d = NULL;
	GElf_Phdr ph;
	size_t nph;

	*out = NULL;
	if (elf_getphdrnum(elf, &nph))
		return -ENOENT;
	for (size_t i = 0; i < nph && !d; i++) {
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_GNU_EH_FRAME)
			d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
						 ELF_T_BYTE);
	}
	if (!d || !d->d_buf || d->d_size < 4)
		return -ENOENT;
	base = p = d->d_buf;
	end = base + d->d_size;
	if (p[0] != 1)
		return -EINVAL;
	p += 4;
	if (!read_enc(&p, end, base[1], ph.p_vaddr + 4, ph.p_vaddr, &eh_frame) ||
	    !read_enc(&p, end, base[2], ph.p_vaddr + (uint64_t)(p - base), ph.p_vaddr, &count))
		return -EINVAL;
	if (count > CFI_ROWS_MAX || count > (uint64_t)(end - p) / 2)
		return -EINVAL;
	v = malloc((count ? count : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t fde;

		if (!read_enc(&p, end, base[3], ph.p_vaddr + (uint64_t)(p - base), ph.p_vaddr,
			      &v[i]) ||
		    !read_enc(&p, end, base[3], ph.p_vaddr + (uint64_t)(p - base), ph.p_vaddr,
			      &fde)) {
			free(v);
			return -EINVAL;
		}
	}
	*out = v;
	return (long)count;
}

/* ---- one row ---- */

/* ops is [DW_OP_call_frame_cfa] or [DW_OP_call_frame_cfa, DW_OP_plus_uconst
 * N] (N as libdw gives it: a two's complement offset): the location
 * CFA + N. */
static bool cfa_offset_loc(const Dwarf_Op *ops, size_t n, int64_t *off)
{
	if (n < 1 || n > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (n == 1) {
		*off = 0;
		return true;
	}
	if (ops[1].atom != DW_OP_plus_uconst && ops[1].atom != DW_OP_consts)
		return false;
	*off = (int64_t)ops[1].number;
	return true;
}

/* The lazy-binding PLT's CFA: RSP + 8 + ((RIP & 15) >= 11) << 3. */
static bool is_plt_expr(const Dwarf_Op *ops, size_t n)
{
	static const uint8_t want[] = {DW_OP_breg7, DW_OP_breg16, DW_OP_lit15,
				       DW_OP_and,   DW_OP_lit11,  DW_OP_ge,
				       DW_OP_lit3,  DW_OP_shl,	  DW_OP_plus};

	if (n != sizeof(want))
		return false;
	for (size_t i = 0; i < n; i++)
		if (ops[i].atom != want[i])
			return false;
	return ops[0].number == 8 && ops[1].number == 0;
}

static void classify(Dwarf_Frame *f, bool signal, struct hrprof_cfi_row *row, struct cfi_counts *c)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	int64_t off;

	row->kind = HRPROF_CFI_EXPR;
	row->bp = HRPROF_BP_UNDEF;
	row->bp_off = 0;
	row->cfa_off = 0;
	if (signal) {
		row->kind = HRPROF_CFI_SIGNAL;
		c->signal++;
		return;
	}
	if (dwarf_frame_register(f, DW_REG_RA, mem, &ops, &n) == 0) {
		if (n == 0 && ops == mem) {
			row->kind = HRPROF_CFI_END;
			return;
		}
		if (!cfa_offset_loc(ops, n, &off) || off != -8)
			goto expr;
	} else {
		goto expr;
	}
	if (dwarf_frame_cfa(f, &ops, &n) != 0)
		goto expr;
	if (n == 1 && ops[0].atom == DW_OP_bregx &&
	    (ops[0].number == DW_REG_SP || ops[0].number == DW_REG_BP) &&
	    (int64_t)ops[0].number2 >= INT32_MIN && (int64_t)ops[0].number2 <= INT32_MAX) {
		row->kind = ops[0].number == DW_REG_SP ? HRPROF_CFI_SP : HRPROF_CFI_BP;
		row->cfa_off = (int32_t)ops[0].number2;
	} else if (n == 1 && (ops[0].atom == DW_OP_breg7 || ops[0].atom == DW_OP_breg6) &&
		   (int64_t)ops[0].number >= INT32_MIN && (int64_t)ops[0].number <= INT32_MAX) {
		row->kind = ops[0].atom == DW_OP_breg7 ? HRPROF_CFI_SP : HRPROF_CFI_BP;
		row->cfa_off = (int32_t)ops[0].number;
	} else if (is_plt_expr(ops, n)) {
		row->kind = HRPROF_CFI_PLT;
		c->plt++;
	} else {
		goto expr;
	}
	if (dwarf_frame_register(f, DW_REG_BP, mem, &ops, &n) == 0) {
		if (n == 0 && ops == NULL)
			row->bp = HRPROF_BP_SAME;
		else if (cfa_offset_loc(ops, n, &off) && off >= INT16_MIN && off <= INT16_MAX) {
			row->bp = HRPROF_BP_SAVED;
			row->bp_off = (int16_t)off;
		}
	}
	return;
expr:
	row->kind = HRPROF_CFI_EXPR;
	c->expr++;
}

/* ---- the table ---- */

static int push(struct cfi_table *t, size_t *cap, const struct hrprof_cfi_row *row)
{
	struct hrprof_cfi_row *last = t->nrows ? &t->rows[t->nrows - 1] : NULL;

	if (last && last->kind == row->kind && last->bp == row->bp && last->bp_off == row->bp_off &&
	    last->cfa_off == row->cfa_off)
		return 0; /* the same rule goes on */
	if (last && last->pc == row->pc) {
		*last = *row; /* an empty range: the later row wins */
		return 0;
	}
	if (t->nrows == *cap) {
		size_t n = *cap ? *cap * 2 : 1024;
		struct hrprof_cfi_row *r;

		if (n > CFI_ROWS_MAX)
			return -EINVAL;
		r = realloc(t->rows, n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->rows = r;
		*cap = n;
	}
	t->rows[t->nrows++] = *row;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int cfi_compile(Elf *elf, struct cfi_table *t)
{
	uint64_t *starts, pc = 0;
	Dwarf_CFI *cfi;
	size_t cap = 0;
	long n;
	int err = 0;

	memset(t, 0, sizeof(*t));
	n = fde_starts(elf, &starts);
	if (n < 0)
		return (int)n;
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		free(starts);
		return -ENOENT;
	}
	qsort(starts, (size_t)n, sizeof(*starts), cmp_u64);
	t->counts.fdes = (uint32_t)n;
	for (long i = 0; i < n && !err; i++) {
		struct hrprof_cfi_row row;
		unsigned int rows = 0;

		if (starts[i] < pc || starts[i] > UINT32_MAX)
			continue; /* covered already, or beyond what rows hold */
		pc = starts[i];
		/* Row by row through the FDE (and any that follows it at once). */
		while (pc <= UINT32_MAX && rows++ < 65536) {
			Dwarf_Addr start, end;
			Dwarf_Frame *f;
			bool signal;

			if (dwarf_cfi_addrframe(cfi, pc, &f) != 0)
				break;
			if (dwarf_frame_info(f, &start, &end, &signal) < 0 || end <= pc) {
				free(f);
				break;
			}
			classify(f, signal, &row, &t->counts);
			free(f);
			row.pc = (uint32_t)pc;
			err = push(t, &cap, &row);
			if (err)
				break;
			pc = end;
		}
		/* Where the FDE ends, nothing is known until the next one. */
		row = (struct hrprof_cfi_row){.pc = (uint32_t)(pc <= UINT32_MAX ? pc : UINT32_MAX),
					      .kind = HRPROF_CFI_NONE};
		if (!err)
			err = push(t, &cap, &row);
	}
	dwarf_cfi_end(cfi);
	free(starts);
	t->counts.rows = t->nrows;
	return err;
}

void cfi_table__free(struct cfi_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
