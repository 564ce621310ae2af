// SPDX-License-Identifier: GPL-2.0
/*
 * From a snapshot to a pprof: each unique (mapping, address) becomes one
 * location, named once through the ELF cache, kallsyms or a JIT map. An
 * address that cannot be named keeps its file and offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "profile.h"
#include "proc/proc.h"
#include "hrprof.h"
#include "base/log.h"
#include "pprof.h"
#include "sym/sym.h"
#include "base/util.h"

#define SYM_CACHE_FILES 256
#define KERNEL_START	0xffff800000000000ull

struct symbolizer {
	struct sym_cache *cache;
	struct ksyms *ksyms;
	struct sym_fetcher *fetcher; /* debuginfod, when DEBUGINFOD_URLS is set */
	uint64_t wait_ns;	     /* what a profile waits for it, at most */
};

struct symbolizer *symbolizer__new(unsigned int debuginfod_wait_ms)
{
	struct symbolizer *sy = calloc(1, sizeof(*sy));

	if (!sy)
		return NULL;
	sy->cache = sym_cache__new(SYM_CACHE_FILES);
	if (!sy->cache) {
		free(sy);
		return NULL;
	}
	sy->fetcher = sym_fetcher__new();
	sym_cache__set_fetcher(sy->cache, sy->fetcher);
	sy->wait_ns = debuginfod_wait_ms * 1000000ull;
	return sy;
}

void symbolizer__free(struct symbolizer *sy)
{
	if (!sy)
		return;
	sym_cache__free(sy->cache);
	sym_fetcher__free(sy->fetcher);
	ksyms__free(sy->ksyms);
	free(sy);
}

void symbolizer__trim(struct symbolizer *sy)
{
	sym_cache__trim(sy->cache);
	/* Modules come and go: read kallsyms afresh for the next profile. */
	ksyms__free(sy->ksyms);
	sy->ksyms = NULL;
}

/*
 * (owner, address, caller) -> id: locations by mapping, address and whether
 * the address is a caller's (a return address, named by the call before it)
 * or the leaf's; mappings by pointer.
 */
struct idmap {
	struct hashtab tab; /* key index + 1 */
	struct idkey {
		const void *owner;
		uint64_t addr;
		uint64_t caller;
		uint64_t id;
	} * keys;
	size_t n, cap;
};

/* The id stored for (owner, addr, caller), 0 when new: the caller sets it.
 * NULL when out of memory. The pointer lasts until the next call. */
static uint64_t *idmap__slot(struct idmap *m, const void *owner, uint64_t addr, bool caller)
{
	struct idkey key = {owner, addr, caller, 0};
	uint64_t h = hash_bytes(&key, offsetof(struct idkey, id));
	struct hashtab_slot *s;

	if (hashtab__reserve(&m->tab, 1))
		return NULL;
	for (s = hashtab__probe(&m->tab, h); s->val; s = hashtab__next(&m->tab, s)) {
		struct idkey *k = &m->keys[s->val - 1];

		if (k->owner == owner && k->addr == addr && k->caller == caller)
			return &k->id;
	}
	if (array__reserve(&m->keys, &m->cap, m->n + 1, sizeof(*m->keys)))
		return NULL;
	m->keys[m->n] = key;
	hashtab__fill(&m->tab, s, h, ++m->n);
	return &m->keys[m->n - 1].id;
}

static void idmap__free(struct idmap *m)
{
	hashtab__free(&m->tab);
	free(m->keys);
}

struct builder {
	struct pprof *pp;
	struct symbolizer *sy;
	const struct snapshot *snap;
	struct idmap locs;
	struct idmap maps;
	struct sym_elf **elfs; /* by pprof mapping id: the file's ELF, or NULL */
	size_t nelfs;
	uint64_t kernel_mapping;
	int64_t period_ns;
	bool cycles;
	bool show;    /* --show_samples */
	bool inlines; /* -I: inlined functions as lines of their own */
	bool nosym;   /* --disable_symbolization: user frames unnamed */
};

/* Synthetic frames ([lost], the root frame...) get one location per name. */
static uint64_t synthetic_location(struct builder *b, const char *name)
{
	uint64_t fn = pprof__function(b->pp, name, name, "");
	uint64_t *id;

	if (!fn)
		return 0;
	id = idmap__slot(&b->locs, (const void *)1, fn, false);
	if (id && !*id)
		*id = pprof__location(b->pp, 0, 0, fn);
	return id ? *id : 0;
}

/* The file as the process sees it (through its root, for other mount
 * namespaces), else the host's file of that name once the process is gone. */
static struct sym_elf *open_elf(struct builder *b, const struct proc_view *p,
				const struct mapping *m)
{
	char path[4096 + 32];
	size_t prefix = mapping__proc_path(m, p->pid, path, sizeof(path));
	struct sym_elf *elf;

	elf = sym_cache__elf(b->sy->cache, path, m->dev, m->ino);
	if (!elf)
		elf = sym_cache__elf(b->sy->cache, path + prefix, m->dev, m->ino);
	return elf;
}

/*
 * The pprof mapping of m, made the first time m is met; for a file, its ELF
 * is opened then, once per mapping and profile (not per location), and
 * returned through elf (NULL when unreadable or not a file).
 */
static uint64_t pprof_mapping_of(struct builder *b, const struct proc_view *p,
				 const struct mapping *m, struct sym_elf **elf)
{
	uint64_t *id = idmap__slot(&b->maps, m, 0, false);
	struct sym_elf *e;

	if (!id)
		return 0;
	if (!*id) {
		e = mapping__is_file(m) ? open_elf(b, p, m) : NULL;
		*id = pprof__mapping(b->pp, m->start, m->end, m->pgoff, m->path,
				     e ? sym_elf__build_id(e) : "",
				     e && !b->nosym && sym_elf__has_symbols(e), false);
		if (*id >= b->nelfs) {
			size_t old = b->nelfs;

			if (array__reserve(&b->elfs, &b->nelfs, *id + 1, sizeof(*b->elfs)))
				return 0;
			memset(b->elfs + old, 0, (b->nelfs - old) * sizeof(*b->elfs));
		}
		b->elfs[*id] = e;
	}
	if (elf)
		*elf = b->elfs[*id];
	return *id;
}

static uint64_t user_location(struct builder *b, const struct proc_view *p, uint64_t ip, bool leaf)
{
	uint64_t look = leaf ? ip : ip - 1, *id, fn = 0, mid = 0;
	const struct mapping *m = NULL;
	struct sym_frame frames[SYM_FRAMES_MAX];
	struct pprof_line lines[SYM_FRAMES_MAX];
	char name[512];
	struct sym_info info;
	size_t nf = 0;

	if (p)
		m = proc_view__find_mapping(p, look);
	id = idmap__slot(&b->locs, m ? (const void *)m : (const void *)p, ip, !leaf);
	if (!id)
		return 0;
	if (*id)
		return *id;

	if (m && mapping__is_file(m)) {
		uint64_t off = look - m->start + m->pgoff, vaddr;
		const char *base = strrchr(m->path, '/');
		struct sym_elf *elf = NULL;

		mid = pprof_mapping_of(b, p, m, &elf);
		if (b->nosym) {
			*id = pprof__location(b->pp, mid, ip, 0);
			return *id;
		}
		if (elf && sym_elf__offset_to_vaddr(elf, off, &vaddr))
			nf = sym_elf__frames(elf, vaddr, b->inlines, frames, SYM_FRAMES_MAX);
		if (nf) {
			for (size_t i = 0; i < nf; i++) {
				lines[i].function_id =
				    pprof__function(b->pp, frames[i].name, frames[i].raw_name,
						    frames[i].file ? frames[i].file : m->path);
				lines[i].line = frames[i].line;
				if (!lines[i].function_id)
					return 0;
			}
			*id = pprof__location_lines(b->pp, mid, ip, lines, nf);
			return *id;
		}
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, base ? base + 1 : m->path, off);
		fn = pprof__function(b->pp, name, name, m->path);
	} else if (p && p->jit && perfmap__lookup(p->jit->map, look, &info)) {
		if (m)
			mid = pprof_mapping_of(b, p, m, NULL);
		fn = pprof__function(b->pp, info.name, info.raw_name, "[jit]");
	} else if (m) {
		mid = pprof_mapping_of(b, p, m, NULL);
		fn = pprof__function(b->pp, m->path[0] == '[' ? m->path : "Anonymous", "", "");
	} else {
		fn = pprof__function(b->pp, "[unknown mapping]", "", "");
	}
	*id = pprof__location(b->pp, mid, ip, fn);
	return *id;
}

static uint64_t kernel_location(struct builder *b, uint64_t ip, bool leaf)
{
	uint64_t *id = idmap__slot(&b->locs, NULL, ip, !leaf), fn;
	struct sym_info info;
	char name[64];

	if (!id)
		return 0;
	if (*id)
		return *id;
	if (!b->sy->ksyms)
		b->sy->ksyms = ksyms__load("/proc/kallsyms");
	if (!b->kernel_mapping)
		b->kernel_mapping =
		    pprof__mapping(b->pp, KERNEL_START, UINT64_MAX, 0, "[kernel.kallsyms]", "",
				   b->sy->ksyms && !ksyms__empty(b->sy->ksyms), false);
	if (b->sy->ksyms && ksyms__lookup(b->sy->ksyms, leaf ? ip : ip - 1, &info)) {
		fn = pprof__function(b->pp, info.name, info.raw_name,
				     info.file ? info.file : "[kernel.kallsyms]");
	} else {
		snprintf(name, sizeof(name), "[kernel]+0x%" PRIx64, ip);
		fn = pprof__function(b->pp, name, name, "[kernel.kallsyms]");
	}
	*id = pprof__location(b->pp, b->kernel_mapping, ip, fn);
	return *id;
}

/* pprof readers title a profile after its first mapping: make it the
 * executable of the first process sampled (the target, when there is one). */
static void add_main_mapping(struct builder *b)
{
	const struct stack *st = stack_table__at(b->snap->stacks, 0);
	const struct proc_view *p = st ? st->view : NULL;

	for (size_t i = 0; p && p->exe[0] && i < p->nmaps; i++) {
		const struct mapping *m = p->maps[i];
		const char *base = strrchr(m->path, '/');

		if (base && !strcmp(base + 1, p->exe) && mapping__is_file(m)) {
			pprof_mapping_of(b, p, m, NULL);
			return;
		}
	}
}

/* The stack's locations into locs (room for its frames + 2); their count, or -ENOMEM. */
static int stack_locations(struct builder *b, const struct stack *st, uint64_t *locs)
{
	const struct proc_view *p = st->view;
	char root[32];
	size_t n = 0;

	for (uint16_t i = 0; i < st->nr_kernel; i++)
		locs[n++] = kernel_location(b, st->ips[i], i == 0);
	for (uint16_t i = 0; i < st->nr_user; i++)
		locs[n++] = user_location(b, p, st->ips[st->nr_kernel + i], i == 0);
	if (st->flags & (HRPROF_F_USER_TRUNCATED | HRPROF_F_KERNEL_TRUNCATED))
		locs[n++] = synthetic_location(b, "[truncated]");
	if (p && (p->exe[0] || p->comm[0])) {
		locs[n++] = synthetic_location(b, p->exe[0] ? p->exe : p->comm);
	} else if (p) {
		snprintf(root, sizeof(root), "[pid %u]", st->pid);
		locs[n++] = synthetic_location(b, root);
	} else {
		locs[n++] = synthetic_location(b, st->pid == UINT32_MAX ? "[exiting task]"
									: "[untracked process]");
	}
	for (size_t i = 0; i < n; i++) {
		if (!locs[i])
			return -ENOMEM;
	}
	return (int)n;
}

/* The stack's labels into labels (room for STACK_LABELS + 1); their count. */
#define STACK_LABELS 5
static size_t stack_labels(const struct stack *st, struct pprof_label *labels)
{
	const struct proc_view *p = st->view;
	size_t nl = 0;

	if (st->pid != UINT32_MAX) {
		labels[nl++] = (struct pprof_label){.key = "process_id", .num = st->pid};
		labels[nl++] = (struct pprof_label){.key = "thread id", .num = st->tid};
	}
	if (st->thread_name[0])
		labels[nl++] = (struct pprof_label){.key = "thread_name", .str = st->thread_name};
	if (p && p->comm[0])
		labels[nl++] = (struct pprof_label){.key = "process_name", .str = p->comm};
	if (p && p->container_id[0])
		labels[nl++] = (struct pprof_label){.key = "container_id", .str = p->container_id};
	return nl;
}

/*
 * --show_samples (ddprof's): a stack as one log line,
 * "sample[type=cpu-time;pid=P;tid=T] root;...;leaf VALUE".
 */
static void show_sample(struct builder *b, const struct stack *st, const uint64_t *locs, int n,
			int64_t value)
{
	char line[4096];
	size_t off = 0;

	off += (size_t)snprintf(line, sizeof(line), "sample[type=cpu-time;pid=%u;tid=%u] ", st->pid,
				st->tid);
	for (int i = n - 1; i >= 0 && off < sizeof(line); i--)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
					pprof__location_name(b->pp, locs[i]), i ? ";" : "");
	log_notice("%s %" PRId64, line, value);
}

/* count samples of st weighing weight, as one pprof sample. */
static int add_stack(struct builder *b, const struct stack *st, uint64_t count, uint64_t weight,
		     uint64_t *locs)
{
	struct pprof_label labels[STACK_LABELS];
	int64_t values[2];
	int n = stack_locations(b, st, locs);

	if (n < 0)
		return n;
	values[0] = b->cycles ? (int64_t)count * b->period_ns : (int64_t)weight;
	values[1] = (int64_t)count;
	if (b->show)
		show_sample(b, st, locs, n, values[0]);
	return pprof__sample(b->pp, locs, (size_t)n, values, labels, stack_labels(st, labels));
}

/*
 * The timeline (ddprof's --timeline): each sample whose time the period
 * kept is a pprof sample of its own, labelled end_timestamp_ns (its
 * wall-clock time, within the profile's range); the stack's locations are
 * named once and shared by all its samples. What a stack counted beyond
 * the times kept is one sample without a time.
 */
static int add_timeline(struct builder *b, const struct stack_table *t, uint64_t *locs)
{
	size_t nstacks = stack_table__len(t), ntimes, total = 0;
	const struct stack_time *times = stack_table__times(t, &ntimes);
	uint64_t *timed = calloc(nstacks ? nstacks : 1, 2 * sizeof(*timed));
	size_t *off = calloc(nstacks + 1, sizeof(*off));
	unsigned int *nlocs = calloc(nstacks ? nstacks : 1, sizeof(*nlocs));
	uint64_t *all = NULL;
	int err = -ENOMEM;

	if (!timed || !off || !nlocs)
		goto out;
	for (size_t i = 0; i < ntimes; i++) {
		timed[2 * times[i].stack]++;
		timed[2 * times[i].stack + 1] += times[i].weight;
	}
	for (size_t i = 0; i < nstacks; i++) {
		const struct stack *st = stack_table__at(t, i);

		off[i] = total;
		total += (size_t)st->nr_kernel + st->nr_user + 2;
	}
	off[nstacks] = total;
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		goto out;
	/* Each stack named once; the untimed rest of its samples as one sample. */
	for (size_t i = 0; i < nstacks; i++) {
		const struct stack *st = stack_table__at(t, i);
		int n = stack_locations(b, st, all + off[i]);

		if (n < 0) {
			err = n;
			goto out;
		}
		nlocs[i] = (unsigned int)n;
		if (st->count > timed[2 * i]) {
			err = add_stack(b, st, st->count - timed[2 * i],
					st->weight - timed[2 * i + 1], locs);
			if (err)
				goto out;
		}
	}
	for (size_t i = 0; i < ntimes; i++) {
		const struct stack *st = stack_table__at(t, times[i].stack);
		struct pprof_label labels[STACK_LABELS + 1];
		size_t nl = stack_labels(st, labels);
		int64_t at = (int64_t)times[i].time_ns + b->snap->mono_to_real;
		int64_t values[2] = {b->cycles ? b->period_ns : (int64_t)times[i].weight, 1};

		/* Clocks read an instant apart: keep it inside the profile's range. */
		if (at < (int64_t)b->snap->start_ns)
			at = (int64_t)b->snap->start_ns;
		if (at > (int64_t)b->snap->end_ns)
			at = (int64_t)b->snap->end_ns;
		labels[nl++] = (struct pprof_label){.key = "end_timestamp_ns", .num = at};
		if (b->show)
			show_sample(b, st, all + off[times[i].stack], (int)nlocs[times[i].stack],
				    values[0]);
		err = pprof__sample(b->pp, all + off[times[i].stack], nlocs[times[i].stack], values,
				    labels, nl);
		if (err)
			goto out;
	}
	err = 0;
out:
	free(timed);
	free(off);
	free(nlocs);
	free(all);
	return err;
}

static void add_comments(struct builder *b, const struct profile_config *cfg)
{
	char line[256];

	snprintf(line, sizeof(line), "hrprof %s, backend %s, %s at %u Hz", HRPROF_VERSION,
		 b->snap->backend ? b->snap->backend : "perf", b->snap->source, cfg->frequency);
	pprof__add_comment(b->pp, line);
	if (!b->snap->kernel_frames)
		pprof__add_comment(b->pp, "kernel frames excluded: not permitted "
					  "(perf_event_paranoid / CAP_PERFMON)");
	if (b->snap->lost) {
		snprintf(line, sizeof(line), "lost samples: %" PRIu64, b->snap->lost);
		pprof__add_comment(b->pp, line);
	}
}

/* The most locations a stack of t takes: its frames, [truncated], the root. */
static size_t stack_locations_max(const struct stack_table *t)
{
	size_t most = 0;

	for (size_t i = 0; i < stack_table__len(t); i++) {
		const struct stack *st = stack_table__at(t, i);

		if ((size_t)st->nr_kernel + st->nr_user > most)
			most = (size_t)st->nr_kernel + st->nr_user;
	}
	return most + 2;
}

struct pprof *profile__build(const struct snapshot *s, struct symbolizer *sy,
			     const struct profile_config *cfg, uint64_t *samples)
{
	struct builder b = {.sy = sy, .snap = s};
	uint64_t *locs = NULL;
	int err = -ENOMEM;

	b.pp = pprof__new();
	b.period_ns = 1000000000 / (int64_t)cfg->frequency;
	b.cycles = cfg->count_periods;
	b.show = cfg->show_samples;
	b.inlines = cfg->inlined_functions;
	b.nosym = cfg->disable_symbolization;
	locs = malloc(stack_locations_max(s->stacks) * sizeof(*locs));
	if (!b.pp || !locs)
		goto out;
	if (pprof__add_sample_type(b.pp, "cpu-time", "nanoseconds") ||
	    pprof__add_sample_type(b.pp, "cpu-samples", "count") ||
	    pprof__set_period(b.pp, "cpu-time", "nanoseconds", b.period_ns))
		goto out;
	pprof__set_time(b.pp, (int64_t)s->start_ns, (int64_t)(s->end_ns - s->start_ns));
	add_comments(&b, cfg);
	sym_cache__set_deadline(sy->cache, clock_ns(CLOCK_MONOTONIC) + sy->wait_ns);

	add_main_mapping(&b);
	*samples = stack_table__samples(s->stacks);
	if (cfg->timeline) {
		err = add_timeline(&b, s->stacks, locs);
		if (err)
			goto out;
	} else {
		for (size_t i = 0; i < stack_table__len(s->stacks); i++) {
			const struct stack *st = stack_table__at(s->stacks, i);

			err = add_stack(&b, st, st->count, st->weight, locs);
			if (err)
				goto out;
		}
	}
	if (s->lost) {
		int64_t values[2] = {(int64_t)s->lost * b.period_ns, (int64_t)s->lost};

		locs[0] = synthetic_location(&b, "[lost]");
		err = locs[0] ? pprof__sample(b.pp, locs, 1, values, NULL, 0) : -ENOMEM;
		if (err)
			goto out;
	}
	err = 0;
out:
	free(locs);
	idmap__free(&b.locs);
	idmap__free(&b.maps);
	free(b.elfs);
	if (err) {
		log_error("building the profile failed: %s", strerror(-err));
		pprof__free(b.pp);
		return NULL;
	}
	return b.pp;
}
