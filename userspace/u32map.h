/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash map from non-zero 32-bit keys (pids, tids) to pointers: open
 * addressing, linear probing, deletion by backward shift. Not thread-safe.
 */
#ifndef HRPROF_U32MAP_H
#define HRPROF_U32MAP_H

#include <stddef.h>
#include <stdint.h>

struct u32map {
	uint32_t *keys; /* 0 = empty */
	void **vals;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

void *u32map__find(const struct u32map *m, uint32_t key);
/* Inserts or replaces. Returns -ENOMEM or zero. */
int u32map__put(struct u32map *m, uint32_t key, void *val);
/* Removes key; returns its value or NULL. */
void *u32map__del(struct u32map *m, uint32_t key);
void u32map__fini(struct u32map *m);

#define u32map__for_each(m, i)                                                                     \
	for (size_t i = 0; i < (m)->cap; i++)                                                      \
		if ((m)->keys[i])

#endif
