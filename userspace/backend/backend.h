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
#include "unwind/unwind.h"

enum target_mode {
	TARGET_WRAP,   /* hrprof [opts] -- cmd args */
	TARGET_PID,    /* -p PID */
	TARGET_GLOBAL, /* -g */
};

enum backend_kind {
	BACKEND_AUTO,
	BACKEND_KMOD,
	BACKEND_PERF,
};

enum event_kind {
	EVENT_CPU_CLOCK, /* software cpu-clock: works everywhere, VMs included */
	EVENT_CYCLES,	 /* hardware cycles: needs a PMU */
};

/* What is sampled and how: the backends' settings. */
struct backend_config {
	enum target_mode mode;
	enum backend_kind backend;
	enum event_kind event;
	unsigned int frequency;		/* Hz (also sizes the rings with period) */
	uint64_t period;		/* events between samples; 0: by frequency */
	unsigned int max_frames;	/* deepest stack kept */
	enum unwind_mode unwind;	/* UNWIND_FP: the kernel walks frame pointers */
	unsigned int stack_sample_size; /* bytes of user stack perf copies a sample */
	uint32_t kmod_source;		/* HRPROF_SOURCE_*: the module's sampler */
};

const char *event_name(enum event_kind event);
const char *backend_name(enum backend_kind backend);

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
	/* Opens the source for cfg's target (pid: the wrapped child or -p PID).
	 * Prints its own diagnostics; returns -errno. */
	int (*open)(struct backend **out, const struct backend_config *cfg, int pid,
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
 * The backend for cfg: --backend perf or kmod as asked, else the module
 * when it is loaded and speaks our ABI, perf_event_open otherwise. Returns
 * NULL after a one-line error (kmod asked for and not usable).
 */
const struct backend_ops *backend_choose(const struct backend_config *cfg);

/*
 * Whether the module is loaded, open to us and speaks our ABI: 0, or
 * -ENOENT (not loaded), -EPROTO (another ABI), -errno; why says it in words.
 */
int backend_kmod_probe(char *why, size_t whylen);
/* Bytes one CPU's perf sample ring takes for cfg (locked memory, as the
 * kernel counts it against perf_event_mlock_kb and RLIMIT_MEMLOCK). */
size_t backend_perf_ring_bytes(const struct backend_config *cfg);

/* Whether this process holds cap (CAP_*) in its effective set. */
bool diag_cap_held(int cap);
/* CAP_PERFMON or CAP_SYS_ADMIN: perf_event_paranoid does not apply. */
bool diag_perf_privileged(void);
/*
 * A run that took no sample: says why, from what the target did. cpu_ns is
 * the wrapped command's CPU time with its children's (-1: not known, for -p
 * and --global); ran is false when the command never ran (exec failed).
 */
void diag_no_samples(const struct backend_config *cfg, int64_t cpu_ns, bool ran);

#endif
