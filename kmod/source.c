// SPDX-License-Identifier: GPL-2.0
/*
 * Sample sources: what interrupts a CPU to take a sample (sample.c).
 *
 *   PMU        a pinned hardware cycles counter per CPU, overflowing in NMI
 *   cpu-clock  a per-CPU hrtimer in hard interrupt context; with targets it
 *              runs only while a target runs on its CPU (the sched_switch
 *              probe starts and stops it)
 *   NMI test   a per-CPU hrtimer that sends the next CPU an NMI, to test the
 *              NMI path where no PMU exists; only with nmi_test=1
 *
 * No source samples faster than the kernel lets perf events sample
 * (kernel.perf_event_max_sample_rate): configure refuses such a rate.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/apic.h>
#include <asm/irq_regs.h>
#include <asm/nmi.h>
#include <asm/tsc.h>

#include "compat.h"
#include "hrprof_kmod.h"

bool hrprof_has_pmu;

bool hrprof_nmi_test;
module_param_named(nmi_test, hrprof_nmi_test, bool, 0444);
MODULE_PARM_DESC(nmi_test, "offer the test-only NMI source (an hrtimer sends the next CPU an NMI)");

/* The session the test-only NMI source samples for (one at a time). */
static struct hrprof_session *nmi_session;

/*
 * The kernel's limit on perf sampling rates. The variable behind the sysctl
 * is not exported, so it is read as the daemon would; where it cannot be,
 * perf's default applies.
 */
static u64 hrprof_max_sample_rate(void)
{
	char buf[24] = "";
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	u64 rate;

	f = filp_open("/proc/sys/kernel/perf_event_max_sample_rate", O_RDONLY, 0);
	if (IS_ERR(f))
		return HRPROF_MAX_RATE;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0 || kstrtou64(strim(buf), 10, &rate) || !rate)
		return HRPROF_MAX_RATE;
	return min_t(u64, rate, HRPROF_MAX_RATE);
}

/*
 * Refuses a configuration that would sample a CPU faster than the kernel's
 * limit: a frequency above it, a cpu-clock period (ns) below its inverse,
 * or a cycles period below what the CPU's nominal clock runs through in
 * that time (a CPU boosting past nominal goes a little over).
 */
static int hrprof_rate_check(const struct hrprof_config *cfg, u32 source)
{
	u64 max = hrprof_max_sample_rate(), khz;

	if (cfg->flags & HRPROF_CFG_FREQ)
		return cfg->sample_rate > max ? -EINVAL : 0;
	if (source != HRPROF_SOURCE_PMU)
		return cfg->sample_rate < div64_u64(NSEC_PER_SEC, max) ? -EINVAL : 0;
	khz = cpu_khz ? cpu_khz : tsc_khz;
	if (!khz)
		khz = 5000000; /* unknown: assume a fast CPU, the larger floor */
	return cfg->sample_rate < div64_u64(khz * 1000, max) ? -EINVAL : 0;
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

static bool hrprof_pmu_present(void)
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
	/* hrprof_rate_check keeps this at or above the kernel's floor. */
	s->period_ns = s->cfg.flags & HRPROF_CFG_FREQ ? NSEC_PER_SEC / rate : rate;
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

	/* Pairs with the release in hrprof_source_start: timers are ready. */
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

	/* Cleared by hrprof_source_stop, which then cancels this timer. */
	if (!READ_ONCE(s->running)) {
		tc->armed = false;
		return HRTIMER_NORESTART;
	}
	now = ktime_get();
	n = hrtimer_forward(t, now, ns_to_ktime(s->period_ns));
	if (n > 1 || !regs)
		this_cpu_ptr(s->stats)->missed += regs ? n - 1 : n;
	/* gated only goes false at stop, which cancels this timer anyway. */
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
	/* Set before the handler is registered, cleared after it is gone. */
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
	/* Both cleared at stop before the timers are cancelled: a last look. */
	struct hrprof_session *s = READ_ONCE(nmi_session);
	unsigned int to;

	if (!s || !READ_ONCE(s->running))
		return HRTIMER_NORESTART;
	to = cpumask_next(smp_processor_id(), cpu_online_mask);
	if (to >= nr_cpu_ids)
		to = cpumask_first(cpu_online_mask);
	/* The count is visible before the NMI lands (the IPI write orders it). */
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
	u32 want = s->cfg.source;
	int err;

	if (want == HRPROF_SOURCE_AUTO)
		want = hrprof_has_pmu ? HRPROF_SOURCE_PMU : HRPROF_SOURCE_CPU_CLOCK;
	err = hrprof_rate_check(&s->cfg, want);
	if (err)
		return err;
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
		if (!hrprof_nmi_test)
			return -ENODEV;
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
		/* perf_event_enable's IPI orders this before the first overflow. */
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
		/*
		 * From here the sched_switch probe starts and stops the timers;
		 * the release publishes the timers' state and running first.
		 */
		smp_store_release(&s->gated, !(s->cfg.flags & HRPROF_CFG_ALL_PROCS));
		on_each_cpu(hrprof_clock_start_cpu, s, 1);
		return 0;
	}
	/* The NMI test source. */
	for_each_possible_cpu(cpu)
		atomic_set(&per_cpu_ptr(s->timers, cpu)->pending, 0);
	WRITE_ONCE(s->running, true);
	/* A full barrier: the counts and running are visible to the handler. */
	if (cmpxchg(&nmi_session, NULL, s)) {
		WRITE_ONCE(s->running, false);
		return -EBUSY;
	}
	err = register_nmi_handler(NMI_LOCAL, hrprof_nmi_handler, 0, "hrprof");
	if (err) {
		/* No handler of ours ran: plain stores undo it. */
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
	/* Under the session's lock: gated does not change under us. */
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

		/* Each handler's decrement is atomic; polling needs no more. */
		for_each_possible_cpu(cpu)
			waiting |= atomic_read(&per_cpu_ptr(s->timers, cpu)->pending) > 0;
		if (!waiting)
			return;
		usleep_range(100, 200);
	}
}

void hrprof_source_stop(struct hrprof_session *s)
{
	/* Under the session's lock: only this path clears running. */
	bool was_running = READ_ONCE(s->running);
	int cpu;

	/* Plain stores: the synchronize_rcu below is the barrier that counts. */
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
		/* No handler runs any more: nothing orders against this. */
		WRITE_ONCE(nmi_session, NULL);
		s->nmi_registered = false;
	}
}

/* At load: which sources this machine has. */
void hrprof_sources_init(void)
{
	hrprof_has_pmu = hrprof_pmu_present();
}
