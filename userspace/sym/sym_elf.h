/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the ELF symbolizer: what sym_file.c (opening files), sym_elf.c
 * (symbol tables, loading, lookups), sym_debug.c (separate debug files),
 * sym_dwarf.c (DWARF source files, lines and inlined calls) and sym_cache.c
 * (the cache of opened files) share. Callers use sym.h.
 */
#ifndef HRPROF_SYM_ELF_H
#define HRPROF_SYM_ELF_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/hashtab.h"
#include "sym.h"

#define SYM_BACKTRACK 8 /* enclosing symbols (or ranges) tried before a miss */

/*
 * The element of v[0 .. n) (each size bytes, sorted by start) whose range
 * holds addr, or NULL: the nearest start at or below addr, else one of the
 * SYM_BACKTRACK before it (enclosing ranges). Every element begins with two
 * uint64_t, its range [start, end): esym, dw_range, dw_sub.
 */
static inline const void *sym_range_find(const void *v, size_t n, size_t size, uint64_t addr)
{
	const char *base = v;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (((const uint64_t *)(base + mid * size))[0] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < SYM_BACKTRACK && k < lo; k++) {
		const uint64_t *r = (const uint64_t *)(base + (lo - 1 - k) * size);

		if (addr < r[1])
			return r;
	}
	return NULL;
}

enum {
	ESYM_DEMANGLED = 1 << 0, /* demangled is final (maybe NULL) */
	ESYM_FILE = 1 << 1,	 /* file is final (maybe NULL) */
};

struct esym { /* addr, end first: sym_range_find */
	uint64_t addr;
	uint64_t end;
	char *demangled;
	const char *file; /* owned by the Dwarf */
	uint32_t name;	  /* offset in sym_elf.names */
	uint32_t flags;
};

struct dw_cu {
	Dwarf_Die die;
	bool scanned;
	size_t sub_first, nsubs; /* its subprograms' ranges in sym_elf.subs, sorted */
};

struct dw_range { /* lo, hi first: sym_range_find */
	uint64_t lo;
	uint64_t hi;
	size_t cu;
};

/* A range of a subprogram (concrete, out of line), found scanning its CU. */
struct dw_sub { /* lo, hi first: sym_range_find */
	uint64_t lo;
	uint64_t hi;
	Dwarf_Die die;
};

/* An inlined function's name as DWARF has it and demangled (NULL: not mangled). */
struct dw_name {
	const char *raw; /* owned by the Dwarf */
	char *name;
};

struct sym_elf {
	char build_id[2 * BUILD_ID_MAX + 1];
	struct load_seg *segs;
	size_t nsegs;
	struct esym *syms;
	size_t nsyms;
	char *names;

	/* DWARF, opened on the first lookup that wants a file name */
	Elf *dw_elf;
	Dwarf *dw;
	char *debug_dir; /* where a dwz file (.gnu_debugaltlink) is looked for */
	Elf *alt_elf;	 /* that file, for dw_alt */
	Dwarf *dw_alt;
	int dw_state; /* 0: not tried, 1: ready, -1: unusable */
	struct dw_cu *cus;
	size_t ncus;
	struct dw_range *ranges;
	size_t nranges;
	struct dw_sub *subs; /* those of each scanned unit together */
	size_t nsubs, subs_cap;
	struct hashtab dn_tab; /* dw_name index + 1, by raw pointer */
	struct dw_name *dn;
	size_t ndn, dn_cap;

	uint64_t last_use;
	bool doomed;
	bool debug_pending; /* loaded while debuginfod had not answered */
};

/* sym_file.c */
/* The program and section headers lie inside the size bytes of the file. */
bool elf_headers_fit(Elf *elf, const GElf_Ehdr *eh, uint64_t size);
/* f's Elf, kept open (its descriptor closed): for DWARF. */
Elf *elf_file__keep(struct elf_file *f);
/* n bytes (a build id: at most BUILD_ID_MAX, else "") in lower-case hex. */
void bytes_hex(const void *bytes, size_t n, char *out);

/* sym_elf.c */
/* Takes f (closes it or keeps its Elf for DWARF). NULL when out of memory. */
struct sym_elf *sym_elf__load(const char *debug_dir, const char *path, struct elf_file *f,
			      const char *build_id, struct sym_fetcher *fetcher,
			      uint64_t deadline_ns);
void sym_elf__free(struct sym_elf *e);

/* sym_debug.c: the debug file of build_id from debuginfod (fetcher), waited
 * for until deadline_ns; *pending when it may come later. */
bool debug_fetch(struct sym_fetcher *fetcher, uint64_t deadline_ns, const struct elf_file *main,
		 const char *build_id, struct elf_file *out, struct elf_sections *sec,
		 bool *pending);

/* sym_dwarf.c: the source file of symbol s (DWARF opened on first use), or NULL. */
const char *sym_dwarf__file(struct sym_elf *e, struct esym *s);
/* The frames at vaddr in symbol s, as sym_elf__frames; out[n - 1] gets only
 * its file and line (the caller names it from the symbol). */
size_t sym_dwarf__frames(struct sym_elf *e, struct esym *s, uint64_t vaddr, bool inlines,
			 struct sym_frame *out, size_t max);
void sym_dwarf__free(struct sym_elf *e);

#endif
