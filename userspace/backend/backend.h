/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sample source: what the session calls. Each backend (perf_event in
 * backend_perf.c, the kernel module in backend_kmod.c) turns what its kernel
 * side produces into hrprof_records and process events, and hands them to
 * the same callbacks, so everything downstream is shared.
 */
#ifndef HRPROF_BACKEND_H
#define HRPROF_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hrprof.h"
#include "options/options.h"

/* A sample's user registers and the copy of its stack from sp up (perf's
 * PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER), to unwind. */
struct user_stack {
	uint64_t ip, sp, bp;
	const uint8_t *data;
	uint64_t size; /* bytes of data that are valid */
	bool full;     /* size is all perf was asked for (else the stack, or a page
			* not present, ended the copy) */
};

struct backend;

struct backend_events {
	void *ctx;
	/* us: the user stack to unwind (rec then has no user frames), or NULL. */
	void (*sample)(void *ctx, const struct hrprof_record *rec, const struct user_stack *us);
	void (*lost)(void *ctx, uint64_t count);
	void (*mmap)(void *ctx, uint32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		     uint64_t dev, uint64_t ino, const char *path);
	void (*comm)(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec);
	void (*fork)(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid);
	void (*exit)(void *ctx, uint32_t pid, uint32_t tid);
	/* Optional: b is set up (side-band events open) and about to start
	 * sampling: what must be in place before the first sample. */
	void (*starting)(void *ctx, struct backend *b);
};

struct backend_stats {
	uint64_t samples;
	uint64_t lost;
	uint64_t throttled;
	uint64_t bad_records;
};

struct proc;
struct unwinder;

struct backend_ops {
	const char *name;
	/* Opens the source for opts' target (pid: the wrapped child or -p PID).
	 * Prints its own diagnostics; returns -errno. */
	int (*open)(struct backend **out, const struct options *opts, int pid,
		    const struct backend_events *ev);
	/* The fds to watch for readiness. */
	size_t (*fds)(struct backend *b, const int **fds);
	/* Delivers what the source holds now, up to the records of time until
	 * (CLOCK_MONOTONIC ns; UINT64_MAX: everything), in time order. */
	void (*drain)(struct backend *b, uint64_t until);
	/* Stops sampling (the rings stay readable). */
	void (*stop)(struct backend *b);
	void (*stats)(struct backend *b, struct backend_stats *st);
	/* What samples, in words: "cpu-clock", "pmu-cycles (NMI)"... */
	const char *(*describe)(struct backend *b);
	/* True when kernel frames are being collected. */
	bool (*kernel_frames)(struct backend *b);
	/* Optional: p was sampled. A backend that unwinds user stacks where it
	 * samples (the module, with CFI tables) gives it p's mappings and the
	 * tables of their objects (compiled by u) when they changed. */
	void (*process_seen)(struct backend *b, struct proc *p, struct unwinder *u);
	/* Optional: the tables u holds now (those compiled ahead of the start)
	 * go where the backend unwinds, before its first sample. */
	void (*load_tables)(struct backend *b, struct unwinder *u);
	void (*free)(struct backend *b);
};

extern const struct backend_ops backend_perf;
/* The kernel module's rings, with perf_event for process side-band. */
extern const struct backend_ops backend_kmod;

/*
 * The backend for opts: --backend perf or kmod as asked, else the module
 * when it is loaded and speaks our ABI, perf_event_open otherwise. Returns
 * NULL after a one-line error (kmod asked for and not usable).
 */
const struct backend_ops *backend_choose(const struct options *opts);

#endif
