/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diagnostics for what stops profiling, each naming the setting at fault and
 * the fix (the troubleshooting guide's cases).
 */
#ifndef HRPROF_DIAG_H
#define HRPROF_DIAG_H

#include <stddef.h>

#include "options.h"

/* perf_event_open failed with err (-errno). */
void diag_perf_refused(int err, const struct options *opts);
/* mmap of a perf ring of bytes failed with err. */
void diag_mmap_refused(int err, size_t bytes);
/* io_uring_queue_init failed with err. */
void diag_io_uring(int err);
/* A profile with no samples at all. */
void diag_no_samples(const struct options *opts);

#endif
