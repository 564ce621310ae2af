// SPDX-License-Identifier: GPL-2.0
/*
 * CFI tables (unwind.h): rows, and their merging; cfi_sections.c finds the
 * FDEs and checks the sections' bytes. Rows come from libdw's own
 * evaluation of the CFI: for an FDE starting at pc, dwarf_cfi_addrframe
 * gives the row at pc and dwarf_frame_info the range it covers; the next
 * row starts where that one ends. Each row's rules are read back as DWARF operations and
 * classified. An object's .eh_frame (FDEs from .eh_frame_hdr's index) and its .debug_frame (FDEs
 * read one by one; its own or its debug file's) are compiled apart and merged, .eh_frame first.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "unwind.h"

#define DW_REG_BP 6
#define DW_REG_SP 7
#define DW_REG_RA 16

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
	    (int64_t)ops[0].number2 >= -HRPROF_CFA_OFF_MAX &&
	    (int64_t)ops[0].number2 <= HRPROF_CFA_OFF_MAX) {
		row->kind = ops[0].number == DW_REG_SP ? HRPROF_CFI_SP : HRPROF_CFI_BP;
		row->cfa_off = (int32_t)ops[0].number2;
	} else if (n == 1 && (ops[0].atom == DW_OP_breg7 || ops[0].atom == DW_OP_breg6) &&
		   (int64_t)ops[0].number >= -HRPROF_CFA_OFF_MAX &&
		   (int64_t)ops[0].number <= HRPROF_CFA_OFF_MAX) {
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

/* Compiles the FDEs starting at starts (sorted) from cfi into t. */
static int compile_fdes(Dwarf_CFI *cfi, const uint64_t *starts, size_t n, struct cfi_table *t)
{
	uint64_t pc = 0;
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
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
	t->counts.rows = t->nrows;
	return err;
}

/* .eh_frame, its FDEs found through .eh_frame_hdr. */
static int compile_eh_frame(Elf *elf, struct cfi_table *t)
{
	uint64_t *starts;
	Dwarf_CFI *cfi;
	long n;
	int err;

	n = fde_starts(elf, &starts);
	if (n < 0)
		return (int)n;
	{
		Elf_Scn *scn = section_named(elf, ".eh_frame");
		Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;

		/* its instructions are checked first; without its section, it
		 * cannot be: frame pointers then */
		if (!data || !cfi_section_sane(elf, data, true)) {
			free(starts);
			return -EINVAL;
		}
	}
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		free(starts);
		return -ENOENT;
	}
	qsort(starts, (size_t)n, sizeof(*starts), cmp_u64);
	t->counts.fdes = (uint32_t)n;
	err = compile_fdes(cfi, starts, (size_t)n, t);
	dwarf_cfi_end(cfi);
	free(starts);
	return err;
}

/* elf's .debug_frame, when it has one. */
static int compile_debug_frame(Elf *elf, struct cfi_table *t)
{
	Elf_Scn *scn = section_named(elf, ".debug_frame");
	uint64_t *starts;
	Elf_Data *data;
	Dwarf_CFI *cfi;
	GElf_Shdr sh;
	Dwarf *dw;
	long n;
	int err;

	if (!scn || !gelf_getshdr(scn, &sh))
		return -ENOENT;
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return -EINVAL;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || !data->d_size)
		return -ENOENT;
	if (!cfi_section_sane(elf, data, false))
		return -EINVAL;
	n = debug_frame_starts(elf, data, &starts);
	if (n <= 0)
		return n ? (int)n : -ENOENT;
	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	cfi = dw ? dwarf_getcfi(dw) : NULL; /* owned by dw */
	if (!cfi) {
		if (dw)
			dwarf_end(dw);
		free(starts);
		return -EINVAL;
	}
	qsort(starts, (size_t)n, sizeof(*starts), cmp_u64);
	t->counts.fdes = (uint32_t)n;
	t->counts.debug_fdes = (uint32_t)n;
	err = compile_fdes(cfi, starts, (size_t)n, t);
	dwarf_end(dw);
	free(starts);
	return err;
}

/* a where it has a rule, else b: the rows of both, merged. */
static int merge(const struct cfi_table *a, const struct cfi_table *b, struct cfi_table *out)
{
	size_t i = 0, j = 0, cap = 0;
	int err = 0;

	while (!err && (i < a->nrows || j < b->nrows)) {
		const struct hrprof_cfi_row *ra, *rb;
		struct hrprof_cfi_row row = {.kind = HRPROF_CFI_NONE};
		uint32_t pc;

		if (j >= b->nrows || (i < a->nrows && a->rows[i].pc <= b->rows[j].pc))
			pc = a->rows[i].pc;
		else
			pc = b->rows[j].pc;
		while (i < a->nrows && a->rows[i].pc <= pc)
			i++;
		while (j < b->nrows && b->rows[j].pc <= pc)
			j++;
		ra = i ? &a->rows[i - 1] : NULL; /* the rows in force at pc */
		rb = j ? &b->rows[j - 1] : NULL;
		if (ra && ra->kind != HRPROF_CFI_NONE)
			row = *ra;
		else if (rb)
			row = *rb;
		row.pc = pc;
		err = push(out, &cap, &row);
	}
	out->counts = a->counts;
	out->counts.fdes += b->counts.fdes;
	out->counts.debug_fdes += b->counts.debug_fdes;
	out->counts.expr += b->counts.expr;
	out->counts.signal += b->counts.signal;
	out->counts.plt += b->counts.plt;
	out->counts.rows = out->nrows;
	return err;
}

/*
 * A return into the first ENTRY_BYTES of the object's entry point, where no
 * FDE covers it, is the outermost frame: ld.so's entry calls _dl_start,
 * then _dl_init, and has no CFI to say the frame below is the stack the
 * kernel made for the process. Such ranges get END rows.
 */
#define ENTRY_BYTES 64

static int mark_entry(Elf *elf, struct cfi_table *t)
{
	struct cfi_table e = {0}, m = {0};
	struct hrprof_cfi_row row = {.kind = HRPROF_CFI_END};
	size_t cap = 0;
	GElf_Ehdr eh;
	int err;

	if (!t->nrows || !gelf_getehdr(elf, &eh) || !eh.e_entry ||
	    eh.e_entry > UINT32_MAX - ENTRY_BYTES || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		return 0;
	row.pc = (uint32_t)eh.e_entry;
	err = push(&e, &cap, &row);
	row = (struct hrprof_cfi_row){.pc = row.pc + ENTRY_BYTES, .kind = HRPROF_CFI_NONE};
	if (!err)
		err = push(&e, &cap, &row);
	if (!err)
		err = merge(t, &e, &m);
	cfi_table__free(&e);
	if (err) {
		cfi_table__free(&m);
		return err;
	}
	cfi_table__free(t);
	*t = m;
	return 0;
}

/* .eh_frame and .debug_frame, compiled and merged (see cfi.h). */
static int compile_both(Elf *elf, Elf *debug, struct cfi_table *t)
{
	struct cfi_table eh = {0}, df = {0};
	int e1, e2, err;

	e1 = compile_eh_frame(elf, &eh);
	if (e1 == -ENOMEM)
		goto out;
	e2 = compile_debug_frame(elf, &df);
	if (e2 == -ENOENT && debug) {
		cfi_table__free(&df);
		e2 = compile_debug_frame(debug, &df);
	}
	if (!df.nrows) {
		*t = eh;
		cfi_table__free(&df);
		return e1 == -ENOENT && e2 != -ENOENT ? e2 : e1;
	}
	if (!eh.nrows) {
		*t = df;
		cfi_table__free(&eh);
		return e2 == -ENOENT ? e1 : e2;
	}
	err = merge(&eh, &df, t);
	if (err) {
		cfi_table__free(t);
		e1 = err;
		goto out;
	}
	cfi_table__free(&eh);
	cfi_table__free(&df);
	return e1 ? e1 : e2 == -ENOENT ? 0 : e2;
out:
	cfi_table__free(&eh);
	cfi_table__free(&df);
	return e1;
}

int cfi_compile(Elf *elf, Elf *debug, struct cfi_table *t)
{
	int err, e;

	memset(t, 0, sizeof(*t));
	err = compile_both(elf, debug, t);
	if (err == -ENOMEM)
		return err;
	e = mark_entry(elf, t);
	return e ? e : err;
}

void cfi_table__free(struct cfi_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
