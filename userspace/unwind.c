// SPDX-License-Identifier: GPL-2.0
/*
 * User stacks from perf's copies (see unwind.h). Objects are found by the
 * process's mappings; each file's table is compiled on first use and kept,
 * keyed by device and inode (by path where the kernel gave none), at most
 * UNWIND_OBJECTS at once (the least recently used goes).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "cfi.h"
#include "hashtab.h"
#include "log.h"
#include "unwind.h"
#include "util.h"

#define UNWIND_OBJECTS 256
#define UNWIND_SEGS    16

struct load_seg {
	uint64_t offset, filesz, vaddr;
};

/* One object's table, or the memory that it has none. */
struct object {
	uint64_t dev, ino;
	char *path; /* when dev and ino are 0 */
	struct cfi_table cfi;
	struct load_seg segs[UNWIND_SEGS];
	unsigned int nsegs;
	uint64_t entry; /* e_entry: the process's first code, when it is this object's */
	bool usable;	/* a table was compiled */
	uint64_t used;
};

struct unwinder {
	enum unwind_mode mode;
	struct hashtab objects; /* struct object * */
	uint64_t clock;
	struct object *vdso; /* this kernel's vDSO, the same in every process */
	bool vdso_tried;
	struct unwind_stats st;
};

struct unwinder *unwinder__new(enum unwind_mode mode)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->mode = mode;
	elf_version(EV_CURRENT);
	return u;
}

static void object__free(struct object *o)
{
	if (!o)
		return;
	cfi_table__free(&o->cfi);
	free(o->path);
	free(o);
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->objects.cap; i++)
		object__free((struct object *)(uintptr_t)u->objects.slots[i].val);
	hashtab__free(&u->objects);
	object__free(u->vdso);
	free(u);
}

void unwinder__stats(const struct unwinder *u, struct unwind_stats *st)
{
	*st = u->st;
}

/* Compiles elf's table into o; counts and logs what came out. */
static void object__compile(struct unwinder *u, struct object *o, Elf *elf, const char *what)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t nph = 0;
	GElf_Phdr ph;
	int err;

	GElf_Ehdr eh;

	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph) || !gelf_getehdr(elf, &eh))
		return;
	o->entry = eh.e_entry;
	for (size_t i = 0; i < nph && o->nsegs < UNWIND_SEGS; i++) {
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			o->segs[o->nsegs++] =
			    (struct load_seg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	err = cfi_compile(elf, &o->cfi);
	if (err && err != -ENOENT)
		log_debug("unwind: %s: CFI unusable (%s), %u rows kept", what, strerror(-err),
			  o->cfi.nrows);
	o->usable = o->cfi.nrows > 0;
	u->st.tables++;
	u->st.table_rows += o->cfi.nrows;
	u->st.expr_rows += o->cfi.counts.expr;
	u->st.table_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}

/* The file as the process sees it, else the host's of that name. */
static void object__load_file(struct unwinder *u, struct object *o, uint32_t pid,
			      const struct mapping *m)
{
	char full[4096 + 32];
	size_t prefix = mapping__proc_path(m, pid, full, sizeof(full));
	Elf *elf;
	int fd;

	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(full + prefix, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf) {
		object__compile(u, o, elf, m->path);
		elf_end(elf);
	}
	close(fd);
}

/* This kernel's vDSO, read from the daemon's own mapping of it. */
static struct object *vdso_object(struct unwinder *u)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	char line[256];
	FILE *f;

	if (u->vdso_tried)
		return u->vdso;
	u->vdso_tried = true;
	u->vdso = calloc(1, sizeof(*u->vdso));
	f = fopen("/proc/self/maps", "re");
	if (!u->vdso || !base || !f) {
		if (f)
			fclose(f);
		return u->vdso;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start == base) {
			Elf *elf = elf_memory((char *)start, end - start);

			if (elf) {
				object__compile(u, u->vdso, elf, "[vdso]");
				elf_end(elf);
			}
			break;
		}
	}
	fclose(f);
	return u->vdso;
}

static uint64_t object_hash(const struct mapping *m)
{
	uint64_t key[2] = {m->dev, m->ino};

	return m->dev || m->ino ? hash_bytes(key, sizeof(key)) : hash_str(m->path);
}

static bool object_is(const struct object *o, const struct mapping *m)
{
	if (m->dev || m->ino)
		return o->dev == m->dev && o->ino == m->ino && !o->path;
	return o->path && !strcmp(o->path, m->path);
}

/* The least recently used object goes, to keep UNWIND_OBJECTS. */
static void evict_one(struct unwinder *u)
{
	struct hashtab_slot *old = NULL;

	for (size_t i = 0; i < u->objects.cap; i++) {
		struct hashtab_slot *s = &u->objects.slots[i];

		if (s->val && (!old || ((struct object *)(uintptr_t)s->val)->used <
					   ((struct object *)(uintptr_t)old->val)->used))
			old = s;
	}
	if (old) {
		object__free((struct object *)(uintptr_t)old->val);
		hashtab__remove(&u->objects, old);
	}
}

/* m's object, compiled on first use; NULL when out of memory. */
static struct object *object_of(struct unwinder *u, const struct proc *p, const struct mapping *m)
{
	uint64_t h = object_hash(m);
	struct hashtab_slot *s;
	struct object *o;

	if (!strcmp(m->path, "[vdso]"))
		return vdso_object(u);
	if (!mapping__is_file(m))
		return NULL;
	if (u->objects.cap) {
		for (s = hashtab__probe(&u->objects, h); s->val;
		     s = hashtab__next(&u->objects, s)) {
			o = (struct object *)(uintptr_t)s->val;
			if (s->hash == h && object_is(o, m)) {
				o->used = ++u->clock;
				return o;
			}
		}
	}
	if (u->objects.n >= UNWIND_OBJECTS)
		evict_one(u);
	if (hashtab__reserve(&u->objects, 1))
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->dev = m->dev;
	o->ino = m->ino;
	if (!m->dev && !m->ino && !(o->path = strdup(m->path))) {
		free(o);
		return NULL;
	}
	object__load_file(u, o, p->pid, m);
	o->used = ++u->clock;
	for (s = hashtab__probe(&u->objects, h); s->val; s = hashtab__next(&u->objects, s))
		;
	hashtab__fill(&u->objects, s, h, (uintptr_t)o);
	return o;
}

/*
 * A return into the first bytes of an object's entry point (ld.so's calls
 * _dl_start, then _dl_init, within 64 bytes of it): the frame
 * below is the stack the kernel made for the process. The dynamic loader's
 * entry (which calls _dl_start) has no CFI to say so.
 */
#define ENTRY_BYTES 64

/* The row for address ip of p, or NULL (no object, no table, not covered);
 * *at_entry when ip is within ENTRY_BYTES of the object's entry point. */
/* The mapping and object of the last frame: most frames of a stack fall
 * in an object of the frame before (valid for one stack). */
struct last {
	struct mapping *m;
	struct object *o;
};

static const struct hrprof_cfi_row *row_of(struct unwinder *u, struct proc *p, uint64_t ip,
					   struct last *last, bool *no_table, bool *at_entry)
{
	struct mapping *m = last->m;
	struct object *o = last->o;
	uint64_t off;

	if (!m || ip < m->start || ip >= m->end) {
		m = proc__find_mapping(p, ip);
		o = m ? object_of(u, p, m) : NULL;
		last->m = m;
		last->o = o;
	}
	*no_table = true;
	*at_entry = false;
	if (!o || !o->usable)
		return NULL;
	off = ip - m->start + m->pgoff;
	for (unsigned int i = 0; i < o->nsegs; i++) {
		const struct load_seg *sg = &o->segs[i];

		if (off >= sg->offset && off - sg->offset < sg->filesz) {
			uint64_t vaddr = off - sg->offset + sg->vaddr;

			*no_table = false;
			*at_entry = o->entry && vaddr >= o->entry && vaddr - o->entry < ENTRY_BYTES;
			return hrprof_cfi_lookup(o->cfi.rows, o->cfi.nrows, vaddr);
		}
	}
	return NULL;
}

struct copy {
	const struct user_stack *us;
	bool past_end; /* a read fell past the end of the copy: the stack went on */
};

static bool copy_read(void *ctx, __u64 addr, __u64 *val)
{
	struct copy *c = ctx;

	if (addr < c->us->sp)
		return false;
	if (addr - c->us->sp > c->us->size || c->us->size - (addr - c->us->sp) < 8) {
		c->past_end = true;
		return false;
	}
	memcpy(val, c->us->data + (addr - c->us->sp), 8);
	return true;
}

/* The first few frames that made no sense, at -l debug: where, by what rule. */
static void log_bad_frame(struct unwinder *u, struct proc *p, uint64_t ip, bool exact,
			  const struct hrprof_cfi_row *row)
{
	struct mapping *m = proc__find_mapping(p, ip);

	if (u->st.bad_frame > 10)
		return;
	log_debug("unwind: bad frame at %s+%#llx%s: %s (row kind %d, cfa_off %d, bp %d/%d)",
		  m ? m->path : "?", (unsigned long long)(m ? ip - m->start + m->pgoff : ip),
		  exact ? "" : " (return address)", row ? "by its row" : "by frame pointers",
		  row ? row->kind : -1, row ? row->cfa_off : 0, row ? row->bp : -1,
		  row ? row->bp_off : 0);
}

unsigned int unwinder__unwind(struct unwinder *u, struct proc *p, const struct user_stack *us,
			      uint64_t *ips, unsigned int max, uint32_t *flags)
{
	struct hrprof_uregs r = {us->ip, us->sp, us->bp};
	struct copy c = {.us = us};
	struct last last = {0};
	bool exact = true; /* the address is where the frame is, not a return address */
	unsigned int n = 0;

	if (!max)
		return 0;
	u->st.stacks++;
	ips[n++] = r.ip;
	while (n < max) {
		const struct hrprof_cfi_row *row = NULL;
		bool no_table = true, at_entry = false;
		int rc;

		struct hrprof_uregs was = r;

		if (u->mode != UNWIND_FP)
			row = row_of(u, p, exact ? r.ip : r.ip - 1, &last, &no_table, &at_entry);
		if (at_entry && (!row || row->kind == HRPROF_CFI_NONE)) {
			u->st.complete++;
			return n;
		}
		if (row && row->kind != HRPROF_CFI_NONE && row->kind != HRPROF_CFI_EXPR) {
			u->st.frames_cfi++;
		} else if (u->mode == UNWIND_CFI) {
			u->st.no_table++; /* tables only: the stack ends here */
			return n;
		} else {
			u->st.frames_fp++;
		}
		rc = hrprof_unwind_step(u->mode == UNWIND_FP ? NULL : row, &r, copy_read, &c);
		if (rc == HRPROF_UW_END) {
			u->st.complete++;
			return n;
		}
		if (rc != HRPROF_UW_OK) {
			if (c.past_end) {
				u->st.truncated++;
				*flags |= HRPROF_F_USER_TRUNCATED;
			} else if (no_table) {
				u->st.no_table++;
			} else {
				u->st.bad_frame++;
				log_bad_frame(u, p, was.ip, exact, row);
			}
			return n;
		}
		exact = row && row->kind == HRPROF_CFI_SIGNAL;
		ips[n++] = r.ip;
	}
	u->st.truncated++;
	*flags |= HRPROF_F_USER_TRUNCATED;
	return n;
}
