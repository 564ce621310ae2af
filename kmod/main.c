// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof.ko: stack samples (kernel + user frames) from NMIs or timers into
 * per-CPU rings that the hrprof daemon maps and drains.
 *
 * /dev/hrprof, root only. One open file is one session, and one session may
 * exist at a time. The ioctl wrapper takes the session's lock and calls a
 * _locked worker that checks every argument. The ABI (ioctls, ring layout,
 * barrier protocol, errors) is in include/hrprof.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "hrprof_kmod.h"

static atomic_t hrprof_busy = ATOMIC_INIT(0);

static void hrprof_wake(struct irq_work *work)
{
	struct hrprof_session *s = container_of(work, struct hrprof_session, wake_work);

	wake_up_interruptible(&s->wq);
}

static void hrprof_rings_free(struct hrprof_session *s)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		hrprof_ring_free(s->rings[cpu]);
		s->rings[cpu] = NULL;
	}
}

/*
 * The rings become unmappable; fails with -EBUSY while a mapping of them
 * lives. Once it returns 0, no mmap() is under way (it holds ring_lock
 * throughout) and none can begin until hrprof_rings_open.
 */
static int hrprof_rings_close(struct hrprof_session *s)
{
	int err = 0;

	mutex_lock(&s->ring_lock);
	if (atomic_read(&s->mmaps))
		err = -EBUSY;
	else
		s->rings_ready = false;
	mutex_unlock(&s->ring_lock);
	return err;
}

static void hrprof_rings_open(struct hrprof_session *s)
{
	mutex_lock(&s->ring_lock);
	s->rings_ready = true;
	mutex_unlock(&s->ring_lock);
}

/* Drops the configuration: stops and frees the source, then the rings. With
 * lock held and the rings unmappable (hrprof_rings_close, or the file's
 * release: no mapping holds the file then). */
static void hrprof_unconfigure_locked(struct hrprof_session *s)
{
	hrprof_source_destroy(s);
	irq_work_sync(&s->wake_work);
	hrprof_rings_free(s);
	s->state = HRPROF_OPEN;
}

static int hrprof_open(struct inode *inode, struct file *file)
{
	struct hrprof_session *s;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	/* The one session; cleared at release after everything is freed. */
	if (atomic_cmpxchg(&hrprof_busy, 0, 1))
		return -EBUSY;
	err = -ENOMEM;
	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		goto err_busy;
	mutex_init(&s->lock);
	mutex_init(&s->ring_lock);
	init_waitqueue_head(&s->wq);
	init_irq_work(&s->wake_work, hrprof_wake);
	atomic_set(&s->mmaps, 0);
	s->rings = kcalloc(nr_cpu_ids, sizeof(*s->rings), GFP_KERNEL);
	s->events = kcalloc(nr_cpu_ids, sizeof(*s->events), GFP_KERNEL);
	s->stats = alloc_percpu(struct hrprof_cpu_stats);
	if (hrprof_targets_init(&s->targets) || !s->rings || !s->events || !s->stats)
		goto err_free;
	hrprof_cfi_init(&s->cfi);
	s->pidns = get_pid_ns(task_active_pid_ns(current));
	hrprof_tracepoints_attach(s);
	file->private_data = s;
	return 0;

err_free:
	hrprof_targets_free(&s->targets);
	free_percpu(s->stats);
	kfree(s->events);
	kfree(s->rings);
	kvfree(s);
err_busy:
	atomic_set(&hrprof_busy, 0);
	return err;
}

/* The last reference is gone: every mapping too, so the rings can go. */
static int hrprof_release(struct inode *inode, struct file *file)
{
	struct hrprof_session *s = file->private_data;

	mutex_lock(&s->lock);
	hrprof_unconfigure_locked(s);
	mutex_unlock(&s->lock);
	hrprof_tracepoints_detach();
	hrprof_cfi_free(&s->cfi);
	put_pid_ns(s->pidns);
	hrprof_targets_free(&s->targets);
	free_percpu(s->stats);
	kfree(s->events);
	kfree(s->rings);
	kvfree(s);
	atomic_set(&hrprof_busy, 0);
	return 0;
}

static long hrprof_get_info(void __user *arg)
{
	struct hrprof_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = HRPROF_ABI_VERSION;
	info.nr_cpus = nr_cpu_ids;
	info.features = HRPROF_FEAT_CPU_CLOCK | HRPROF_FEAT_CFI;
	if (hrprof_nmi_test)
		info.features |= HRPROF_FEAT_NMI_TEST;
	if (hrprof_has_pmu)
		info.features |= HRPROF_FEAT_PMU;
	info.page_size = PAGE_SIZE;
	info.max_frames = HRPROF_MAX_FRAMES;
	info.max_ring_pages = HRPROF_MAX_RING_PAGES;
	info.table_mem_mb = hrprof_cfi_mem_mb();
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long hrprof_configure_locked(struct hrprof_session *s, void __user *arg)
{
	struct hrprof_config cfg;
	int cpu, err;

	if (copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	err = hrprof_config_check(&cfg, PAGE_SIZE);
	if (err)
		return err;
	if (s->state == HRPROF_RUNNING)
		return -EBUSY;
	if (cfg.source == HRPROF_SOURCE_PMU && !hrprof_has_pmu)
		return -ENODEV;
	err = hrprof_rings_close(s);
	if (err)
		return err;
	hrprof_unconfigure_locked(s);

	s->cfg = cfg;
	for_each_possible_cpu(cpu) {
		s->rings[cpu] = hrprof_ring_new(cpu, cfg.ring_pages, cfg.watermark);
		if (!s->rings[cpu]) {
			err = -ENOMEM;
			goto err_free;
		}
	}
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(s->stats, cpu), 0, sizeof(struct hrprof_cpu_stats));
	err = hrprof_source_create(s);
	if (err)
		goto err_free;
	s->state = HRPROF_CONFIGURED;
	cfg.source = s->source;
	if (copy_to_user(arg, &cfg, sizeof(cfg))) {
		hrprof_unconfigure_locked(s);
		return -EFAULT;
	}
	hrprof_rings_open(s);
	return 0;
err_free:
	hrprof_unconfigure_locked(s);
	return err;
}

/* The process nstgid names in the opener's pid namespace: its tgid in the
 * initial one. */
static int hrprof_tgid_of(struct hrprof_session *s, u32 nstgid, u32 *tgid)
{
	struct task_struct *task;
	int err = 0;

	if (!nstgid || nstgid > PID_MAX_LIMIT)
		return -EINVAL;
	rcu_read_lock();
	task = pid_task(find_pid_ns(nstgid, s->pidns), PIDTYPE_PID);
	if (task)
		*tgid = task->tgid;
	else
		err = -ESRCH;
	rcu_read_unlock();
	return err;
}

static int hrprof_target_tgid(struct hrprof_session *s, void __user *arg, u32 *tgid)
{
	struct hrprof_target t;

	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	if (t.flags || t.reserved)
		return -EINVAL;
	return hrprof_tgid_of(s, t.tgid, tgid);
}

/*
 * Whether process tgid (initial namespace) has a live thread. Mappings
 * stored for a process whose last thread has left are taken out again: the
 * exit probe runs after the count reaches 0, so either it sees them or this
 * sees the 0.
 */
static bool hrprof_tgid_live(u32 tgid)
{
	struct task_struct *task;
	bool live;

	rcu_read_lock();
	task = pid_task(find_pid_ns(tgid, &init_pid_ns), PIDTYPE_PID);
	live = task && atomic_read(&task->signal->live);
	rcu_read_unlock();
	return live;
}

static long hrprof_set_maps(struct hrprof_session *s, void __user *arg)
{
	struct hrprof_maps m;
	u32 tgid;
	int err;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	err = hrprof_tgid_of(s, m.tgid, &tgid);
	if (!err)
		err = hrprof_cfi_set_maps(&s->cfi, tgid, &m);
	if (!err && !hrprof_tgid_live(tgid))
		hrprof_cfi_exit(&s->cfi, tgid);
	return err;
}

static long hrprof_get_stats(struct hrprof_session *s, void __user *arg)
{
	struct hrprof_stats st;
	int cpu;

	memset(&st, 0, sizeof(st));
	/* Each CPU's counters are written by that CPU's sampler only: a
	 * snapshot that may be a sample behind, never torn. */
	for_each_possible_cpu(cpu) {
		const struct hrprof_cpu_stats *c = per_cpu_ptr(s->stats, cpu);

		st.samples += READ_ONCE(c->samples);
		st.lost += READ_ONCE(c->lost);
		st.skipped += READ_ONCE(c->skipped);
		st.user_faults += READ_ONCE(c->user_faults);
		st.sample_ns += READ_ONCE(c->sample_ns);
		st.wakeups += READ_ONCE(c->wakeups);
		st.missed += READ_ONCE(c->missed);
		st.frames_cfi += READ_ONCE(c->frames_cfi);
		st.frames_fp += READ_ONCE(c->frames_fp);
		st.cfi_no_maps += READ_ONCE(c->cfi_no_maps);
		st.cfi_complete += READ_ONCE(c->cfi_complete);
		st.cfi_bad += READ_ONCE(c->cfi_bad);
		st.cfi_unmapped += READ_ONCE(c->cfi_unmapped);
	}
	st.targets = atomic_read(&s->targets.live);
	st.tables = atomic_read(&s->cfi.ntables);
	st.table_bytes = atomic64_read(&s->cfi.bytes);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long hrprof_ioctl_locked(struct hrprof_session *s, unsigned int cmd, void __user *arg)
{
	u32 tgid = 0;
	int err;

	switch (cmd) {
	case HRPROF_IOC_GET_INFO:
		return hrprof_get_info(arg);
	case HRPROF_IOC_CONFIGURE:
		return hrprof_configure_locked(s, arg);
	case HRPROF_IOC_START:
		if (s->state == HRPROF_OPEN)
			return -ENODATA;
		if (s->state == HRPROF_RUNNING)
			return 0;
		err = hrprof_source_start(s);
		if (!err)
			s->state = HRPROF_RUNNING;
		return err;
	case HRPROF_IOC_STOP:
		if (s->state == HRPROF_RUNNING) {
			hrprof_source_stop(s);
			s->state = HRPROF_CONFIGURED;
		}
		return 0;
	case HRPROF_IOC_ADD_TARGET:
		err = hrprof_target_tgid(s, arg, &tgid);
		if (!err)
			err = hrprof_targets_add(&s->targets, tgid);
		if (!err && s->state == HRPROF_RUNNING)
			hrprof_source_targets_added(s);
		return err;
	case HRPROF_IOC_REMOVE_TARGET:
		err = hrprof_target_tgid(s, arg, &tgid);
		if (err)
			return err;
		return hrprof_targets_remove(&s->targets, tgid) ? 0 : -ENOENT;
	case HRPROF_IOC_GET_STATS:
		return hrprof_get_stats(s, arg);
	case HRPROF_IOC_ADD_TABLE:
		return hrprof_cfi_add_table(&s->cfi, arg);
	case HRPROF_IOC_DEL_TABLE:
		return hrprof_cfi_del_table(&s->cfi, arg);
	case HRPROF_IOC_SET_MAPS:
		return hrprof_set_maps(s, arg);
	default:
		return -ENOTTY;
	}
}

static long hrprof_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hrprof_session *s = file->private_data;
	long ret;

	mutex_lock(&s->lock);
	ret = hrprof_ioctl_locked(s, cmd, (void __user *)arg);
	mutex_unlock(&s->lock);
	return ret;
}

static void hrprof_vm_open(struct vm_area_struct *vma)
{
	struct hrprof_session *s = vma->vm_private_data;

	atomic_inc(&s->mmaps);
}

static void hrprof_vm_close(struct vm_area_struct *vma)
{
	struct hrprof_session *s = vma->vm_private_data;

	atomic_dec(&s->mmaps);
}

static const struct vm_operations_struct hrprof_vm_ops = {
	.open = hrprof_vm_open,
	.close = hrprof_vm_close,
};

/*
 * Ring i is at page i * stride: its consumer page alone, read-write; or its
 * producer page and the doubled data, read-only. Nothing else maps.
 */
static int hrprof_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hrprof_session *s = file->private_data;
	unsigned long pages = vma_pages(vma), stride, cpu, part;
	struct hrprof_ring *r;
	int err = -EINVAL;

	mutex_lock(&s->ring_lock);
	if (!s->rings_ready) {
		err = -ENODATA;
		goto out;
	}
	stride = HRPROF_RING_STRIDE(s->cfg.ring_pages);
	cpu = vma->vm_pgoff / stride;
	part = vma->vm_pgoff % stride;
	if (cpu >= nr_cpu_ids || !(r = s->rings[cpu]))
		goto out;
	if (part == 0 && pages == 1) {
		/* the consumer page: the reader's to write */
	} else if (part == 1 && pages == 1 + 2 * (unsigned long)r->nr_data) {
		if (vma->vm_flags & VM_WRITE) {
			err = -EPERM;
			goto out;
		}
		hrprof_vm_flags_clear(vma, VM_MAYWRITE);
	} else {
		goto out;
	}
	err = remap_vmalloc_range(vma, r->vaddr, part);
	if (err)
		goto out;
	vma->vm_ops = &hrprof_vm_ops;
	vma->vm_private_data = s;
	hrprof_vm_open(vma);
out:
	mutex_unlock(&s->ring_lock);
	return err;
}

static __poll_t hrprof_poll(struct file *file, struct poll_table_struct *wait)
{
	struct hrprof_session *s = file->private_data;
	__poll_t mask = 0;
	int cpu;

	poll_wait(file, &s->wq, wait);
	mutex_lock(&s->lock);
	if (s->state != HRPROF_OPEN) {
		for_each_possible_cpu(cpu) {
			if (s->rings[cpu] && hrprof_ring_readable(s->rings[cpu])) {
				mask = EPOLLIN | EPOLLRDNORM;
				break;
			}
		}
	}
	mutex_unlock(&s->lock);
	return mask;
}

static const struct file_operations hrprof_fops = {
	.owner = THIS_MODULE,
	.open = hrprof_open,
	.release = hrprof_release,
	.unlocked_ioctl = hrprof_ioctl,
	/* The ABI's structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = hrprof_mmap,
	.poll = hrprof_poll,
	.llseek = noop_llseek,
};

static struct miscdevice hrprof_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hrprof",
	.fops = &hrprof_fops,
	.mode = 0600,
};

static int __init hrprof_init(void)
{
	int err;

	hrprof_sources_init();
	err = hrprof_tracepoints_init();
	if (err)
		return err;
	err = misc_register(&hrprof_dev);
	if (err) {
		hrprof_tracepoints_exit();
		return err;
	}
	pr_info("%s, ABI %d, %s%s\n", HRPROF_VERSION, HRPROF_ABI_VERSION,
		hrprof_has_pmu ? "PMU cycles (NMI) available" : "no PMU: cpu-clock sampling",
		hrprof_nmi_test ? ", NMI test source" : "");
	return 0;
}

static void __exit hrprof_exit(void)
{
	misc_deregister(&hrprof_dev);
	hrprof_tracepoints_exit();
}

module_init(hrprof_init);
module_exit(hrprof_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("hrprof");
MODULE_DESCRIPTION("hrprof: kernel and user stack samples from NMIs or timers into per-CPU rings");
MODULE_VERSION(HRPROF_VERSION);
