// SPDX-License-Identifier: GPL-2.0
/*
 * The CFI sections' bytes, before libdw evaluates them: the FDEs' start
 * addresses from .eh_frame_hdr's sorted index, or from .debug_frame read
 * entry by entry (it has no index), and every CIE's and FDE's instructions
 * checked (input is untrusted; libdw trusts it).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "unwind.h"
#include "base/util.h"

/* Register numbers above this are refused: libdw sizes a frame's rules by
 * the largest register named, so one CFA instruction naming register
 * 88,000,000 costs 2 GiB (found by fuzzing). x86-64 uses fewer than 130. */
#define CFI_REG_MAX 1024

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
long fde_starts(Elf *elf, uint64_t **out)
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

/* ---- .debug_frame: no index, so its FDEs are read one by one ---- */

/* elf's section named want, or NULL. */
Elf_Scn *section_named(Elf *elf, const char *want)
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
bool cfi_section_sane(Elf *elf, Elf_Data *data, bool eh)
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
		if (array__reserve(&cies, &cap, ncies + 1, sizeof(*cies))) {
			ok = false;
			break;
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
long debug_frame_starts(Elf *elf, Elf_Data *data, uint64_t **out)
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
