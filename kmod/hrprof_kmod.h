/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hrprof.ko internals. The module captures, userspace interprets: stacks go
 * into per-CPU rings as raw addresses; no strings, no symbols.
 */
#ifndef HRPROF_KMOD_H
#define HRPROF_KMOD_H

#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/pid_namespace.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "hrprof.h"

#define HRPROF_MAX_KERNEL_FRAMES 1024
#define HRPROF_MAX_USER_FRAMES	 1024
#define HRPROF_MAX_FRAMES	 HRPROF_MAX_USER_FRAMES
#define HRPROF_MAX_RING_PAGES	 4096
#define HRPROF_DEFAULT_PAGES	 256
#define HRPROF_MAX_RATE		 100000
#define HRPROF_TARGET_SLOTS	 4096 /* a power of two */

/* One CPU's ring: [consumer page][producer page][data][data again], vmapped. */
struct hrprof_ring {
	struct page **pages; /* 2 + nr_data distinct pages */
	unsigned int nr_data;
	void *vaddr;
	struct hrprof_ring_consumer *cons;
	struct hrprof_ring_producer *prod;
	char *data;
	u64 data_size;
	u64 watermark;
};

/*
 * The target set: tgids (initial pid namespace) in an open-addressing table
 * that the sample path reads without locks (READ_ONCE of u32 slots). lock
 * serializes writers (ioctls and the fork/exit tracepoints). Deleted slots
 * become tombstones, reused by later inserts.
 */
struct hrprof_targets {
	raw_spinlock_t lock;
	u32 slots[HRPROF_TARGET_SLOTS];
	unsigned int live; /* under lock */
	unsigned int full; /* refused: under lock */
};

struct hrprof_cpu_stats {
	u64 samples;
	u64 lost;
	u64 skipped;
	u64 user_faults;
	u64 sample_ns;
	u64 wakeups;
};

/*
 * Per-CPU state of the test-only NMI source. CPU i's timer sends an NMI to
 * the next online CPU, so the NMI lands in whatever that CPU is running
 * (a self-NMI would only ever catch the timer code that sent it). Each CPU
 * receives from exactly one timer: its ring still has one producer.
 */
struct hrprof_nmi_cpu {
	struct hrtimer timer;
	atomic_t pending; /* NMIs sent to this CPU and not yet taken */
};

/*
 * A session: one open file of /dev/hrprof.
 *
 * States: OPEN (after open) -> CONFIGURED (rings and events exist) <->
 * RUNNING (events enabled). lock covers state, cfg, rings, events and
 * mmaps; the sample path reads only running, cfg and rings[cpu], which do
 * not change while running (CONFIGURE is refused then).
 */
struct hrprof_session {
	struct mutex lock;
	enum { HRPROF_OPEN, HRPROF_CONFIGURED, HRPROF_RUNNING } state;
	struct hrprof_config cfg;
	u32 source;
	bool running; /* READ_ONCE in the sample path */
	struct hrprof_ring **rings; /* nr_cpu_ids entries */
	struct perf_event **events; /* nr_cpu_ids entries, PMU / cpu-clock */
	struct hrprof_nmi_cpu __percpu *nmi;
	bool nmi_registered;
	atomic_t mmaps; /* live mappings of the rings */
	struct hrprof_targets targets;
	struct pid_namespace *pidns; /* the opener's */
	struct hrprof_cpu_stats __percpu *stats;
	struct irq_work wake_work;
	wait_queue_head_t wq;
};

/* ring.c */
struct hrprof_ring *hrprof_ring_new(int cpu, unsigned int nr_data, u64 watermark);
void hrprof_ring_free(struct hrprof_ring *r);
bool hrprof_ring_readable(const struct hrprof_ring *r);

/* sample.c */
void hrprof_sample(struct hrprof_session *s, struct pt_regs *regs, u64 period);
int hrprof_source_create(struct hrprof_session *s);
void hrprof_source_destroy(struct hrprof_session *s);
int hrprof_source_start(struct hrprof_session *s);
void hrprof_source_stop(struct hrprof_session *s);
bool hrprof_pmu_present(void);

/* targets.c */
void hrprof_targets_init(struct hrprof_targets *t);
bool hrprof_targets_has(const struct hrprof_targets *t, u32 tgid);
int hrprof_targets_add(struct hrprof_targets *t, u32 tgid);
bool hrprof_targets_remove(struct hrprof_targets *t, u32 tgid);
int hrprof_tracepoints_init(void);
void hrprof_tracepoints_exit(void);
void hrprof_tracepoints_attach(struct hrprof_session *s);
void hrprof_tracepoints_detach(void);

#endif
