// SPDX-License-Identifier: GPL-2.0
/*
 * The one hash table against a plain array as the reference: random puts
 * and removes of keys whose hashes collide on purpose (few distinct low
 * bits, so runs are long and wrap the table's end), every key present
 * found and every key removed not, the count right; and after churn of far
 * more keys than the table ever holds, probes are as short as the load
 * says (no tombstones).
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "base/hashtab.h"

#define KEYS 4096

static bool present[KEYS];

/* Keys 0..KEYS-1; hashes crowd into few homes, some near the end. */
static uint64_t key_hash(uint64_t k)
{
	return (k % 7) * 0x1000000001ULL + (k % 3 ? 0 : 0x3f) + (k << 40);
}

static struct hashtab_slot *find(struct hashtab *t, uint64_t k, size_t *probes)
{
	uint64_t h = key_hash(k);
	struct hashtab_slot *s;

	*probes = 0;
	if (!t->cap)
		return NULL;
	for (s = hashtab__probe(t, h); s->val; s = hashtab__next(t, s)) {
		++*probes;
		if (s->hash == h && s->val == k + 1)
			return s;
	}
	return NULL;
}

static void check_all(struct hashtab *t, size_t want_n)
{
	size_t n = 0, probes;

	for (uint64_t k = 0; k < KEYS; k++) {
		bool found = find(t, k, &probes) != NULL;

		CHECKF(found == present[k], "key %llu: found %d, present %d", (unsigned long long)k,
		       found, present[k]);
		n += present[k];
	}
	CHECKF(t->n == want_n && n == want_n, "n %zu, counted %zu, want %zu", t->n, n, want_n);
}

static void test_random(void)
{
	struct hashtab t = {0};
	size_t n = 0, probes;

	srand(7);
	for (int round = 0; round < 40000; round++) {
		uint64_t k = (uint64_t)rand() % KEYS;
		struct hashtab_slot *s = find(&t, k, &probes);

		if (present[k]) {
			CHECK(s != NULL);
			if (s)
				hashtab__remove(&t, s);
			present[k] = false;
			n--;
		} else {
			CHECK(s == NULL);
			CHECK(hashtab__reserve(&t, 1) == 0);
			for (s = hashtab__probe(&t, key_hash(k)); s->val; s = hashtab__next(&t, s))
				;
			hashtab__fill(&t, s, key_hash(k), k + 1);
			present[k] = true;
			n++;
		}
		if (round % 1000 == 0)
			check_all(&t, n);
	}
	check_all(&t, n);
	CHECK(t.n * 2 <= t.cap);
	hashtab__free(&t);
	CHECK(!t.slots && !t.cap && !t.n);
}

/* 100,000 keys come and go, 8 alive at a time, with well-spread hashes:
 * a miss still ends at the first empty slot within a few probes. */
static void test_churn(void)
{
	struct hashtab t = {0};
	struct hashtab_slot *s;
	uint64_t live[8] = {0};
	size_t longest = 0;

	for (uint64_t k = 1; k <= 100000; k++) {
		uint64_t h = k * 0x9e3779b97f4a7c15ULL, old = live[k % 8];
		size_t probes = 0;

		if (old) {
			uint64_t oh = old * 0x9e3779b97f4a7c15ULL;

			for (s = hashtab__probe(&t, oh); s->val != old; s = hashtab__next(&t, s))
				;
			hashtab__remove(&t, s);
		}
		CHECK(hashtab__reserve(&t, 1) == 0);
		for (s = hashtab__probe(&t, h); s->val; s = hashtab__next(&t, s))
			probes++;
		hashtab__fill(&t, s, h, k);
		live[k % 8] = k;
		if (probes > longest)
			longest = probes;
	}
	CHECKF(t.n == 8 && t.cap == 64, "n %zu cap %zu", t.n, t.cap);
	CHECKF(longest <= 8, "a probe walked %zu filled slots with 8 keys in 64 slots", longest);
	hashtab__free(&t);
}

int main(void)
{
	test_random();
	test_churn();
	return check_exit("test_hashtab");
}
