// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoint probes: a target's children become targets as they fork; a
 * process leaves the set when its last thread exits; the cpu-clock source's
 * timers follow the targets across context switches; a process's CFI
 * mappings go when it execs or exits.
 *
 * The probes stay registered while the module is loaded and serve whichever
 * session is open: registering per session would patch the kernel's code
 * (the tracepoints' static keys) at every open and close. With no session
 * open, each costs a call and a NULL test.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>

#include "hrprof_kmod.h"

static struct tracepoint *tp_fork, *tp_exit, *tp_switch, *tp_exec;
static struct hrprof_session __rcu *tp_session;

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_exit"))
		tp_exit = tp;
	else if (!strcmp(tp->name, "sched_switch"))
		tp_switch = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		tp_exec = tp;
}

/*
 * A new process (not a thread) forked by a target is a target. The probe
 * runs before the child is first woken, and the wakeup orders the bit's
 * store before the child can run anywhere.
 */
static void probe_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s && child->tgid != parent->tgid && hrprof_targets_has(&s->targets, parent->tgid))
		hrprof_targets_add(&s->targets, child->tgid);
	rcu_read_unlock();
}

/* The last thread of a process to exit takes it out of the set, and its
 * CFI mappings with it. */
static void probe_exit(void *data, struct task_struct *p)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s && !atomic_read(&p->signal->live)) {
		hrprof_targets_remove(&s->targets, p->tgid);
		hrprof_cfi_exit(&s->cfi, p->tgid);
	}
	rcu_read_unlock();
}

/* A new program: the CFI mappings the daemon gave are of the old one. */
static void probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		       struct linux_binprm *bprm)
{
	struct hrprof_session *s;

	rcu_read_lock();
	s = rcu_dereference(tp_session);
	if (s)
		hrprof_cfi_exit(&s->cfi, p->tgid);
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
	{&tp_exec, probe_exec},
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
	if (!tp_fork || !tp_exit || !tp_switch || !tp_exec) {
		pr_err("the sched_process_fork, sched_process_exit, sched_switch or sched_process_exec tracepoint is missing\n");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		err = tracepoint_probe_register(*probes[i].tp, probes[i].probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n", (*probes[i].tp)->name, err);
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

/* The session is whole (rcu_assign_pointer orders its stores first). */
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
