/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diagnostics for what stops profiling, each naming the setting at fault and
 * the fix (the troubleshooting guide's cases).
 */
#ifndef HRPROF_DIAG_H
#define HRPROF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options/options.h"

/* Whether this process holds cap (CAP_*) in its effective set. */
bool diag_cap_held(int cap);
/* CAP_PERFMON or CAP_SYS_ADMIN: perf_event_paranoid does not apply. */
bool diag_perf_privileged(void);
/* perf_event_open failed with err (-errno). */
void diag_perf_refused(int err, const struct options *opts);
/* mmap of a perf ring of bytes failed with err. */
void diag_mmap_refused(int err, size_t bytes);
/* io_uring_queue_init failed with err. */
void diag_io_uring(int err);
/*
 * A run that took no sample: says why, from what the target did. cpu_ns is
 * the wrapped command's CPU time with its children's (-1: not known, for -p
 * and --global); ran is false when the command never ran (exec failed).
 */
void diag_no_samples(const struct options *opts, int64_t cpu_ns, bool ran);

#endif
