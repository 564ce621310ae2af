/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spool: profiles that could not be delivered yet, one file each, in a
 * directory that outlives the run. Names sort by time, so the oldest is
 * delivered first. An entry being sent is claimed by renaming it with the
 * sender's pid; claims of processes that are gone are released at open.
 * Bounded by total size and by age: the oldest entries are dropped first,
 * each drop counted and logged. Entries carry a checksum; one that is not
 * right is set aside ("<name>.corrupt"), never given out. Thread-safe.
 */
#ifndef HRPROF_SPOOL_H
#define HRPROF_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

struct spool_entry {
	char *path; /* the claimed file */
	char *event_json;
	uint8_t *blob;
	size_t len;
};

/* Creates dir if needed. Returns -errno, or zero with *out set. */
int spool__open(struct spool **out, const char *dir, uint64_t max_bytes, uint64_t max_age_s);
void spool__free(struct spool *s);

/* Stores one profile under a name that sorts by time. Returns -errno. */
int spool__put(struct spool *s, const char *name, const char *event_json, const uint8_t *blob,
	       size_t len);

/* Claims the oldest entry. Returns -ENOENT when there is none, -errno on error. */
int spool__take(struct spool *s, struct spool_entry *e);
/* Deletes a delivered (or undeliverable) entry, and frees e's memory. */
void spool__remove(struct spool *s, struct spool_entry *e);
/* Gives a claimed entry back for a later run, and frees e's memory. */
void spool__release(struct spool *s, struct spool_entry *e);

/* Entries dropped for the bounds since open. */
uint64_t spool__dropped(struct spool *s);
/* Unclaimed entries now. */
size_t spool__count(struct spool *s);

#endif
