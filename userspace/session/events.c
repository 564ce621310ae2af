// SPDX-License-Identifier: GPL-2.0
/*
 * What a session does with what its sample source delivers: each sample
 * into the period's stack table, named as its process and thread were when
 * it was taken (a user stack copy unwound first); process events into the
 * process table; a backend that walks where it samples given the tables
 * and mappings it needs.
 */
#include <string.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "proc/proc.h"
#include "profile/profile.h"
#include "session_int.h"
#include "sym/sym.h"
#include "unwind/unwind.h"

/* JIT maps are read as the symbolizer reads them (sym.h's perf maps). */
static void *jit_load(const char *path)
{
	return perfmap__load(path);
}

static void jit_free(void *map)
{
	perfmap__free(map);
}

static const struct jit_reader jit_reader = {.load = jit_load, .free = jit_free};

/*
 * A walk in the module met an address outside the mappings it had of the
 * process: code with no table (JIT, anonymous memory), or a mapping the
 * daemon gave it only after the sample (a process's first instants, a new
 * library: the race between the process and the daemon, counted apart).
 */
static void count_unmapped(struct session *s, struct proc *p, const struct hrprof_record *r)
{
	const uint64_t *uips = (const uint64_t *)r->ips + r->nr_kernel;

	s->kmod_unmapped++;
	for (unsigned int i = 0; i < r->nr_user; i++) {
		const struct mapping *m = proc__find_mapping(p, uips[i]);

		if (m && m->kmod_at > r->time_ns) {
			s->kmod_late++;
			return;
		}
	}
}

/*
 * A sample is named as its process and thread were when it was taken: it
 * holds the process's view of that moment and the thread's name then.
 * Samples of tasks already unhashed by exit carry no pid (perf gives -1).
 */
static void on_sample(void *ctx, const struct hrprof_record *r, const struct user_stack *us)
{
	struct session *s = ctx;
	const uint64_t *kips = (const uint64_t *)r->ips;
	const uint64_t *uips = kips + r->nr_kernel;
	struct stack_owner who = {.pid = r->tgid, .tid = r->tid};
	uint32_t flags = r->flags;
	unsigned int nu = r->nr_user;
	struct proc *p = NULL;
	int err;

	if (r->tgid && r->tgid != UINT32_MAX)
		p = proc_table__get(s->procs, r->tgid, true);
	if (p && (flags & HRPROF_F_USER_UNMAPPED))
		count_unmapped(s, p, r);
	if (p && us && s->unwinder) {
		nu = unwinder__unwind(s->unwinder, p, us, s->uips, s->cfg->sampling.max_frames,
				      &flags);
		uips = s->uips;
	} else if (p && s->unwinder && s->ops->process_seen) {
		s->ops->process_seen(s->backend, p, s->unwinder);
	}
	if (p) {
		struct mapping *m = nu ? proc__find_mapping(p, uips[0]) : NULL;
		struct thread *th;

		if (nu && (!m || !mapping__is_file(m)))
			proc__refresh_jit(p, r->time_ns, &jit_reader);
		th = proc_table__thread(s->procs, r->tgid, r->tid);
		if (th)
			memcpy(who.thread_name, th->comm, strnlen(th->comm, sizeof(th->comm) - 1));
		who.view = proc_table__view(s->procs, p);
	}
	err = stack_table__add(s->stacks, &who, flags, kips, r->nr_kernel, who.view ? uips : NULL,
			       who.view ? (uint16_t)nu : 0, r->period, r->time_ns);
	if (err)
		s->dropped_stacks++;
}

static void on_lost(void *ctx, uint64_t count)
{
	struct session *s = ctx;

	s->lost += count;
	s->lost_total += count;
}

/*
 * A backend that unwinds where it samples is given a process's new mappings
 * at once (not at its next sample): the wrapped or attached process, and
 * any it was given mappings of before.
 */
static void on_mmap(void *ctx, uint32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		    uint64_t dev, uint64_t ino, const char *path)
{
	struct session *s = ctx;
	struct proc *p;

	proc_table__mmap(s->procs, pid, start, len, pgoff, dev, ino, path);
	if (!s->unwinder || !s->ops->process_seen || !s->backend)
		return;
	p = proc_table__find(s->procs, pid);
	if (p && (p->kmod_synced || (s->child.pid > 0 && pid == (uint32_t)s->child.pid) ||
		  (s->cfg->sampling.mode == TARGET_PID && pid == (uint32_t)s->cfg->pid)))
		s->ops->process_seen(s->backend, p, s->unwinder);
}

static void on_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	proc_table__comm(((struct session *)ctx)->procs, pid, tid, comm, exec);
}

static void on_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid)
{
	proc_table__fork(((struct session *)ctx)->procs, pid, ppid, tid);
}

/* To a backend that walks where it samples, before its first sample: the
 * tables compiled ahead (the command's, the attached process's), and the
 * attached process's mappings (the side-band events are open: no mapping
 * made from now on is missed). */
static void on_starting(void *ctx, struct backend *b)
{
	struct session *s = ctx;
	struct proc *p;

	if (s->unwinder && s->ops->load_tables)
		s->ops->load_tables(b, s->unwinder);
	if (s->cfg->sampling.mode != TARGET_PID || !s->unwinder || !s->ops->process_seen)
		return;
	p = proc_table__get(s->procs, (uint32_t)s->cfg->pid, true);
	if (p)
		s->ops->process_seen(b, p, s->unwinder);
}

static void on_exit_rec(void *ctx, uint32_t pid, uint32_t tid)
{
	proc_table__exit(((struct session *)ctx)->procs, pid, tid);
}

void session_events(struct session *s, struct backend_events *ev)
{
	*ev = (struct backend_events){
	    .ctx = s,
	    .sample = on_sample,
	    .lost = on_lost,
	    .mmap = on_mmap,
	    .comm = on_comm,
	    .fork = on_fork,
	    .exit = on_exit_rec,
	    .starting = on_starting,
	};
}
