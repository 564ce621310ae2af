// SPDX-License-Identifier: GPL-2.0
/*
 * ELF symbolization: a file's .symtab/.dynsym (or its debug file's) as a
 * sorted table, its load segments, and lookups in both. Debug files are
 * found by sym_debug.c, source file names read by sym_dwarf.c, files kept
 * by sym_cache.c.
 */
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "sym_elf.h"
#include "base/util.h"

struct raw_sym {
	uint64_t addr;
	uint64_t end; /* 0 when unknown */
	uint32_t name;
	uint32_t score;
	bool sized;
	bool label; /* STT_NOTYPE in code: an assembler entry point (ld.so's _start) */
};

struct collect {
	struct raw_sym *v;
	size_t n;
	size_t cap;
	char *names;
	size_t nlen;
	size_t ncap;
	bool oom;
};

/* ---- symbol tables ---- */

static uint32_t sym_score(const GElf_Sym *s, const char *name)
{
	uint32_t score = 0, us = 0;

	/* prefer functions over labels, sized, then global over weak over
	 * local, then fewer '_' */
	if (GELF_ST_TYPE(s->st_info) != STT_NOTYPE)
		score |= 1u << 9;
	if (s->st_size)
		score |= 1u << 8;
	switch (GELF_ST_BIND(s->st_info)) {
	case STB_GLOBAL:
		score |= 2u << 4;
		break;
	case STB_WEAK:
		score |= 1u << 4;
		break;
	}
	while (name[us] == '_' && us < 3)
		us++;
	return score | (3 - us);
}

static bool collect__name(struct collect *c, const char *name, uint32_t *off)
{
	size_t len = strlen(name) + 1;

	if (c->nlen + len > UINT32_MAX)
		return false;
	if (array__reserve(&c->names, &c->ncap, c->nlen + len, 1)) {
		c->oom = true;
		return false;
	}
	memcpy(c->names + c->nlen, name, len);
	*off = (uint32_t)c->nlen;
	c->nlen += len;
	return true;
}

static bool collect__add(struct collect *c, const struct raw_sym *r)
{
	if (array__reserve(&c->v, &c->cap, c->n + 1, sizeof(*c->v))) {
		c->oom = true;
		return false;
	}
	c->v[c->n++] = *r;
	return true;
}

/* Adds the function symbols of a SHT_SYMTAB/SHT_DYNSYM section; returns how many. */
static size_t collect__section(struct collect *c, Elf *elf, Elf_Scn *scn, bool arm)
{
	size_t esz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), count, added = 0;
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;

	if (!esz || !data || !data->d_buf || !gelf_getshdr(scn, &sh))
		return 0;
	count = data->d_size / esz;
	for (size_t i = 0; i < count && !c->oom; i++) {
		struct raw_sym r = {0};
		const char *name;
		Elf_Scn *sec;
		GElf_Shdr ssh;
		GElf_Sym s;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE) ||
		    s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		/* An untyped symbol names code when it is in code, as assembler
		 * entry points are (perf names them too); not ARM's mapping
		 * symbols ($x, $d) or section-local ones. */
		if (type == STT_NOTYPE &&
		    (name[0] == '$' || name[0] == '.' || s.st_shndx >= SHN_LORESERVE ||
		     !(sec = elf_getscn(elf, s.st_shndx)) || !gelf_getshdr(sec, &ssh) ||
		     !(ssh.sh_flags & SHF_EXECINSTR) || s.st_value < ssh.sh_addr ||
		     s.st_value - ssh.sh_addr >= ssh.sh_size))
			continue;
		r.label = type == STT_NOTYPE;
		r.addr = arm ? s.st_value & ~1ULL : s.st_value;
		r.sized = s.st_size != 0;
		if (r.sized)
			r.end = r.addr + s.st_size < r.addr ? UINT64_MAX : r.addr + s.st_size;
		/* never let a symbol reach past its section (garbage sizes, size 0) */
		if (s.st_shndx < SHN_LORESERVE && (sec = elf_getscn(elf, s.st_shndx)) &&
		    gelf_getshdr(sec, &ssh) && r.addr >= ssh.sh_addr &&
		    r.addr - ssh.sh_addr < ssh.sh_size) {
			uint64_t sec_end = ssh.sh_addr + ssh.sh_size;

			if (sec_end < ssh.sh_addr)
				sec_end = UINT64_MAX;
			if (!r.end || r.end > sec_end)
				r.end = sec_end;
		}
		r.score = sym_score(&s, name);
		if (!collect__name(c, name, &r.name) || !collect__add(c, &r))
			break;
		added++;
	}
	return added;
}

static int raw_sym_cmp(const void *a, const void *b)
{
	const struct raw_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return 0;
}

/* Sorts, keeps the best symbol per address and settles every end. */
static int sym_elf__set_symbols(struct sym_elf *e, struct collect *c)
{
	size_t n = 0;

	if (!c->n)
		return 0;
	qsort(c->v, c->n, sizeof(*c->v), raw_sym_cmp);
	for (size_t i = 0, in = 0; i < c->n; i++) {
		/* a label inside a sized function is not one of its own */
		if (c->v[i].label && n && c->v[in].sized && c->v[i].addr < c->v[in].end)
			continue;
		if (!n || c->v[n - 1].addr != c->v[i].addr) {
			c->v[n++] = c->v[i];
			if (c->v[i].sized)
				in = n - 1;
		}
	}
	e->syms = calloc(n, sizeof(*e->syms));
	if (!e->syms)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct raw_sym *r = &c->v[i];
		uint64_t end = r->end;

		if (!r->sized) {
			uint64_t next = i + 1 < n ? c->v[i + 1].addr : 0;

			if (next && (!end || next < end))
				end = next;
			if (!end)
				end = r->addr + 1;
		}
		e->syms[i].addr = r->addr;
		e->syms[i].end = end > r->addr ? end : r->addr + 1;
		e->syms[i].name = r->name;
	}
	e->nsyms = n;
	e->names = c->names;
	c->names = NULL;
	return 0;
}

static int sym_elf__set_segments(struct sym_elf *e, Elf *elf)
{
	size_t n;

	if (elf_getphdrnum(elf, &n) < 0 || !n)
		return 0;
	e->segs = calloc(n, sizeof(*e->segs));
	if (!e->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		e->segs[e->nsegs].offset = ph.p_offset;
		e->segs[e->nsegs].filesz = ph.p_filesz;
		e->segs[e->nsegs].vaddr = ph.p_vaddr;
		e->nsegs++;
	}
	return 0;
}

/* ---- loading ---- */

void sym_elf__free(struct sym_elf *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].demangled);
	free(e->syms);
	free(e->names);
	free(e->segs);
	sym_dwarf__free(e);
	free(e);
}

struct sym_elf *sym_elf__load(const char *debug_dir, const char *path, struct elf_file *f,
			      const char *build_id, struct sym_fetcher *fetcher,
			      uint64_t deadline_ns)
{
	struct sym_elf *e = calloc(1, sizeof(*e));
	struct elf_file dbg = {.fd = -1};
	struct elf_sections ms, ds = {0};
	struct collect col = {0};
	size_t nsymtab = 0;
	GElf_Ehdr ehdr;
	bool arm;

	if (!e)
		goto fail;
	strcpy(e->build_id, build_id);
	e->debug_dir = strdup(debug_dir);
	if (!e->debug_dir)
		goto fail;
	arm = gelf_getehdr(f->elf, &ehdr) && ehdr.e_machine == EM_ARM;
	if (sym_elf__set_segments(e, f->elf) < 0)
		goto fail;
	elf_sections__scan(f->elf, &ms);
	if (ms.symtab)
		nsymtab = collect__section(&col, f->elf, ms.symtab, arm);
	if (ms.dynsym)
		collect__section(&col, f->elf, ms.dynsym, arm);
	if ((!nsymtab || !ms.dwarf) && !col.oom &&
	    (debug_find(debug_dir, path, f, build_id, &dbg, &ds) ||
	     (fetcher && build_id[0] &&
	      debug_fetch(fetcher, deadline_ns, f, build_id, &dbg, &ds, &e->debug_pending))) &&
	    !nsymtab && ds.symtab)
		nsymtab = collect__section(&col, dbg.elf, ds.symtab, arm);
	/* no symbol table anywhere else: MiniDebugInfo's */
	if (!nsymtab && ms.debugdata && !col.oom) {
		void *buf;
		Elf *mini = minidebug_open(ms.debugdata, &buf);
		struct elf_sections mins;

		if (mini) {
			elf_sections__scan(mini, &mins);
			if (mins.symtab)
				nsymtab = collect__section(&col, mini, mins.symtab, arm);
			log_debug("sym: %s: %zu symbols from .gnu_debugdata", path, nsymtab);
			elf_end(mini);
			free(buf);
		}
	}
	if (col.oom || sym_elf__set_symbols(e, &col) < 0)
		goto fail;
	if (ms.dwarf)
		e->dw_elf = elf_file__keep(f);
	else if (dbg.elf && ds.dwarf)
		e->dw_elf = elf_file__keep(&dbg);
	elf_file__close(f);
	elf_file__close(&dbg);
	free(col.v);
	return e;
fail:
	elf_file__close(f);
	elf_file__close(&dbg);
	free(col.v);
	free(col.names);
	sym_elf__free(e);
	return NULL;
}

/* ---- sym_elf ---- */

const char *sym_elf__build_id(const struct sym_elf *elf)
{
	return elf ? elf->build_id : "";
}

bool sym_elf__offset_to_vaddr(const struct sym_elf *elf, uint64_t offset, uint64_t *vaddr)
{
	if (!elf)
		return false;
	for (size_t i = 0; i < elf->nsegs; i++) {
		const struct load_seg *s = &elf->segs[i];

		if (offset >= s->offset && offset - s->offset < s->filesz) {
			*vaddr = offset - s->offset + s->vaddr;
			return true;
		}
	}
	/* the page-aligned head of a segment that starts mid-page */
	for (size_t i = 0; i < elf->nsegs; i++) {
		const struct load_seg *s = &elf->segs[i];

		if (offset >= (s->offset & ~4095ULL) && offset < s->offset) {
			*vaddr = offset - s->offset + s->vaddr;
			return true;
		}
	}
	return false;
}

/* The symbol holding vaddr, or NULL. */
static struct esym *sym_elf__find(struct sym_elf *elf, uint64_t vaddr)
{
	return (struct esym *)sym_range_find(elf->syms, elf->nsyms, sizeof(*elf->syms), vaddr);
}

static const char *sym_elf__name(struct sym_elf *elf, struct esym *s)
{
	if (!(s->flags & ESYM_DEMANGLED)) {
		s->demangled = sym_demangle(elf->names + s->name);
		s->flags |= ESYM_DEMANGLED;
	}
	return s->demangled ? s->demangled : elf->names + s->name;
}

bool sym_elf__lookup(struct sym_elf *elf, uint64_t vaddr, struct sym_info *info)
{
	struct esym *s;

	if (!elf || !info || !(s = sym_elf__find(elf, vaddr)))
		return false;
	info->raw_name = elf->names + s->name;
	info->name = sym_elf__name(elf, s);
	info->file = sym_dwarf__file(elf, s);
	info->start = s->addr;
	return true;
}

size_t sym_elf__frames(struct sym_elf *elf, uint64_t vaddr, bool inlines, struct sym_frame *out,
		       size_t max)
{
	struct esym *s;
	size_t n;

	if (!elf || !out || !max || !(s = sym_elf__find(elf, vaddr)))
		return 0;
	n = sym_dwarf__frames(elf, s, vaddr, inlines, out, max);
	out[n - 1].raw_name = elf->names + s->name;
	out[n - 1].name = sym_elf__name(elf, s);
	return n;
}

bool sym_elf__has_symbols(const struct sym_elf *elf)
{
	return elf && elf->nsyms > 0;
}
