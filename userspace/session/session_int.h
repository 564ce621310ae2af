/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside a session: its state, shared by the run (session.c: start, stop,
 * what the run says at its end), the sample source's callbacks (events.c)
 * and the periods and the loop's callbacks (periods.c).
 */
#ifndef HRPROF_SESSION_INT_H
#define HRPROF_SESSION_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"
#include "target.h"

#define TICK_MS 250
/* Records this recent wait for the next drain: one CPU's may show before an
 * older one of another CPU is written (a fork before its child's sample). */
#define DRAIN_SLACK_NS 1000000ull

/*
 * One run. Owned by the loop's thread; the export thread sees only the
 * snapshots handed to it.
 */
struct session {
	const struct session_config *cfg;
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
	struct target child;	/* TARGET_WRAP: the command */
	int child_status;
	int64_t child_cpu_ns; /* the command's CPU time and its children's, once reaped */
	bool child_exited;
	bool stopping;
	bool forwarded; /* a signal was passed to the command */
	int exit_code;
	int sigfd, export_fd, tick_fd, pidfd;
	int redrain_fd; /* one-shot: a drain just after a wakeup's */
	bool redrain_armed;
};

/* events.c: the callbacks a backend delivers s's samples and process events to. */
void session_events(struct session *s, struct backend_events *ev);

/* periods.c */
/* A new period's stack table. NULL when out of memory. */
struct stack_table *session_stacks(struct session *s);
/* Ends the current profile at this instant; final: the last one. */
void session_rotate(struct session *s, bool final);
/* Stops sampling, writes the last profile, ends the loop (once). */
void session_finish(struct session *s);
/* The loop's sources: the rings, the period and tick timers, the redrain
 * timer, signals, and an attached target's pidfd. Returns 0 or -errno. */
int session_watch(struct session *s, const sigset_t *set);

#endif
