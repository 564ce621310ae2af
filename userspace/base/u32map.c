// SPDX-License-Identifier: GPL-2.0
/* Pid- and tid-keyed maps on the one hash table (see u32map.h). */
#include <errno.h>

#include "u32map.h"
#include "util.h"

/* The inverse of hash_fin's multiplier, mod 2^64. */
#define FIN_MUL_INV 0x4f74430c22a54005ULL

uint64_t u32map__hash(uint32_t key)
{
	return hash_fin(key);
}

/* hash_fin undone: each xorshift by 33 is its own inverse. */
uint32_t u32map__key_at(const struct u32map *m, size_t i)
{
	uint64_t h = m->tab.slots[i].hash;

	h ^= h >> 33;
	h *= FIN_MUL_INV;
	return (uint32_t)(h ^ (h >> 33));
}

static struct hashtab_slot *slot_of(const struct u32map *m, uint32_t key)
{
	uint64_t h = u32map__hash(key);
	struct hashtab_slot *s;

	if (!m->tab.cap || !key)
		return NULL;
	for (s = hashtab__probe(&m->tab, h); s->val; s = hashtab__next(&m->tab, s))
		if (s->hash == h)
			return s;
	return NULL;
}

void *u32map__find(const struct u32map *m, uint32_t key)
{
	struct hashtab_slot *s = slot_of(m, key);

	return s ? (void *)(uintptr_t)s->val : NULL;
}

int u32map__put(struct u32map *m, uint32_t key, void *val)
{
	uint64_t h = u32map__hash(key);
	struct hashtab_slot *s;

	if (!key || !val)
		return -EINVAL;
	if (hashtab__reserve(&m->tab, 1))
		return -ENOMEM;
	for (s = hashtab__probe(&m->tab, h); s->val; s = hashtab__next(&m->tab, s)) {
		if (s->hash == h) {
			s->val = (uintptr_t)val;
			return 0;
		}
	}
	hashtab__fill(&m->tab, s, h, (uintptr_t)val);
	return 0;
}

void *u32map__del(struct u32map *m, uint32_t key)
{
	struct hashtab_slot *s = slot_of(m, key);
	void *val;

	if (!s)
		return NULL;
	val = (void *)(uintptr_t)s->val;
	hashtab__remove(&m->tab, s);
	return val;
}

void u32map__del_at(struct u32map *m, size_t i)
{
	hashtab__remove(&m->tab, &m->tab.slots[i]);
}

void u32map__fini(struct u32map *m)
{
	hashtab__free(&m->tab);
}
