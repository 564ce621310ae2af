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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hashtab.h"
#include "hrprof.h"
#include "base/log.h"
#include "sym/sym.h"
#include "unwind.h"
#include "base/util.h"

#define UNWIND_OBJECTS 256
#define UNWIND_SEGS    16

/* One object's table, or the memory that it has none. */
struct object {
	uint64_t dev, ino;
	char *path; /* when dev and ino are 0 */
	struct cfi_table cfi;
	struct load_seg segs[UNWIND_SEGS];
	unsigned int nsegs;
	bool usable; /* a table was compiled */
	uint64_t used;
	uint32_t ext_id; /* a backend's id for the table (the module's), 0: none */
};

struct unwinder {
	enum unwind_mode mode;
	struct hashtab objects; /* struct object * */
	uint64_t clock;
	struct object *vdso; /* this kernel's vDSO, the same in every process */
	bool vdso_tried;
	struct unwind_stats st;
	void (*on_evict)(void *ctx, uint32_t ext_id);
	void *evict_ctx;
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

/* Compiles elf's table (with its separate debug file's .debug_frame,
 * when debug is not NULL) into o; counts and logs what came out. */
static void object__compile(struct unwinder *u, struct object *o, Elf *elf, Elf *debug,
			    const char *what)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t nph = 0;
	GElf_Phdr ph;
	GElf_Ehdr eh;
	int err;

	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph) || !gelf_getehdr(elf, &eh))
		return;
	for (size_t i = 0; i < nph && o->nsegs < UNWIND_SEGS; i++) {
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			o->segs[o->nsegs++] =
			    (struct load_seg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	err = cfi_compile(elf, debug, &o->cfi);
	if (err && err != -ENOENT)
		log_debug("unwind: %s: CFI unusable (%s), %u rows kept", what, strerror(-err),
			  o->cfi.nrows);
	if (o->cfi.counts.debug_fdes) {
		log_debug("unwind: %s: %u FDEs from .debug_frame%s", what, o->cfi.counts.debug_fdes,
			  debug ? " (in its debug file)" : "");
		u->st.debug_frame_tables++;
	}
	o->usable = o->cfi.nrows > 0;
	u->st.tables++;
	u->st.table_rows += o->cfi.nrows;
	u->st.expr_rows += o->cfi.counts.expr;
	u->st.table_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}

/* The file as the process sees it, else the host's of that name; its
 * separate debug file (by build id or .gnu_debuglink, as the symbolizer
 * finds it) when the file has no .debug_frame of its own. */
static void object__load_file(struct unwinder *u, struct object *o, uint32_t pid,
			      const struct mapping *m)
{
	char full[4096 + 32], id[2 * BUILD_ID_MAX + 1];
	size_t prefix = mapping__proc_path(m, pid, full, sizeof(full));
	struct elf_file f, dbg = {.fd = -1};
	struct elf_sections ds;
	const char *path = full;
	bool have_dbg = false;

	if (elf_file__open(&f, path) < 0) {
		path = full + prefix;
		if (elf_file__open(&f, path) < 0)
			return;
	}
	if (u->mode != UNWIND_FP && !cfi_has_debug_frame(f.elf)) {
		build_id_hex(f.elf, id);
		have_dbg = debug_find(SYM_DEBUG_DIR, path, &f, id, &dbg, &ds);
	}
	object__compile(u, o, f.elf, have_dbg ? dbg.elf : NULL, m->path);
	if (have_dbg)
		elf_file__close(&dbg);
	elf_file__close(&f);
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
				object__compile(u, u->vdso, elf, NULL, "[vdso]");
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
		struct object *o = (struct object *)(uintptr_t)old->val;

		if (o->ext_id && u->on_evict)
			u->on_evict(u->evict_ctx, o->ext_id);
		object__free(o);
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

void unwinder__each_table(struct unwinder *u,
			  void (*fn)(void *ctx, const struct unwind_object_map *om,
				     const char *path),
			  void *ctx)
{
	struct object *vdso = vdso_object(u);

	for (size_t i = 0; i < u->objects.cap; i++) {
		struct object *o = (struct object *)(uintptr_t)u->objects.slots[i].val;

		if (o && o->usable)
			fn(ctx,
			   &(struct unwind_object_map){
			       .rows = o->cfi.rows, .nrows = o->cfi.nrows, .ext_id = &o->ext_id},
			   o->path ? o->path : "a prepared object");
	}
	if (vdso && vdso->usable)
		fn(ctx,
		   &(struct unwind_object_map){
		       .rows = vdso->cfi.rows, .nrows = vdso->cfi.nrows, .ext_id = &vdso->ext_id},
		   "[vdso]");
}

void unwinder__on_evict(struct unwinder *u, void (*fn)(void *ctx, uint32_t ext_id), void *ctx)
{
	u->on_evict = fn;
	u->evict_ctx = ctx;
}

unsigned int unwinder__object_maps(struct unwinder *u, struct proc *p, const struct mapping *m,
				   struct unwind_object_map *out, unsigned int max)
{
	struct object *o = object_of(u, p, m);
	uint64_t len = m->end - m->start;
	unsigned int n = 0;

	if (!o || !o->usable)
		return 0;
	for (unsigned int i = 0; i < o->nsegs && n < max; i++) {
		const struct load_seg *sg = &o->segs[i];
		uint64_t lo = sg->offset > m->pgoff ? sg->offset : m->pgoff;
		uint64_t hi = sg->offset + sg->filesz < m->pgoff + len ? sg->offset + sg->filesz
								       : m->pgoff + len;

		if (lo >= hi)
			continue;
		out[n++] = (struct unwind_object_map){
		    .rows = o->cfi.rows,
		    .nrows = o->cfi.nrows,
		    .ext_id = &o->ext_id,
		    .start = m->start + (lo - m->pgoff),
		    .end = m->start + (hi - m->pgoff),
		    .bias = m->start - m->pgoff + sg->offset - sg->vaddr,
		};
	}
	return n;
}

/* ---- compiling a program's tables before it starts ---- */

#define PREPARE_OBJECTS 64

struct prepare {
	char *paths[PREPARE_OBJECTS];
	unsigned int n;
};

/* Queues path (once). */
static void prepare_add(struct prepare *q, const char *path)
{
	for (unsigned int i = 0; i < q->n; i++)
		if (!strcmp(q->paths[i], path))
			return;
	if (q->n < PREPARE_OBJECTS && (q->paths[q->n] = strdup(path)))
		q->n++;
}

/* Queues the library name as the dynamic loader would find it: in the
 * object's run paths ($ORIGIN its directory), then the system's. */
static void prepare_needed(struct prepare *q, const char *obj, const char *runpath,
			   const char *name)
{
	static const char *const sys[] = {"/lib/x86_64-linux-gnu",
					  "/usr/lib/x86_64-linux-gnu",
					  "/lib64",
					  "/usr/lib64",
					  "/lib",
					  "/usr/lib"};
	const char *slash = strrchr(obj, '/');
	char path[4096], dir[2048];
	int n;

	if (strchr(name, '/')) {
		prepare_add(q, name);
		return;
	}
	while (runpath && *runpath) {
		size_t len = strcspn(runpath, ":");

		if (len < sizeof(dir)) {
			memcpy(dir, runpath, len);
			dir[len] = 0;
			if (!strncmp(dir, "$ORIGIN", 7) && slash)
				n = snprintf(path, sizeof(path), "%.*s%s/%s", (int)(slash - obj),
					     obj, dir + 7, name);
			else
				n = snprintf(path, sizeof(path), "%.1024s/%.1024s", dir, name);
			if (n > 0 && (size_t)n < sizeof(path) && !access(path, R_OK)) {
				prepare_add(q, path);
				return;
			}
		}
		runpath += len + (runpath[len] == ':');
	}
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sys[i], name);
		if (!access(path, R_OK)) {
			prepare_add(q, path);
			return;
		}
	}
}

/* Queues the interpreter and the needed libraries of the ELF file at path. */
static void prepare_deps(struct prepare *q, const char *path)
{
	struct elf_file f;
	Elf_Scn *scn = NULL;
	size_t nph = 0;

	if (elf_file__open(&f, path) < 0)
		return;
	for (size_t i = 0; !elf_getphdrnum(f.elf, &nph) && i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (gelf_getphdr(f.elf, (int)i, &ph) && ph.p_type == PT_INTERP && ph.p_filesz > 1 &&
		    ph.p_filesz < 4096 &&
		    (d = elf_getdata_rawchunk(f.elf, (int64_t)ph.p_offset, ph.p_filesz,
					      ELF_T_BYTE)) &&
		    ((const char *)d->d_buf)[ph.p_filesz - 1] == 0)
			prepare_add(q, d->d_buf);
	}
	while ((scn = elf_nextscn(f.elf, scn))) {
		const char *runpath = NULL, *needed[64];
		unsigned int nneeded = 0;
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *v;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH &&
			    dyn.d_tag != DT_RPATH)
				continue;
			v = elf_strptr(f.elf, sh.sh_link, dyn.d_un.d_val);
			if (!v)
				continue;
			if (dyn.d_tag != DT_NEEDED)
				runpath = v;
			else if (nneeded < 64)
				needed[nneeded++] = v;
		}
		for (unsigned int i = 0; i < nneeded; i++)
			prepare_needed(q, path, runpath, needed[i]);
		break;
	}
	elf_file__close(&f);
}

void unwinder__prepare_program(struct unwinder *u, const char *command)
{
	struct prepare q = {0};
	char path[4096];
	const char *dirs = getenv("PATH");

	if (strchr(command, '/')) {
		prepare_add(&q, command);
	} else {
		while (dirs && *dirs) {
			size_t len = strcspn(dirs, ":");

			snprintf(path, sizeof(path), "%.*s/%s", (int)len, dirs, command);
			if (len && !access(path, X_OK)) {
				prepare_add(&q, path);
				break;
			}
			dirs += len + (dirs[len] == ':');
		}
	}
	/* Breadth first: each object queues its interpreter and libraries. */
	for (unsigned int i = 0; i < q.n; i++) {
		struct stat st;
		struct mapping *m;

		prepare_deps(&q, q.paths[i]);
		if (stat(q.paths[i], &st) || !S_ISREG(st.st_mode))
			continue;
		m = mapping__new(0, 1, 0, st.st_dev, st.st_ino, q.paths[i]);
		if (m) {
			struct proc none = {0};

			object_of(u, &none, m);
			mapping__put(m);
		}
	}
	for (unsigned int i = 0; i < q.n; i++)
		free(q.paths[i]);
}

void unwinder__prepare_pid(struct unwinder *u, uint32_t pid)
{
	struct proc p = {.pid = pid};
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		uint64_t start, end, pgoff, dev, ino;
		struct mapping *m;
		char *mpath;

		if (!maps_parse_line(line, &start, &end, &pgoff, &dev, &ino, &mpath))
			continue;
		m = mapping__new(start, end, pgoff, dev, ino, mpath);
		if (m) {
			object_of(u, &p, m);
			mapping__put(m);
		}
	}
	if (f)
		fclose(f);
}

/* The mapping and object of the last frame: most frames of a stack fall
 * in an object of the frame before (valid for one stack). */
struct last {
	struct mapping *m;
	struct object *o;
};

/* The row for address ip of p, or NULL (no object, no table, not covered). */
static const struct hrprof_cfi_row *row_of(struct unwinder *u, struct proc *p, uint64_t ip,
					   struct last *last, bool *no_table)
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
	if (!o || !o->usable)
		return NULL;
	off = ip - m->start + m->pgoff;
	for (unsigned int i = 0; i < o->nsegs; i++) {
		const struct load_seg *sg = &o->segs[i];

		if (off >= sg->offset && off - sg->offset < sg->filesz) {
			uint64_t vaddr = off - sg->offset + sg->vaddr;

			*no_table = false;
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
		bool no_table = true;
		int rc;

		struct hrprof_uregs was = r;

		if (u->mode != UNWIND_FP)
			row = row_of(u, p, exact ? r.ip : r.ip - 1, &last, &no_table);
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
