/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a snapshot to a pprof: each unique (mapping, address) named once,
 * through the symbolizer's caches (ELF files by build id, kallsyms, JIT
 * maps), which live as long as the export thread.
 */
#ifndef HRPROF_PROFILE_H
#define HRPROF_PROFILE_H

#include <stdint.h>

#include "options/options.h"
#include "snapshot.h"

struct pprof;
struct symbolizer;

/* NULL only when out of memory. opts (may be NULL: defaults) gives
 * --debuginfod_wait; debuginfod is asked when DEBUGINFOD_URLS is set. */
struct symbolizer *symbolizer__new(const struct options *opts);
void symbolizer__free(struct symbolizer *sy);
/* Drops cached files past their bound, between profiles. */
void symbolizer__trim(struct symbolizer *sy);

/* Builds the pprof of a snapshot, its sample count in *samples. NULL after
 * logging why (out of memory). */
struct pprof *profile__build(const struct snapshot *s, struct symbolizer *sy,
			     const struct options *opts, uint64_t *samples);

#endif
