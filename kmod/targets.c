// SPDX-License-Identifier: GPL-2.0
/*
 * Targets: the processes a session samples. The sample path only reads the
 * set (hrprof_targets_has, lock-free); the daemon's ioctls and the
 * fork/exit tracepoints change it under the set's lock. A target's children
 * become targets when they fork; a process leaves when its last thread exits.
 */
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>

#include "hrprof_kmod.h"

#define SLOT_EMPTY 0U
#define SLOT_GONE  ~0U
#define SLOT_MASK  (HRPROF_TARGET_SLOTS - 1)
/* Inserts stop at three quarters full, so probes stay short. */
#define TARGETS_MAX (HRPROF_TARGET_SLOTS / 4 * 3)

void hrprof_targets_init(struct hrprof_targets *t)
{
	raw_spin_lock_init(&t->lock);
	memset(t->slots, 0, sizeof(t->slots));
	t->live = 0;
	t->full = 0;
}

static unsigned int slot_of(u32 tgid)
{
	return hash_32(tgid, ilog2(HRPROF_TARGET_SLOTS));
}

/* NMI-safe: reads u32 slots once each, never writes. */
bool hrprof_targets_has(const struct hrprof_targets *t, u32 tgid)
{
	unsigned int i = slot_of(tgid);

	for (unsigned int n = 0; n < HRPROF_TARGET_SLOTS; n++, i = (i + 1) & SLOT_MASK) {
		u32 v = READ_ONCE(t->slots[i]);

		if (v == tgid)
			return true;
		if (v == SLOT_EMPTY)
			return false;
	}
	return false;
}

int hrprof_targets_add(struct hrprof_targets *t, u32 tgid)
{
	unsigned int i = slot_of(tgid), free = HRPROF_TARGET_SLOTS;
	unsigned long irqflags;
	int err = 0;

	if (tgid == SLOT_EMPTY || tgid == SLOT_GONE)
		return -EINVAL;
	raw_spin_lock_irqsave(&t->lock, irqflags);
	for (unsigned int n = 0; n < HRPROF_TARGET_SLOTS; n++, i = (i + 1) & SLOT_MASK) {
		u32 v = t->slots[i];

		if (v == tgid)
			goto out;
		if (v == SLOT_GONE && free == HRPROF_TARGET_SLOTS)
			free = i;
		if (v == SLOT_EMPTY) {
			if (free == HRPROF_TARGET_SLOTS)
				free = i;
			break;
		}
	}
	if (free == HRPROF_TARGET_SLOTS || t->live >= TARGETS_MAX) {
		t->full++;
		err = -ENOSPC;
		goto out;
	}
	WRITE_ONCE(t->slots[free], tgid);
	t->live++;
out:
	raw_spin_unlock_irqrestore(&t->lock, irqflags);
	return err;
}

bool hrprof_targets_remove(struct hrprof_targets *t, u32 tgid)
{
	unsigned int i = slot_of(tgid);
	unsigned long irqflags;
	bool found = false;

	raw_spin_lock_irqsave(&t->lock, irqflags);
	for (unsigned int n = 0; n < HRPROF_TARGET_SLOTS; n++, i = (i + 1) & SLOT_MASK) {
		u32 v = t->slots[i];

		if (v == SLOT_EMPTY)
			break;
		if (v == tgid) {
			WRITE_ONCE(t->slots[i], SLOT_GONE);
			t->live--;
			found = true;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&t->lock, irqflags);
	return found;
}

/* ---- following processes, and the CPUs they run on ---- */

/*
 * The probes stay registered while the module is loaded and serve whichever
 * session is open: registering per session would patch the kernel's code
 * (the tracepoints' static keys) at every open and close. With no session
 * open, each costs a call and a NULL test.
 */
static struct tracepoint *tp_fork, *tp_exit, *tp_switch;
static struct hrprof_session __rcu *tp_session;

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		tp_exit = tp;
	else if (!strcmp(tp->name, "sched_switch"))
		tp_switch = tp;
}

/* A new process (not a thread) forked by a target is a target. */
static void probe_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s && child->tgid != parent->tgid && hrprof_targets_has(&s->targets, parent->tgid))
		hrprof_targets_add(&s->targets, child->tgid);
	rcu_read_unlock();
}

/* The last thread of a process to exit takes it out of the set. */
static void probe_exit(void *data, struct task_struct *p)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s && !atomic_read(&p->signal->live))
		hrprof_targets_remove(&s->targets, p->tgid);
	rcu_read_unlock();
}

/* The cpu-clock source's timer runs on a CPU only while a target does. */
static void probe_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s)
		hrprof_clock_switch(s, next);
	rcu_read_unlock();
}

static const struct {
	struct tracepoint **tp;
	void *probe;
} probes[] = {
	{&tp_fork, probe_fork},
	{&tp_exit, probe_exit},
	{&tp_switch, probe_switch},
};

static void probes_unregister(unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(*probes[n].tp, probes[n].probe, NULL);
	/* No probe may still run when the module's code goes. */
	tracepoint_synchronize_unregister();
}

int hrprof_tracepoints_init(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(find_tracepoint, NULL);
	if (!tp_fork || !tp_exit || !tp_switch)
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		err = tracepoint_probe_register(*probes[i].tp, probes[i].probe, NULL);
		if (err) {
			probes_unregister(i);
			return err;
		}
	}
	return 0;
}

void hrprof_tracepoints_exit(void)
{
	probes_unregister(ARRAY_SIZE(probes));
}

void hrprof_tracepoints_attach(struct hrprof_session *s)
{
	rcu_assign_pointer(tp_session, s);
}

/* After this, no probe still looks at the session. */
void hrprof_tracepoints_detach(void)
{
	RCU_INIT_POINTER(tp_session, NULL);
	synchronize_rcu();
}
