// SPDX-License-Identifier: GPL-2.0
/*
 * The cache of opened ELF files, by content (build id, else dev, inode,
 * size and mtime) with aliases by path and inode; files that failed to
 * open are remembered (a bounded ring) so they are not tried per sample.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hashtab.h"
#include "base/log.h"
#include "sym_elf.h"
#include "base/util.h"

#define FAILS_MIN 64

struct hnode {
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

/*
 * Each file has one canonical key: "b:<build id>", or for a file without one
 * "f:<dev>:<ino>:<size>:<mtime>" as fstat saw it. Aliases, "i:<dev>:<ino>"
 * from the caller or "p:<path>", find it without opening anything; they are
 * dropped by a trim when unused since the trim before.
 */
struct sym_cache {
	unsigned int max_files;
	struct hashtab keys;
	struct hashtab fails; /* "n:<dev>:<ino>:<path>" */
	struct hnode **fail_ring;
	size_t fail_max;
	size_t fail_head;
	struct sym_elf **elfs;
	size_t nelfs;
	size_t elfs_cap;
	uint64_t clock;
	uint64_t trimmed_at;
	char *debug_dir;
	struct sym_fetcher *fetcher; /* debuginfod, or NULL */
	uint64_t deadline_ns;	     /* for its answers, this profile */
};

/* ---- keys: nodes by their string, in the one hash table ---- */

static struct hnode *node_of(const struct hashtab_slot *s)
{
	return (struct hnode *)(uintptr_t)s->val;
}

static struct hashtab_slot *htab_slot(const struct hashtab *t, const char *key, uint64_t h)
{
	struct hashtab_slot *s;

	if (!t->cap)
		return NULL;
	for (s = hashtab__probe(t, h); s->val; s = hashtab__next(t, s))
		if (s->hash == h && strcmp(node_of(s)->key, key) == 0)
			return s;
	return NULL;
}

static struct hnode *htab_find(const struct hashtab *t, const char *key)
{
	struct hashtab_slot *s = htab_slot(t, key, hash_str(key));

	return s ? node_of(s) : NULL;
}

static struct hnode *htab_add(struct hashtab *t, const char *key, struct sym_elf *elf)
{
	size_t len = strlen(key);
	uint64_t h = hash_str(key);
	struct hashtab_slot *s;
	struct hnode *n;

	if (hashtab__reserve(t, 1) < 0)
		return NULL;
	n = calloc(1, sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	memcpy(n->key, key, len + 1);
	n->elf = elf;
	for (s = hashtab__probe(t, h); s->val; s = hashtab__next(t, s))
		;
	hashtab__fill(t, s, h, (uintptr_t)n);
	return n;
}

static void htab_del(struct hashtab *t, struct hnode *n)
{
	uint64_t h = hash_str(n->key);

	for (struct hashtab_slot *s = hashtab__probe(t, h); s->val; s = hashtab__next(t, s)) {
		if (node_of(s) == n) {
			hashtab__remove(t, s);
			break;
		}
	}
	free(n);
}

static void htab_clear(struct hashtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(node_of(&t->slots[i]));
	hashtab__free(t);
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
	c->debug_dir = strdup(SYM_DEBUG_DIR);
	if (!c->fail_ring || !c->debug_dir) {
		sym_cache__free(c);
		return NULL;
	}
	if (!sym_elf__libelf_ok())
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

void sym_cache__set_fetcher(struct sym_cache *c, struct sym_fetcher *f)
{
	if (c)
		c->fetcher = f;
}

void sym_cache__set_deadline(struct sym_cache *c, uint64_t deadline_ns)
{
	if (c)
		c->deadline_ns = deadline_ns;
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
	return !array__reserve(&c->elfs, &c->elfs_cap, c->nelfs + 1, sizeof(*c->elfs));
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
	if (htab_find(&c->fails, fkey) || !sym_elf__libelf_ok())
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
		e = sym_elf__load(c->debug_dir, path, &f, build_id, c->fetcher, c->deadline_ns);
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
	/* debuginfod answered since: open those again, with their debug file */
	for (size_t i = evict; i < c->nelfs; i++)
		if (c->elfs[i]->debug_pending &&
		    sym_fetcher__state(c->fetcher, c->elfs[i]->build_id) == SYM_FETCH_DONE)
			c->elfs[i]->doomed = true;
	/* A removal moves a later entry into slot i: look at it again. (One
	 * moved from the table's start to its end is looked at twice.) */
	for (size_t i = 0; i < c->keys.cap;) {
		struct hnode *n = node_of(&c->keys.slots[i]);
		bool alias = n && (n->key[0] == 'i' || n->key[0] == 'p');

		if (n && (n->elf->doomed || (alias && n->used <= c->trimmed_at))) {
			hashtab__remove(&c->keys, &c->keys.slots[i]);
			free(n);
		} else {
			i++;
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
