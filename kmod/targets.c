// SPDX-License-Identifier: GPL-2.0
/*
 * Targets: the processes a session samples, a bit per tgid. The sample path
 * and the sched_switch probe only test a bit (one load, NMI-safe); the
 * ioctls and the fork and exit probes set and clear bits atomically. A
 * lookup costs the same after a million short-lived children as at start:
 * nothing is ever scanned.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/threads.h>

#include "hrprof_kmod.h"

int hrprof_targets_init(struct hrprof_targets *t)
{
	t->bits = kvcalloc(BITS_TO_LONGS(PID_MAX_LIMIT), sizeof(long), GFP_KERNEL);
	atomic_set(&t->live, 0);
	return t->bits ? 0 : -ENOMEM;
}

void hrprof_targets_free(struct hrprof_targets *t)
{
	kvfree(t->bits);
	t->bits = NULL;
}

/* NMI-safe: one load of the (vmalloc'ed, always mapped) bitmap. */
bool hrprof_targets_has(const struct hrprof_targets *t, u32 tgid)
{
	return tgid < PID_MAX_LIMIT && test_bit(tgid, t->bits);
}

int hrprof_targets_add(struct hrprof_targets *t, u32 tgid)
{
	if (!tgid || tgid >= PID_MAX_LIMIT)
		return -EINVAL;
	if (!test_and_set_bit(tgid, t->bits))
		atomic_inc(&t->live);
	return 0;
}

bool hrprof_targets_remove(struct hrprof_targets *t, u32 tgid)
{
	if (tgid >= PID_MAX_LIMIT || !test_and_clear_bit(tgid, t->bits))
		return false;
	atomic_dec(&t->live);
	return true;
}

/* A task the session samples: any with ALL_PROCS, else a target's user task. */
bool hrprof_is_target(const struct hrprof_session *s, struct task_struct *task)
{
	return (s->cfg.flags & HRPROF_CFG_ALL_PROCS) ||
	       (!is_idle_task(task) && !(task->flags & PF_KTHREAD) &&
		hrprof_targets_has(&s->targets, task->tgid));
}
