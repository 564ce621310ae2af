/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading pprof files: untrusted input (ours, Go's, anyone's). A file is
 * read whole (bounded), gunzipped when it is gzip, unpacked, and checked
 * against profile.proto's rules before anything looks inside it: every
 * string index in range, ids non-zero and unique, every reference resolves.
 */
#ifndef HRPROF_PPROF_READ_H
#define HRPROF_PPROF_READ_H

#include <stddef.h>
#include <stdint.h>

#include "profile.pb-c.h"

#define PPROF_READ_MAX ((size_t)512 << 20) /* raw file or decompressed */

typedef Perftools__Profiles__Profile profile_t;

struct pprof_id_ent {
	uint64_t id;
	size_t idx;
};

/* id -> array index for mappings, locations or functions. */
struct pprof_id_map {
	struct pprof_id_ent *e;
	size_t n;
};

/* A checked profile: pr and the id maps of its tables. */
struct pprof_file {
	profile_t *pr;
	struct pprof_id_map maps, locs, fns;
};

/*
 * Loads and checks the file at path; control bytes in its strings become
 * '?' (nothing in it can drive a terminal). Returns 0, or -errno with a
 * reason in why (-EINVAL: malformed). Free with pprof_file__free either way.
 */
int pprof_file__load(struct pprof_file *f, const char *path, char *why, size_t whylen);
void pprof_file__free(struct pprof_file *f);

/* The index of id in its table, or -1. */
long pprof_id_map__find(const struct pprof_id_map *m, uint64_t id);
/* String i of the table; "" when out of range. */
const char *pprof_str(const profile_t *pr, int64_t i);

#endif
