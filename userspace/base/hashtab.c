// SPDX-License-Identifier: GPL-2.0
/* The one hash table (see hashtab.h). */
#include <errno.h>
#include <stdlib.h>

#include "hashtab.h"

#define HASHTAB_MIN 64

int hashtab__reserve(struct hashtab *t, size_t more)
{
	size_t cap = t->cap ? t->cap : HASHTAB_MIN;
	struct hashtab_slot *slots;

	if (more > SIZE_MAX / 4 - t->n)
		return -ENOMEM;
	while ((t->n + more) * 2 > cap)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		const struct hashtab_slot *old = &t->slots[i];
		size_t pos;

		if (!old->val)
			continue;
		for (pos = old->hash & (cap - 1); slots[pos].val; pos = (pos + 1) & (cap - 1))
			;
		slots[pos] = *old;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/*
 * Backward shift: walks the run after the gap; an entry whose home slot is
 * not cyclically within (gap, entry] would be cut off from its home by the
 * gap, so it moves into the gap, and its old slot becomes the gap.
 */
void hashtab__remove(struct hashtab *t, struct hashtab_slot *s)
{
	size_t mask = t->cap - 1, gap = (size_t)(s - t->slots), j = gap;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->slots[j].val)
			break;
		home = t->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - gap) & mask)) {
			t->slots[gap] = t->slots[j];
			gap = j;
		}
	}
	t->slots[gap] = (struct hashtab_slot){0};
	t->n--;
}

void hashtab__free(struct hashtab *t)
{
	free(t->slots);
	*t = (struct hashtab){0};
}
