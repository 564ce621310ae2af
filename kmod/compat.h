/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, all in one place. Built and tested against
 * Debian 12's 6.1 and 6.12 kernels.
 */
#ifndef HRPROF_COMPAT_H
#define HRPROF_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* vm_flags became read-only behind helpers in 6.3. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void hrprof_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#else
static inline void hrprof_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vm_flags_clear(vma, flags);
}
#endif

/* hrtimer_setup replaced hrtimer_init + function assignment in 6.13. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define hrprof_hrtimer_setup(t, fn, clock, mode)                                                   \
	do {                                                                                       \
		hrtimer_init((t), (clock), (mode));                                                \
		(t)->function = (fn);                                                              \
	} while (0)
#else
#define hrprof_hrtimer_setup(t, fn, clock, mode) hrtimer_setup((t), (fn), (clock), (mode))
#endif

#endif
