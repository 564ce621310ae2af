// SPDX-License-Identifier: GPL-2.0
/*
 * A sample record: the interrupted task's kernel and user frames, built in
 * place in this CPU's ring. Every source (source.c) ends here, in NMI or
 * hard interrupt context, so this file obeys NMI rules: no locks, no
 * sleeping, no allocation, no faults (user memory only through
 * copy_from_user_nofault). User stacks are walked with the process's CFI
 * tables where the daemon gave them (cfi.c), else by frame pointers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include <asm/unwind.h>

#include "hrprof_kmod.h"

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

/*
 * The user stack as the CFI step reads it: a window of it copied at a time
 * (as walk_user does), refilled when a read falls outside.
 */
struct uwin {
	unsigned long *buf;
	unsigned long lo, hi; /* buf holds [lo, hi) */
};

static __always_inline bool uwin_read(void *ctx, __u64 addr, __u64 *val)
{
	struct uwin *w = ctx;

	/*
	 * lo is aligned (the first address of a copy): so is addr - lo. The
	 * range check comes first: it also keeps addr + 8 from wrapping past
	 * zero (an address from a register or a row's offset can be anything).
	 */
	if (addr & 7 || addr > TASK_SIZE_MAX - sizeof(*val))
		return false;
	if (addr < w->lo || addr + sizeof(*val) > w->hi) {
		unsigned long len = PAGE_SIZE - offset_in_page(addr);

		len = clamp_t(unsigned long, len, sizeof(*val), HRPROF_USTACK_WINDOW);
		if (copy_from_user_nofault(w->buf, (const void __user *)(unsigned long)addr, len)) {
			w->lo = w->hi = 0;
			return false;
		}
		w->lo = addr;
		w->hi = addr + len;
	}
	*val = w->buf[(addr - w->lo) / sizeof(long)];
	return true;
}

/*
 * User frames by the process's CFI tables (cfi.c): each frame's address
 * finds its mapping and row; a row steps to the caller, no row steps by
 * frame pointers (hrprof_unwind_step either way); rows through this CPU's
 * row cache, whose key gen is pm's generation. The walk is bounded by
 * max frames, and each step must climb the stack. Under rcu_read_lock,
 * which keeps pm and its tables.
 */
static u16 walk_user_cfi(const struct hrprof_pmaps *pm, u64 gen, struct pt_regs *uregs, u64 *ips,
			 u16 max, u32 *flags, struct hrprof_cpu_stats *st, struct hrprof_ring *ring)
{
	unsigned long *win = ring->ustack;
	struct hrprof_uregs r = {uregs->ip, uregs->sp, uregs->bp};
	struct uwin w = {.buf = win};
	struct hrprof_cfi_hint hint = {0};
	bool exact = true; /* ip is where the frame is, not a return address */
	bool unmapped = false;
	u32 steps = 0, by_fp = 0;
	int rc = HRPROF_UW_OK;
	u16 n = 0;

	if (!max)
		return 0;
	ips[n++] = r.ip;
	if (!user_64bit_mode(uregs))
		return n;
	*flags |= HRPROF_F_USER_CFI;
	while (n < max) {
		u64 at = exact ? r.ip : r.ip - 1;
		const struct hrprof_cfi_row *row =
		    hrprof_cfi_row_cached(pm, gen, at, &hint, ring->rows, &unmapped);

		steps++;
		if (!row || row->kind == HRPROF_CFI_NONE || row->kind == HRPROF_CFI_EXPR)
			by_fp++;
		rc = hrprof_unwind_step(row, &r, uwin_read, &w);
		if (rc != HRPROF_UW_OK)
			break;
		exact = row && row->kind == HRPROF_CFI_SIGNAL;
		ips[n++] = r.ip;
	}
	/* Counted once a walk, not a frame: the loop stays in registers. */
	if (unmapped) {
		*flags |= HRPROF_F_USER_UNMAPPED;
		st->cfi_unmapped++;
	}
	st->frames_cfi += steps - by_fp;
	st->frames_fp += by_fp;
	if (rc == HRPROF_UW_END)
		st->cfi_complete++;
	else if (rc == HRPROF_UW_BAD_READ)
		st->user_faults++;
	else if (rc != HRPROF_UW_OK)
		st->cfi_bad++;
	else
		*flags |= HRPROF_F_USER_TRUNCATED;
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

	/* Set before a source starts, cleared before it stops (source.c). */
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
	/* Only this CPU's sampler writes producer_pos: a plain load. */
	prod = r->prod->producer_pos;
	/*
	 * Pairs with the reader's release of consumer_pos: its reads of the
	 * records it consumed are done before we overwrite them.
	 */
	cons = smp_load_acquire(&r->cons->consumer_pos);
	used = prod - cons;
	need = sizeof(*rec) + 8ULL * (s->cfg.max_kernel_frames + s->cfg.max_user_frames);
	if (used > r->data_size || r->data_size - used < need) {
		/* A counter the reader polls: no ordering, only no tearing. */
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
		const struct hrprof_pmaps *pm;
		u64 gen;

		rcu_read_lock();
		pm = hrprof_cfi_maps(&s->cfi, task->tgid, &gen);
		if (pm)
			nu = walk_user_cfi(pm, gen, uregs, rec->ips + nk, s->cfg.max_user_frames,
					   &flags, st, r);
		rcu_read_unlock();
		if (!pm) {
			if (s->cfg.flags & HRPROF_CFG_CFI)
				st->cfi_no_maps++;
			nu = walk_user(uregs, rec->ips + nk, s->cfg.max_user_frames, &flags, st,
				       r->ustack);
		}
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
	/*
	 * Pairs with the reader's acquire of producer_pos: the record's bytes
	 * are visible before the position that covers them.
	 */
	smp_store_release(&r->prod->producer_pos, prod + rec->size);

	maybe_wake(s, r, used, used + rec->size, st);
	st->samples++;
	st->sample_ns += local_clock() - t0;
	return true;
}
