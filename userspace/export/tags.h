/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Datadog tags and the upload's event.json.
 */
#ifndef HRPROF_TAGS_H
#define HRPROF_TAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "export.h"

/* Datadog's rules (as ddprof applies them): not empty, at most 200
 * characters, a leading letter, only [A-Za-z0-9_:./-], no ':' at either end. */
bool tag_valid(const char *tag);

/*
 * The tags every upload of this run carries, comma-joined: language,
 * service, env, version, profiler_version, runtime-id, then the user's
 * (-T/DD_TAGS). Invalid ones are left out with one warning each. Returns a
 * malloc'd string, or NULL when out of memory.
 */
char *tags_for_run(const struct upload_config *cfg, const char *runtime_id);

/*
 * The tags of one upload: the run's, then profile_seq, include_kernel,
 * cpu_arch (this machine's, in Go's names: amd64, arm64...) and backend.
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *tags_for_upload(const char *run_tags, uint64_t seq, bool kernel_frames, const char *backend);
/* This machine's architecture in Go's names (uname's machine otherwise). */
const char *cpu_arch(void);

/* A random (version 4) UUID, in its 36-character text form. */
void uuid_v4(char out[37]);

/* "2026-01-15T12:00:00.000000000Z" for a CLOCK_REALTIME ns time. */
void time_rfc3339_ns(uint64_t ns, char out[40]);

/* The event.json of one upload: malloc'd, or NULL when out of memory. */
char *event_json(uint64_t start_ns, uint64_t end_ns, const char *tags);

#endif
