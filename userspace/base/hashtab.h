/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one hash table: open addressing, linear probing, a power-of-two
 * number of slots kept at most half full. A slot holds a key's 64-bit hash
 * and a non-zero value (an index + 1 into the caller's records, or a
 * pointer); the keys live with the caller, who compares them while
 * probing:
 *
 *	if (hashtab__reserve(&t, 1))
 *		return -ENOMEM;
 *	for (s = hashtab__probe(&t, h); s->val; s = hashtab__next(&t, s))
 *		if (s->hash == h && same_key(recs[s->val - 1], key))
 *			return s->val - 1;
 *	hashtab__fill(&t, s, h, n + 1);
 *
 * Removal shifts the entries after a slot back into the gap, so there are
 * no tombstones: probes stay as short as the load says, however many keys
 * came and went.
 */
#ifndef HRPROF_HASHTAB_H
#define HRPROF_HASHTAB_H

#include <stddef.h>
#include <stdint.h>

struct hashtab_slot {
	uint64_t hash;
	uint64_t val; /* 0: empty */
};

struct hashtab {
	struct hashtab_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

/* Room for more entries (the table grows to keep them at most half of
 * it). 0 or -ENOMEM; a growth moves slots (pointers to them go stale). */
int hashtab__reserve(struct hashtab *t, size_t more);

/* The first slot of hash's probe sequence: the table has slots. */
static inline struct hashtab_slot *hashtab__probe(const struct hashtab *t, uint64_t hash)
{
	return &t->slots[hash & (t->cap - 1)];
}

static inline struct hashtab_slot *hashtab__next(const struct hashtab *t,
						 const struct hashtab_slot *s)
{
	return s + 1 == t->slots + t->cap ? t->slots : (struct hashtab_slot *)s + 1;
}

/* Fills the empty slot a probe for hash ended on (after a reserve). */
static inline void hashtab__fill(struct hashtab *t, struct hashtab_slot *s, uint64_t hash,
				 uint64_t val)
{
	s->hash = hash;
	s->val = val;
	t->n++;
}

/* Empties a filled slot; entries probed past it move back. */
void hashtab__remove(struct hashtab *t, struct hashtab_slot *s);
/* Frees the slots: the table is empty and can be used again. */
void hashtab__free(struct hashtab *t);

#endif
