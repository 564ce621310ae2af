// SPDX-License-Identifier: GPL-2.0
/*
 * Sampling. The sources (a PMU cycles counter overflowing in NMI, a per-CPU
 * cpu-clock hrtimer, or a test-only hrtimer that sends an NMI to the next
 * CPU) all end in hrprof_sample(), which runs in NMI or hard interrupt
 * context and obeys NMI rules: no locks, no sleeping, no allocation, no
 * faults (user memory only through copy_from_user_nofault).
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/apic.h>
#include <asm/irq_regs.h>
#include <asm/nmi.h>
#include <asm/unwind.h>

#include "compat.h"
#include "hrprof_kmod.h"

/* The session the test-only NMI source samples for (one at a time). */
static struct hrprof_session *nmi_session;

/* Kernel frames from the interrupted registers, with the ORC unwinder. */
static u16 walk_kernel(struct pt_regs *regs, u64 *ips, u16 max, u32 *flags)
{
	struct unwind_state state;
	u16 n = 0;

	if (!max)
		return 0;
	ips[n++] = regs->ip;
	for (unwind_start(&state, current, regs, NULL); !unwind_done(&state);
	     unwind_next_frame(&state)) {
		unsigned long addr = unwind_get_return_address(&state);

		if (!addr)
			break;
		if (n == max) {
			*flags |= HRPROF_F_KERNEL_TRUNCATED;
			break;
		}
		ips[n++] = addr;
	}
	return n;
}

/*
 * User frames by frame pointers: each frame is {saved rbp, return address};
 * the chain must climb (strictly increasing, 8-byte aligned addresses) and
 * every read may fail without faulting. The stack is read a window at a
 * time, not a frame at a time: from the frame to the end of its page, at
 * most HRPROF_USTACK_WINDOW bytes, in one copy_from_user_nofault into the
 * ring's buffer; the frames above it in the window cost no further copy. A
 * window never fails where the frame alone would not: a page that holds
 * the frame is readable to its end.
 */
static u16 walk_user(struct pt_regs *uregs, u64 *ips, u16 max, u32 *flags,
		     struct hrprof_cpu_stats *st, unsigned long *win)
{
	unsigned long fp = uregs->bp, lo = 0, hi = 0; /* win holds [lo, hi) */
	u16 n = 0;

	if (!max)
		return 0;
	ips[n++] = uregs->ip;
	if (!user_64bit_mode(uregs))
		return n;
	while (fp) {
		unsigned long next_fp, ret;

		if (fp & 7 || fp > TASK_SIZE_MAX - 2 * sizeof(long))
			break;
		if (fp < lo || fp + 2 * sizeof(long) > hi) {
			unsigned long len = PAGE_SIZE - offset_in_page(fp);

			len = clamp_t(unsigned long, len, 2 * sizeof(long), HRPROF_USTACK_WINDOW);
			if (copy_from_user_nofault(win, (const void __user *)fp, len)) {
				st->user_faults++;
				break;
			}
			lo = fp;
			hi = fp + len;
		}
		next_fp = win[(fp - lo) / sizeof(long)];
		ret = win[(fp - lo) / sizeof(long) + 1];
		if (!ret)
			break;
		if (n == max) {
			*flags |= HRPROF_F_USER_TRUNCATED;
			break;
		}
		ips[n++] = ret;
		if (next_fp <= fp)
			break;
		fp = next_fp;
	}
	return n;
}

/* Queues the reader's wakeup when this record took the ring past its watermark. */
static void maybe_wake(struct hrprof_session *s, struct hrprof_ring *r, u64 used_before,
		       u64 used_after, struct hrprof_cpu_stats *st)
{
	if (used_before < r->watermark && used_after >= r->watermark &&
	    irq_work_queue(&s->wake_work))
		st->wakeups++;
}

/* A task the session samples. */
static bool hrprof_is_target(struct hrprof_session *s, struct task_struct *task)
{
	return (s->cfg.flags & HRPROF_CFG_ALL_PROCS) ||
	       (!is_idle_task(task) && !(task->flags & PF_KTHREAD) &&
		hrprof_targets_has(&s->targets, task->tgid));
}

/*
 * Samples the interrupted task at time now (CLOCK_MONOTONIC ns); false when
 * it is not a target.
 */
bool hrprof_sample(struct hrprof_session *s, struct pt_regs *regs, u64 period, u64 now)
{
	/* The time spent here, for the stats, from the cheap per-CPU clock. */
	u64 t0 = local_clock(), prod, cons, used, need;
	struct task_struct *task = current;
	struct hrprof_cpu_stats *st;
	struct hrprof_record *rec;
	struct hrprof_ring *r;
	u32 flags = 0;
	u16 nk = 0, nu = 0;

	if (!READ_ONCE(s->running))
		return false;
	r = s->rings[smp_processor_id()];
	st = this_cpu_ptr(s->stats);
	if (!r)
		return false;
	if (!hrprof_is_target(s, task)) {
		st->skipped++;
		return false;
	}

	/* Reserve room for the deepest record; a ring without it drops the sample. */
	prod = r->prod->producer_pos;
	cons = smp_load_acquire(&r->cons->consumer_pos);
	used = prod - cons;
	need = sizeof(*rec) + 8ULL * (s->cfg.max_kernel_frames + s->cfg.max_user_frames);
	if (used > r->data_size || r->data_size - used < need) {
		WRITE_ONCE(r->prod->lost, r->prod->lost + 1);
		st->lost++;
		return true;
	}
	rec = (struct hrprof_record *)(r->data + (prod & (r->data_size - 1)));

	if ((s->cfg.flags & HRPROF_CFG_KERNEL) && !user_mode(regs)) {
		flags |= HRPROF_F_IN_KERNEL;
		nk = walk_kernel(regs, rec->ips, s->cfg.max_kernel_frames, &flags);
	}
	if ((s->cfg.flags & HRPROF_CFG_USER) && task->mm && !(task->flags & PF_KTHREAD)) {
		struct pt_regs *uregs = user_mode(regs) ? regs : task_pt_regs(task);

		nu = walk_user(uregs, rec->ips + nk, s->cfg.max_user_frames, &flags, st, r->ustack);
	}
	if (!(s->cfg.flags & HRPROF_CFG_KERNEL))
		flags |= HRPROF_F_KERNEL_EXCLUDED;

	rec->size = (u16)(sizeof(*rec) + 8 * (nk + nu));
	rec->type = HRPROF_REC_SAMPLE;
	rec->flags = flags;
	rec->cpu = smp_processor_id();
	rec->tgid = task->tgid;
	rec->tid = task->pid;
	if (s->pidns == &init_pid_ns) {
		rec->ns_tgid = task->tgid;
		rec->ns_tid = task->pid;
	} else {
		rec->ns_tgid = __task_pid_nr_ns(task, PIDTYPE_TGID, s->pidns);
		rec->ns_tid = __task_pid_nr_ns(task, PIDTYPE_PID, s->pidns);
	}
	rec->reserved0 = 0;
	rec->time_ns = now;
	rec->period = period;
	rec->nr_kernel = nk;
	rec->nr_user = nu;
	rec->reserved1 = 0;
	smp_store_release(&r->prod->producer_pos, prod + rec->size);

	maybe_wake(s, r, used, used + rec->size, st);
	st->samples++;
	st->sample_ns += local_clock() - t0;
	return true;
}

/* ---- PMU cycles: a perf counter per CPU, overflowing in NMI ---- */

static void hrprof_overflow(struct perf_event *event, struct perf_sample_data *data,
			    struct pt_regs *regs)
{
	/* Never let perf throttle this counter (as the hard lockup watchdog). */
	event->hw.interrupts = 0;
	hrprof_sample(event->overflow_handler_context, regs, data->period, ktime_get_mono_fast_ns());
}

static void hrprof_attr(struct perf_event_attr *attr, const struct hrprof_config *cfg)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_HARDWARE;
	attr->config = PERF_COUNT_HW_CPU_CYCLES;
	attr->pinned = 1;
	attr->disabled = 1;
	if (cfg->flags & HRPROF_CFG_FREQ) {
		attr->freq = 1;
		attr->sample_freq = cfg->sample_rate;
	} else {
		attr->sample_period = cfg->sample_rate;
	}
}

bool hrprof_pmu_present(void)
{
	struct hrprof_config cfg = {.flags = HRPROF_CFG_FREQ, .sample_rate = 1};
	struct perf_event_attr attr;
	struct perf_event *ev;

	hrprof_attr(&attr, &cfg);
	ev = perf_event_create_kernel_counter(&attr, 0, NULL, NULL, NULL);
	if (IS_ERR(ev))
		return false;
	perf_event_release_kernel(ev);
	return true;
}

static void hrprof_events_release(struct hrprof_session *s)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (s->events[cpu]) {
			perf_event_release_kernel(s->events[cpu]);
			s->events[cpu] = NULL;
		}
	}
}

static int hrprof_events_create(struct hrprof_session *s)
{
	struct perf_event_attr attr;
	int cpu, err = 0;

	hrprof_attr(&attr, &s->cfg);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct perf_event *ev;

		ev = perf_event_create_kernel_counter(&attr, cpu, NULL, hrprof_overflow, s);
		if (IS_ERR(ev)) {
			err = PTR_ERR(ev);
			break;
		}
		s->events[cpu] = ev;
	}
	cpus_read_unlock();
	if (err)
		hrprof_events_release(s);
	return err;
}


/* ---- per-CPU timers: the cpu-clock source and the test-only NMI source ---- */

static int hrprof_timers_create(struct hrprof_session *s,
				enum hrtimer_restart (*fn)(struct hrtimer *))
{
	u64 rate = s->cfg.sample_rate;
	int cpu;

	s->timers = alloc_percpu(struct hrprof_timer_cpu);
	if (!s->timers)
		return -ENOMEM;
	s->period_ns = s->cfg.flags & HRPROF_CFG_FREQ ? NSEC_PER_SEC / rate : rate;
	s->period_ns = max_t(u64, s->period_ns, HRPROF_MIN_PERIOD_NS);
	for_each_possible_cpu(cpu) {
		struct hrprof_timer_cpu *tc = per_cpu_ptr(s->timers, cpu);

		hrprof_hrtimer_setup(&tc->timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		tc->session = s;
	}
	return 0;
}

static void hrprof_clock_arm(struct hrprof_timer_cpu *tc)
{
	hrtimer_start(&tc->timer, ns_to_ktime(tc->left_ns), HRTIMER_MODE_REL_PINNED_HARD);
	tc->armed = true;
}

/* The timer is this CPU's and interrupts are off: it is not running now. */
static void hrprof_clock_disarm(struct hrprof_session *s, struct hrprof_timer_cpu *tc)
{
	s64 left = ktime_to_ns(hrtimer_get_remaining(&tc->timer));

	hrtimer_try_to_cancel(&tc->timer);
	tc->left_ns = left > 0 && left <= s->period_ns ? left : s->period_ns;
	tc->armed = false;
}

/*
 * From the sched_switch probe (this CPU, interrupts off, the runqueue
 * locked: hrtimer_start and hrtimer_try_to_cancel are safe there, as for
 * the scheduler's own hrtick). Between two targets the timer runs on.
 */
void hrprof_clock_switch(struct hrprof_session *s, struct task_struct *next)
{
	struct hrprof_timer_cpu *tc;
	bool in;

	if (!smp_load_acquire(&s->gated))
		return;
	tc = this_cpu_ptr(s->timers);
	in = hrprof_is_target(s, next);
	if (in && !tc->armed)
		hrprof_clock_arm(tc);
	else if (!in && tc->armed)
		hrprof_clock_disarm(s, tc);
}

/*
 * A sample stands for the time since the last one: when the timer fired
 * periods late, the sample's period covers them and they are counted as
 * missed. One clock read serves the timer and the sample's time (a clock
 * read is an MMIO access on machines whose clocksource is the HPET).
 */
static enum hrtimer_restart hrprof_clock_timer(struct hrtimer *t)
{
	struct hrprof_timer_cpu *tc = container_of(t, struct hrprof_timer_cpu, timer);
	struct hrprof_session *s = tc->session;
	struct pt_regs *regs = get_irq_regs();
	ktime_t now;
	u64 n;

	if (!READ_ONCE(s->running)) {
		tc->armed = false;
		return HRTIMER_NORESTART;
	}
	now = ktime_get();
	n = hrtimer_forward(t, now, ns_to_ktime(s->period_ns));
	if (n > 1 || !regs)
		this_cpu_ptr(s->stats)->missed += regs ? n - 1 : n;
	if (regs && !hrprof_sample(s, regs, n * s->period_ns, ktime_to_ns(now)) &&
	    READ_ONCE(s->gated)) {
		/* No target here now (it left the set): wait for the next one. */
		tc->armed = false;
		tc->left_ns = s->period_ns;
		return HRTIMER_NORESTART;
	}
	return HRTIMER_RESTART;
}

static void hrprof_clock_start_cpu(void *arg)
{
	struct hrprof_session *s = arg;
	struct hrprof_timer_cpu *tc = this_cpu_ptr(s->timers);

	if (!tc->armed && hrprof_is_target(s, current))
		hrprof_clock_arm(tc);
}

static int hrprof_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct hrprof_session *s = READ_ONCE(nmi_session);
	struct hrprof_timer_cpu *tc;

	if (!s)
		return NMI_DONE;
	tc = this_cpu_ptr(s->timers);
	/* One NMI takes one count: a second NMI latched while this one ran
	 * finds its own. (Two sends merged into one NMI leave a count over,
	 * which only makes a later NMI of ours certain to be claimed.) */
	if (atomic_dec_if_positive(&tc->pending) < 0)
		return NMI_DONE;
	hrprof_sample(s, regs, s->period_ns, ktime_get_mono_fast_ns());
	return NMI_HANDLED;
}

static enum hrtimer_restart hrprof_nmi_timer(struct hrtimer *t)
{
	struct hrprof_session *s = READ_ONCE(nmi_session);
	unsigned int to;

	if (!s || !READ_ONCE(s->running))
		return HRTIMER_NORESTART;
	to = cpumask_next(smp_processor_id(), cpu_online_mask);
	if (to >= nr_cpu_ids)
		to = cpumask_first(cpu_online_mask);
	atomic_inc(&per_cpu_ptr(s->timers, to)->pending);
	apic->send_IPI(to, NMI_VECTOR);
	hrtimer_forward_now(t, ns_to_ktime(s->period_ns));
	return HRTIMER_RESTART;
}

static void hrprof_nmi_start_cpu(void *arg)
{
	struct hrprof_session *s = arg;

	hrtimer_start(&this_cpu_ptr(s->timers)->timer, ns_to_ktime(s->period_ns),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/* ---- a session's source ---- */

int hrprof_source_create(struct hrprof_session *s)
{
	int err;

	switch (s->cfg.source) {
	case HRPROF_SOURCE_AUTO:
		err = hrprof_events_create(s);
		if (!err) {
			s->source = HRPROF_SOURCE_PMU;
			return 0;
		}
		s->source = HRPROF_SOURCE_CPU_CLOCK;
		return hrprof_timers_create(s, hrprof_clock_timer);
	case HRPROF_SOURCE_PMU:
		err = hrprof_events_create(s);
		s->source = HRPROF_SOURCE_PMU;
		return err == -ENOENT || err == -EOPNOTSUPP ? -ENODEV : err;
	case HRPROF_SOURCE_CPU_CLOCK:
		s->source = HRPROF_SOURCE_CPU_CLOCK;
		return hrprof_timers_create(s, hrprof_clock_timer);
	case HRPROF_SOURCE_NMI_TEST:
		if (!(s->cfg.flags & HRPROF_CFG_FREQ))
			return -EINVAL;
		s->source = HRPROF_SOURCE_NMI_TEST;
		return hrprof_timers_create(s, hrprof_nmi_timer);
	}
	return -EINVAL;
}

void hrprof_source_destroy(struct hrprof_session *s)
{
	hrprof_source_stop(s);
	hrprof_events_release(s);
	free_percpu(s->timers);
	s->timers = NULL;
}

int hrprof_source_start(struct hrprof_session *s)
{
	int cpu, err;

	switch (s->source) {
	case HRPROF_SOURCE_PMU:
		WRITE_ONCE(s->running, true);
		for_each_possible_cpu(cpu) {
			if (s->events[cpu])
				perf_event_enable(s->events[cpu]);
		}
		return 0;
	case HRPROF_SOURCE_CPU_CLOCK:
		for_each_possible_cpu(cpu) {
			struct hrprof_timer_cpu *tc = per_cpu_ptr(s->timers, cpu);

			tc->armed = false;
			tc->left_ns = s->period_ns;
		}
		WRITE_ONCE(s->running, true);
		/* From here the sched_switch probe starts and stops the timers. */
		smp_store_release(&s->gated, !(s->cfg.flags & HRPROF_CFG_ALL_PROCS));
		on_each_cpu(hrprof_clock_start_cpu, s, 1);
		return 0;
	}
	/* The NMI test source. */
	for_each_possible_cpu(cpu)
		atomic_set(&per_cpu_ptr(s->timers, cpu)->pending, 0);
	WRITE_ONCE(s->running, true);
	if (cmpxchg(&nmi_session, NULL, s)) {
		WRITE_ONCE(s->running, false);
		return -EBUSY;
	}
	err = register_nmi_handler(NMI_LOCAL, hrprof_nmi_handler, 0, "hrprof");
	if (err) {
		WRITE_ONCE(nmi_session, NULL);
		WRITE_ONCE(s->running, false);
		return err;
	}
	s->nmi_registered = true;
	on_each_cpu(hrprof_nmi_start_cpu, s, 1);
	return 0;
}

/*
 * A target added while running may be running now, and stay on its CPU
 * without a context switch: each CPU looks at what it runs.
 */
void hrprof_source_targets_added(struct hrprof_session *s)
{
	if (s->source == HRPROF_SOURCE_CPU_CLOCK && READ_ONCE(s->gated))
		on_each_cpu(hrprof_clock_start_cpu, s, 1);
}

/*
 * NMIs already sent to other CPUs may still be on their way when the timers
 * are gone: let them land on a registered handler (each takes its count), so
 * none arrives unclaimed. Bounded: two sends merged into one NMI leave a
 * count that no NMI will take.
 */
static void hrprof_nmi_drain(struct hrprof_session *s)
{
	for (int i = 0; i < 500; i++) {
		bool waiting = false;
		int cpu;

		for_each_possible_cpu(cpu)
			waiting |= atomic_read(&per_cpu_ptr(s->timers, cpu)->pending) > 0;
		if (!waiting)
			return;
		usleep_range(100, 200);
	}
}

void hrprof_source_stop(struct hrprof_session *s)
{
	bool was_running = READ_ONCE(s->running);
	int cpu;

	WRITE_ONCE(s->gated, false);
	WRITE_ONCE(s->running, false);
	for_each_possible_cpu(cpu) {
		if (s->events[cpu])
			perf_event_disable(s->events[cpu]);
	}
	if (!s->timers || !was_running)
		return;
	/* No sched_switch probe still starts a timer after this. */
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		hrtimer_cancel(&per_cpu_ptr(s->timers, cpu)->timer);
	if (s->nmi_registered) {
		hrprof_nmi_drain(s);
		/* Waits for NMI handlers in flight. */
		unregister_nmi_handler(NMI_LOCAL, "hrprof");
		WRITE_ONCE(nmi_session, NULL);
		s->nmi_registered = false;
	}
}
