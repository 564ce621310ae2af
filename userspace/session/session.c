// SPDX-License-Identifier: GPL-2.0
/*
 * A profiling session (session.h): start the target (wrap) or find it
 * (pid, global), open the sample source, run the loop until the target
 * exits or a signal arrives, then say what the run did.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "proc/proc.h"
#include "profile/profile.h"
#include "session_int.h"
#include "unwind/unwind.h"

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
static void profiler_settings(const struct session_config *cfg)
{
	if (cfg->nice_set && setpriority(PRIO_PROCESS, 0, cfg->nice))
		log_warn("--nice %d: %s", cfg->nice, strerror(errno));
	if (cfg->cpu_mask_set) {
		cpu_set_t set;

		CPU_ZERO(&set);
		for (size_t cpu = 0; cpu < CPU_SETSIZE && cpu < 64 * 16; cpu++)
			if (cfg->cpu_mask[cpu / 64] >> (cpu % 64) & 1)
				CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			log_warn("--cpu_affinity %s: %s", cfg->cpu_affinity, strerror(errno));
	}
}

/* One line at start: where the profiles go. */
static void say_destination(const struct session_config *cfg)
{
	const struct export_config *e = &cfg->export;

	if (e->upload && e->output_dir)
		log_notice("profiles go to %s%s and to %s, every %u s", e->agent.endpoint_desc,
			   e->agent.agentless ? " (agentless)" : "", e->output_dir,
			   cfg->upload_period);
	else if (e->upload)
		log_notice("profiles go to %s%s every %u s", e->agent.endpoint_desc,
			   e->agent.agentless ? " (agentless)" : "", cfg->upload_period);
	else if (e->output_dir)
		log_notice("profiles go to %s every %u s", e->output_dir, cfg->upload_period);
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

/*
 * The tables a backend that walks where it samples will need, compiled
 * before sampling starts: the command's (its program, interpreter and
 * libraries) before it runs, the attached process's.
 */
static void session_prepare_tables(struct session *s)
{
	if (!s->unwinder || !s->ops->process_seen)
		return;
	if (s->cfg->sampling.mode == TARGET_WRAP)
		unwinder__prepare_program(s->unwinder, s->cfg->command[0]);
	else if (s->cfg->sampling.mode == TARGET_PID)
		unwinder__prepare_pid(s->unwinder, (uint32_t)s->cfg->pid);
}

/* Profiling failed to start: still be the command's faithful wrapper. */
static void session_wait_child(struct session *s)
{
	s->stopping = true;
	while (!s->child_exited && waitpid(s->child.pid, &s->child_status, 0) == s->child.pid) {
		s->child_exited = true;
		s->exit_code = WIFEXITED(s->child_status) ? WEXITSTATUS(s->child_status)
							  : 128 + WTERMSIG(s->child_status);
	}
}

/* What a session holds, freed (each part may be missing). */
static void session_free(struct session *s)
{
	const int fds[] = {s->sigfd, s->export_fd, s->tick_fd, s->redrain_fd, s->pidfd};

	s->ops->free(s->backend);
	loop__free(s->loop);
	proc_table__free(s->procs);
	stack_table__free(s->stacks);
	unwinder__free(s->unwinder);
	free(s->uips);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	target__close(&s->child);
}

int session_run(const struct session_config *cfg, const struct backend_ops *ops)
{
	struct session s = {.cfg = cfg,
			    .ops = ops,
			    .sigfd = -1,
			    .export_fd = -1,
			    .tick_fd = -1,
			    .redrain_fd = -1,
			    .pidfd = -1,
			    .child = {.pid = -1, .go_fd = -1, .exec_fd = -1},
			    .child_cpu_ns = -1};
	struct backend_events ev;
	enum target_mode mode = cfg->sampling.mode;
	struct export_stats es = {0};
	sigset_t set, oldmask;
	int target, err, rel;

	session_events(&s, &ev);
	err = block_signals(&set, &oldmask);
	if (err)
		return 1;
	s.procs = proc_table__new(mode == TARGET_GLOBAL ? cfg->maximum_pids : 1000000);
	s.stacks = session_stacks(&s);
	if (cfg->sampling.unwind != UNWIND_FP) {
		s.unwinder = unwinder__new(cfg->sampling.unwind);
		s.uips = calloc(cfg->sampling.max_frames, sizeof(*s.uips));
	}
	err = loop__new(&s.loop, 256);
	if (err) {
		loop__log_failure(err);
		if (mode == TARGET_WRAP) {
			/* Be the command's faithful wrapper all the same. */
			log_error("profiling is off: '%s' runs without it", cfg->command[0]);
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
			session_free(&s);
			return target_exec(cfg->command, cfg->switch_user);
		}
		goto out;
	}
	if (!s.procs || !s.stacks ||
	    (cfg->sampling.unwind != UNWIND_FP && (!s.unwinder || !s.uips))) {
		err = -ENOMEM;
		goto out;
	}

	target = mode == TARGET_PID ? cfg->pid : -1;
	if (mode == TARGET_WRAP) {
		err = target__spawn(&s.child, cfg->command, cfg->switch_user, &oldmask);
		if (err) {
			log_error("cannot start '%s': %s", cfg->command[0], strerror(-err));
			goto out;
		}
		target = s.child.pid;
	}
	profiler_settings(cfg);

	err = export_thread__start(&s.exporter, &cfg->export, exporters__new(&cfg->export, target));
	if (err) {
		log_error("cannot start the export thread: %s", strerror(-err));
		goto out;
	}
	say_destination(cfg);

	session_prepare_tables(&s);
	err = ops->open(&s.backend, &cfg->sampling, target, &ev);
	if (err) {
		if (mode != TARGET_WRAP)
			goto out;
		log_error("profiling is off: '%s' runs without it", cfg->command[0]);
		err = 0;
	}
	s.period_start = clock_ns(CLOCK_REALTIME);
	/* After the events are open: a process started later has a fork record. */
	if (s.backend && mode == TARGET_GLOBAL)
		proc_table__names_at_start(s.procs);
	err = session_watch(&s, &set);
	if (err) {
		log_error("event loop setup failed: %s", strerror(-err));
		goto out;
	}
	if ((rel = target__release(&s.child)))
		log_error("cannot release the command: %s", strerror(-rel));
	if (!s.backend) {
		session_wait_child(&s);
		goto out;
	}
	err = loop__run(s.loop);
	if (err)
		log_error("event loop failed: %s", strerror(-err));

out:
	target__abandon(&s.child);
	if (s.backend && !s.stopping) {
		ops->stop(s.backend);
		session_rotate(&s, true);
	}
	export_thread__finish(s.exporter, &es);
	if (s.exporter)
		session_report(&s, &es);
	if (s.exporter && s.backend && !es.samples && !s.lost_total)
		diag_no_samples(&cfg->sampling, mode == TARGET_WRAP ? s.child_cpu_ns : -1,
				mode != TARGET_WRAP || target__ran(&s.child));
	session_free(&s);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (err && !(mode == TARGET_WRAP && s.child_exited))
		return 1;
	return s.exit_code;
}

int session_exec(const struct session_config *cfg)
{
	return target_exec(cfg->command, cfg->switch_user);
}
