// SPDX-License-Identifier: GPL-2.0
/*
 * u32map: put, find and del against a reference over 100k random operations.
 * Most keys are chosen to share home slots (equal modulo 65536, so the same
 * slot at every capacity up to 65536), one group at the last slot so that
 * runs wrap around the table's end: deletions must shift the rest of a run
 * back correctly. Key 0 is rejected; u32map__for_each visits exactly the
 * live keys.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "u32map.h"

#define VAL(x) ((void *)(uintptr_t)(x))

static void test_basics(void)
{
	struct u32map m = {0};
	size_t visited = 0;

	/* Empty. */
	CHECK(u32map__find(&m, 1) == NULL);
	CHECK(u32map__del(&m, 1) == NULL);
	u32map__for_each(&m, i)
		visited++;
	CHECK(visited == 0);

	/* Key 0 is rejected everywhere. */
	CHECKF(u32map__put(&m, 0, VAL(1)) == -EINVAL, "put of key 0 accepted");
	CHECK(m.len == 0);
	CHECK(u32map__find(&m, 0) == NULL);
	CHECK(u32map__del(&m, 0) == NULL);

	CHECK(!u32map__put(&m, 1, VAL(10)));
	CHECK(!u32map__put(&m, UINT32_MAX, VAL(20)));
	CHECK(u32map__put(&m, 0, VAL(30)) == -EINVAL);
	CHECK(u32map__find(&m, 0) == NULL);
	CHECK(u32map__del(&m, 0) == NULL);
	CHECKF(m.len == 2, "len %zu", m.len);
	CHECK(u32map__find(&m, 1) == VAL(10));
	CHECK(u32map__find(&m, UINT32_MAX) == VAL(20));
	CHECK(u32map__find(&m, 2) == NULL);

	/* Replace. */
	CHECK(!u32map__put(&m, 1, VAL(11)));
	CHECKF(m.len == 2, "len %zu after a replace", m.len);
	CHECK(u32map__find(&m, 1) == VAL(11));

	/* Delete. */
	CHECK(u32map__del(&m, 1) == VAL(11));
	CHECK(u32map__del(&m, 1) == NULL);
	CHECK(u32map__find(&m, 1) == NULL);
	CHECK(u32map__find(&m, UINT32_MAX) == VAL(20));
	CHECKF(m.len == 1, "len %zu", m.len);

	visited = 0;
	u32map__for_each(&m, i) {
		visited++;
		CHECK(m.keys[i] == UINT32_MAX && m.vals[i] == VAL(20));
	}
	CHECK(visited == 1);

	u32map__fini(&m);
	CHECK(m.cap == 0 && m.len == 0 && !m.keys && !m.vals);
	CHECK(u32map__find(&m, UINT32_MAX) == NULL);
	/* Usable again after fini. */
	CHECK(!u32map__put(&m, 5, VAL(5)));
	CHECK(u32map__find(&m, 5) == VAL(5));
	u32map__fini(&m);
	u32map__fini(&m);
}

/* The home slot, as u32map computes it (Knuth's multiplicative hash). */
static size_t home(uint32_t key, size_t cap)
{
	return (size_t)((key * 2654435761u) & (cap - 1));
}

enum { GROUPS = 4, PER_GROUP = 100, RANDOM_KEYS = 400, NKEYS = GROUPS * PER_GROUP + RANDOM_KEYS };

struct model {
	uint32_t keys[NKEYS];
	void *vals[NKEYS]; /* NULL: absent */
	size_t len;
};

static int check_all(const struct u32map *m, const struct model *ref, int op)
{
	size_t visited = 0;
	int bad = 0;

	if (m->len != ref->len) {
		CHECKF(0, "op %d: len %zu, want %zu", op, m->len, ref->len);
		bad++;
	}
	for (size_t i = 0; i < NKEYS && bad < 5; i++) {
		void *got = u32map__find(m, ref->keys[i]);

		if (got != ref->vals[i]) {
			CHECKF(0, "op %d: key %#x: got %p, want %p", op, ref->keys[i], got,
			       ref->vals[i]);
			bad++;
		}
	}
	u32map__for_each(m, i) {
		bool known = false;

		visited++;
		for (size_t k = 0; k < NKEYS; k++) {
			if (ref->keys[k] == m->keys[i]) {
				known = ref->vals[k] != NULL && ref->vals[k] == m->vals[i];
				break;
			}
		}
		if (!known && bad < 5) {
			CHECKF(0, "op %d: for_each gave key %#x that is not live", op, m->keys[i]);
			bad++;
		}
	}
	if (visited != ref->len) {
		CHECKF(0, "op %d: for_each visited %zu keys, want %zu", op, visited, ref->len);
		bad++;
	}
	/* Every live key is reachable from its home slot without crossing an empty one. */
	for (size_t i = 0; i < m->cap && bad < 5; i++) {
		if (!m->keys[i])
			continue;
		for (size_t j = home(m->keys[i], m->cap); j != i; j = (j + 1) & (m->cap - 1)) {
			if (!m->keys[j]) {
				CHECKF(0, "op %d: key %#x in slot %zu cut off from its home %zu",
				       op, m->keys[i], i, home(m->keys[i], m->cap));
				bad++;
				break;
			}
		}
	}
	return bad;
}

static void test_random(void)
{
	static struct model ref;
	struct u32map m = {0};
	uint32_t residues[GROUPS];
	uint64_t seed = 42;
	int bad = 0, g = 0;

	/* Group 0 lands in the last slot of a 64-slot table; the others anywhere. */
	for (uint32_t r = 1; g < 1; r++)
		if (home(r, 64) == 63)
			residues[g++] = r;
	residues[1] = 1;
	residues[2] = 2;
	residues[3] = 3;
	for (int gi = 0; gi < GROUPS; gi++)
		for (int k = 0; k < PER_GROUP; k++)
			ref.keys[gi * PER_GROUP + k] = residues[gi] + (uint32_t)(k + 1) * 65536u;
	for (int k = 0; k < RANDOM_KEYS; k++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		ref.keys[GROUPS * PER_GROUP + k] = (uint32_t)(seed >> 32) | 1u << 31;
	}

	for (int op = 0; op < 100000 && bad < 5; op++) {
		size_t k;
		uint32_t what;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		k = (size_t)((seed >> 33) % NKEYS);
		what = (uint32_t)(seed >> 16) % 100;
		/* Phases: mostly growing, then mostly shrinking, to empty and back. */
		if ((op / 10000) % 2)
			what = what < 30 ? what : 50 + what % 50;
		if (what < 45) {
			void *v = VAL(op + 1);
			int r = u32map__put(&m, ref.keys[k], v);

			if (r) {
				CHECKF(0, "op %d: put %#x: %d", op, ref.keys[k], r);
				bad++;
			}
			ref.len += ref.vals[k] == NULL;
			ref.vals[k] = v;
		} else if (what < 85) {
			void *got = u32map__del(&m, ref.keys[k]);

			if (got != ref.vals[k]) {
				CHECKF(0, "op %d: del %#x: got %p, want %p", op, ref.keys[k], got,
				       ref.vals[k]);
				bad++;
			}
			ref.len -= ref.vals[k] != NULL;
			ref.vals[k] = NULL;
		} else {
			void *got = u32map__find(&m, ref.keys[k]);

			if (got != ref.vals[k]) {
				CHECKF(0, "op %d: find %#x: got %p, want %p", op, ref.keys[k], got,
				       ref.vals[k]);
				bad++;
			}
		}
		if (op % 997 == 0)
			bad += check_all(&m, &ref, op);
	}
	bad += check_all(&m, &ref, 100000);

	/* Delete everything, in key order within each group. */
	for (size_t k = 0; k < NKEYS && bad < 5; k++) {
		void *got = u32map__del(&m, ref.keys[k]);

		if (got != ref.vals[k]) {
			CHECKF(0, "final del %#x: got %p, want %p", ref.keys[k], got, ref.vals[k]);
			bad++;
		}
		ref.len -= ref.vals[k] != NULL;
		ref.vals[k] = NULL;
	}
	check_all(&m, &ref, -1);
	CHECKF(m.len == 0, "len %zu after deleting all", m.len);
	u32map__fini(&m);
}

/*
 * One run wrapping around the end: keys all at home slot cap-1 of a 64-slot
 * table, deleted from the middle, the front and the back of the run.
 */
static void test_wrap(void)
{
	struct u32map m = {0};
	uint32_t keys[20];
	bool live[20];
	uint32_t r = 1;
	int n = 0;

	while (home(r, 64) != 63)
		r++;
	for (int i = 0; i < 20; i++) {
		keys[i] = r + (uint32_t)(i + 1) * 65536u;
		live[i] = true;
		CHECK(!u32map__put(&m, keys[i], VAL(i + 1)));
	}
	CHECKF(m.cap == 64, "cap %zu, want 64 (20 keys)", m.cap);
	/* The run: slots 63, 0, 1, ... 18. */
	CHECK(m.keys[63] == keys[0] && m.keys[0] == keys[1] && m.keys[18] == keys[19]);
	static const int order[] = {0, 10, 1, 19, 5, 6, 2, 18, 3, 4};
	for (size_t d = 0; d < sizeof(order) / sizeof(order[0]); d++) {
		int k = order[d];

		CHECKF(u32map__del(&m, keys[k]) == VAL(k + 1), "del of #%d", k);
		live[k] = false;
		for (int i = 0; i < 20; i++) {
			void *got = u32map__find(&m, keys[i]);

			CHECKF(got == (live[i] ? VAL(i + 1) : NULL),
			       "after deleting #%d: #%d got %p", k, i, got);
		}
		n = 0;
		u32map__for_each(&m, i)
			n++;
		CHECKF((size_t)n == m.len && m.len == 20 - d - 1, "len %zu, visited %d", m.len, n);
	}
	/* The live ones are packed from slot 63 on, in insertion order. */
	n = 0;
	for (size_t s = 63;; s = (s + 1) & 63) {
		if (!m.keys[s])
			break;
		n++;
	}
	CHECKF(n == 10, "run of %d after the deletions, want 10", n);
	u32map__fini(&m);
}

int main(void)
{
	test_basics();
	test_wrap();
	test_random();
	return check_exit("test_u32map");
}
