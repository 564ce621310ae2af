/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A map from non-zero 32-bit keys (pids, tids) to non-NULL pointers, on the
 * one hash table (hashtab.h): a slot's hash is a bijective mix of the key,
 * so it is the key too. Not thread-safe.
 */
#ifndef HRPROF_U32MAP_H
#define HRPROF_U32MAP_H

#include <stddef.h>
#include <stdint.h>

#include "hashtab.h"

struct u32map {
	struct hashtab tab;
};

void *u32map__find(const struct u32map *m, uint32_t key);
/* Inserts or replaces. Returns -ENOMEM, -EINVAL (key 0, val NULL) or zero. */
int u32map__put(struct u32map *m, uint32_t key, void *val);
/* Removes key; returns its value or NULL. */
void *u32map__del(struct u32map *m, uint32_t key);
void u32map__fini(struct u32map *m);

/* Every value, as void *v; i is the slot. Removing the entry at slot i moves
 * a later one into it: look at slot i again (u32map__del_at). */
#define u32map__for_each(m, i, v)                                                                  \
	for (size_t i = 0; i < (m)->tab.cap; i++)                                                  \
		if (((v) = (void *)(uintptr_t)(m)->tab.slots[i].val))

/* Removes the entry at slot i (from u32map__for_each). */
void u32map__del_at(struct u32map *m, size_t i);
/* The key at slot i (from u32map__for_each). */
uint32_t u32map__key_at(const struct u32map *m, size_t i);

static inline size_t u32map__len(const struct u32map *m)
{
	return m->tab.n;
}

/* A key's hash: a slot holds it, and its low bits pick the key's home slot. */
uint64_t u32map__hash(uint32_t key);

#endif
