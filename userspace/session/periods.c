// SPDX-License-Identifier: GPL-2.0
/*
 * A session's periods and its loop's callbacks. Every upload period the
 * stacks collected so far go to the export thread as one profile; the next
 * period starts where that one ended. The rings are drained as they fill;
 * signals and the target's end stop the session.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "proc/proc.h"
#include "profile/profile.h"
#include "session_int.h"

/*
 * The samples' times a period keeps for the timeline, at most: 48 MiB of
 * them, a minute at 1 kHz on 33 busy CPUs; past it, samples are counted
 * in their stacks without a time.
 */
#define TIMELINE_MAX_SAMPLES (2u << 20)

/* A new period's stack table. NULL when out of memory. */
struct stack_table *session_stacks(struct session *s)
{
	struct stack_table *t = stack_table__new();

	if (t && s->cfg->timeline)
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
void session_rotate(struct session *s, bool final)
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

void session_finish(struct session *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s->ops->stop(s->backend);
	session_rotate(s, true);
	loop__stop(s->loop);
}

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
	if (s->cfg->sampling.mode == TARGET_PID && s->pidfd < 0 && kill(s->cfg->pid, 0) &&
	    errno == ESRCH) {
		log_info("pid %d exited", s->cfg->pid);
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

	log_info("pid %d exited", s->cfg->pid);
	session_finish(s);
}

static void reap_child(struct session *s)
{
	int status;
	pid_t r;

	struct rusage ru;

	while ((r = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		if (r != s->child.pid)
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
		bool wrapping = s->cfg->sampling.mode == TARGET_WRAP && !s->child_exited;

		if (si.ssi_signo == SIGCHLD) {
			reap_child(s);
			continue;
		}
		if (wrapping && !s->forwarded && si.ssi_signo != SIGQUIT) {
			/* A wrapper ends with its command: pass the signal on (a
			 * terminal's already reached it) and wait for it to exit. */
			s->forwarded = true;
			if (si.ssi_code != SI_KERNEL)
				kill(s->child.pid, (int)si.ssi_signo);
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

/* The loop's sources: the rings, the period and tick timers, the redrain
 * timer, signals, and an attached target's pidfd. Returns 0 or -errno. */
int session_watch(struct session *s, const sigset_t *set)
{
	const struct session_config *cfg = s->cfg;
	unsigned int period_ms = cfg->upload_period * 1000;
	int err = 0;

	if (s->backend) {
		const int *fds;
		size_t nfds = s->ops->fds(s->backend, &fds);

		for (size_t i = 0; i < nfds && !err; i++)
			err = loop__watch(s->loop, fds[i], on_ring, s);
		s->export_fd = timerfd_every(period_ms, period_ms);
		s->tick_fd = timerfd_every(TICK_MS, TICK_MS);
		if (!err && (s->export_fd < 0 || s->tick_fd < 0))
			err = s->export_fd < 0 ? s->export_fd : s->tick_fd;
		if (!err)
			err = loop__watch(s->loop, s->export_fd, on_export_timer, s);
		if (!err)
			err = loop__watch(s->loop, s->tick_fd, on_tick, s);
		s->redrain_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (!err && s->redrain_fd >= 0)
			err = loop__watch(s->loop, s->redrain_fd, on_redrain, s);
	}
	s->sigfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!err && s->sigfd < 0)
		err = -errno;
	if (!err)
		err = loop__watch(s->loop, s->sigfd, on_signal, s);
	if (!err && cfg->sampling.mode == TARGET_PID) {
		s->pidfd = (int)syscall(SYS_pidfd_open, cfg->pid, 0);
		if (s->pidfd >= 0)
			err = loop__watch(s->loop, s->pidfd, on_pidfd, s);
	}
	return err;
}
