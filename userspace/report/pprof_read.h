/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading pprof files: untrusted input (ours, Go's, anyone's). A file is
 * read whole (bounded), gunzipped when it is gzip, unpacked, and checked
 * against profile.proto's rules before anything looks inside it: every
 * string index in range, ids non-zero and unique, every reference resolves.
 */
#ifndef HRPROF_PPROF_READ_H
#define HRPROF_PPROF_READ_H

#include <stdbool.h>
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

/* An id for a frame's name (temp: the name lasts only for the call), or
 * -errno to stop. */
typedef long (*pprof_name_id_fn)(void *arg, const char *name, bool temp);

/*
 * Every location's frames, innermost first, each inlined function a frame
 * of its own: location i's are (*frames)[(*loc_frame)[i] .. (*loc_frame)[i +
 * 1]), each the id name_id gave its name. A function's name is asked once
 * per function (it lasts as long as f); a frame with no function is named by
 * its location's address and mapping file ("0x4005d0 [libc.so.6]"), asked
 * per frame. Returns 0, or -errno (name_id's) with both arrays NULL; the
 * caller frees them.
 */
int pprof_file__frames(const struct pprof_file *f, pprof_name_id_fn name_id, void *arg,
		       size_t **loc_frame, size_t **frames);

#endif
