// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF source file names: opened on the first lookup that wants one; each
 * compile unit's subprograms are scanned once, on the first lookup in it,
 * with bounds on units, ranges, depth and DIEs visited (input is untrusted).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

#include "sym_elf.h"

#define DWARF_UNITS_MAX	 (1u << 20)
#define DWARF_RANGES_MAX (1u << 16) /* per DIE */
#define DWARF_SCAN_MAX	 (1u << 22) /* DIEs visited per compile unit */
#define DWARF_DEPTH_MAX	 16

static int dw_range_cmp(const void *a, const void *b)
{
	const struct dw_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static bool sym_elf__dw_add_range(struct sym_elf *e, size_t *cap, uint64_t lo, uint64_t hi)
{
	if (e->nranges == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct dw_range *r = realloc(e->ranges, n * sizeof(*r));

		if (!r)
			return false;
		e->ranges = r;
		*cap = n;
	}
	e->ranges[e->nranges].lo = lo;
	e->ranges[e->nranges].hi = hi;
	e->ranges[e->nranges].cu = e->ncus - 1;
	e->nranges++;
	return true;
}

static bool sym_elf__dw_open(struct sym_elf *e)
{
	size_t cus_cap = 0, ranges_cap = 0, units = 0;
	Dwarf_CU *cu = NULL;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die die;

	if (e->dw_state)
		return e->dw_state > 0;
	e->dw_state = -1;
	if (!e->dw_elf)
		return false;
	e->dw = dwarf_begin_elf(e->dw_elf, DWARF_C_READ, NULL);
	if (!e->dw)
		return false;
	while (units++ < DWARF_UNITS_MAX &&
	       dwarf_get_units(e->dw, cu, &cu, &version, &type, &die, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		size_t nr = 0;

		if (type != DW_UT_compile && type != DW_UT_skeleton)
			continue;
		if (e->ncus == cus_cap) {
			size_t n = cus_cap ? cus_cap * 2 : 64;
			struct dw_cu *p = realloc(e->cus, n * sizeof(*p));

			if (!p)
				return false;
			e->cus = p;
			cus_cap = n;
		}
		e->cus[e->ncus].die = die;
		e->cus[e->ncus].scanned = false;
		e->ncus++;
		while (nr++ < DWARF_RANGES_MAX &&
		       (off = dwarf_ranges(&die, off, &base, &lo, &hi)) > 0)
			if (hi > lo && !sym_elf__dw_add_range(e, &ranges_cap, lo, hi))
				return false;
	}
	if (e->nranges)
		qsort(e->ranges, e->nranges, sizeof(*e->ranges), dw_range_cmp);
	e->dw_state = 1;
	return true;
}

static struct dw_cu *sym_elf__dw_cu(struct sym_elf *e, uint64_t addr)
{
	size_t lo = 0, hi = e->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->ranges[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < SYM_BACKTRACK && k < lo; k++)
		if (addr < e->ranges[lo - 1 - k].hi)
			return &e->cus[e->ranges[lo - 1 - k].cu];
	return NULL;
}

static struct esym *sym_elf__at(struct sym_elf *e, uint64_t addr)
{
	size_t lo = 0, hi = e->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].addr == addr)
			return &e->syms[mid];
		if (e->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Gives every symbol that starts a range of a subprogram its declaration file. */
static void sym_elf__dw_subprogram(struct sym_elf *e, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	const char *file = NULL;
	bool looked = false;
	ptrdiff_t off = 0;
	size_t nr = 0;

	while (nr++ < DWARF_RANGES_MAX && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		struct esym *s = sym_elf__at(e, lo);

		if (!s || (s->flags & ESYM_FILE))
			continue;
		if (!looked) {
			file = dwarf_decl_file(die);
			looked = true;
		}
		if (!file)
			return;
		s->file = file;
		s->flags |= ESYM_FILE;
	}
}

static void sym_elf__dw_scan(struct sym_elf *e, Dwarf_Die *parent, int depth, size_t *budget)
{
	Dwarf_Die child;

	if (depth > DWARF_DEPTH_MAX || dwarf_child(parent, &child) != 0)
		return;
	do {
		int tag;

		if (!*budget)
			return;
		(*budget)--;
		tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram)
			sym_elf__dw_subprogram(e, &child);
		else if (tag == DW_TAG_namespace || tag == DW_TAG_module)
			sym_elf__dw_scan(e, &child, depth + 1, budget);
	} while (dwarf_siblingof(&child, &child) == 0);
}

const char *sym_dwarf__file(struct sym_elf *e, struct esym *s)
{
	struct dw_cu *cu;
	Dwarf_Line *line;
	const char *file;

	if (s->flags & ESYM_FILE)
		return s->file;
	if (!sym_elf__dw_open(e) || !(cu = sym_elf__dw_cu(e, s->addr))) {
		s->flags |= ESYM_FILE;
		return NULL;
	}
	if (!cu->scanned) {
		size_t budget = DWARF_SCAN_MAX;

		cu->scanned = true;
		sym_elf__dw_scan(e, &cu->die, 0, &budget);
		if (s->flags & ESYM_FILE)
			return s->file;
	}
	/* no subprogram starts here (assembly, odd DWARF): the line table, then the CU */
	line = dwarf_getsrc_die(&cu->die, s->addr);
	file = line ? dwarf_linesrc(line, NULL, NULL) : NULL;
	if (!file)
		file = dwarf_diename(&cu->die);
	s->file = file;
	s->flags |= ESYM_FILE;
	return file;
}
