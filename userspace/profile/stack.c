// SPDX-License-Identifier: GPL-2.0
/*
 * The stack table (profile.h): raw stacks deduplicated by a hash of
 * their frames, process view, thread and flags, with counts, weights and,
 * for the timeline, each sample's time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "proc/proc.h"
#include "profile.h"
#include "base/util.h"

#define ARENA_CHUNK (1u << 20)

/* Stacks live in large chunks: one allocation per MiB, freed together. */
struct chunk {
	struct chunk *next;
	size_t used;
	char data[];
};

struct stack_table {
	struct hashtab tab; /* index in order + 1 */
	size_t len;
	uint64_t samples;
	size_t bytes;
	struct chunk *chunks;
	struct stack **order; /* insertion order, for iteration */
	size_t order_cap;
	/* the timeline: each sample's time, when kept */
	struct stack_time *times;
	size_t ntimes, times_cap, times_max;
	uint64_t times_dropped;
};

struct stack_table *stack_table__new(void)
{
	struct stack_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (hashtab__reserve(&t->tab, 512)) {
		free(t);
		return NULL;
	}
	return t;
}

void stack_table__free(struct stack_table *t)
{
	struct chunk *c, *next;

	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++)
		proc_view__put(t->order[i]->view);
	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	hashtab__free(&t->tab);
	free(t->order);
	free(t->times);
	free(t);
}

void stack_table__keep_times(struct stack_table *t, size_t max)
{
	t->times_max = max;
}

/* Keeps the time of a sample of stack index idx, when the table keeps them. */
static void keep_time(struct stack_table *t, size_t idx, uint64_t weight, uint64_t time_ns)
{
	if (!t->times_max)
		return;
	if (t->ntimes == t->times_cap) {
		size_t cap = t->times_cap ? t->times_cap * 2 : 1024;
		struct stack_time *times;

		if (cap > t->times_max)
			cap = t->times_max;
		times = cap > t->ntimes ? realloc(t->times, cap * sizeof(*times)) : NULL;
		if (!times) {
			t->times_dropped++;
			return;
		}
		t->bytes += (cap - t->times_cap) * sizeof(*times);
		t->times = times;
		t->times_cap = cap;
	}
	t->times[t->ntimes++] = (struct stack_time){time_ns, weight, (uint32_t)idx};
}

const struct stack_time *stack_table__times(const struct stack_table *t, size_t *n)
{
	*n = t->ntimes;
	return t->times;
}

uint64_t stack_table__times_dropped(const struct stack_table *t)
{
	return t->times_dropped;
}

static uint64_t stack_hash(const struct stack_owner *who, uint32_t flags, const uint64_t *kips,
			   uint16_t nk, const uint64_t *uips, uint16_t nu)
{
	uint64_t h = hash_mix(((uint64_t)who->pid << 32) | who->tid,
			      ((uint64_t)flags << 32) | (uint64_t)nk << 16 | nu);
	uint64_t name[2];

	memcpy(name, who->thread_name, sizeof(name));
	h = hash_mix(hash_mix(h, (uint64_t)(uintptr_t)who->view), name[0] ^ name[1] * 31);

	for (uint16_t i = 0; i < nk; i++)
		h = hash_mix(h, kips[i]);
	for (uint16_t i = 0; i < nu; i++)
		h = hash_mix(h, uips[i]);
	return hash_fin(h);
}

static bool stack_equal(const struct stack *s, const struct stack_owner *who, uint32_t flags,
			const uint64_t *kips, uint16_t nk, const uint64_t *uips, uint16_t nu)
{
	return s->pid == who->pid && s->tid == who->tid && s->view == who->view &&
	       !memcmp(s->thread_name, who->thread_name, 16) && s->flags == flags &&
	       s->nr_kernel == nk && s->nr_user == nu &&
	       (!nk || !memcmp(s->ips, kips, nk * sizeof(*kips))) &&
	       (!nu || !memcmp(s->ips + nk, uips, nu * sizeof(*uips)));
}

static void *arena_alloc(struct stack_table *t, size_t size)
{
	struct chunk *c = t->chunks;

	size = (size + 7) & ~(size_t)7;
	if (!c || c->used + size > ARENA_CHUNK) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->next = t->chunks;
		t->chunks = c;
		t->bytes += sizeof(*c) + cap;
	}
	c->used += size;
	return c->data + c->used - size;
}

int stack_table__add(struct stack_table *t, const struct stack_owner *who, uint32_t flags,
		     const uint64_t *kips, uint16_t nr_kernel, const uint64_t *uips,
		     uint16_t nr_user, uint64_t weight, uint64_t time_ns)
{
	uint64_t h = stack_hash(who, flags, kips, nr_kernel, uips, nr_user);
	struct hashtab_slot *slot;
	struct stack *s;

	if (hashtab__reserve(&t->tab, 1))
		return -ENOMEM;
	for (slot = hashtab__probe(&t->tab, h); slot->val; slot = hashtab__next(&t->tab, slot)) {
		s = t->order[slot->val - 1];
		if (slot->hash == h && stack_equal(s, who, flags, kips, nr_kernel, uips, nr_user)) {
			s->count++;
			s->weight += weight;
			t->samples++;
			keep_time(t, slot->val - 1, weight, time_ns);
			return 0;
		}
	}
	if (array__reserve(&t->order, &t->order_cap, t->len + 1, sizeof(*t->order)))
		return -ENOMEM;
	s = arena_alloc(t, sizeof(*s) + (size_t)(nr_kernel + nr_user) * sizeof(uint64_t));
	if (!s)
		return -ENOMEM;
	*s = (struct stack){.count = 1,
			    .weight = weight,
			    .view = proc_view__get(who->view),
			    .pid = who->pid,
			    .tid = who->tid,
			    .flags = flags,
			    .nr_kernel = nr_kernel,
			    .nr_user = nr_user};
	memcpy(s->thread_name, who->thread_name, sizeof(s->thread_name));
	if (nr_kernel)
		memcpy(s->ips, kips, nr_kernel * sizeof(*kips));
	if (nr_user)
		memcpy(s->ips + nr_kernel, uips, nr_user * sizeof(*uips));
	t->order[t->len++] = s;
	hashtab__fill(&t->tab, slot, h, t->len);
	t->samples++;
	keep_time(t, t->len - 1, weight, time_ns);
	return 0;
}

size_t stack_table__len(const struct stack_table *t)
{
	return t->len;
}

uint64_t stack_table__samples(const struct stack_table *t)
{
	return t->samples;
}

size_t stack_table__bytes(const struct stack_table *t)
{
	return t->bytes + t->tab.cap * sizeof(*t->tab.slots) + t->order_cap * sizeof(*t->order);
}

struct stack *stack_table__at(const struct stack_table *t, size_t i)
{
	return i < t->len ? t->order[i] : NULL;
}
