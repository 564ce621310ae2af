// SPDX-License-Identifier: GPL-2.0
/*
 * The process table (proc.h): processes and threads from the side-band
 * records and /proc, an immutable view of each process per change, JIT
 * maps.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/log.h"
#include "proc.h"
#include "base/u32map.h"
#include "base/util.h"

/* Bytes held by live process views, all tables together. */
static size_t view_bytes;

struct proc_table {
	struct u32map procs;   /* pid -> struct proc */
	struct u32map threads; /* tid -> struct thread */
	struct u32map names;   /* pid -> char[16]: names at start (proc_table__names_at_start) */
	unsigned int max_procs;
	size_t live;
	struct proc_stats stats;
};

struct proc_view *proc_view__get(struct proc_view *v)
{
	if (v)
		__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

void proc_view__put(struct proc_view *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < v->nmaps; i++)
		mapping__put(v->maps[i]);
	jitmap__put(v->jit);
	__atomic_sub_fetch(&view_bytes, sizeof(*v) + v->nmaps * sizeof(v->maps[0]),
			   __ATOMIC_RELAXED);
	free(v);
}

struct mapping *proc_view__find_mapping(const struct proc_view *v, uint64_t addr)
{
	return mappings_find(v->maps, v->nmaps, addr);
}

/* p changed: the samples taken from now on need a new view. */
static void proc__changed(struct proc *p)
{
	p->view_old = true;
	p->gen++;
}

struct proc_table *proc_table__new(unsigned int max_procs)
{
	struct proc_table *t = calloc(1, sizeof(*t));

	if (t)
		t->max_procs = max_procs;
	return t;
}

static void proc__free(struct proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmaps; i++)
		mapping__put(p->maps[i]);
	free(p->maps);
	jitmap__put(p->jit);
	proc_view__put(p->view);
	free(p);
}

void proc_table__free(struct proc_table *t)
{
	void *v;

	if (!t)
		return;
	u32map__for_each(&t->procs, i, v)
		proc__free(v);
	u32map__for_each(&t->threads, i, v)
		free(v);
	u32map__for_each(&t->names, i, v)
		free(v);
	u32map__fini(&t->names);
	u32map__fini(&t->procs);
	u32map__fini(&t->threads);
	free(t);
}

/* Reads a small /proc file into buf, without the trailing newline. */
static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static void set_exe(struct proc *p, const char *path)
{
	const char *base = strrchr(path, '/');
	char tmp[sizeof(p->exe)];
	char *deleted;

	snprintf(tmp, sizeof(tmp), "%s", base ? base + 1 : path);
	deleted = strstr(tmp, " (deleted)");
	if (deleted)
		*deleted = 0;
	if (tmp[0])
		memcpy(p->exe, tmp, sizeof(tmp));
}

/* Reads what the kernel's records would have told us had we been there. */
static void proc__backfill(struct proc_table *t, struct proc *p)
{
	char path[64], buf[512], line[4096];
	uint64_t start, end, pgoff, dev, ino;
	char *mpath;
	FILE *f;
	ssize_t n;

	p->backfilled = true;
	t->stats.backfills++;
	snprintf(path, sizeof(path), "/proc/%u/comm", p->pid);
	if (!read_small(path, buf, sizeof(p->comm)))
		memcpy(p->comm, buf, sizeof(p->comm));
	else if (u32map__find(&t->names, p->pid))
		memcpy(p->comm, u32map__find(&t->names, p->pid), sizeof(p->comm));
	snprintf(path, sizeof(path), "/proc/%u/exe", p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		set_exe(p, buf);
	}
	snprintf(path, sizeof(path), "/proc/%u/status", p->pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *last;

			if (strncmp(line, "NSpid:", 6))
				continue;
			last = strrchr(line, '\t');
			p->nspid = (uint32_t)strtoul(last ? last + 1 : line + 6, NULL, 10);
			break;
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	if (!f) {
		log_debug("pid %u: cannot read %s: %s", p->pid, path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!maps_parse_line(line, &start, &end, &pgoff, &dev, &ino, &mpath))
			continue;
		proc_table__mmap(t, p->pid, start, end - start, pgoff, dev, ino, mpath);
	}
	fclose(f);
	proc__changed(p);
	log_debug("pid %u (%s): backfilled %zu executable mappings from /proc", p->pid, p->comm,
		  p->nmaps);
}

void proc_table__names_at_start(struct proc_table *t)
{
	char path[64], buf[16];
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		uint32_t pid = (uint32_t)strtoul(d->d_name, NULL, 10);
		char *name;

		if (!pid || u32map__find(&t->names, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
		if (read_small(path, buf, sizeof(buf)))
			continue;
		name = calloc(1, 16);
		if (!name)
			break;
		memcpy(name, buf, sizeof(buf));
		if (u32map__put(&t->names, pid, name)) {
			free(name);
			break;
		}
		n++;
	}
	closedir(dir);
	log_debug("names of %zu processes read at start", n);
}

struct proc *proc_table__find(struct proc_table *t, uint32_t pid)
{
	return u32map__find(&t->procs, pid);
}

static struct proc *proc_table__add(struct proc_table *t, uint32_t pid)
{
	struct proc *p;

	if (t->live >= t->max_procs) {
		t->stats.dropped_pids++;
		if (t->stats.dropped_pids == 1)
			log_warn("tracking the maximum of %u processes; samples of further ones "
				 "are counted under [untracked process] (--maximum_pids)",
				 t->max_procs);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->nspid = pid;
	if (u32map__put(&t->procs, pid, p)) {
		free(p);
		return NULL;
	}
	t->live++;
	return p;
}

struct proc *proc_table__get(struct proc_table *t, uint32_t pid, bool backfill)
{
	struct proc *p = proc_table__find(t, pid);

	if (!p) {
		p = proc_table__add(t, pid);
		if (!p)
			return NULL;
	}
	if (backfill && !p->backfilled && !p->exited)
		proc__backfill(t, p);
	return p;
}

struct thread *proc_table__thread(struct proc_table *t, uint32_t pid, uint32_t tid)
{
	struct thread *th = u32map__find(&t->threads, tid);
	char path[64];

	if (th)
		return th;
	th = calloc(1, sizeof(*th));
	if (!th)
		return NULL;
	th->tid = tid;
	th->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	if (read_small(path, th->comm, sizeof(th->comm))) {
		struct proc *p = proc_table__find(t, pid);

		if (p)
			memcpy(th->comm, p->comm, sizeof(th->comm));
	}
	if (u32map__put(&t->threads, tid, th)) {
		free(th);
		return NULL;
	}
	return th;
}

static int proc__reserve(struct proc *p, size_t n)
{
	return array__reserve(&p->maps, &p->maps_cap, p->nmaps + n, sizeof(*p->maps));
}

static size_t proc__lower(const struct proc *p, uint64_t addr)
{
	return mappings_lower(p->maps, p->nmaps, addr);
}

struct mapping *proc__find_mapping(const struct proc *p, uint64_t addr)
{
	return mappings_find(p->maps, p->nmaps, addr);
}

/*
 * A new mapping replaces whatever it overlaps, as mmap(MAP_FIXED) does. The
 * pieces of an old mapping left on either side become new mapping objects,
 * since published ones never change.
 */
static int proc__insert(struct proc *p, struct mapping *m)
{
	struct mapping *left = NULL, *right = NULL;
	size_t first, last;

	if (proc__reserve(p, 3))
		return -ENOMEM;
	first = proc__lower(p, m->start);
	last = first;
	while (last < p->nmaps && p->maps[last]->start < m->end)
		last++;
	if (first < last) {
		struct mapping *a = p->maps[first], *b = p->maps[last - 1];

		if (a->start < m->start)
			left = mapping__new(a->start, m->start, a->pgoff, a->dev, a->ino, a->path);
		if (b->end > m->end)
			right = mapping__new(m->end, b->end, b->pgoff + (m->end - b->start), b->dev,
					     b->ino, b->path);
		if (left)
			left->kmod_at = a->kmod_at;
		if (right)
			right->kmod_at = b->kmod_at;
		if ((a->start < m->start && !left) || (b->end > m->end && !right)) {
			free(left);
			free(right);
			return -ENOMEM;
		}
		for (size_t i = first; i < last; i++)
			mapping__put(p->maps[i]);
	}
	{
		size_t add = (left != NULL) + 1 + (right != NULL);

		memmove(&p->maps[first + add], &p->maps[last],
			(p->nmaps - last) * sizeof(*p->maps));
		p->nmaps = p->nmaps - (last - first) + add;
		if (left)
			p->maps[first++] = left;
		p->maps[first++] = m;
		if (right)
			p->maps[first] = right;
	}
	return 0;
}

void proc_table__mmap(struct proc_table *t, uint32_t pid, uint64_t start, uint64_t len,
		      uint64_t pgoff, uint64_t dev, uint64_t ino, const char *path)
{
	struct proc *p = proc_table__get(t, pid, false);
	struct mapping *m;

	if (!p || !len || start + len < start)
		return;
	t->stats.mmaps++;
	m = mapping__new(start, start + len, pgoff, dev, ino, path);
	if (!m)
		return;
	if (proc__insert(p, m)) {
		free(m);
		return;
	}
	proc__changed(p);
	if (p->exec_pending && mapping__is_file(m)) {
		set_exe(p, path);
		p->exec_pending = false;
	}
	if (!p->exe[0] && mapping__is_file(m))
		set_exe(p, path);
}

void proc_table__comm(struct proc_table *t, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	struct proc *p = proc_table__get(t, pid, false);
	struct thread *th = proc_table__thread(t, pid, tid);

	if (th)
		snprintf(th->comm, sizeof(th->comm), "%s", comm);
	if (!p)
		return;
	if (tid == pid || exec) {
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
		proc__changed(p);
	}
	if (exec) {
		/* A new program: the old address space is gone. */
		for (size_t i = 0; i < p->nmaps; i++)
			mapping__put(p->maps[i]);
		p->nmaps = 0;
		p->exe[0] = 0;
		p->exec_pending = true;
		p->backfilled = true;
		jitmap__put(p->jit);
		p->jit = NULL;
	}
}

void proc_table__fork(struct proc_table *t, uint32_t pid, uint32_t ppid, uint32_t tid)
{
	struct proc *parent, *child;
	struct thread *th;

	if (pid == ppid) {
		/* A new thread: its name is its creator's until it sets one. */
		struct proc *p = proc_table__find(t, pid);

		th = calloc(1, sizeof(*th));
		if (!th)
			return;
		th->tid = tid;
		th->pid = pid;
		if (p)
			memcpy(th->comm, p->comm, sizeof(th->comm));
		free(u32map__del(&t->threads, tid));
		if (u32map__put(&t->threads, tid, th))
			free(th);
		return;
	}
	/* A child of a process not seen yet starts as an image of it: read the
	 * parent now, while it lives (the child may be gone before its first
	 * sample is read). */
	parent = ppid ? proc_table__get(t, ppid, true) : NULL;
	child = proc_table__find(t, pid);
	if (child && child->exited) {
		/* A reused pid: forget the old process. */
		u32map__del(&t->procs, pid);
		proc__free(child);
		child = NULL;
	}
	if (!child) {
		child = proc_table__add(t, pid);
		if (!child)
			return;
		child->nspid = 0;
	}
	/* A child already known has newer state (its exec came first in our
	 * reading): the parent's image only fills what is missing. */
	if (parent && !child->nmaps && !child->exec_pending) {
		if (!child->comm[0])
			memcpy(child->comm, parent->comm, sizeof(child->comm));
		if (!child->exe[0])
			memcpy(child->exe, parent->exe, sizeof(child->exe));
		memcpy(child->container_id, parent->container_id, sizeof(child->container_id));
		if (!proc__reserve(child, parent->nmaps)) {
			for (size_t i = 0; i < parent->nmaps; i++)
				child->maps[i] = mapping__get(parent->maps[i]);
			child->nmaps = parent->nmaps;
		}
	}
	proc__changed(child);
	child->backfilled = child->backfilled || parent != NULL;
	th = calloc(1, sizeof(*th));
	if (th) {
		th->tid = tid;
		th->pid = pid;
		memcpy(th->comm, child->comm, sizeof(th->comm));
		free(u32map__del(&t->threads, tid));
		if (u32map__put(&t->threads, tid, th))
			free(th);
	}
}

void proc_table__exit(struct proc_table *t, uint32_t pid, uint32_t tid)
{
	struct thread *th = u32map__find(&t->threads, tid);
	struct proc *p;

	if (th)
		th->exited = true;
	if (pid != tid)
		return;
	p = proc_table__find(t, pid);
	if (p && !p->exited) {
		p->exited = true;
		t->live--;
	}
}

void proc_table__collect(struct proc_table *t)
{
	void *v;

	u32map__for_each(&t->threads, i, v) {
		struct thread *th = v;

		if (th->exited) {
			u32map__del_at(&t->threads, i);
			free(th);
			i--; /* the removal may have moved an entry here */
		}
	}
	u32map__for_each(&t->procs, i, v) {
		struct proc *p = v;

		if (p->exited) {
			u32map__del_at(&t->procs, i);
			proc__free(p);
			i--;
		}
	}
}

struct proc_view *proc_table__view(struct proc_table *t, struct proc *p)
{
	size_t size = sizeof(*p->view) + p->nmaps * sizeof(p->view->maps[0]);
	struct proc_view *v;

	if (p->view && !p->view_old)
		return p->view;
	if (__atomic_load_n(&view_bytes, __ATOMIC_RELAXED) + size > PROC_VIEW_BYTES ||
	    !(v = malloc(size))) {
		t->stats.views_stale++;
		return p->view;
	}
	v->refs = 1;
	v->pid = p->pid;
	v->nspid = p->nspid;
	memcpy(v->comm, p->comm, sizeof(v->comm));
	memcpy(v->exe, p->exe, sizeof(v->exe));
	memcpy(v->container_id, p->container_id, sizeof(v->container_id));
	v->jit = jitmap__get(p->jit);
	v->nmaps = p->nmaps;
	for (size_t i = 0; i < p->nmaps; i++)
		v->maps[i] = mapping__get(p->maps[i]);
	__atomic_add_fetch(&view_bytes, size, __ATOMIC_RELAXED);
	t->stats.views++;
	if (!p->comm[0] && !p->exe[0])
		log_debug("pid %u: sampled with no name known (%zu mappings, %s)", p->pid, p->nmaps,
			  p->backfilled ? "backfilled" : "not backfilled");
	proc_view__put(p->view);
	p->view = v;
	p->view_old = false;
	return v;
}

void proc__refresh_jit(struct proc *p, uint64_t now_ns, const struct jit_reader *r)
{
	char path[128];
	struct jitmap *j;
	void *map;

	if (p->jit_checked_ns && now_ns - p->jit_checked_ns < 1000000000ull)
		return;
	p->jit_checked_ns = now_ns;
	snprintf(path, sizeof(path), "/proc/%u/root/tmp/perf-%u.map", p->pid,
		 p->nspid ? p->nspid : p->pid);
	map = r->load(path);
	if (!map)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		r->free(map);
		return;
	}
	j->refs = 1;
	j->map = map;
	j->free = r->free;
	jitmap__put(p->jit);
	p->jit = j;
	proc__changed(p);
	log_debug("pid %u: loaded JIT map %s", p->pid, path);
}

void proc_table__stats(const struct proc_table *t, struct proc_stats *st)
{
	*st = t->stats;
	st->procs = t->live;
}

void proc_table__for_each(struct proc_table *t, void (*fn)(struct proc *p, void *arg), void *arg)
{
	void *v;

	u32map__for_each(&t->procs, i, v) {
		struct proc *p = v;

		if (!p->exited)
			fn(p, arg);
	}
}
