// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF: source files, lines and inlined calls. Opened on the first lookup
 * that wants one; each compile unit's subprograms are scanned once, on the
 * first lookup in it (their ranges kept, sorted, for the inlined calls), with
 * bounds on units, ranges, depth and DIEs visited (input is untrusted).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#include "sym_elf.h"
#include "base/util.h"

#define DWARF_UNITS_MAX	  (1u << 20)
#define DWARF_RANGES_MAX  (1u << 16) /* per DIE */
#define DWARF_SCAN_MAX	  (1u << 22) /* DIEs visited per compile unit */
#define DWARF_DEPTH_MAX	  16
#define DWARF_SUBS_MAX	  (1u << 24) /* subprogram ranges kept per file */
#define DWARF_INLINE_DIES (1u << 16) /* DIEs visited finding one address's inlines */

static int dw_range_cmp(const void *a, const void *b)
{
	const struct dw_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static bool sym_elf__dw_add_range(struct sym_elf *e, size_t *cap, uint64_t lo, uint64_t hi)
{
	if (array__reserve(&e->ranges, cap, e->nranges + 1, sizeof(*e->ranges)))
		return false;
	e->ranges[e->nranges].lo = lo;
	e->ranges[e->nranges].hi = hi;
	e->ranges[e->nranges].cu = e->ncus - 1;
	e->nranges++;
	return true;
}

/* Tries path as e's dwz file: its build id must be the one linked. */
static bool sym_elf__dw_try_alt(struct sym_elf *e, const char *path, const void *id, size_t idlen)
{
	struct elf_file f;
	const void *got;

	if (elf_file__open(&f, path) < 0)
		return false;
	if (dwelf_elf_gnu_build_id(f.elf, &got) != (ssize_t)idlen || memcmp(got, id, idlen)) {
		elf_file__close(&f);
		return false;
	}
	e->alt_elf = elf_file__keep(&f);
	e->dw_alt = dwarf_begin_elf(e->alt_elf, DWARF_C_READ, NULL);
	if (!e->dw_alt) {
		elf_end(e->alt_elf);
		e->alt_elf = NULL;
		return false;
	}
	dwarf_setalt(e->dw, e->dw_alt);
	log_debug("sym: dwz file %s", path);
	return true;
}

/* Debug files that dwz shrank (Debian's dbgsym packages) hold some DIEs in a
 * file shared by several (.gnu_debugaltlink: its path and build id): found
 * by build id under the debug directory, else by that path. */
static void sym_elf__dw_alt(struct sym_elf *e)
{
	const char *name;
	const void *id;
	ssize_t n = dwelf_dwarf_gnu_debugaltlink(e->dw, &name, &id);
	char hex[2 * BUILD_ID_MAX + 1], path[PATH_MAX];
	int len;

	if (n <= 1 || n > BUILD_ID_MAX)
		return;
	bytes_hex(id, (size_t)n, hex);
	len =
	    snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", e->debug_dir, hex, hex + 2);
	if (len > 0 && (size_t)len < sizeof(path) && sym_elf__dw_try_alt(e, path, id, (size_t)n))
		return;
	if (name[0] == '/' && sym_elf__dw_try_alt(e, name, id, (size_t)n))
		return;
	log_debug("sym: dwz file %s not found: some inlined functions go unnamed", name);
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
	sym_elf__dw_alt(e);
	while (units++ < DWARF_UNITS_MAX &&
	       dwarf_get_units(e->dw, cu, &cu, &version, &type, &die, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		size_t nr = 0;

		if (type != DW_UT_compile && type != DW_UT_skeleton)
			continue;
		if (array__reserve(&e->cus, &cus_cap, e->ncus + 1, sizeof(*e->cus)))
			return false;
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
	const struct dw_range *r = sym_range_find(e->ranges, e->nranges, sizeof(*r), addr);

	return r ? &e->cus[r->cu] : NULL;
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

static void sym_elf__dw_add_sub(struct sym_elf *e, Dwarf_Die *die, uint64_t lo, uint64_t hi)
{
	if (hi <= lo || e->nsubs >= DWARF_SUBS_MAX)
		return;
	if (array__reserve(&e->subs, &e->subs_cap, e->nsubs + 1, sizeof(*e->subs)))
		return; /* names stay right; its inlined calls go unseen */
	e->subs[e->nsubs].lo = lo;
	e->subs[e->nsubs].hi = hi;
	e->subs[e->nsubs].die = *die;
	e->nsubs++;
}

/* Keeps the subprogram's ranges and gives every symbol that starts one of
 * them its declaration file. */
static void sym_elf__dw_subprogram(struct sym_elf *e, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	const char *file = NULL;
	bool looked = false;
	ptrdiff_t off = 0;
	size_t nr = 0;

	while (nr++ < DWARF_RANGES_MAX && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		struct esym *s;

		sym_elf__dw_add_sub(e, die, lo, hi);
		s = sym_elf__at(e, lo);

		if (!s || (s->flags & ESYM_FILE))
			continue;
		if (!looked) {
			file = dwarf_decl_file(die);
			looked = true;
		}
		if (!file)
			continue;
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

static int dw_sub_cmp(const void *a, const void *b)
{
	const struct dw_sub *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? 1 : x->hi > y->hi ? -1 : 0;
}

/* The compile unit holding addr, its subprograms scanned; NULL when none. */
static struct dw_cu *sym_elf__dw_unit(struct sym_elf *e, uint64_t addr)
{
	struct dw_cu *cu;

	if (!sym_elf__dw_open(e) || !(cu = sym_elf__dw_cu(e, addr)))
		return NULL;
	if (!cu->scanned) {
		size_t budget = DWARF_SCAN_MAX;

		cu->scanned = true;
		cu->sub_first = e->nsubs;
		sym_elf__dw_scan(e, &cu->die, 0, &budget);
		cu->nsubs = e->nsubs - cu->sub_first;
		if (cu->nsubs)
			qsort(e->subs + cu->sub_first, cu->nsubs, sizeof(*e->subs), dw_sub_cmp);
	}
	return cu;
}

const char *sym_dwarf__file(struct sym_elf *e, struct esym *s)
{
	struct dw_cu *cu;
	Dwarf_Line *line;
	const char *file;

	if (s->flags & ESYM_FILE)
		return s->file;
	cu = sym_elf__dw_unit(e, s->addr);
	if (!cu || (s->flags & ESYM_FILE)) {
		s->flags |= ESYM_FILE;
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

/* ---- lines and inlined calls ---- */

/* The subprogram of cu whose range holds addr. */
static Dwarf_Die *sym_elf__dw_sub(struct sym_elf *e, struct dw_cu *cu, uint64_t addr)
{
	struct dw_sub *sub;

	if (!cu->nsubs)
		return NULL;
	sub =
	    (struct dw_sub *)sym_range_find(e->subs + cu->sub_first, cu->nsubs, sizeof(*sub), addr);
	return sub ? &sub->die : NULL;
}

/* An inlined function's name: its linkage name demangled, else its name. */
static void dw_fn_name(struct sym_elf *e, Dwarf_Die *die, struct sym_frame *f)
{
	Dwarf_Attribute attr;
	const char *raw = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	struct hashtab_slot *slot;
	uint64_t h;

	if (!raw)
		raw = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!raw) {
		f->name = f->raw_name = dwarf_diename(die);
		if (!f->name)
			f->name = f->raw_name = "[inlined]";
		return;
	}
	f->name = f->raw_name = raw;
	h = hash_bytes(&raw, sizeof(raw));
	if (hashtab__reserve(&e->dn_tab, 1))
		return;
	for (slot = hashtab__probe(&e->dn_tab, h); slot->val;
	     slot = hashtab__next(&e->dn_tab, slot))
		if (e->dn[slot->val - 1].raw == raw) {
			if (e->dn[slot->val - 1].name)
				f->name = e->dn[slot->val - 1].name;
			return;
		}
	if (array__reserve(&e->dn, &e->dn_cap, e->ndn + 1, sizeof(*e->dn)))
		return;
	e->dn[e->ndn].raw = raw;
	e->dn[e->ndn].name = sym_demangle(raw);
	if (e->dn[e->ndn].name)
		f->name = e->dn[e->ndn].name;
	hashtab__fill(&e->dn_tab, slot, h, ++e->ndn);
}

/* Where an inlined call is: its DW_AT_call_file and DW_AT_call_line. */
static void dw_call_site(Dwarf_Die *cudie, Dwarf_Die *inl, struct sym_frame *f)
{
	Dwarf_Attribute attr;
	Dwarf_Word fileidx, line;
	Dwarf_Files *files;
	size_t nfiles;

	f->file = NULL;
	f->line = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &line) == 0 &&
	    line <= UINT32_MAX)
		f->line = (uint32_t)line;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &fileidx) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && fileidx < nfiles)
		f->file = dwarf_filesrc(files, fileidx, NULL, NULL);
}

/* The inlined calls holding addr below sub, outermost first, into inl;
 * how many (at most max: the innermost beyond are cut). */
static size_t dw_inlines(Dwarf_Die *sub, uint64_t addr, Dwarf_Die *inl, size_t max)
{
	size_t n = 0, budget = DWARF_INLINE_DIES;
	Dwarf_Die scope = *sub, child;

	for (int depth = 0; depth < 4 * DWARF_DEPTH_MAX; depth++) {
		bool found = false;

		if (dwarf_child(&scope, &child) != 0)
			break;
		do {
			int tag;

			if (!budget--)
				return n;
			tag = dwarf_tag(&child);
			if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
			    tag != DW_TAG_try_block && tag != DW_TAG_catch_block)
				continue;
			if (dwarf_haspc(&child, addr) <= 0)
				continue;
			if (tag == DW_TAG_inlined_subroutine) {
				if (n == max)
					return n;
				inl[n++] = child;
			}
			scope = child;
			found = true;
			break;
		} while (dwarf_siblingof(&child, &child) == 0);
		if (!found)
			break;
	}
	return n;
}

size_t sym_dwarf__frames(struct sym_elf *e, struct esym *s, uint64_t vaddr, bool inlines,
			 struct sym_frame *out, size_t max)
{
	struct sym_frame all[SYM_FRAMES_MAX + 1] = {0};
	Dwarf_Die inl[SYM_FRAMES_MAX], *sub;
	struct dw_cu *cu = sym_elf__dw_unit(e, vaddr);
	size_t k = 0, n, first;
	Dwarf_Line *line;
	int lineno;

	/* all[0]: the innermost function, at the line table's line; each
	 * outer one at the call site of the call it holds (inl[] is outermost
	 * first); all[k]: the symbol's function */
	if (cu) {
		line = dwarf_getsrc_die(&cu->die, vaddr);
		if (line) {
			all[0].file = dwarf_linesrc(line, NULL, NULL);
			if (dwarf_lineno(line, &lineno) == 0 && lineno > 0)
				all[0].line = (uint32_t)lineno;
		}
		sub = sym_elf__dw_sub(e, cu, vaddr);
		if (sub)
			k = dw_inlines(sub, vaddr, inl, SYM_FRAMES_MAX);
	}
	for (size_t j = 0; j < k; j++) {
		if (j)
			dw_call_site(&cu->die, &inl[k - j], &all[j]);
		dw_fn_name(e, &inl[k - 1 - j], &all[j]);
	}
	if (k)
		dw_call_site(&cu->die, &inl[0], &all[k]);
	if (!all[k].file)
		all[k].file = sym_dwarf__file(e, s);
	/* without inlines, or past max, the outer frames are kept */
	n = inlines ? k + 1 : 1;
	if (n > max)
		n = max;
	first = k + 1 - n;
	memcpy(out, all + first, n * sizeof(*out));
	return n;
}

void sym_dwarf__free(struct sym_elf *e)
{
	for (size_t i = 0; i < e->ndn; i++)
		free(e->dn[i].name);
	free(e->dn);
	hashtab__free(&e->dn_tab);
	free(e->subs);
	free(e->cus);
	free(e->ranges);
	if (e->dw)
		dwarf_end(e->dw);
	if (e->dw_alt)
		dwarf_end(e->dw_alt);
	if (e->alt_elf)
		elf_end(e->alt_elf);
	if (e->dw_elf)
		elf_end(e->dw_elf);
	free(e->debug_dir);
}
