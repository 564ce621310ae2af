/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hrprof.ko internals. The module captures, userspace interprets: stacks go
 * into per-CPU rings as raw addresses; no strings, no symbols.
 */
#ifndef HRPROF_KMOD_H
#define HRPROF_KMOD_H

#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/pid_namespace.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include <linux/xarray.h>

#include "hrprof.h"
#include "hrprof_check.h"
#include "hrprof_unwind.h"

/* The user stack is read in windows of at most this many bytes (see walk_user). */
#define HRPROF_USTACK_WINDOW	 512

/*
 * A CPU's cache of the rows its CFI walks found (walk_user_cfi): the entry
 * for (gen, addr) holds a copy of the row that the process mappings of
 * generation gen (each array published gets a new one) give for address
 * addr. Mappings and tables never change once published, so an entry is
 * never stale, and a copy outlives them. Return addresses repeat from one
 * sample to the next (the same calls), so most frames are found in one
 * cache line here instead of the mapping array, the table's block index
 * and its rows: a few lines and pages each, missed in the CPU's caches
 * (and under qemu's TCG, in its software TLB) at every sample. gen 0:
 * empty. 32 bytes an entry, 4 KiB a CPU.
 */
#define HRPROF_ROW_CACHE_BITS 7
struct hrprof_row_cache_ent {
	u64 addr;
	u64 gen;
	struct hrprof_cfi_row row;
	u32 pad;
};

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
	/* This CPU's sampler's copy of a window of the user stack. */
	unsigned long ustack[HRPROF_USTACK_WINDOW / sizeof(unsigned long)];
	/* This CPU's sampler's row cache (the only writer, as of ustack). */
	struct hrprof_row_cache_ent rows[1 << HRPROF_ROW_CACHE_BITS];
};

/*
 * The target set: one bit per tgid of the initial pid namespace (512 KiB
 * for PID_MAX_LIMIT pids), so a lookup is one load however many processes
 * came and went. Writers (the ioctls, the fork and exit probes) use atomic
 * bit operations and need no lock; the sample path and the sched_switch
 * probe only test a bit.
 */
struct hrprof_targets {
	unsigned long *bits;
	atomic_t live;
};

struct hrprof_cpu_stats {
	u64 samples;
	u64 lost;
	u64 skipped;
	u64 user_faults;
	u64 sample_ns;
	u64 wakeups;
	u64 missed;
	u64 frames_cfi;
	u64 frames_fp;
	u64 cfi_no_maps;
	u64 cfi_complete;
	u64 cfi_bad;
	u64 cfi_unmapped;
};

/*
 * A session's CFI tables (cfi.c): tables by id (the daemon's hold),
 * processes' mappings by tgid (init namespace), the bytes both hold.
 */
struct hrprof_cfi {
	struct xarray tables;
	struct xarray procs;
	atomic64_t bytes;
	atomic_t ntables;
};
struct hrprof_pmaps;

/*
 * Per-CPU state of the timer sources.
 *
 * cpu-clock: CPU i's timer samples CPU i. With a target set it runs only
 * while a target runs there: the sched_switch probe starts it when a target
 * is switched in and stops it (keeping what was left of the period) when
 * one is switched out, so idle CPUs and other processes take no interrupts,
 * and a sample's period is the target's CPU time. armed and left are only
 * touched on CPU i with interrupts off (the probe, the timer, the start IPI).
 *
 * NMI test source: CPU i's timer sends an NMI to the next online CPU, so
 * the NMI lands in whatever that CPU is running (a self-NMI would only ever
 * catch the timer code that sent it). Each CPU receives from exactly one
 * timer: its ring still has one producer.
 */
struct hrprof_timer_cpu {
	struct hrtimer timer;
	struct hrprof_session *session;
	u64 left_ns;	 /* cpu-clock: what was left of the period when stopped */
	bool armed;	 /* cpu-clock: the timer is queued or running */
	atomic_t pending; /* NMI test: NMIs sent to this CPU and not yet taken */
};

/*
 * A session: one open file of /dev/hrprof.
 *
 * States: OPEN (after open) -> CONFIGURED (rings and the source exist) <->
 * RUNNING (the source enabled). lock covers state, cfg, rings, the source
 * and mmaps. mmap() runs with the caller's mmap_lock held, and the ioctls
 * copy to and from user memory (which may fault and take mmap_lock) under
 * lock: so mmap() takes ring_lock instead, which covers rings_ready (the
 * rings and cfg may be mapped) and is never held across a user copy
 * (lockdep found the cycle). The sample path and the sched_switch probe
 * read only running, gated, cfg, period_ns, timers and rings[cpu], which do
 * not change while running (CONFIGURE is refused then).
 */
struct hrprof_session {
	struct mutex lock;
	struct mutex ring_lock;
	bool rings_ready; /* under ring_lock: rings[] and cfg may be mapped */
	enum { HRPROF_OPEN, HRPROF_CONFIGURED, HRPROF_RUNNING } state;
	struct hrprof_config cfg;
	u32 source;
	bool running; /* READ_ONCE in the sample path */
	struct hrprof_ring **rings; /* nr_cpu_ids entries */
	struct perf_event **events; /* nr_cpu_ids entries, PMU */
	struct hrprof_timer_cpu __percpu *timers; /* cpu-clock, NMI test */
	u64 period_ns;	  /* cpu-clock, NMI test */
	bool gated;	  /* cpu-clock follows the targets (READ_ONCE in the probe) */
	bool nmi_registered;
	atomic_t mmaps; /* live mappings of the rings */
	struct hrprof_targets targets;
	struct hrprof_cfi cfi;
	struct pid_namespace *pidns; /* the opener's */
	struct hrprof_cpu_stats __percpu *stats;
	struct irq_work wake_work;
	wait_queue_head_t wq;
};

/* ring.c */
struct hrprof_ring *hrprof_ring_new(int cpu, unsigned int nr_data, u64 watermark);
void hrprof_ring_free(struct hrprof_ring *r);
bool hrprof_ring_readable(const struct hrprof_ring *r);

/*
 * Calls go one way: main.c -> probes.c -> source.c -> sample.c -> cfi.c,
 * targets.c (main.c calls each; none calls back up).
 */

/* cfi.c */
u32 hrprof_cfi_mem_mb(void);
void hrprof_cfi_init(struct hrprof_cfi *c);
void hrprof_cfi_free(struct hrprof_cfi *c);
long hrprof_cfi_add_table(struct hrprof_cfi *c, void __user *arg);
long hrprof_cfi_del_table(struct hrprof_cfi *c, void __user *arg);
long hrprof_cfi_set_maps(struct hrprof_cfi *c, u32 tgid, const struct hrprof_maps *a);
void hrprof_cfi_exit(struct hrprof_cfi *c, u32 tgid);
const struct hrprof_pmaps *hrprof_cfi_maps(struct hrprof_cfi *c, u32 tgid, u64 *gen);
/* The last row a walk found and the addresses [lo, hi) it covers. */
struct hrprof_cfi_hint {
	const struct hrprof_cfi_row *row;
	u64 lo, hi;
};
const struct hrprof_cfi_row *hrprof_cfi_row(const struct hrprof_pmaps *pm, u64 addr,
					    struct hrprof_cfi_hint *h);

/*
 * hrprof_cfi_row, first through the last row a walk found (its frames are
 * often in one function: recursion, calls from one loop; a hit costs two
 * compares), then through the CPU's row cache (see hrprof_row_cache_ent)
 * for pm, whose generation is gen. *unmapped is set when addr lies in
 * none of pm's mappings (only a search finds that: the hint and the cache
 * hold rows of mapped addresses). The row returned may be the cache's
 * copy: valid until the next call.
 */
static __always_inline const struct hrprof_cfi_row *
hrprof_cfi_row_cached(const struct hrprof_pmaps *pm, u64 gen, u64 addr, struct hrprof_cfi_hint *h,
		      struct hrprof_row_cache_ent *cache, bool *unmapped)
{
	struct hrprof_row_cache_ent *e;
	const struct hrprof_cfi_row *row;

	if (h->row && addr >= h->lo && addr < h->hi)
		return h->row;
	e = &cache[hash_64(addr ^ gen, HRPROF_ROW_CACHE_BITS)];
	if (e->addr == addr && e->gen == gen)
		return &e->row;
	row = hrprof_cfi_row(pm, addr, h);
	if (IS_ERR(row)) {
		*unmapped = true;
		return NULL;
	}
	if (row) {
		e->addr = addr;
		e->gen = gen;
		e->row = *row;
	}
	return row;
}

/* targets.c */
int hrprof_targets_init(struct hrprof_targets *t);
void hrprof_targets_free(struct hrprof_targets *t);
bool hrprof_targets_has(const struct hrprof_targets *t, u32 tgid);
int hrprof_targets_add(struct hrprof_targets *t, u32 tgid);
bool hrprof_targets_remove(struct hrprof_targets *t, u32 tgid);
bool hrprof_is_target(const struct hrprof_session *s, struct task_struct *task);

/* sample.c */
bool hrprof_sample(struct hrprof_session *s, struct pt_regs *regs, u64 period, u64 now);

/* source.c */
extern bool hrprof_has_pmu;  /* a PMU cycles counter can be made */
extern bool hrprof_nmi_test; /* the nmi_test module parameter */
void hrprof_sources_init(void);
int hrprof_source_create(struct hrprof_session *s);
void hrprof_source_destroy(struct hrprof_session *s);
int hrprof_source_start(struct hrprof_session *s);
void hrprof_source_stop(struct hrprof_session *s);
void hrprof_source_targets_added(struct hrprof_session *s);
void hrprof_clock_switch(struct hrprof_session *s, struct task_struct *next);

/* probes.c */
int hrprof_tracepoints_init(void);
void hrprof_tracepoints_exit(void);
void hrprof_tracepoints_attach(struct hrprof_session *s);
void hrprof_tracepoints_detach(void);

#endif
