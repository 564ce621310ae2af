/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building and writing pprof profiles (google/pprof profile.proto,
 * compiled with protoc-c from userspace/proto/profile.proto).
 *
 * The builder interns strings and functions; mappings and locations are added
 * as the caller dedups them. Ids start at 1. Functions returning an id return
 * 0 only when out of memory.
 */
#ifndef HRPROF_PPROF_H
#define HRPROF_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

struct pprof;

struct pprof_label {
	const char *key;
	const char *str; /* NULL for a numeric label */
	int64_t num;
	const char *num_unit; /* NULL when none */
};

struct pprof *pprof__new(void);

/* Interns s; returns its string-table index (0 is ""), or -1 when out of memory. */
int64_t pprof__str(struct pprof *p, const char *s);

/* Sample types in order; the first also becomes period_type unless set. */
int pprof__add_sample_type(struct pprof *p, const char *type, const char *unit);
int pprof__set_period(struct pprof *p, const char *type, const char *unit, int64_t period);
void pprof__set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos);
int pprof__add_comment(struct pprof *p, const char *comment);

uint64_t pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
			const char *filename, const char *build_id, bool has_functions,
			bool has_filenames);
/* Interned by (name, system_name, filename). */
uint64_t pprof__function(struct pprof *p, const char *name, const char *system_name,
			 const char *filename);
/* One line of a location: with inlined calls, a location has several,
 * the innermost function first and the function they are inlined into last;
 * line is the source line in each (0 when unknown). */
struct pprof_line {
	uint64_t function_id;
	int64_t line;
};

/* mapping_id may be 0 (no mapping); every line's function must exist. */
uint64_t pprof__location_lines(struct pprof *p, uint64_t mapping_id, uint64_t address,
			       const struct pprof_line *lines, size_t nlines);
/* mapping_id may be 0 (no mapping); function_id may be 0 (no line). */
uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address,
			 uint64_t function_id);
/* The name of location loc_id's (innermost) function ("?" when none). */
const char *pprof__location_name(const struct pprof *p, uint64_t loc_id);
/* locs is leaf first; values has one entry per sample type. Returns -errno. */
int pprof__sample(struct pprof *p, const uint64_t *locs, size_t nlocs, const int64_t *values,
		  const struct pprof_label *labels, size_t nlabels);

#endif
