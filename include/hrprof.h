/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hrprof: what the kernel module and the daemon share.
 *
 * A sample record is the unit both sample sources deliver: the module writes
 * it into its per-CPU rings, the perf_event backend builds the same record
 * from a PERF_RECORD_SAMPLE, and everything downstream (stack table,
 * symbolization, pprof) reads only this layout.
 *
 * Fixed-width types only, explicit padding, sizes asserted below. Reserved
 * fields are zero.
 */
#ifndef _UAPI_HRPROF_H
#define _UAPI_HRPROF_H

#include <linux/types.h>

#define HRPROF_ABI_VERSION 1

/* hrprof_record.type */
#define HRPROF_REC_SAMPLE 1 /* a stack sample */
#define HRPROF_REC_LOST	  2 /* samples dropped: period holds how many */

/* hrprof_record.flags */
#define HRPROF_F_USER_TRUNCATED	  (1U << 0) /* user walk stopped at max frames */
#define HRPROF_F_KERNEL_TRUNCATED (1U << 1) /* kernel walk stopped at max frames */
#define HRPROF_F_KERNEL_EXCLUDED  (1U << 2) /* kernel frames not permitted */
#define HRPROF_F_IN_KERNEL	  (1U << 3) /* the sample interrupted kernel code */

/*
 * One record. size covers the header and the frames and is a multiple of 8.
 * Frames are return addresses, leaf first: nr_kernel kernel frames, then
 * nr_user user frames. tgid/tid are in the initial pid namespace, ns_tgid and
 * ns_tid in the pid namespace of the session's opener (0 when not visible).
 * time_ns is CLOCK_MONOTONIC. period is the sample's weight in the source's
 * unit (nanoseconds for cpu-clock, cycles for the PMU).
 */
struct hrprof_record {
	__u16 size;
	__u16 type;
	__u32 flags;
	__u32 cpu;
	__u32 tgid;
	__u32 tid;
	__u32 ns_tgid;
	__u32 ns_tid;
	__u32 reserved0;
	__u64 time_ns;
	__u64 period;
	__u16 nr_kernel;
	__u16 nr_user;
	__u32 reserved1;
	__u64 ips[];
};

#ifdef __cplusplus
static_assert(sizeof(struct hrprof_record) == 56, "hrprof_record layout");
#else
_Static_assert(sizeof(struct hrprof_record) == 56, "hrprof_record layout");
#endif

#endif /* _UAPI_HRPROF_H */
