// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "u32map.h"

static size_t slot_of(uint32_t key, size_t cap)
{
	return (size_t)((key * 2654435761u) & (cap - 1));
}

void *u32map__find(const struct u32map *m, uint32_t key)
{
	size_t i;

	if (!m->cap || !key)
		return NULL;
	for (i = slot_of(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
	}
	return NULL;
}

static int u32map__grow(struct u32map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint32_t *keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = slot_of(m->keys[i], cap); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int u32map__put(struct u32map *m, uint32_t key, void *val)
{
	size_t i;

	if (!key)
		return -EINVAL;
	if ((m->len + 1) * 4 > m->cap * 3 && u32map__grow(m))
		return -ENOMEM;
	for (i = slot_of(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 0;
}

void *u32map__del(struct u32map *m, uint32_t key)
{
	size_t mask = m->cap - 1, i, j;
	void *val;

	if (!m->cap || !key)
		return NULL;
	for (i = slot_of(key, m->cap); m->keys[i] != key; i = (i + 1) & mask) {
		if (!m->keys[i])
			return NULL;
	}
	val = m->vals[i];
	/* Backward shift: move later entries of the run into the hole when their
	 * home slot does not lie between the hole and their position. */
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m->keys[j], m->cap);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = NULL;
	m->len--;
	return val;
}

void u32map__fini(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct u32map){0};
}
