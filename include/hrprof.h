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
 * fields are zero. Room to grow: a record type or flag for user stack bytes
 * and registers (DWARF unwinding) can be added without changing these
 * layouts; a new ioctl, not a changed struct, for new settings.
 */
#ifndef _UAPI_HRPROF_H
#define _UAPI_HRPROF_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define HRPROF_ABI_VERSION 1

/* hrprof_record.type */
#define HRPROF_REC_SAMPLE                                                                          \
	1 /* a stack sample (drops are counted, not recorded:                                      \
	   * hrprof_ring_producer.lost) */

/* hrprof_record.flags */
#define HRPROF_F_USER_TRUNCATED	  (1U << 0) /* user walk stopped at max frames */
#define HRPROF_F_KERNEL_TRUNCATED (1U << 1) /* kernel walk stopped at max frames */
#define HRPROF_F_KERNEL_EXCLUDED  (1U << 2) /* kernel frames not permitted */
#define HRPROF_F_IN_KERNEL	  (1U << 3) /* the sample interrupted kernel code */
#define HRPROF_F_USER_CFI	  (1U << 4) /* user frames walked with CFI tables */
#define HRPROF_F_USER_UNMAPPED                                                                     \
	(1U << 5) /* the CFI walk met an address in none of                                        \
		   * the process's given mappings */

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

/*
 * ---- The device: /dev/hrprof (root only) ----
 *
 * One open file is one session; one session may exist at a time (a second
 * open fails with EBUSY). Its states:
 *
 *   open -> HRPROF_IOC_CONFIGURE -> mmap the rings -> HRPROF_IOC_START
 *        <-> HRPROF_IOC_STOP -> close
 *
 * CONFIGURE is allowed while stopped (it replaces the rings: unmap first).
 * Targets can be added and removed at any time. Closing the file (the
 * daemon exiting, even by SIGKILL) stops sampling and frees everything once
 * the last mapping is gone; the module cannot be unloaded while a session
 * is open. Errors:
 *   ENOTTY  unknown ioctl
 *   EACCES  open without CAP_SYS_ADMIN
 *   EINVAL  bad argument: reserved field or flags not zero, unknown source,
 *           rate, frames, ring_pages or watermark out of range, a ring too
 *           small for two of the deepest records, the NMI test source
 *           without HRPROF_CFG_FREQ, a tgid above PID_MAX_LIMIT; a rate
 *           above kernel.perf_event_max_sample_rate, or a period shorter
 *           than its inverse (for cycles: at the CPU's nominal clock); an
 *           mmap of the wrong offset or length
 *   EPERM   a writable mmap of the producer page or the data
 *   ENODATA START, or an mmap, before CONFIGURE
 *   EBUSY   a second open; CONFIGURE while running or while rings are mapped
 *           (STOP while stopped, START while running, and START before the
 *           rings are mapped, succeed)
 *   ESRCH   ADD_TARGET or REMOVE_TARGET of a process that does not exist
 *   ENOENT  REMOVE_TARGET of a process that is not a target; SET_MAPS
 *           naming a table that is not loaded, DEL_TABLE of one
 *   ENODEV  CONFIGURE of a source this machine lacks (PMU in a VM; the NMI
 *           test source unless the module was loaded with nmi_test=1)
 *   EFAULT  an argument at a bad address
 *   ENOSPC  ADD_TABLE or SET_MAPS past the module's memory for tables
 *           (hrprof_info.table_mem_mb, the table_mem_mb parameter)
 *
 * ---- CFI tables (HRPROF_FEAT_CFI) ----
 *
 * The module walks user stacks with the daemon's compiled CFI tables
 * (include/hrprof_unwind.h): ADD_TABLE loads one object's table (copied and
 * checked: 1..HRPROF_TABLE_ROWS_MAX rows, pcs strictly increasing, known
 * kinds and BP rules, SP and BP offsets within bounds) and returns its id;
 * SET_MAPS gives a process's executable mappings, each with the table that
 * covers it and the bias between its addresses and the table's pcs (pc =
 * address - bias), replacing the ones it had (nr 0: none). A sample of a
 * process with mappings walks its user stack a frame at a time: a table row
 * where one covers the frame's address, frame pointers where none does.
 * DEL_TABLE drops the daemon's hold on a table: it goes when no process's
 * mappings use it. A process's mappings go when it exits; everything goes
 * when the session closes.
 */

#define HRPROF_DEVICE "/dev/hrprof"

/* hrprof_info.features */
#define HRPROF_FEAT_PMU	      (1ULL << 0) /* a PMU cycles counter (NMI) exists */
#define HRPROF_FEAT_CPU_CLOCK (1ULL << 1) /* cpu-clock (hrtimer) sampling */
#define HRPROF_FEAT_NMI_TEST  (1ULL << 2) /* the test-only NMI source (nmi_test=1) */
#define HRPROF_FEAT_CFI	      (1ULL << 3) /* CFI tables: ADD_TABLE, SET_MAPS, DEL_TABLE */

struct hrprof_info {
	__u32 abi_version; /* HRPROF_ABI_VERSION */
	__u32 nr_cpus;	   /* possible CPUs: ring i belongs to CPU i */
	__u64 features;
	__u32 page_size;
	__u32 max_frames; /* the most kernel, and the most user, frames asked for */
	__u32 max_ring_pages;
	__u32 table_mem_mb; /* memory a session may hold in CFI tables and mappings */
	__u32 reserved[8];
};

/* hrprof_config.source */
#define HRPROF_SOURCE_AUTO	0 /* PMU cycles where a PMU exists, else cpu-clock */
#define HRPROF_SOURCE_PMU	1 /* hardware cycles, overflow in NMI */
#define HRPROF_SOURCE_CPU_CLOCK 2 /* per-CPU hrtimer; with targets, only while one runs */
#define HRPROF_SOURCE_NMI_TEST	3 /* test-only: an hrtimer sends the next CPU an NMI */

/* hrprof_config.flags */
#define HRPROF_CFG_FREQ	     (1U << 0) /* sample_rate is Hz, else a period */
#define HRPROF_CFG_KERNEL    (1U << 1) /* kernel frames */
#define HRPROF_CFG_USER	     (1U << 2) /* user frames */
#define HRPROF_CFG_ALL_PROCS (1U << 3) /* every task, idle and kernel threads too */
#define HRPROF_CFG_CFI                                                                             \
	(1U << 4) /* CFI tables will be given (HRPROF_FEAT_CFI):                                   \
		   * walks of processes without count */
#define HRPROF_CFG_FLAGS_MASK 0x1fU

/*
 * HRPROF_IOC_CONFIGURE's argument. The module writes back source (the one
 * chosen for AUTO) and ring_pages (as rounded).
 */
struct hrprof_config {
	__u32 source;
	__u32 flags;
	__u64 sample_rate;	 /* Hz with HRPROF_CFG_FREQ (1..max rate), else events */
	__u32 max_kernel_frames; /* 0..max_frames */
	__u32 max_user_frames;	 /* 0..max_frames */
	__u32 ring_pages;	 /* data pages per CPU: a power of two, 0 = default */
	__u32 watermark;	 /* bytes in a ring that wake the reader; 0 = a quarter */
	__u32 reserved[8];
};

/* HRPROF_IOC_ADD_TARGET / REMOVE_TARGET: a process, as the opener's pid
 * namespace numbers it. Its children become targets as they fork. */
struct hrprof_target {
	__u32 tgid;
	__u32 flags; /* zero */
	__u64 reserved;
};

/* HRPROF_IOC_GET_STATS: sums over CPUs since CONFIGURE. */
struct hrprof_stats {
	__u64 samples;	    /* records written */
	__u64 lost;	    /* ring full: sample dropped */
	__u64 skipped;	    /* interrupt hit a task that is not a target */
	__u64 user_faults;  /* user walks cut by an unreadable frame */
	__u64 sample_ns;    /* time spent in the sample path, recorded samples */
	__u64 targets;	    /* in the target set now */
	__u64 targets_full; /* always 0: the set holds every pid */
	__u64 wakeups;	    /* irq_work wakeups queued */
	__u64 missed;	    /* cpu-clock periods the timer fired too late to
			     * sample (the next sample's period covers them) */
	/* CFI walks (HRPROF_FEAT_CFI): */
	__u64 frames_cfi;   /* user frames stepped by a table row */
	__u64 frames_fp;    /* ... by frame pointers (no row covers them) */
	__u64 cfi_no_maps;  /* user walks of processes with no mappings loaded
			     * (by frame pointers) */
	__u64 cfi_complete; /* user walks that reached the outermost frame */
	__u64 cfi_bad;	    /* user walks ended by a frame that made no sense */
	__u64 tables;	    /* tables loaded now */
	__u64 table_bytes;  /* memory held by tables and mappings now */
	__u64 cfi_unmapped; /* CFI walks that met an address in none of the
			     * process's given mappings (stepped by frame
			     * pointers there: code with no table, or mappings
			     * the daemon had not given yet) */
};

/* HRPROF_IOC_ADD_TABLE: rows is the address of nrows struct hrprof_cfi_row;
 * the module writes back id (never 0). */
#define HRPROF_TABLE_ROWS_MAX (1U << 22)
struct hrprof_table {
	__u64 rows;
	__u32 nrows;
	__u32 id;
	__u32 flags; /* zero */
	__u32 reserved[3];
};

/* HRPROF_IOC_DEL_TABLE */
struct hrprof_table_id {
	__u32 id;
	__u32 flags; /* zero */
	__u64 reserved;
};

/* One executable mapping of a process: [start, end), covered by table (an
 * id from ADD_TABLE), whose pc for an address is address - bias. */
struct hrprof_umap {
	__u64 start;
	__u64 end;
	__u64 bias;
	__u32 table;
	__u32 reserved;
};

/* HRPROF_IOC_SET_MAPS: a process (the opener's pid namespace) and its nr
 * mappings at address maps, sorted by start, not overlapping. */
#define HRPROF_MAPS_MAX 8192
struct hrprof_maps {
	__u32 tgid;
	__u32 nr;
	__u64 maps;
	__u32 flags; /* zero */
	__u32 reserved[3];
};

#define HRPROF_IOC_MAGIC	 0xb7
#define HRPROF_IOC_GET_INFO	 _IOR(HRPROF_IOC_MAGIC, 1, struct hrprof_info)
#define HRPROF_IOC_CONFIGURE	 _IOWR(HRPROF_IOC_MAGIC, 2, struct hrprof_config)
#define HRPROF_IOC_START	 _IO(HRPROF_IOC_MAGIC, 3)
#define HRPROF_IOC_STOP		 _IO(HRPROF_IOC_MAGIC, 4)
#define HRPROF_IOC_ADD_TARGET	 _IOW(HRPROF_IOC_MAGIC, 5, struct hrprof_target)
#define HRPROF_IOC_REMOVE_TARGET _IOW(HRPROF_IOC_MAGIC, 6, struct hrprof_target)
#define HRPROF_IOC_GET_STATS	 _IOR(HRPROF_IOC_MAGIC, 7, struct hrprof_stats)
#define HRPROF_IOC_ADD_TABLE	 _IOWR(HRPROF_IOC_MAGIC, 8, struct hrprof_table)
#define HRPROF_IOC_DEL_TABLE	 _IOW(HRPROF_IOC_MAGIC, 9, struct hrprof_table_id)
#define HRPROF_IOC_SET_MAPS	 _IOW(HRPROF_IOC_MAGIC, 10, struct hrprof_maps)

/*
 * ---- The rings ----
 *
 * One per CPU, written only by that CPU's sampler (one source per session,
 * never nested), read only by the daemon. Ring i occupies HRPROF_RING_STRIDE
 * pages of the device's mmap space, from page i * stride:
 *
 *   page 0                 hrprof_ring_consumer   mapped read-write, alone
 *   page 1                 hrprof_ring_producer   mapped read-only, with:
 *   pages 2 .. 2+n         data (n = ring_pages)
 *   pages 2+n .. 2+2n      the same data again
 *
 * so a record is always contiguous in the mapping. mmap checks the offset,
 * the exact length (1 page, or 1 + 2n pages) and the protection.
 *
 * Barrier protocol (positions only grow; offset = pos & (data_size - 1)):
 *   producer: reads consumer_pos with acquire; writes the record at
 *             producer_pos; publishes producer_pos + size with release.
 *   consumer: reads producer_pos with acquire; reads records up to it;
 *             publishes its consumer_pos with release.
 * A record that does not fit is dropped and counted in lost. The reader is
 * woken (poll) when a ring holds watermark bytes or more.
 */
#define HRPROF_RING_STRIDE(ring_pages) (2 + 2 * (ring_pages))

struct hrprof_ring_producer {
	__u64 producer_pos;
	__u64 lost;	 /* records dropped: ring full */
	__u32 data_size; /* bytes: ring_pages * page size */
	__u32 cpu;
	__u64 reserved[5];
};

struct hrprof_ring_consumer {
	__u64 consumer_pos;
	__u64 reserved[7];
};

#ifdef __cplusplus
#define HRPROF_ASSERT(e, m) static_assert(e, m)
#else
#define HRPROF_ASSERT(e, m) _Static_assert(e, m)
#endif
HRPROF_ASSERT(sizeof(struct hrprof_record) == 56, "hrprof_record layout");
HRPROF_ASSERT(sizeof(struct hrprof_info) == 64, "hrprof_info layout");
HRPROF_ASSERT(sizeof(struct hrprof_config) == 64, "hrprof_config layout");
HRPROF_ASSERT(sizeof(struct hrprof_target) == 16, "hrprof_target layout");
HRPROF_ASSERT(sizeof(struct hrprof_stats) == 136, "hrprof_stats layout");
HRPROF_ASSERT(sizeof(struct hrprof_ring_producer) == 64, "hrprof_ring_producer layout");
HRPROF_ASSERT(sizeof(struct hrprof_table) == 32, "hrprof_table layout");
HRPROF_ASSERT(sizeof(struct hrprof_table_id) == 16, "hrprof_table_id layout");
HRPROF_ASSERT(sizeof(struct hrprof_umap) == 32, "hrprof_umap layout");
HRPROF_ASSERT(sizeof(struct hrprof_maps) == 32, "hrprof_maps layout");
HRPROF_ASSERT(sizeof(struct hrprof_ring_consumer) == 64, "hrprof_ring_consumer layout");

#endif /* _UAPI_HRPROF_H */
