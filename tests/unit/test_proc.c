// SPDX-License-Identifier: GPL-2.0
/*
 * The process table: comm and exec, fork (process and thread, and a fork
 * record that arrives after the child's own exec), exit and collection, the
 * maximum_pids cap, backfill of this very process from /proc, names read at
 * start, and process views made once per change and unchanged after it. The
 * maps parser and the mappings themselves are test_proc_maps's.
 *
 * Made-up pids (FAKE, proc_check.h) have no /proc/<pid>/.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "proc/proc.h"
#include "proc_check.h"

/* ---- comm, exec, fork, exit ---- */

static void test_comm_exec(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 10, tid = FAKE + 11;
	struct thread *th;
	struct proc *p;

	proc_table__comm(t, pid, pid, "oldprog", false);
	proc_table__mmap(t, pid, 0x400000, 0x1000, 0, 0, 0, "[vdso]");
	proc_table__mmap(t, pid, 0x500000, 0x1000, 0, 0, 0, "/usr/bin/oldprog");
	proc_table__mmap(t, pid, 0x600000, 0x1000, 0, 0, 0, "/usr/lib/libc.so.6");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	CHECKF(!strcmp(p->comm, "oldprog"), "comm '%s'", p->comm);
	CHECKF(!strcmp(p->exe, "oldprog"), "exe '%s', want the first file mapping's", p->exe);
	CHECKF(p->nmaps == 3, "nmaps %zu", p->nmaps);

	/* A thread renaming itself does not rename the process. */
	proc_table__comm(t, pid, tid, "worker", false);
	th = proc_table__thread(t, pid, tid);
	CHECKF(th && !strcmp(th->comm, "worker"), "thread comm '%s'", th ? th->comm : "none");
	CHECKF(!strcmp(p->comm, "oldprog"), "comm '%s'", p->comm);
	/* The main thread renaming itself does. */
	proc_table__comm(t, pid, pid, "renamed", false);
	CHECKF(!strcmp(p->comm, "renamed"), "comm '%s'", p->comm);
	CHECKF(p->nmaps == 3, "a rename kept nmaps %zu", p->nmaps);

	/* Names longer than comm are cut, terminated. */
	proc_table__comm(t, pid, pid, "a-name-much-longer-than-fifteen", false);
	CHECKF(strlen(p->comm) == 15, "comm '%s'", p->comm);

	/* exec: the address space is gone; the next file mapping names exe. */
	proc_table__comm(t, pid, pid, "newprog", true);
	CHECKF(!strcmp(p->comm, "newprog"), "comm '%s'", p->comm);
	CHECKF(p->nmaps == 0, "after exec nmaps %zu", p->nmaps);
	CHECK(!proc__find_mapping(p, 0x500000));
	CHECKF(!p->exe[0], "exe '%s' right after exec", p->exe);
	proc_table__mmap(t, pid, 0x7000, 0x1000, 0, 0, 0, "[vdso]");
	proc_table__mmap(t, pid, 0x8000, 0x1000, 0, 0, 0, "//anon");
	CHECKF(!p->exe[0], "exe '%s' from a non-file mapping", p->exe);
	proc_table__mmap(t, pid, 0x10000, 0x1000, 0, 0, 0, "/opt/new/newprog-bin (deleted)");
	CHECKF(!strcmp(p->exe, "newprog-bin"), "exe '%s', want 'newprog-bin'", p->exe);
	proc_table__mmap(t, pid, 0x20000, 0x1000, 0, 0, 0, "/lib/ld-linux-x86-64.so.2");
	CHECKF(!strcmp(p->exe, "newprog-bin"), "exe '%s' changed by a later mapping", p->exe);
	CHECKF(p->nmaps == 4, "nmaps %zu", p->nmaps);

	/* exec from a thread: the process gets the new name too. */
	proc_table__comm(t, pid, tid, "third", true);
	CHECKF(!strcmp(p->comm, "third") && p->nmaps == 0, "comm '%s' nmaps %zu", p->comm,
	       p->nmaps);
	proc_table__free(t);
}

static void test_fork(void)
{
	struct proc_table *t = proc_table__new(100);
	uint32_t parent = FAKE + 20, child = FAKE + 21, late = FAKE + 22, pending = FAKE + 23;
	uint32_t thr = FAKE + 24, orphan = FAKE + 25, parentless = FAKE + 26;
	struct proc *pp, *cp;
	struct thread *th;
	struct proc_stats st;

	proc_table__comm(t, parent, parent, "parent", false);
	proc_table__mmap(t, parent, 0x400000, 0x10000, 0, 0, 1, "/usr/bin/parent-exe");
	proc_table__mmap(t, parent, 0x7f0000, 0x10000, 0x1000, 0, 2, "/lib/libc.so.6");
	pp = proc_table__find(t, parent);
	CHECK(pp);
	if (!pp) {
		proc_table__free(t);
		return;
	}

	/* A child gets the parent's mappings, names and a thread entry. */
	proc_table__fork(t, child, parent, child);
	cp = proc_table__find(t, child);
	CHECK(cp);
	if (cp) {
		CHECKF(!strcmp(cp->comm, "parent"), "child comm '%s'", cp->comm);
		CHECKF(!strcmp(cp->exe, "parent-exe"), "child exe '%s'", cp->exe);
		check_maps(cp, {0x400000, 0x410000, 0, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
		CHECKF(cp->nmaps == 2 && cp->maps[0] == pp->maps[0],
		       "the child shares the parent's mapping objects");
		th = proc_table__thread(t, child, child);
		CHECKF(th && !strcmp(th->comm, "parent") && th->pid == child,
		       "child thread comm '%s'", th ? th->comm : "none");
		/* The child's new mapping is its own. */
		proc_table__mmap(t, child, 0x400000, 0x1000, 0, 0, 3, "/child-only");
		CHECKF(pp->nmaps == 2 && !strcmp(pp->maps[0]->path, "/usr/bin/parent-exe") &&
			   pp->maps[0]->start == 0x400000 && pp->maps[0]->end == 0x410000,
		       "parent's mappings changed by the child's mmap");
		check_maps(cp, {0x400000, 0x401000, 0, "/child-only"},
			   {0x401000, 0x410000, 0x1000, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
	}

	/*
	 * The child exec'd and mapped its program before we read the fork record
	 * (records of different CPUs): its newer state must stay.
	 */
	proc_table__comm(t, late, late, "newprog", true);
	proc_table__mmap(t, late, 0x500000, 0x2000, 0, 0, 4, "/usr/bin/newprog");
	proc_table__fork(t, late, parent, late);
	cp = proc_table__find(t, late);
	CHECK(cp);
	if (cp) {
		CHECKF(!strcmp(cp->comm, "newprog"), "late child comm '%s'", cp->comm);
		CHECKF(!strcmp(cp->exe, "newprog"), "late child exe '%s'", cp->exe);
		check_maps(cp, {0x500000, 0x502000, 0, "/usr/bin/newprog"});
		th = proc_table__thread(t, late, late);
		CHECKF(th && !strcmp(th->comm, "newprog"), "late child thread comm '%s'",
		       th ? th->comm : "none");
	}

	/* Same, exec seen but its mapping not yet. */
	proc_table__comm(t, pending, pending, "pendprog", true);
	proc_table__fork(t, pending, parent, pending);
	cp = proc_table__find(t, pending);
	CHECK(cp);
	if (cp) {
		CHECKF(cp->nmaps == 0, "pending child got %zu mappings from its parent", cp->nmaps);
		CHECKF(!strcmp(cp->comm, "pendprog"), "pending child comm '%s'", cp->comm);
		proc_table__mmap(t, pending, 0x600000, 0x1000, 0, 0, 5, "/bin/pendprog");
		CHECKF(!strcmp(cp->exe, "pendprog"), "pending child exe '%s'", cp->exe);
	}

	/* A thread (pid == ppid) is named after its process. */
	proc_table__fork(t, parent, parent, thr);
	th = proc_table__thread(t, parent, thr);
	CHECKF(th && !strcmp(th->comm, "parent") && th->pid == parent && th->tid == thr,
	       "thread comm '%s'", th ? th->comm : "none");
	CHECKF(pp->nmaps == 2, "a thread fork changed nmaps to %zu", pp->nmaps);
	proc_table__stats(t, &st);
	CHECKF(st.procs == 4, "procs %" PRIu64 ", want 4 (a thread is not a process)", st.procs);

	/* A fork whose parent is unknown and gone: an empty child (and the
	 * parent, read from /proc in vain, tracked as it is). */
	proc_table__fork(t, parentless, orphan, parentless);
	cp = proc_table__find(t, parentless);
	CHECKF(cp && cp->nmaps == 0 && !cp->comm[0], "parentless child");
	/* A fork whose parent is unknown but alive (this test): the parent
	 * is read from /proc while it lives, and the child starts as its image. */
	proc_table__fork(t, parentless + 1, (uint32_t)getpid(), parentless + 1);
	cp = proc_table__find(t, parentless + 1);
	pp = proc_table__find(t, (uint32_t)getpid());
	CHECKF(pp && pp->nmaps > 0 && !strcmp(pp->comm, "test_proc"), "live parent: %zu maps, '%s'",
	       pp ? pp->nmaps : 0, pp ? pp->comm : "none");
	CHECKF(cp && pp && cp->nmaps == pp->nmaps && !strcmp(cp->comm, "test_proc"),
	       "child of a live unknown parent: %zu maps, '%s'", cp ? cp->nmaps : 0,
	       cp ? cp->comm : "none");

	/* A pid reused after exit: the old process is forgotten. */
	proc_table__exit(t, child, child);
	proc_table__fork(t, child, parent, child);
	cp = proc_table__find(t, child);
	CHECK(cp);
	if (cp) {
		CHECK(!cp->exited);
		check_maps(cp, {0x400000, 0x410000, 0, "/usr/bin/parent-exe"},
			   {0x7f0000, 0x800000, 0x1000, "/lib/libc.so.6"});
	}
	proc_table__stats(t, &st);
	CHECKF(st.procs == 8, "procs %" PRIu64 ", want 8", st.procs);
	proc_table__free(t);
}

static int count_live;
static void count_fn(struct proc *p, void *arg)
{
	(void)arg;
	count_live++;
	CHECKF(!p->exited, "for_each gave exited pid %u", p->pid);
}

static void test_exit_collect(void)
{
	enum { N = 300 };
	struct proc_table *t = proc_table__new(1000);
	struct proc_stats st;
	struct thread *th;
	uint32_t base = FAKE + 1000;
	int missing = 0, kept = 0;

	for (uint32_t i = 0; i < N; i++) {
		proc_table__comm(t, base + i, base + i, "p", false);
		proc_table__mmap(t, base + i, 0x1000, 0x1000, 0, 0, 0, "/bin/p");
		/* a second thread each */
		proc_table__fork(t, base + i, base + i, base + N + i);
	}
	proc_table__stats(t, &st);
	CHECKF(st.procs == N, "procs %" PRIu64, st.procs);

	/* Every third process exits (all of its threads); of the others, the second
	 * thread exits. */
	for (uint32_t i = 0; i < N; i++) {
		if (i % 3 == 0) {
			proc_table__exit(t, base + i, base + N + i);
			proc_table__exit(t, base + i, base + i);
		} else {
			proc_table__exit(t, base + i, base + N + i);
		}
	}
	/* Exited, but still there until collected; a second exit counts once. */
	proc_table__exit(t, base, base);
	CHECK(proc_table__find(t, base) && proc_table__find(t, base)->exited);
	proc_table__stats(t, &st);
	CHECKF(st.procs == N - N / 3, "procs %" PRIu64 ", want %d", st.procs, N - N / 3);
	count_live = 0;
	proc_table__for_each(t, count_fn, NULL);
	CHECKF(count_live == N - N / 3, "for_each visited %d, want %d", count_live, N - N / 3);

	/* Mark the surviving threads' names, to tell them from re-created ones. */
	for (uint32_t i = 0; i < N; i++) {
		th = proc_table__thread(t, base + i, base + i);
		if (th)
			snprintf(th->comm, sizeof(th->comm), "kept");
	}
	proc_table__collect(t);
	for (uint32_t i = 0; i < N; i++) {
		struct proc *p = proc_table__find(t, base + i);

		if (i % 3 == 0) {
			if (p) {
				CHECKF(0, "pid %u exited but still found after collect", base + i);
				missing++;
			}
			continue;
		}
		if (!p || p->nmaps != 1) {
			CHECKF(0, "pid %u live but lost by collect", base + i);
			missing++;
			continue;
		}
		th = proc_table__thread(t, base + i, base + i);
		kept += th && !strcmp(th->comm, "kept");
		/* The exited second thread was freed: asking for it makes a new one,
		 * named from the process. */
		th = proc_table__thread(t, base + i, base + N + i);
		CHECKF(th && !strcmp(th->comm, "p"), "thread %u: comm '%s'", base + N + i,
		       th ? th->comm : "none");
		if (missing > 5)
			break;
	}
	CHECKF(kept == N - N / 3, "%d main threads kept, want %d", kept, N - N / 3);
	proc_table__stats(t, &st);
	CHECKF(st.procs == N - N / 3, "procs %" PRIu64, st.procs);
	proc_table__free(t);
}

static void test_max_procs(void)
{
	struct proc_table *t = proc_table__new(3);
	struct proc_stats st;
	struct proc *p;

	log_set_level(LOG_OFF); /* the cap's warning */
	for (uint32_t i = 0; i < 3; i++)
		CHECKF(proc_table__get(t, FAKE + 100 + i, false), "pid %u of 3", i);
	CHECK(!proc_table__get(t, FAKE + 103, false));
	proc_table__mmap(t, FAKE + 104, 0x1000, 0x1000, 0, 0, 0, "/x");
	proc_table__comm(t, FAKE + 105, FAKE + 105, "x", true);
	proc_table__fork(t, FAKE + 106, FAKE + 100, FAKE + 106);
	CHECK(!proc_table__find(t, FAKE + 103) && !proc_table__find(t, FAKE + 104) &&
	      !proc_table__find(t, FAKE + 105) && !proc_table__find(t, FAKE + 106));
	/* Known ones are still found. */
	CHECK(proc_table__get(t, FAKE + 101, false));
	proc_table__stats(t, &st);
	CHECKF(st.procs == 3, "procs %" PRIu64, st.procs);
	CHECKF(st.dropped_pids == 4, "dropped_pids %" PRIu64 ", want 4", st.dropped_pids);

	/* An exit makes room. */
	proc_table__exit(t, FAKE + 100, FAKE + 100);
	proc_table__collect(t);
	p = proc_table__get(t, FAKE + 103, false);
	CHECK(p);
	CHECK(!proc_table__get(t, FAKE + 107, false));
	proc_table__stats(t, &st);
	CHECKF(st.procs == 3 && st.dropped_pids == 5, "procs %" PRIu64 " dropped %" PRIu64,
	       st.procs, st.dropped_pids);
	log_set_level(LOG_NOTICE);
	proc_table__free(t);
}

/* ---- backfill from /proc ---- */

static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t named_cond = PTHREAD_COND_INITIALIZER;
static int named_state; /* 1: named and tid set, 2: may exit */
static pid_t named_tid;

static void *named_thread(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "hrp-named");
	pthread_mutex_lock(&named_lock);
	named_tid = gettid();
	named_state = 1;
	pthread_cond_broadcast(&named_cond);
	while (named_state != 2)
		pthread_cond_wait(&named_cond, &named_lock);
	pthread_mutex_unlock(&named_lock);
	return NULL;
}

int main(void);

static void test_backfill(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t self = (uint32_t)getpid();
	char exe[PATH_MAX], comm[32] = "";
	const char *base;
	struct proc_stats st;
	struct mapping *m;
	struct thread *th;
	struct proc *p;
	pthread_t pt;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	exe[n > 0 ? n : 0] = 0;
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}

	p = proc_table__get(t, self, true);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	CHECK(p->backfilled);
	CHECKF(!strcmp(p->comm, comm), "comm '%s', want '%s'", p->comm, comm);
	CHECKF(!strncmp(p->exe, base, sizeof(p->exe) - 1), "exe '%s', want '%s'", p->exe, base);
	CHECKF(p->nspid == self, "nspid %u, want %u", p->nspid, self);
	CHECKF(p->nmaps >= 2, "%zu executable mappings", p->nmaps);

	m = proc__find_mapping(p, (uint64_t)(uintptr_t)&main);
	CHECKF(m && !strcmp(m->path, exe), "main at %p: mapping %s, want %s", (void *)&main,
	       m ? m->path : "none", exe);
	if (m) {
		struct stat sb;

		CHECK(mapping__is_file(m));
		CHECKF(!stat(exe, &sb) && sb.st_ino == m->ino, "ino %" PRIu64, m->ino);
	}
	if (getauxval(AT_SYSINFO_EHDR)) {
		m = proc__find_mapping(p, getauxval(AT_SYSINFO_EHDR));
		CHECKF(m && !strcmp(m->path, "[vdso]"), "vdso mapping %s", m ? m->path : "none");
	}

	/* Threads: this one, and one that named itself. */
	th = proc_table__thread(t, self, (uint32_t)gettid());
	CHECKF(th && !strcmp(th->comm, comm), "main thread comm '%s', want '%s'",
	       th ? th->comm : "none", comm);
	CHECK(!pthread_create(&pt, NULL, named_thread, NULL));
	pthread_mutex_lock(&named_lock);
	while (named_state != 1)
		pthread_cond_wait(&named_cond, &named_lock);
	pthread_mutex_unlock(&named_lock);
	th = proc_table__thread(t, self, (uint32_t)named_tid);
	CHECKF(th && !strcmp(th->comm, "hrp-named") && th->pid == self,
	       "named thread comm '%s', want 'hrp-named'", th ? th->comm : "none");
	pthread_mutex_lock(&named_lock);
	named_state = 2;
	pthread_cond_broadcast(&named_cond);
	pthread_mutex_unlock(&named_lock);
	pthread_join(pt, NULL);

	/* Backfilled once only. */
	CHECK(proc_table__get(t, self, true) == p);
	proc_table__stats(t, &st);
	CHECKF(st.backfills == 1, "backfills %" PRIu64, st.backfills);

	/* A pid with nothing in /proc: an empty process, no crash. */
	p = proc_table__get(t, FAKE + 200, true);
	CHECKF(p && p->nmaps == 0 && !p->comm[0] && !p->exe[0], "process without /proc");
	proc_table__free(t);
}

/* ---- names read at start ---- */

/* A process alive at start, gone before its first sample is read: its
 * backfill finds no /proc, and takes the name read at start. */
static void test_names_at_start(void)
{
	struct proc_table *t = proc_table__new(10);
	int ready[2];
	struct proc *p;
	pid_t child;
	char c;

	CHECK(!pipe(ready));
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "hrp-early", 0, 0, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	CHECK(child > 0 && read(ready[0], &c, 1) == 1);
	proc_table__names_at_start(t);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	p = proc_table__get(t, (uint32_t)child, true);
	CHECKF(p && !strcmp(p->comm, "hrp-early") && p->nmaps == 0, "gone process named '%s'",
	       p ? p->comm : "none");
	/* A pid that was never there: still no name. */
	p = proc_table__get(t, FAKE + 500, true);
	CHECK(p && !p->comm[0]);
	close(ready[0]);
	close(ready[1]);
	proc_table__free(t);
}

/* ---- views ---- */

/* A view is made once per change of its process, and stays as it was made
 * (names, mappings) through exec, new mappings, renames and the process's
 * end, for as long as a sample holds it. */
static void test_views(void)
{
	struct proc_table *t = proc_table__new(10);
	uint32_t pid = FAKE + 400;
	struct proc_view *v1, *v2, *v3;
	struct proc_stats st;
	struct proc *p;

	proc_table__comm(t, pid, pid, "before", false);
	proc_table__mmap(t, pid, 0x400000, 0x10000, 0, 1, 2, "/usr/bin/before");
	p = proc_table__find(t, pid);
	CHECK(p);
	if (!p) {
		proc_table__free(t);
		return;
	}
	v1 = proc_view__get(proc_table__view(t, p));
	CHECK(v1 && proc_table__view(t, p) == v1); /* unchanged: the same view */
	/* A thread's name is not the process's: still the same view. */
	proc_table__comm(t, pid, pid + 1, "worker", false);
	CHECK(proc_table__view(t, p) == v1);

	proc_table__mmap(t, pid, 0x7f0000, 0x1000, 0, 1, 3, "/usr/lib/libx.so");
	v2 = proc_view__get(proc_table__view(t, p));
	CHECK(v2 && v2 != v1 && v2->nmaps == 2);

	/* exec: a new name, new mappings; the old views keep the old ones. */
	proc_table__comm(t, pid, pid, "after", true);
	proc_table__mmap(t, pid, 0x500000, 0x10000, 0, 1, 4, "/usr/bin/after");
	v3 = proc_view__get(proc_table__view(t, p));
	CHECK(v3 && v3 != v2 && !strcmp(v3->comm, "after") && !strcmp(v3->exe, "after"));
	CHECK(v3 && v3->nmaps == 1 && proc_view__find_mapping(v3, 0x500000) &&
	      !proc_view__find_mapping(v3, 0x400000));
	proc_table__exit(t, pid, pid);
	proc_table__collect(t);
	proc_table__stats(t, &st);
	proc_table__free(t);

	CHECKF(v1 && !strcmp(v1->comm, "before") && !strcmp(v1->exe, "before") && v1->nmaps == 1 &&
		   v1->pid == pid,
	       "first view changed: '%s' '%s' %zu maps", v1 ? v1->comm : "", v1 ? v1->exe : "",
	       v1 ? v1->nmaps : 0);
	CHECK(v1 && proc_view__find_mapping(v1, 0x400000) &&
	      !strcmp(proc_view__find_mapping(v1, 0x400000)->path, "/usr/bin/before"));
	CHECK(v2 && !strcmp(v2->comm, "before") && proc_view__find_mapping(v2, 0x7f0000));
	CHECKF(v1 && v2 && v3 && v1->refs == 1 && v2->refs == 1 && v3->refs == 1,
	       "refs %d %d %d: only ours left", v1 ? v1->refs : 0, v2 ? v2->refs : 0,
	       v3 ? v3->refs : 0);
	CHECKF(st.views == 3 && st.views_stale == 0, "views %" PRIu64 " stale %" PRIu64, st.views,
	       st.views_stale);
	proc_view__put(v1);
	proc_view__put(v2);
	proc_view__put(v3);
	proc_view__put(NULL);
	CHECK(proc_view__get(NULL) == NULL);
}

int main(void)
{
	test_comm_exec();
	test_fork();
	test_exit_collect();
	test_max_procs();
	test_backfill();
	test_views();
	test_names_at_start();
	return check_exit("test_proc");
}
