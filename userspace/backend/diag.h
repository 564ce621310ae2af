/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Diagnostics for what stops sampling, each naming the setting at fault and
 * the fix (the troubleshooting guide's cases). The ones the session and
 * doctor use are in backend.h.
 */
#ifndef HRPROF_DIAG_H
#define HRPROF_DIAG_H

#include <stddef.h>

#include "backend.h"

/* perf_event_open failed with err (-errno). */
void diag_perf_refused(int err, const struct backend_config *cfg);
/* mmap of a perf ring of bytes failed with err. */
void diag_mmap_refused(int err, size_t bytes);

#endif
