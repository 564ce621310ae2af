// SPDX-License-Identifier: GPL-2.0
/*
 * u32map: put, find and del against a reference over 100k random operations.
 * Most keys are chosen to share home slots (their hashes equal modulo
 * 65536, so the same slot at every capacity up to 65536), one group at the
 * last slot so that runs wrap around the table's end: deletions must shift
 * the rest of a run back correctly. Key 0 is rejected; u32map__for_each visits exactly the
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
#include "base/u32map.h"

#define VAL(x) ((void *)(uintptr_t)(x))

static void test_basics(void)
{
	struct u32map m = {0};
	size_t visited = 0;

	/* Empty. */
	CHECK(u32map__find(&m, 1) == NULL);
	CHECK(u32map__del(&m, 1) == NULL);
	void *v;

	u32map__for_each(&m, i, v)
		visited++;
	CHECK(visited == 0);

	/* Key 0 is rejected everywhere. */
	CHECKF(u32map__put(&m, 0, VAL(1)) == -EINVAL, "put of key 0 accepted");
	CHECK(u32map__len(&m) == 0);
	CHECK(u32map__find(&m, 0) == NULL);
	CHECK(u32map__del(&m, 0) == NULL);

	CHECK(!u32map__put(&m, 1, VAL(10)));
	CHECK(!u32map__put(&m, UINT32_MAX, VAL(20)));
	CHECK(u32map__put(&m, 0, VAL(30)) == -EINVAL);
	CHECK(u32map__find(&m, 0) == NULL);
	CHECK(u32map__del(&m, 0) == NULL);
	CHECKF(u32map__len(&m) == 2, "len %zu", u32map__len(&m));
	CHECK(u32map__find(&m, 1) == VAL(10));
	CHECK(u32map__find(&m, UINT32_MAX) == VAL(20));
	CHECK(u32map__find(&m, 2) == NULL);

	/* Replace. */
	CHECK(!u32map__put(&m, 1, VAL(11)));
	CHECKF(u32map__len(&m) == 2, "len %zu after a replace", u32map__len(&m));
	CHECK(u32map__find(&m, 1) == VAL(11));

	/* Delete. */
	CHECK(u32map__del(&m, 1) == VAL(11));
	CHECK(u32map__del(&m, 1) == NULL);
	CHECK(u32map__find(&m, 1) == NULL);
	CHECK(u32map__find(&m, UINT32_MAX) == VAL(20));
	CHECKF(u32map__len(&m) == 1, "len %zu", u32map__len(&m));

	visited = 0;
	u32map__for_each(&m, i, v) {
		visited++;
		CHECK(u32map__key_at(&m, i) == UINT32_MAX && v == VAL(20));
	}
	CHECK(visited == 1);

	u32map__fini(&m);
	CHECK(m.tab.cap == 0 && u32map__len(&m) == 0 && !m.tab.slots);
	CHECK(u32map__find(&m, UINT32_MAX) == NULL);
	/* Usable again after fini. */
	CHECK(!u32map__put(&m, 5, VAL(5)));
	CHECK(u32map__find(&m, 5) == VAL(5));
	u32map__fini(&m);
	u32map__fini(&m);
}

/* The home slot of a key in a table of cap slots. */
static size_t home(uint32_t key, size_t cap)
{
	return (size_t)(u32map__hash(key) & (cap - 1));
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
	void *v;

	if (u32map__len(m) != ref->len) {
		CHECKF(0, "op %d: len %zu, want %zu", op, u32map__len(m), ref->len);
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
	u32map__for_each(m, i, v) {
		uint32_t key = u32map__key_at(m, i);
		bool known = false;

		visited++;
		for (size_t k = 0; k < NKEYS; k++) {
			if (ref->keys[k] == key) {
				known = ref->vals[k] != NULL && ref->vals[k] == v;
				break;
			}
		}
		if (!known && bad < 5) {
			CHECKF(0, "op %d: for_each gave key %#x that is not live", op, key);
			bad++;
		}
	}
	if (visited != ref->len) {
		CHECKF(0, "op %d: for_each visited %zu keys, want %zu", op, visited, ref->len);
		bad++;
	}
	/* Every live key is reachable from its home slot without crossing an empty one. */
	for (size_t i = 0; i < m->tab.cap && bad < 5; i++) {
		uint32_t key = u32map__key_at(m, i);

		if (!m->tab.slots[i].val)
			continue;
		for (size_t j = home(key, m->tab.cap); j != i; j = (j + 1) & (m->tab.cap - 1)) {
			if (!m->tab.slots[j].val) {
				CHECKF(0, "op %d: key %#x in slot %zu cut off from its home %zu",
				       op, key, i, home(key, m->tab.cap));
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
	int bad = 0;

	/* Group 0 lands in the last slot at every size up to 65536; the others
	 * in slots 1, 2, 3. */
	residues[0] = 65535;
	residues[1] = 1;
	residues[2] = 2;
	residues[3] = 3;
	for (int gi = 0; gi < GROUPS; gi++) {
		int k = 0;

		for (uint32_t key = 1; k < PER_GROUP; key++)
			if (home(key, 65536) == residues[gi])
				ref.keys[gi * PER_GROUP + k++] = key;
	}
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
	CHECKF(u32map__len(&m) == 0, "len %zu after deleting all", u32map__len(&m));
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
	void *v;

	for (int i = 0; i < 20; i++) {
		while (home(r, 64) != 63)
			r++;
		keys[i] = r++;
		live[i] = true;
		CHECK(!u32map__put(&m, keys[i], VAL(i + 1)));
	}
	CHECKF(m.tab.cap == 64, "cap %zu, want 64 (20 keys)", m.tab.cap);
	/* The run: slots 63, 0, 1, ... 18. */
	CHECK(u32map__key_at(&m, 63) == keys[0] && u32map__key_at(&m, 0) == keys[1] &&
	      u32map__key_at(&m, 18) == keys[19]);
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
		u32map__for_each(&m, i, v)
			n++;
		CHECKF((size_t)n == u32map__len(&m) && u32map__len(&m) == 20 - d - 1,
		       "len %zu, visited %d", u32map__len(&m), n);
	}
	/* The live ones are packed from slot 63 on, in insertion order. */
	n = 0;
	for (size_t s = 63;; s = (s + 1) & 63) {
		if (!m.tab.slots[s].val)
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
