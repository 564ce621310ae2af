// SPDX-License-Identifier: GPL-2.0
/*
 * ELF symbolization: .symtab/.dynsym, separate debug files (build id,
 * .gnu_debuglink), DWARF source file names, and a cache of opened files.
 */
#include <dwarf.h>
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
#include <zlib.h>

#include "log.h"
#include "sym.h"
#include "util.h"

#define BUILD_ID_MAX	  64 /* bytes */
#define SYM_BACKTRACK	  8  /* enclosing symbols tried before a miss */
#define DWARF_UNITS_MAX	  (1u << 20)
#define DWARF_RANGES_MAX  (1u << 16) /* per DIE */
#define DWARF_SCAN_MAX	  (1u << 22) /* DIEs visited per compile unit */
#define DWARF_DEPTH_MAX	  16
#define FAILS_MIN	  64
#define DEFAULT_DEBUG_DIR "/usr/lib/debug"

enum {
	ESYM_DEMANGLED = 1 << 0, /* demangled is final (maybe NULL) */
	ESYM_FILE = 1 << 1,	 /* file is final (maybe NULL) */
};

struct esym {
	uint64_t addr;
	uint64_t end;
	char *demangled;
	const char *file; /* owned by the Dwarf */
	uint32_t name;	  /* offset in sym_elf.names */
	uint32_t flags;
};

struct load_seg {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
};

struct dw_cu {
	Dwarf_Die die;
	bool scanned;
};

struct dw_range {
	uint64_t lo;
	uint64_t hi;
	size_t cu;
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
	int dw_state; /* 0: not tried, 1: ready, -1: unusable */
	struct dw_cu *cus;
	size_t ncus;
	struct dw_range *ranges;
	size_t nranges;

	uint64_t last_use;
	bool doomed;
};

struct hnode {
	struct hnode *next;
	uint64_t hash;
	struct sym_elf *elf;
	uint64_t used; /* cache clock at the last hit */
	/* path keys: what the path named when the key was added */
	bool check_stat;
	dev_t st_dev;
	ino_t st_ino;
	off_t st_size;
	struct timespec st_mtim;
	char key[];
};

struct htab {
	struct hnode **b;
	size_t nb; /* power of two */
	size_t n;
};

/*
 * Each file has one canonical key: "b:<build id>", or for a file without one
 * "f:<dev>:<ino>:<size>:<mtime>" as fstat saw it. Aliases, "i:<dev>:<ino>"
 * from the caller or "p:<path>", find it without opening anything; they are
 * dropped by a trim when unused since the trim before.
 */
struct sym_cache {
	unsigned int max_files;
	struct htab keys;
	struct htab fails; /* "n:<dev>:<ino>:<path>" */
	struct hnode **fail_ring;
	size_t fail_max;
	size_t fail_head;
	struct sym_elf **elfs;
	size_t nelfs;
	size_t elfs_cap;
	uint64_t clock;
	uint64_t trimmed_at;
	char *debug_dir;
};

struct elf_file {
	int fd;
	Elf *elf;
	struct stat st;
};

struct elf_sections {
	Elf_Scn *symtab;
	Elf_Scn *dynsym;
	bool dwarf;
};

struct raw_sym {
	uint64_t addr;
	uint64_t end; /* 0 when unknown */
	uint32_t name;
	uint32_t score;
	bool sized;
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

/* ---- hash table of string keys ---- */

static struct hnode *htab_find(const struct htab *t, const char *key)
{
	uint64_t h;

	if (!t->nb)
		return NULL;
	h = hash_str(key);
	for (struct hnode *n = t->b[h & (t->nb - 1)]; n; n = n->next)
		if (n->hash == h && strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

static int htab_grow(struct htab *t)
{
	size_t nb = t->nb ? t->nb * 2 : 64;
	struct hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nb; i++) {
		struct hnode *n = t->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
	return 0;
}

static struct hnode *htab_add(struct htab *t, const char *key, struct sym_elf *elf)
{
	size_t len = strlen(key);
	struct hnode *n;

	if (t->n >= t->nb && htab_grow(t) < 0)
		return NULL;
	n = calloc(1, sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	memcpy(n->key, key, len + 1);
	n->hash = hash_str(key);
	n->elf = elf;
	n->next = t->b[n->hash & (t->nb - 1)];
	t->b[n->hash & (t->nb - 1)] = n;
	t->n++;
	return n;
}

static void htab_del(struct htab *t, struct hnode *n)
{
	struct hnode **p = &t->b[n->hash & (t->nb - 1)];

	while (*p && *p != n)
		p = &(*p)->next;
	if (*p) {
		*p = n->next;
		t->n--;
	}
	free(n);
}

static void htab_clear(struct htab *t)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct hnode *n = t->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(t->b);
	t->b = NULL;
	t->nb = 0;
	t->n = 0;
}

/* ---- opening files ---- */

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

/* A truncated file has headers that point past its end (libelf then just
 * reports no sections). */
static bool elf_headers_fit(Elf *elf, const GElf_Ehdr *eh, uint64_t size)
{
	uint64_t phnum = eh->e_phnum, shnum = eh->e_shnum;

	if (phnum == PN_XNUM) {
		size_t n;

		if (elf_getphdrnum(elf, &n) < 0)
			return false;
		phnum = n;
	}
	if (eh->e_phoff && phnum &&
	    (eh->e_phoff > size || phnum * eh->e_phentsize > size - eh->e_phoff))
		return false;
	if (eh->e_shoff && !shnum)
		shnum = 1; /* the count is in section 0 */
	if (eh->e_shoff && (eh->e_shoff > size || shnum * eh->e_shentsize > size - eh->e_shoff))
		return false;
	return true;
}

static int elf_file__open(struct elf_file *f, const char *path)
{
	GElf_Ehdr ehdr;

	f->elf = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &f->st) < 0 || !S_ISREG(f->st.st_mode) ||
	    f->st.st_size < (off_t)sizeof(Elf32_Ehdr))
		goto bad;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &ehdr) ||
	    !elf_headers_fit(f->elf, &ehdr, f->st.st_size))
		goto bad;
	return 0;
bad:
	elf_file__close(f);
	return -ENOEXEC;
}

/* Keeps the Elf for libdw but gives up the descriptor: the mapped image is
 * all libelf needs, and cached files must not hold descriptors. */
static Elf *elf_file__keep(struct elf_file *f)
{
	Elf *elf = f->elf;

	elf_cntl(elf, ELF_C_FDDONE);
	close(f->fd);
	f->fd = -1;
	f->elf = NULL;
	return elf;
}

static void build_id_hex(Elf *elf, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *id;
	const void *p;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &p);

	out[0] = '\0';
	if (n <= 0 || n > BUILD_ID_MAX)
		return;
	id = p;
	for (ssize_t i = 0; i < n; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * n] = '\0';
}

static void elf_sections__scan(Elf *elf, struct elf_sections *s)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool names = elf_getshdrstrndx(elf, &shstrndx) == 0;

	memset(s, 0, sizeof(*s));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !s->symtab) {
			s->symtab = scn;
		} else if (sh.sh_type == SHT_DYNSYM && !s->dynsym) {
			s->dynsym = scn;
		} else if (sh.sh_type == SHT_PROGBITS && sh.sh_size && names) {
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
				s->dwarf = true;
		}
	}
}

/* ---- symbol tables ---- */

static uint32_t sym_score(const GElf_Sym *s, const char *name)
{
	uint32_t score = 0, us = 0;

	/* prefer sized, then global over weak over local, then fewer '_' */
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
	if (c->nlen + len > c->ncap) {
		size_t cap = c->ncap ? c->ncap : 4096;
		char *p;

		while (cap < c->nlen + len)
			cap *= 2;
		p = realloc(c->names, cap);
		if (!p) {
			c->oom = true;
			return false;
		}
		c->names = p;
		c->ncap = cap;
	}
	memcpy(c->names + c->nlen, name, len);
	*off = (uint32_t)c->nlen;
	c->nlen += len;
	return true;
}

static bool collect__add(struct collect *c, const struct raw_sym *r)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct raw_sym *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->oom = true;
			return false;
		}
		c->v = v;
		c->cap = cap;
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
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_value)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
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
	for (size_t i = 0; i < c->n; i++)
		if (!n || c->v[n - 1].addr != c->v[i].addr)
			c->v[n++] = c->v[i];
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

/* ---- separate debug files ---- */

struct debug_search {
	const struct sym_cache *cache;
	const struct elf_file *main;
	const char *build_id;
	const char *link; /* .gnu_debuglink name, or NULL */
	GElf_Word crc;
	char root[PATH_MAX]; /* "/proc/<pid>/root", or "" */
	char dir[PATH_MAX];  /* the file's directory below root */
};

static bool file_crc32(int fd, off_t size, GElf_Word *out)
{
	size_t bufsz = 1 << 16;
	unsigned char *buf = malloc(bufsz);
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;

	if (!buf)
		return false;
	while (off < size) {
		size_t want = size - off < (off_t)bufsz ? (size_t)(size - off) : bufsz;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	free(buf);
	*out = (GElf_Word)crc;
	return off == size;
}

static bool debug_try(const struct debug_search *s, const char *path, bool check_crc,
		      struct elf_file *out, struct elf_sections *sec)
{
	char id[2 * BUILD_ID_MAX + 1];
	GElf_Word crc;

	if (elf_file__open(out, path) < 0)
		return false;
	if (out->st.st_dev == s->main->st.st_dev && out->st.st_ino == s->main->st.st_ino)
		goto no;
	if (check_crc && (!file_crc32(out->fd, out->st.st_size, &crc) || crc != s->crc))
		goto no;
	build_id_hex(out->elf, id);
	if (s->build_id[0] && id[0] && strcmp(id, s->build_id) != 0)
		goto no;
	elf_sections__scan(out->elf, sec);
	if (!sec->symtab && !sec->dwarf)
		goto no;
	log_debug("sym: debug file %s", path);
	return true;
no:
	elf_file__close(out);
	return false;
}

static bool debug_find_in(const struct debug_search *s, const char *root, struct elf_file *out,
			  struct elf_sections *sec)
{
	const char *ddir = s->cache->debug_dir;
	char path[PATH_MAX];
	int n;

	if (strlen(s->build_id) > 2) {
		n = snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", root, ddir,
			     s->build_id, s->build_id + 2);
		if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, false, out, sec))
			return true;
	}
	if (!s->link)
		return false;
	n = snprintf(path, sizeof(path), "%s%s/%s", root, s->dir, s->link);
	if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec))
		return true;
	n = snprintf(path, sizeof(path), "%s%s/.debug/%s", root, s->dir, s->link);
	if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec))
		return true;
	if (s->dir[0] != '/')
		return false;
	n = snprintf(path, sizeof(path), "%s%s%s/%s", root, ddir, s->dir, s->link);
	return n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec);
}

/* Looks for the debug file of path (opened as main): by build id, then by
 * .gnu_debuglink, under path's /proc/<pid>/root prefix first, then on the host. */
static bool debug_find(const struct sym_cache *c, const char *path, const struct elf_file *main,
		       const char *build_id, struct elf_file *out, struct elf_sections *sec)
{
	struct debug_search *s = calloc(1, sizeof(*s));
	const char *inner = path, *slash;
	bool found = false;

	if (!s)
		return false;
	s->cache = c;
	s->main = main;
	s->build_id = build_id;
	s->link = dwelf_elf_gnu_debuglink(main->elf, &s->crc);
	if (s->link && (!*s->link || strchr(s->link, '/')))
		s->link = NULL;
	if (!strncmp(path, "/proc/", 6)) {
		const char *p = strchr(path + 6, '/');

		if (p && p > path + 6 && !strncmp(p, "/root/", 6) &&
		    (size_t)(p + 5 - path) < PATH_MAX) {
			memcpy(s->root, path, p + 5 - path);
			inner = p + 5;
		}
	}
	slash = strrchr(inner, '/');
	if (!slash)
		strcpy(s->dir, ".");
	else if ((size_t)(slash - inner) < sizeof(s->dir))
		memcpy(s->dir, inner, slash - inner);
	else
		s->link = NULL;

	if (s->root[0])
		found = debug_find_in(s, s->root, out, sec);
	if (!found)
		found = debug_find_in(s, "", out, sec);
	free(s);
	return found;
}

/* ---- loading ---- */

static void sym_elf__free(struct sym_elf *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].demangled);
	free(e->syms);
	free(e->names);
	free(e->segs);
	free(e->cus);
	free(e->ranges);
	if (e->dw)
		dwarf_end(e->dw);
	if (e->dw_elf)
		elf_end(e->dw_elf);
	free(e);
}

/* Takes f (closes it or keeps its Elf for DWARF). NULL when out of memory. */
static struct sym_elf *sym_elf__load(const struct sym_cache *c, const char *path,
				     struct elf_file *f, const char *build_id)
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
	arm = gelf_getehdr(f->elf, &ehdr) && ehdr.e_machine == EM_ARM;
	if (sym_elf__set_segments(e, f->elf) < 0)
		goto fail;
	elf_sections__scan(f->elf, &ms);
	if (ms.symtab)
		nsymtab = collect__section(&col, f->elf, ms.symtab, arm);
	if (ms.dynsym)
		collect__section(&col, f->elf, ms.dynsym, arm);
	if ((!nsymtab || !ms.dwarf) && !col.oom && debug_find(c, path, f, build_id, &dbg, &ds) &&
	    !nsymtab && ds.symtab)
		collect__section(&col, dbg.elf, ds.symtab, arm);
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

/* ---- DWARF source files ---- */

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

static const char *sym_elf__file(struct sym_elf *e, struct esym *s)
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

bool sym_elf__lookup(struct sym_elf *elf, uint64_t vaddr, struct sym_info *info)
{
	size_t lo = 0, hi;
	struct esym *s = NULL;

	if (!elf || !info)
		return false;
	hi = elf->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (elf->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo symbols start at or below vaddr; the nearest may not contain it */
	for (size_t k = 0; k < SYM_BACKTRACK && k < lo && !s; k++)
		if (vaddr < elf->syms[lo - 1 - k].end)
			s = &elf->syms[lo - 1 - k];
	if (!s)
		return false;
	info->raw_name = elf->names + s->name;
	if (!(s->flags & ESYM_DEMANGLED)) {
		s->demangled = sym_demangle(info->raw_name);
		s->flags |= ESYM_DEMANGLED;
	}
	info->name = s->demangled ? s->demangled : info->raw_name;
	info->file = sym_elf__file(elf, s);
	info->start = s->addr;
	return true;
}

bool sym_elf__has_symbols(const struct sym_elf *elf)
{
	return elf && elf->nsyms > 0;
}

/* ---- the cache ---- */

struct sym_cache *sym_cache__new(unsigned int max_files)
{
	struct sym_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max_files = max_files ? max_files : 1;
	c->fail_max = (size_t)c->max_files * 4 + FAILS_MIN;
	c->fail_ring = calloc(c->fail_max, sizeof(*c->fail_ring));
	c->debug_dir = strdup(DEFAULT_DEBUG_DIR);
	if (!c->fail_ring || !c->debug_dir) {
		sym_cache__free(c);
		return NULL;
	}
	pthread_once(&libelf_once, libelf_init);
	if (!libelf_ok)
		log_warn("sym: libelf version mismatch, ELF symbols unavailable");
	return c;
}

static void sym_cache__clear_fails(struct sym_cache *c)
{
	htab_clear(&c->fails);
	if (c->fail_ring)
		memset(c->fail_ring, 0, c->fail_max * sizeof(*c->fail_ring));
	c->fail_head = 0;
}

void sym_cache__free(struct sym_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nelfs; i++)
		sym_elf__free(c->elfs[i]);
	free(c->elfs);
	htab_clear(&c->keys);
	sym_cache__clear_fails(c);
	free(c->fail_ring);
	free(c->debug_dir);
	free(c);
}

int sym_cache__set_debug_dir(struct sym_cache *c, const char *dir)
{
	char *d;
	size_t len;

	if (!c || !dir)
		return -EINVAL;
	d = strdup(dir);
	if (!d)
		return -ENOMEM;
	len = strlen(d);
	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	free(c->debug_dir);
	c->debug_dir = d;
	return 0;
}

static void sym_cache__remember_fail(struct sym_cache *c, const char *key)
{
	struct hnode **slot = &c->fail_ring[c->fail_head];

	if (*slot)
		htab_del(&c->fails, *slot);
	*slot = htab_add(&c->fails, key, NULL);
	c->fail_head = (c->fail_head + 1) % c->fail_max;
}

/* A path key is stale once the path names another file; a path that no
 * longer resolves (the process exited) keeps what was read. */
static bool hnode__stale(const struct hnode *n, const char *path)
{
	struct stat st;

	if (!n->check_stat || stat(path, &st) < 0)
		return false;
	return st.st_dev != n->st_dev || st.st_ino != n->st_ino || st.st_size != n->st_size ||
	       st.st_mtim.tv_sec != n->st_mtim.tv_sec || st.st_mtim.tv_nsec != n->st_mtim.tv_nsec;
}

static void sym_cache__alias(struct sym_cache *c, const char *key, struct sym_elf *e,
			     const struct stat *st)
{
	struct hnode *n = htab_add(&c->keys, key, e);

	if (!n)
		return;
	n->used = c->clock;
	if (key[0] == 'p') {
		n->check_stat = true;
		n->st_dev = st->st_dev;
		n->st_ino = st->st_ino;
		n->st_size = st->st_size;
		n->st_mtim = st->st_mtim;
	}
}

static bool sym_cache__reserve(struct sym_cache *c)
{
	size_t cap = c->elfs_cap ? c->elfs_cap * 2 : 16;
	struct sym_elf **p;

	if (c->nelfs < c->elfs_cap)
		return true;
	p = realloc(c->elfs, cap * sizeof(*p));
	if (!p)
		return false;
	c->elfs = p;
	c->elfs_cap = cap;
	return true;
}

static struct hnode *sym_cache__find_alias(struct sym_cache *c, const char *key, const char *path)
{
	struct hnode *n = htab_find(&c->keys, key);

	if (n && hnode__stale(n, path)) {
		htab_del(&c->keys, n);
		n = NULL;
	}
	if (n)
		n->used = c->clock;
	return n;
}

struct sym_elf *sym_cache__elf(struct sym_cache *c, const char *path, uint64_t dev, uint64_t ino)
{
	char *ikey = NULL, *pkey = NULL, *fkey = NULL, *ckey = NULL;
	char build_id[2 * BUILD_ID_MAX + 1];
	struct sym_elf *e = NULL;
	struct elf_file f;
	struct hnode *n;
	struct stat st;
	int ret;

	if (!c || !path || !*path)
		return NULL;
	c->clock++;
	if ((dev || ino) &&
	    asprintf(&ikey, "i:%llx:%llx", (unsigned long long)dev, (unsigned long long)ino) < 0)
		return NULL;
	if (asprintf(&pkey, "p:%s", path) < 0)
		goto out;
	n = ikey ? sym_cache__find_alias(c, ikey, path) : NULL;
	if (!n)
		n = sym_cache__find_alias(c, pkey, path);
	if (n) {
		e = n->elf;
		goto out;
	}
	if (asprintf(&fkey, "n:%llx:%llx:%s", (unsigned long long)dev, (unsigned long long)ino,
		     path) < 0)
		goto out;
	if (htab_find(&c->fails, fkey) || !libelf_ok)
		goto out;
	ret = elf_file__open(&f, path);
	if (ret < 0) {
		/* out of descriptors or memory is not the file's fault */
		if (ret != -EMFILE && ret != -ENFILE && ret != -ENOMEM && ret != -EINTR)
			sym_cache__remember_fail(c, fkey);
		goto out;
	}
	st = f.st;
	build_id_hex(f.elf, build_id);
	if (build_id[0])
		ret = asprintf(&ckey, "b:%s", build_id);
	else
		ret = asprintf(&ckey, "f:%llx:%llx:%llx:%lld.%09ld", (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
			       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (ret < 0) {
		ckey = NULL;
		elf_file__close(&f);
		goto out;
	}
	n = htab_find(&c->keys, ckey);
	if (n) {
		elf_file__close(&f);
		e = n->elf;
	} else {
		if (!sym_cache__reserve(c)) {
			elf_file__close(&f);
			goto out;
		}
		e = sym_elf__load(c, path, &f, build_id);
		if (!e)
			goto out;
		c->elfs[c->nelfs++] = e;
		htab_add(&c->keys, ckey, e);
	}
	/* the caller's (dev, ino) names this file only if it is the one opened
	 * (not so through overlayfs, or after a fallback to another path) */
	if (ikey && st.st_dev == dev && st.st_ino == ino)
		sym_cache__alias(c, ikey, e, &st);
	else
		sym_cache__alias(c, pkey, e, &st);
out:
	if (e)
		e->last_use = c->clock;
	free(ikey);
	free(pkey);
	free(fkey);
	free(ckey);
	return e;
}

static int elf_lru_cmp(const void *a, const void *b)
{
	const struct sym_elf *x = *(struct sym_elf *const *)a, *y = *(struct sym_elf *const *)b;

	if (x->last_use != y->last_use)
		return x->last_use < y->last_use ? -1 : 1;
	return 0;
}

void sym_cache__trim(struct sym_cache *c)
{
	size_t evict = 0, kept = 0;

	if (!c)
		return;
	sym_cache__clear_fails(c);
	if (c->nelfs > c->max_files) {
		qsort(c->elfs, c->nelfs, sizeof(*c->elfs), elf_lru_cmp);
		evict = c->nelfs - c->max_files;
	}
	for (size_t i = 0; i < evict; i++)
		c->elfs[i]->doomed = true;
	for (size_t i = 0; i < c->keys.nb; i++) {
		struct hnode *n = c->keys.b[i], *next;

		for (; n; n = next) {
			bool alias = n->key[0] == 'i' || n->key[0] == 'p';

			next = n->next;
			if (n->elf->doomed || (alias && n->used <= c->trimmed_at))
				htab_del(&c->keys, n);
		}
	}
	for (size_t i = 0; i < c->nelfs; i++) {
		if (c->elfs[i]->doomed)
			sym_elf__free(c->elfs[i]);
		else
			c->elfs[kept++] = c->elfs[i];
	}
	c->nelfs = kept;
	c->trimmed_at = c->clock;
}
