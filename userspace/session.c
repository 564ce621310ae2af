// SPDX-License-Identifier: GPL-2.0
/*
 * A profiling session: start the target (wrap) or find it (pid, global),
 * open the sample source, and run the loop until the target exits or a
 * signal arrives. Every upload period the stacks collected so far go to the
 * export thread as one profile; the next period starts where that one ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/diag.h"
#include "export/export.h"
#include "base/log.h"
#include "base/loop.h"
#include "proc/proc.h"
#include "session.h"
#include "profile/stack.h"
#include "unwind/unwind.h"
#include "base/util.h"

#define TICK_MS 250
/* Records this recent wait for the next drain: one CPU's may show before an
 * older one of another CPU is written (a fork before its child's sample). */
#define DRAIN_SLACK_NS 1000000ull

struct session {
	const struct options *opts;
	struct loop *loop;
	const struct backend_ops *ops;
	struct backend *backend;
	struct proc_table *procs;
	struct stack_table *stacks;
	struct unwinder *unwinder; /* user stacks from copies (perf, --unwind auto/cfi) */
	uint64_t *uips;		   /* their frames, max_frames */
	struct export_thread *exporter;
	uint64_t period_start; /* CLOCK_REALTIME ns */
	uint64_t lost;	       /* in the current period */
	uint64_t lost_total;
	uint64_t seq;
	uint64_t dropped_stacks;
	uint64_t kmod_unmapped; /* module walks that met an address outside its mappings */
	uint64_t kmod_late;	/* ... of a mapping it was given after the sample */
	pid_t child;
	int child_status;
	int64_t child_cpu_ns; /* the command's CPU time and its children's, once reaped */
	int exec_fd;	      /* reads the command's exec errno; EOF: it ran */
	bool child_exited;
	bool stopping;
	bool forwarded; /* a signal was passed to the command */
	int exit_code;
	int sigfd, export_fd, tick_fd, pidfd;
	int redrain_fd; /* one-shot: a drain just after a wakeup's */
	bool redrain_armed;
};

/* ---- sample source callbacks ---- */

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
		nu = unwinder__unwind(s->unwinder, p, us, s->uips, s->opts->max_frames, &flags);
		uips = s->uips;
	} else if (p && s->unwinder && s->ops->process_seen) {
		s->ops->process_seen(s->backend, p, s->unwinder);
	}
	if (p) {
		struct mapping *m = nu ? proc__find_mapping(p, uips[0]) : NULL;
		struct thread *th;

		if (nu && (!m || !mapping__is_file(m)))
			proc__refresh_jit(p, r->time_ns);
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
	if (p && (p->kmod_synced || (s->child > 0 && pid == (uint32_t)s->child) ||
		  (s->opts->mode == TARGET_PID && pid == (uint32_t)s->opts->pid)))
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
	if (s->opts->mode != TARGET_PID || !s->unwinder || !s->ops->process_seen)
		return;
	p = proc_table__get(s->procs, (uint32_t)s->opts->pid, true);
	if (p)
		s->ops->process_seen(b, p, s->unwinder);
}

static void on_exit_rec(void *ctx, uint32_t pid, uint32_t tid)
{
	proc_table__exit(((struct session *)ctx)->procs, pid, tid);
}

/* ---- periods ---- */

/*
 * The samples' times a period keeps for the timeline, at most: 48 MiB of
 * them, a minute at 1 kHz on 33 busy CPUs; past it, samples are counted
 * in their stacks without a time.
 */
#define TIMELINE_MAX_SAMPLES (2u << 20)

/* A new period's stack table. NULL when out of memory. */
static struct stack_table *session_stacks(struct session *s)
{
	struct stack_table *t = stack_table__new();

	if (t && s->opts->timeline)
		stack_table__keep_times(t, TIMELINE_MAX_SAMPLES);
	return t;
}

/* Delivers what the rings hold, but the last DRAIN_SLACK_NS. */
static void session_drain(struct session *s)
{
	s->ops->drain(s->backend, clock_ns(CLOCK_MONOTONIC) - DRAIN_SLACK_NS);
}

/*
 * Ends the current profile at this instant and hands its stacks to the
 * export thread. The drain delivers the records up to the cut (all of them
 * once sampling stopped); those of after the cut stay in the rings for the
 * next drain, into the next profile, so consecutive profiles meet exactly,
 * and no sample is in two.
 */
static void session_rotate(struct session *s, bool final)
{
	uint64_t cut = clock_ns(CLOCK_MONOTONIC), now = clock_ns(CLOCK_REALTIME);
	struct stack_table *next = final ? NULL : session_stacks(s);
	struct snapshot *snap;

	if (!final && !next) {
		log_error("out of memory: the current profile continues into the next period");
		return;
	}
	s->ops->drain(s->backend, final ? UINT64_MAX : cut);
	if (final && !stack_table__samples(s->stacks) && !s->lost) {
		/* The part of a period after the target ended: nothing to say. */
		log_debug("last period empty: no profile");
		stack_table__free(s->stacks);
		s->stacks = NULL;
		return;
	}
	snap = snapshot__new(s->stacks);
	if (!snap) {
		log_error("out of memory: profile %" PRIu64 " dropped", s->seq);
		stack_table__free(s->stacks);
	} else {
		snap->start_ns = s->period_start;
		snap->end_ns = now;
		snap->mono_to_real = (int64_t)(now - cut);
		snap->lost = s->lost;
		snap->seq = s->seq;
		snap->kernel_frames = s->ops->kernel_frames(s->backend);
		snap->backend = s->ops->name;
		snprintf(snap->source, sizeof(snap->source), "%s", s->ops->describe(s->backend));
		export_thread__push(s->exporter, snap);
	}
	s->stacks = next;
	s->seq++;
	s->lost = 0;
	s->period_start = now;
	proc_table__collect(s->procs);
}

static void session_finish(struct session *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s->ops->stop(s->backend);
	session_rotate(s, true);
	loop__stop(s->loop);
}

/* ---- loop callbacks ---- */

/*
 * A drain leaves the records of the last DRAIN_SLACK_NS in the rings; the
 * wakeup that brought them may be the last for a while (a process's mmap
 * records, which the module needs at once). A second drain, just after
 * the slack, takes them.
 */
static void on_ring(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;
	const struct itimerspec once = {.it_value = {0, 2 * DRAIN_SLACK_NS}};

	session_drain(s);
	if (s->redrain_fd >= 0 && !s->redrain_armed &&
	    !timerfd_settime(s->redrain_fd, 0, &once, NULL))
		s->redrain_armed = true;
}

static void read_timer(int fd)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
}

static void on_redrain(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;

	read_timer(fd);
	s->redrain_armed = false;
	session_drain(s);
}

static void on_tick(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;

	read_timer(fd);
	session_drain(s);
	/* -p target gone and no pidfd to tell us: notice it here. */
	if (s->opts->mode == TARGET_PID && s->pidfd < 0 && kill(s->opts->pid, 0) &&
	    errno == ESRCH) {
		log_info("pid %d exited", s->opts->pid);
		session_finish(s);
	}
}

static void on_export_timer(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;

	read_timer(fd);
	session_rotate(s, false);
}

static void on_pidfd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;

	log_info("pid %d exited", s->opts->pid);
	session_finish(s);
}

static void reap_child(struct session *s)
{
	int status;
	pid_t r;

	struct rusage ru;

	while ((r = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		if (r != s->child)
			continue;
		s->child_exited = true;
		s->child_status = status;
		s->child_cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ll +
				  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ll;
		if (WIFEXITED(status))
			s->exit_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			s->exit_code = 128 + WTERMSIG(status);
		log_info("command exited (status %d)", s->exit_code);
		session_finish(s);
	}
}

static void on_signal(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct session *s = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		bool wrapping = s->opts->mode == TARGET_WRAP && !s->child_exited;

		if (si.ssi_signo == SIGCHLD) {
			reap_child(s);
			continue;
		}
		if (wrapping && !s->forwarded && si.ssi_signo != SIGQUIT) {
			/* A wrapper ends with its command: pass the signal on (a
			 * terminal's already reached it) and wait for it to exit. */
			s->forwarded = true;
			if (si.ssi_code != SI_KERNEL)
				kill(s->child, (int)si.ssi_signo);
			log_notice("signal %u: waiting for the command to exit; send it again "
				   "to stop hrprof now",
				   si.ssi_signo);
			continue;
		}
		if (wrapping)
			s->exit_code = 128 + (int)si.ssi_signo;
		log_info("signal %u: writing the last profile", si.ssi_signo);
		session_finish(s);
	}
}

/* ---- setup ---- */

static int block_signals(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCHLD);
	return sigprocmask(SIG_BLOCK, set, old) ? -errno : 0;
}

/*
 * ddprof's --nice and --cpu_affinity: for the profiler (its threads start
 * after this), not the command, which is forked already.
 */
static void profiler_settings(const struct options *opts)
{
	if (opts->nice_set && setpriority(PRIO_PROCESS, 0, opts->nice))
		log_warn("--nice %d: %s", opts->nice, strerror(errno));
	if (opts->cpu_mask_set) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (size_t cpu = 0; cpu < CPU_SETSIZE && cpu < 64 * 16; cpu++)
			if (opts->cpu_mask[cpu / 64] >> (cpu % 64) & 1)
				CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			log_warn("--cpu_affinity %s: %s", opts->cpu_affinity, strerror(errno));
	}
}

/*
 * Forks the command, held before exec until go_fd is written (or closed):
 * the events are opened on its pid first, so nothing of its start is missed
 * and it keeps its pid through exec. exec_fd reads EOF once the command runs,
 * or the errno of its exec.
 */
static pid_t spawn_held(char **argv, const char *user, const sigset_t *oldmask, int *go_fd,
			int *exec_fd)
{
	int fds[2], efds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	if (pipe2(efds, O_CLOEXEC)) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		close(efds[0]);
		close(efds[1]);
		return err;
	}
	if (pid == 0) {
		char go;
		int err;

		close(fds[1]);
		close(efds[0]);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		if (read(fds[0], &go, 1) != 1)
			_exit(127); /* hrprof went away before letting us run */
		close(fds[0]);
		err = user ? -become_user(user) : 0;
		if (err) {
			if (write(efds[1], &err, sizeof(err)) < 0)
				err = errno;
			fprintf(stderr, "hrprof: cannot run '%s' as %s: %s\n", argv[0], user,
				strerror(err));
			_exit(126);
		}
		execvp(argv[0], argv);
		err = errno;
		if (write(efds[1], &err, sizeof(err)) < 0)
			err = errno;
		fprintf(stderr, "hrprof: cannot run '%s': %s\n", argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(fds[0]);
	close(efds[1]);
	*go_fd = fds[1];
	*exec_fd = efds[0];
	return pid;
}

/* True unless the command's exec failed (or it was never let go). */
static bool command_ran(struct session *s)
{
	int err;

	struct pollfd pfd = {.fd = s->exec_fd, .events = POLLIN};

	return s->exec_fd >= 0 && poll(&pfd, 1, 1000) == 1 &&
	       read(s->exec_fd, &err, sizeof(err)) == 0;
}

static struct exporter *make_exporters(const struct options *opts, int pid)
{
	struct exporter *head = NULL, *e;

	if (opts->output_dir) {
		head = file_exporter__new(opts->output_dir, NULL, opts->service, pid);
		if (!head)
			log_error("out of memory");
	}
	if (opts->pprof_prefix) {
		e = file_exporter__new(NULL, opts->pprof_prefix, opts->service, pid);
		if (e) {
			e->next = head;
			head = e;
		} else {
			log_error("out of memory");
		}
	}
	if (opts->upload) {
		e = agent_exporter__new(opts, pid);
		if (e) {
			e->next = head;
			head = e;
		} else {
			log_error("cannot start uploads: out of memory");
		}
	}
	return head;
}

/* One line at start: where the profiles go. */
static void say_destination(const struct options *opts)
{
	if (opts->upload && opts->output_dir)
		log_notice("profiles go to %s%s and to %s, every %u s", opts->endpoint_desc,
			   opts->agentless ? " (agentless)" : "", opts->output_dir,
			   opts->upload_period);
	else if (opts->upload)
		log_notice("profiles go to %s%s every %u s", opts->endpoint_desc,
			   opts->agentless ? " (agentless)" : "", opts->upload_period);
	else if (opts->output_dir)
		log_notice("profiles go to %s every %u s", opts->output_dir, opts->upload_period);
	else
		log_notice("profiles go nowhere: uploads are off and there is no --output DIR");
}

static void session_report(struct session *s, const struct export_stats *es)
{
	struct backend_stats bs = {0};
	struct proc_stats ps;

	if (s->backend)
		s->ops->stats(s->backend, &bs);
	proc_table__stats(s->procs, &ps);
	log_notice("%" PRIu64 " profiles built, %" PRIu64 " samples, %" PRIu64 " lost, %" PRIu64
		   " failed exports",
		   es->profiles, es->samples, bs.lost, es->failed);
	log_debug("backend %s: %" PRIu64 " samples, %" PRIu64 " lost, %" PRIu64
		  " throttled, %" PRIu64 " bad records; %" PRIu64 " mmaps, %" PRIu64
		  " backfills, %" PRIu64 " pids over the cap, %" PRIu64 " stacks dropped; %" PRIu64
		  " process views, %" PRIu64 " stale (over the memory bound)",
		  s->ops->name, bs.samples, bs.lost, bs.throttled, bs.bad_records, ps.mmaps,
		  ps.backfills, ps.dropped_pids, s->dropped_stacks, ps.views, ps.views_stale);
	if (s->unwinder) {
		struct unwind_stats us;

		unwinder__stats(s->unwinder, &us);
		if (us.stacks || us.tables)
			log_info("unwind: %" PRIu64 " user stacks: %" PRIu64 " complete, %" PRIu64
				 " truncated, %" PRIu64 " ended without a table, %" PRIu64
				 " bad frames; %" PRIu64 " frames by CFI, %" PRIu64
				 " by frame pointers; %" PRIu64 " objects compiled (%" PRIu64
				 " rows, %" PRIu64 " by frame pointers, %" PRIu64
				 " with .debug_frame) in %" PRIu64 " ms",
				 us.stacks, us.complete, us.truncated, us.no_table, us.bad_frame,
				 us.frames_cfi, us.frames_fp, us.tables, us.table_rows,
				 us.expr_rows, us.debug_frame_tables, us.table_ns / 1000000);
	}
	if (s->kmod_unmapped)
		log_info("module walks outside its mappings: %" PRIu64 ", %" PRIu64
			 " of them in one it was given after the sample",
			 s->kmod_unmapped, s->kmod_late);
}

int session_run(const struct options *opts, const struct backend_ops *ops)
{
	struct session s = {.opts = opts,
			    .ops = ops,
			    .sigfd = -1,
			    .export_fd = -1,
			    .tick_fd = -1,
			    .redrain_fd = -1,
			    .pidfd = -1,
			    .exec_fd = -1,
			    .child_cpu_ns = -1,
			    .child = -1};
	struct backend_events ev = {
	    .ctx = &s,
	    .sample = on_sample,
	    .lost = on_lost,
	    .mmap = on_mmap,
	    .comm = on_comm,
	    .fork = on_fork,
	    .exit = on_exit_rec,
	    .starting = on_starting,
	};
	struct export_stats es = {0};
	sigset_t set, oldmask;
	int go_fd = -1, target, err;
	const int *fds;
	size_t nfds;

	err = block_signals(&set, &oldmask);
	if (err)
		return 1;
	s.procs = proc_table__new(opts->mode == TARGET_GLOBAL ? opts->maximum_pids : 1000000);
	s.stacks = session_stacks(&s);
	if (opts->unwind != UNWIND_FP) {
		s.unwinder = unwinder__new(opts->unwind);
		s.uips = calloc(opts->max_frames, sizeof(*s.uips));
	}
	err = loop__new(&s.loop, 256);
	if (err) {
		diag_io_uring(err);
		if (opts->mode == TARGET_WRAP) {
			/* Be the command's faithful wrapper all the same. */
			log_error("profiling is off: '%s' runs without it", opts->command[0]);
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
			proc_table__free(s.procs);
			stack_table__free(s.stacks);
			if (opts->switch_user && (err = become_user(opts->switch_user))) {
				log_error("cannot become %s: %s", opts->switch_user,
					  strerror(-err));
				return 126;
			}
			execvp(opts->command[0], opts->command);
			log_error("cannot run '%s': %s", opts->command[0], strerror(errno));
			return errno == ENOENT ? 127 : 126;
		}
		goto out;
	}
	if (!s.procs || !s.stacks || (opts->unwind != UNWIND_FP && (!s.unwinder || !s.uips))) {
		err = -ENOMEM;
		goto out;
	}

	target = opts->mode == TARGET_PID ? opts->pid : -1;
	if (opts->mode == TARGET_WRAP) {
		s.child =
		    spawn_held(opts->command, opts->switch_user, &oldmask, &go_fd, &s.exec_fd);
		if (s.child < 0) {
			err = s.child;
			log_error("cannot start '%s': %s", opts->command[0], strerror(-err));
			goto out;
		}
		target = s.child;
	}
	profiler_settings(opts);

	err = export_thread__start(&s.exporter, opts, make_exporters(opts, target));
	if (err) {
		log_error("cannot start the export thread: %s", strerror(-err));
		goto out;
	}
	say_destination(opts);

	if (s.unwinder && ops->process_seen) {
		/* The tables a backend that walks where it samples will need, compiled
		 * before sampling starts: the command's (its program, interpreter
		 * and libraries) before it runs, the attached process's. */
		if (opts->mode == TARGET_WRAP) {
			unwinder__prepare_program(s.unwinder, opts->command[0]);
		} else if (opts->mode == TARGET_PID) {
			unwinder__prepare_pid(s.unwinder, (uint32_t)opts->pid);
		}
	}
	err = ops->open(&s.backend, opts, target, &ev);
	if (err) {
		if (opts->mode != TARGET_WRAP)
			goto out;
		log_error("profiling is off: '%s' runs without it", opts->command[0]);
		err = 0;
	}
	s.period_start = clock_ns(CLOCK_REALTIME);
	/* After the events are open: a process started later has a fork record. */
	if (s.backend && opts->mode == TARGET_GLOBAL)
		proc_table__names_at_start(s.procs);
	if (s.backend) {
		nfds = ops->fds(s.backend, &fds);
		for (size_t i = 0; i < nfds && !err; i++)
			err = loop__watch(s.loop, fds[i], on_ring, &s);
		s.export_fd = timerfd_every(opts->upload_period * 1000, opts->upload_period * 1000);
		s.tick_fd = timerfd_every(TICK_MS, TICK_MS);
		if (!err && (s.export_fd < 0 || s.tick_fd < 0))
			err = s.export_fd < 0 ? s.export_fd : s.tick_fd;
		if (!err)
			err = loop__watch(s.loop, s.export_fd, on_export_timer, &s);
		if (!err)
			err = loop__watch(s.loop, s.tick_fd, on_tick, &s);
		s.redrain_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (!err && s.redrain_fd >= 0)
			err = loop__watch(s.loop, s.redrain_fd, on_redrain, &s);
	}
	s.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!err && s.sigfd < 0)
		err = -errno;
	if (!err)
		err = loop__watch(s.loop, s.sigfd, on_signal, &s);
	if (!err && opts->mode == TARGET_PID) {
		s.pidfd = (int)syscall(SYS_pidfd_open, opts->pid, 0);
		if (s.pidfd >= 0)
			err = loop__watch(s.loop, s.pidfd, on_pidfd, &s);
	}
	if (err) {
		log_error("event loop setup failed: %s", strerror(-err));
		goto out;
	}
	if (go_fd >= 0) {
		if (write(go_fd, "g", 1) != 1)
			log_error("cannot release the command: %s", strerror(errno));
		close(go_fd);
		go_fd = -1;
	}
	if (!s.backend) {
		/* Profiling failed to start: still be the command's faithful wrapper. */
		s.stopping = true;
		while (!s.child_exited && waitpid(s.child, &s.child_status, 0) == s.child) {
			s.child_exited = true;
			s.exit_code = WIFEXITED(s.child_status) ? WEXITSTATUS(s.child_status)
								: 128 + WTERMSIG(s.child_status);
		}
		goto out;
	}
	err = loop__run(s.loop);
	if (err)
		log_error("event loop failed: %s", strerror(-err));

out:
	if (go_fd >= 0)
		close(go_fd); /* the held command exits without running */
	if (s.backend && !s.stopping) {
		ops->stop(s.backend);
		session_rotate(&s, true);
	}
	export_thread__finish(s.exporter, &es);
	if (s.exporter)
		session_report(&s, &es);
	if (s.exporter && s.backend && !es.samples && !s.lost_total)
		diag_no_samples(opts, opts->mode == TARGET_WRAP ? s.child_cpu_ns : -1,
				opts->mode != TARGET_WRAP || command_ran(&s));
	ops->free(s.backend);
	loop__free(s.loop);
	proc_table__free(s.procs);
	stack_table__free(s.stacks);
	unwinder__free(s.unwinder);
	free(s.uips);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.export_fd >= 0)
		close(s.export_fd);
	if (s.tick_fd >= 0)
		close(s.tick_fd);
	if (s.redrain_fd >= 0)
		close(s.redrain_fd);
	if (s.pidfd >= 0)
		close(s.pidfd);
	if (s.exec_fd >= 0)
		close(s.exec_fd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (err && !(opts->mode == TARGET_WRAP && s.child_exited))
		return 1;
	return s.exit_code;
}
