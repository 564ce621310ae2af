// SPDX-License-Identifier: GPL-2.0
/*
 * CFI tables (see cfi.h). Rows come from libdw's own evaluation of the CFI:
 * for an FDE starting at pc, dwarf_cfi_addrframe gives the row at pc and
 * dwarf_frame_info the range it covers; the next row starts where that one
 * ends. Each row's rules are read back as DWARF operations and classified.
 * An object's .eh_frame (FDEs from .eh_frame_hdr's index) and its
 * .debug_frame (FDEs read one by one; its own or its debug file's) are
 * compiled apart and merged, .eh_frame first.
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
/* Register numbers above this are refused: libdw sizes a frame's rules by
 * the largest register named, so one CFA instruction naming register
 * 88,000,000 costs 2 GiB (found by fuzzing). x86-64 uses fewer than 130. */
#define CFI_REG_MAX 1024

static bool cfi_section_sane(Elf *elf, Elf_Data *data, bool eh);
static Elf_Scn *section_named(Elf *elf, const char *want);

/* ---- .eh_frame_hdr: the sorted index of FDEs ---- */

/* Reads one pointer of encoding enc (DW_EH_PE_*) at *p, where at is *p's
 * address and data that of the section. False for what the index does not
 * use (indirect, aligned, omitted) or past end. */
/* Bytes of a fixed-size pointer of encoding enc (absptr: asize bytes); 0
 * for the LEB128 ones, -1 for an unknown size. */
static int enc_size(uint8_t enc, size_t asize)
{
	switch (enc & 0x0f) {
	case 0x00: /* absptr */
		return (int)asize;
	case 0x01: /* uleb128 */
	case 0x09: /* sleb128 */
		return 0;
	case 0x02: /* udata2 */
	case 0x0a: /* sdata2 */
		return 2;
	case 0x03: /* udata4 */
	case 0x0b: /* sdata4 */
		return 4;
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		return 8;
	default:
		return -1;
	}
}

/* Reads one pointer of encoding enc (DW_EH_PE_*) at *p, where at is *p's
 * address and data that of the section. False for what the index does not
 * use (LEB128, indirect, aligned, omitted) or past end. */
static bool read_enc(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t at, uint64_t data,
		     uint64_t *out)
{
	int size = enc_size(enc, 8);
	size_t n = size > 0 ? (size_t)size : 0;
	uint64_t v = 0;
	bool sign = (enc & 0x08) && n < 8;

	if (!n || (size_t)(end - *p) < n)
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

/* ---- .debug_frame: no index, so its FDEs are read one by one ---- */

static Elf_Scn *section_named(Elf *elf, const char *want)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* An address of the object's size at p (its byte order). */
static uint64_t read_addr(const uint8_t *p, size_t size, bool msb)
{
	uint64_t v = 0;

	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)p[msb ? size - 1 - i : i] << (8 * i);
	return v;
}

/* Reads a LEB128 at *p (before end): false past end or past 64 bits. */
static bool read_leb(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * Whether the CFA instructions [p, end) name only registers up to
 * CFI_REG_MAX and decode to their end. Operands are walked, not
 * interpreted (libdw interprets): the register ones checked, the others
 * skipped. DW_CFA_set_loc (its size depends on the augmentation; no
 * toolchain emits it) and unknown opcodes fail.
 */
static bool cfa_insns_sane(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		uint8_t op = *p++, high = op & 0xc0;
		uint64_t reg = 0, n;
		int regs = 0, ulebs = 0, block = 0, fixed = 0;

		if (high == 0x40) /* advance_loc */
			continue;
		if (high == 0x80) { /* offset: reg in the opcode, then a ULEB */
			if (!read_leb(&p, end, &n))
				return false;
			continue;
		}
		if (high == 0xc0) /* restore: reg in the opcode */
			continue;
		switch (op) {
		case DW_CFA_nop:
		case DW_CFA_remember_state:
		case DW_CFA_restore_state:
			break;
		case DW_CFA_advance_loc1:
			fixed = 1;
			break;
		case DW_CFA_advance_loc2:
			fixed = 2;
			break;
		case DW_CFA_advance_loc4:
			fixed = 4;
			break;
		case DW_CFA_offset_extended:
		case DW_CFA_register:
		case DW_CFA_def_cfa:
		case DW_CFA_offset_extended_sf:
		case DW_CFA_def_cfa_sf:
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
		case DW_CFA_GNU_negative_offset_extended:
			regs = 1;
			ulebs = 1; /* the register's operand; DW_CFA_register's is a register */
			break;
		case DW_CFA_restore_extended:
		case DW_CFA_undefined:
		case DW_CFA_same_value:
		case DW_CFA_def_cfa_register:
			regs = 1;
			break;
		case DW_CFA_def_cfa_offset:
		case DW_CFA_def_cfa_offset_sf:
		case DW_CFA_GNU_args_size:
			ulebs = 1;
			break;
		case DW_CFA_def_cfa_expression:
			block = 1;
			break;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			regs = 1;
			block = 1;
			break;
		default:
			return false;
		}
		if ((size_t)(end - p) < (size_t)fixed)
			return false;
		p += fixed;
		if (regs && (!read_leb(&p, end, &reg) || reg > CFI_REG_MAX))
			return false;
		if (op == DW_CFA_register && (!read_leb(&p, end, &reg) || reg > CFI_REG_MAX))
			return false;
		if (ulebs && op != DW_CFA_register && !read_leb(&p, end, &n))
			return false;
		if (block) {
			if (!read_leb(&p, end, &n) || n > (uint64_t)(end - p))
				return false;
			p += n;
		}
	}
	return true;
}

/* Skips a pointer of encoding enc at *p; false when unknown or past end. */
static bool skip_enc(const uint8_t **p, const uint8_t *end, uint8_t enc, size_t asize)
{
	int n = enc == 0xff ? -2 : enc_size(enc, asize); /* 0xff: omitted */
	uint64_t v;

	if (n == -2)
		return true;
	if (n == 0)
		return read_leb(p, end, &v);
	if (n < 0 || end - *p < n)
		return false;
	*p += n;
	return true;
}

/* What an FDE needs of its CIE to find its instructions. */
struct cie_info {
	Dwarf_Off off;
	uint8_t fde_enc; /* of initial_location and address_range */
	bool z;		 /* augmentation data sized by a ULEB */
};

/* A CIE's FDE pointer encoding, from its augmentation ("zPLR"...). */
static bool cie_info(const Dwarf_CIE *c, size_t asize, struct cie_info *out)
{
	const uint8_t *d = c->augmentation_data, *end;
	const char *a = c->augmentation;

	out->fde_enc = 0; /* absptr */
	out->z = a && a[0] == 'z';
	if (!a || !*a)
		return true;
	if (!out->z || !d)
		return false;
	end = d + c->augmentation_data_size;
	for (a++; *a; a++) {
		switch (*a) {
		case 'R':
			if (d >= end)
				return false;
			out->fde_enc = *d++;
			break;
		case 'L':
			if (d++ >= end)
				return false;
			break;
		case 'P': {
			uint8_t enc;

			if (d >= end)
				return false;
			enc = *d++;
			if (!skip_enc(&d, end, enc, asize))
				return false;
			break;
		}
		case 'S':
		case 'B':
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Every CIE's and FDE's instructions in a .eh_frame (eh) or .debug_frame
 * section pass cfa_insns_sane, and the section decodes to its end. */
static bool cfi_section_sane(Elf *elf, Elf_Data *data, bool eh)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	struct cie_info *cies = NULL, ci;
	size_t ncies = 0, cap = 0, asize;
	Dwarf_Off off, next;
	Dwarf_CFI_Entry e;
	bool ok = true;
	int rc;

	if (!ident)
		return false;
	asize = ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
	/* the CIEs first: an FDE may name one that comes after it */
	for (off = 0; (rc = dwarf_next_cfi(ident, data, eh, off, &next, &e)) == 0 && next > off;
	     off = next) {
		if (!dwarf_cfi_cie_p(&e))
			continue;
		if (!cfa_insns_sane(e.cie.initial_instructions, e.cie.initial_instructions_end) ||
		    !cie_info(&e.cie, asize, &ci)) {
			ok = false;
			break;
		}
		if (ncies == cap) {
			struct cie_info *p = realloc(cies, (cap = cap ? cap * 2 : 16) * sizeof(*p));

			if (!p) {
				ok = false;
				break;
			}
			cies = p;
		}
		ci.off = off;
		cies[ncies++] = ci;
	}
	ok = ok && rc >= 0;
	for (off = 0;
	     ok && (rc = dwarf_next_cfi(ident, data, eh, off, &next, &e)) == 0 && next > off;
	     off = next) {
		const uint8_t *p = e.fde.start, *end = e.fde.end;
		const struct cie_info *c = NULL;
		uint64_t n;

		if (dwarf_cfi_cie_p(&e))
			continue;
		for (size_t i = 0; i < ncies && !c; i++)
			if (cies[i].off == e.fde.CIE_pointer)
				c = &cies[i];
		ok = c && skip_enc(&p, end, c->fde_enc & 0x0f, asize) &&
		     skip_enc(&p, end, c->fde_enc & 0x0f, asize);
		if (ok && c->z)
			ok = read_leb(&p, end, &n) && n <= (uint64_t)(end - p) && ((p += n), true);
		ok = ok && cfa_insns_sane(p, end);
	}
	free(cies);
	return ok && rc >= 0;
}

/* The FDEs' start addresses in .debug_frame (data), unsorted: each FDE's
 * initial location is a plain address. Returns the count, -EINVAL when
 * the section is malformed before any FDE, -ENOMEM. */
static long debug_frame_starts(Elf *elf, Elf_Data *data, uint64_t **out)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	size_t asize, n = 0, cap = 0;
	Dwarf_Off off = 0, next;
	uint64_t *v = NULL;
	Dwarf_CFI_Entry e;
	bool msb;
	int rc;

	*out = NULL;
	if (!ident)
		return -EINVAL;
	asize = ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
	msb = ident[EI_DATA] == ELFDATA2MSB;
	while ((rc = dwarf_next_cfi(ident, data, false, off, &next, &e)) == 0 && next > off) {
		off = next;
		if (dwarf_cfi_cie_p(&e) || e.fde.end < e.fde.start ||
		    (size_t)(e.fde.end - e.fde.start) < 2 * asize ||
		    !read_addr(e.fde.start + asize, asize, msb))
			continue; /* a CIE, or an FDE covering nothing */
		if (n == cap) {
			size_t c = cap ? cap * 2 : 256;
			uint64_t *nv;

			if (c > CFI_ROWS_MAX)
				break;
			nv = realloc(v, c * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = c;
		}
		v[n++] = read_addr(e.fde.start, asize, msb);
	}
	if (rc < 0 && !n) {
		free(v);
		return -EINVAL;
	}
	*out = v;
	return (long)n;
}

bool cfi_has_debug_frame(Elf *elf)
{
	return section_named(elf, ".debug_frame") != NULL;
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
