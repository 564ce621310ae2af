// SPDX-License-Identifier: GPL-2.0
/*
 * The stack table: identical stacks counted once with their weights summed;
 * thread, pid, flags, an ip or the kernel/user split telling stacks apart,
 * and the process view and thread name (held by reference);
 * 100k random samples, the table growing, against a reference count;
 * stack_table__at in first-seen order; stacks without frames (given as NULL,
 * as the session does for an untracked process) and the largest stack the
 * API takes.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "proc/proc.h"
#include "profile/profile.h"

/* A sample of an untracked process (no view), thread name "". */
static int add(struct stack_table *t, uint32_t pid, uint32_t tid, uint32_t flags,
	       const uint64_t *kips, uint16_t nk, const uint64_t *uips, uint16_t nu,
	       uint64_t weight)
{
	struct stack_owner who = {.pid = pid, .tid = tid};

	return stack_table__add(t, &who, flags, kips, nk, uips, nu, weight, 0);
}

static bool stack_is(const struct stack *s, uint32_t pid, uint32_t tid, uint32_t flags,
		     const uint64_t *kips, uint16_t nk, const uint64_t *uips, uint16_t nu)
{
	if (!s || s->pid != pid || s->tid != tid || s->flags != flags || s->nr_kernel != nk ||
	    s->nr_user != nu)
		return false;
	for (uint16_t i = 0; i < nk; i++)
		if (s->ips[i] != kips[i])
			return false;
	for (uint16_t i = 0; i < nu; i++)
		if (s->ips[nk + i] != uips[i])
			return false;
	return true;
}

static void test_aggregate(void)
{
	struct stack_table *t = stack_table__new();
	uint64_t k[] = {0xffffffff81000010, 0xffffffff81000020};
	uint64_t u[] = {0x401000, 0x402000, 0x403000};
	uint64_t k1[] = {0xffffffff81000010};
	uint64_t u1[] = {0xffffffff81000020, 0x401000, 0x402000, 0x403000};
	uint64_t u_other[] = {0x401000, 0x402000, 0x403001};
	struct stack *s;

	CHECK(t);
	if (!t)
		return;
	CHECK(stack_table__len(t) == 0 && stack_table__samples(t) == 0);
	CHECK(stack_table__at(t, 0) == NULL);
	CHECK(stack_table__bytes(t) > 0);

	CHECK(!add(t, 10, 11, 0, k, 2, u, 3, 100));
	CHECK(!add(t, 10, 11, 0, k, 2, u, 3, 200));
	CHECK(!add(t, 10, 11, 0, k, 2, u, 3, 300));
	CHECKF(stack_table__len(t) == 1, "len %zu, want 1", stack_table__len(t));
	CHECKF(stack_table__samples(t) == 3, "samples %" PRIu64, stack_table__samples(t));
	s = stack_table__at(t, 0);
	CHECK(stack_is(s, 10, 11, 0, k, 2, u, 3));
	CHECKF(s && s->count == 3 && s->weight == 600, "count %" PRIu64 " weight %" PRIu64,
	       s ? s->count : 0, s ? s->weight : 0);

	/* Each of these differs in one thing: a new stack each. */
	CHECK(!add(t, 10, 12, 0, k, 2, u, 3, 1));	/* tid */
	CHECK(!add(t, 13, 11, 0, k, 2, u, 3, 1));	/* pid */
	CHECK(!add(t, 10, 11, 1, k, 2, u, 3, 1));	/* flags */
	CHECK(!add(t, 10, 11, 0, k, 2, u_other, 3, 1)); /* one ip */
	CHECK(!add(t, 10, 11, 0, k1, 1, u1, 4, 1));	/* same ips, other split */
	CHECK(!add(t, 10, 11, 0, k, 2, u, 2, 1));	/* one frame fewer */
	CHECK(!add(t, 10, 11, 0, k, 0, u, 3, 1));	/* no kernel frames */
	CHECK(!add(t, 10, 11, 0, k, 2, u, 0, 1));	/* no user frames */
	CHECKF(stack_table__len(t) == 9, "len %zu, want 9", stack_table__len(t));
	CHECKF(stack_table__samples(t) == 11, "samples %" PRIu64, stack_table__samples(t));
	CHECK(stack_is(stack_table__at(t, 1), 10, 12, 0, k, 2, u, 3));
	CHECK(stack_is(stack_table__at(t, 2), 13, 11, 0, k, 2, u, 3));
	CHECK(stack_is(stack_table__at(t, 3), 10, 11, 1, k, 2, u, 3));
	CHECK(stack_is(stack_table__at(t, 4), 10, 11, 0, k, 2, u_other, 3));
	CHECK(stack_is(stack_table__at(t, 5), 10, 11, 0, k1, 1, u1, 4));
	CHECK(stack_is(stack_table__at(t, 6), 10, 11, 0, k, 2, u, 2));
	CHECK(stack_is(stack_table__at(t, 7), 10, 11, 0, k, 0, u, 3));
	CHECK(stack_is(stack_table__at(t, 8), 10, 11, 0, k, 2, u, 0));
	for (size_t i = 1; i < 9; i++) {
		s = stack_table__at(t, i);
		CHECKF(s && s->count == 1 && s->weight == 1, "stack %zu: count %" PRIu64, i,
		       s ? s->count : 0);
	}
	CHECK(stack_table__at(t, 9) == NULL);

	/* The split case again: still two stacks, each counted. */
	CHECK(!add(t, 10, 11, 0, k1, 1, u1, 4, 5));
	s = stack_table__at(t, 5);
	CHECK(s && s->count == 2 && s->weight == 6);
	s = stack_table__at(t, 0);
	CHECK(s && s->count == 3);

	/* Zero frames (pointers given, counts zero): one stack per thread. */
	CHECK(!add(t, 10, 11, 0, k, 0, u, 0, 7));
	CHECK(!add(t, 10, 11, 0, u, 0, k, 0, 8));
	CHECKF(stack_table__len(t) == 10, "len %zu, want 10", stack_table__len(t));
	s = stack_table__at(t, 9);
	CHECKF(s && s->nr_kernel == 0 && s->nr_user == 0 && s->count == 2 && s->weight == 15,
	       "zero-frame stack: count %" PRIu64, s ? s->count : 0);
	stack_table__free(t);
	stack_table__free(NULL);
}

/* The same frames of the same thread are another stack when the process
 * view or the thread's name differs (an exec, a rename between samples);
 * each stack holds its view until the table goes. */
static void test_owner(void)
{
	struct stack_table *t = stack_table__new();
	struct proc_view *v1 = calloc(1, sizeof(*v1)), *v2 = calloc(1, sizeof(*v2));
	uint64_t u[] = {0x401000, 0x402000};
	struct stack_owner who = {.pid = 5, .tid = 6, .thread_name = "worker"};
	struct stack *s;

	CHECK(t && v1 && v2);
	if (!t || !v1 || !v2)
		goto out;
	v1->refs = v2->refs = 1;
	who.view = v1;
	CHECK(!stack_table__add(t, &who, 0, NULL, 0, u, 2, 1, 0));
	CHECK(!stack_table__add(t, &who, 0, NULL, 0, u, 2, 1, 0));
	who.view = v2;
	CHECK(!stack_table__add(t, &who, 0, NULL, 0, u, 2, 1, 0));
	memcpy(who.thread_name, "renamed\0\0\0\0\0\0\0\0", 16);
	CHECK(!stack_table__add(t, &who, 0, NULL, 0, u, 2, 1, 0));
	CHECKF(stack_table__len(t) == 3, "len %zu, want 3", stack_table__len(t));
	s = stack_table__at(t, 0);
	CHECK(s && s->view == v1 && s->count == 2 && !strcmp(s->thread_name, "worker"));
	s = stack_table__at(t, 1);
	CHECK(s && s->view == v2 && s->count == 1 && !strcmp(s->thread_name, "worker"));
	s = stack_table__at(t, 2);
	CHECK(s && s->view == v2 && !strcmp(s->thread_name, "renamed"));
	CHECKF(v1->refs == 2 && v2->refs == 3, "refs %d %d, want 2 3", v1->refs, v2->refs);
	stack_table__free(t);
	t = NULL;
	CHECKF(v1->refs == 1 && v2->refs == 1, "refs after free %d %d", v1->refs, v2->refs);
out:
	stack_table__free(t);
	free(v1);
	free(v2);
}

/* The content of random stack number k: stacks 2j and 2j+1 have the same
 * frames, split differently between kernel and user. */
struct gen {
	uint32_t pid, tid, flags;
	uint16_t nk, nu;
	uint64_t ips[16];
};

static void gen_stack(uint32_t k, struct gen *g)
{
	uint32_t j = k / 2;
	uint16_t n = (uint16_t)(1 + j % 12);
	uint16_t nk = (uint16_t)(j % (n + 1u));

	if (k & 1)
		nk = (uint16_t)((nk + 1u) % (n + 1u));
	g->pid = 100 + j % 7;
	g->tid = g->pid + j % 3;
	g->flags = (j / 21) % 2;
	g->nk = nk;
	g->nu = (uint16_t)(n - nk);
	for (uint16_t i = 0; i < n; i++)
		g->ips[i] = 0x400000 + (uint64_t)((j * 31 + i * 7) % 64) * 0x10;
	g->ips[n - 1] = 0x7f0000000000 + j; /* the root frame: one per j */
}

static void test_random(void)
{
	enum { DISTINCT = 40000, SAMPLES = 100000 };
	struct stack_table *t = stack_table__new();
	uint64_t *count = calloc(DISTINCT, sizeof(*count));
	uint64_t *weight = calloc(DISTINCT, sizeof(*weight));
	uint32_t *order = calloc(DISTINCT, sizeof(*order));
	uint64_t seed = 0x123456789abcdefull, total_weight = 0, got_weight = 0, got_count = 0;
	size_t distinct = 0, bytes0;
	int bad = 0;

	CHECK(t && count && weight && order);
	if (!t || !count || !weight || !order)
		goto out;
	bytes0 = stack_table__bytes(t);
	for (int i = 0; i < SAMPLES; i++) {
		struct gen g;
		uint32_t k;
		uint64_t w;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		/* Skewed: low numbers often, so that many stacks repeat. */
		k = (uint32_t)((seed >> 33) % DISTINCT);
		if ((seed >> 20) & 1)
			k %= 500;
		w = 1 + ((seed >> 40) % 1000);
		gen_stack(k, &g);
		if (add(t, g.pid, g.tid, g.flags, g.ips, g.nk, g.ips + g.nk, g.nu, w)) {
			CHECKF(0, "add %d failed", i);
			break;
		}
		if (!count[k])
			order[distinct++] = k;
		count[k]++;
		weight[k] += w;
		total_weight += w;
	}
	CHECKF(stack_table__len(t) == distinct, "len %zu, want %zu", stack_table__len(t), distinct);
	CHECKF(stack_table__samples(t) == SAMPLES, "samples %" PRIu64, stack_table__samples(t));
	CHECKF(stack_table__bytes(t) > bytes0, "bytes %zu, at first %zu", stack_table__bytes(t),
	       bytes0);
	for (size_t i = 0; i < distinct && bad < 5; i++) {
		struct stack *s = stack_table__at(t, i);
		struct gen g;

		gen_stack(order[i], &g);
		if (!stack_is(s, g.pid, g.tid, g.flags, g.ips, g.nk, g.ips + g.nk, g.nu) ||
		    s->count != count[order[i]] || s->weight != weight[order[i]]) {
			CHECKF(0,
			       "stack %zu (random %u): want count %" PRIu64 " weight %" PRIu64
			       ", got %s count %" PRIu64 " weight %" PRIu64,
			       i, order[i], count[order[i]], weight[order[i]],
			       s ? "a stack" : "none", s ? s->count : 0, s ? s->weight : 0);
			bad++;
		}
		if (s) {
			got_count += s->count;
			got_weight += s->weight;
		}
	}
	CHECK(stack_table__at(t, distinct) == NULL);
	CHECKF(got_count == SAMPLES && got_weight == total_weight,
	       "sum of counts %" PRIu64 " weights %" PRIu64 ", want %d and %" PRIu64, got_count,
	       got_weight, SAMPLES, total_weight);
out:
	free(count);
	free(weight);
	free(order);
	stack_table__free(t);
}

/* ---- cases that may trip the sanitizers: each in a child of its own ---- */

static int case_null_frames(void)
{
	struct stack_table *t = stack_table__new();
	uint64_t k[] = {0xffffffff81000010};
	struct stack *s;
	int bad = 0;

	/* What the session passes for a process it does not track: no user
	 * frames, uips NULL. Then no frames at all, both NULL. */
	bad |= add(t, 0, 0, 0, k, 1, NULL, 0, 10) != 0;
	bad |= add(t, 0, 0, 0, k, 1, NULL, 0, 10) != 0;
	bad |= add(t, 7, 7, 0, NULL, 0, NULL, 0, 1) != 0;
	bad |= add(t, 7, 7, 0, NULL, 0, NULL, 0, 1) != 0;
	bad |= stack_table__len(t) != 2;
	s = stack_table__at(t, 0);
	bad |= !s || s->count != 2 || s->weight != 20 || s->nr_kernel != 1 || s->nr_user != 0;
	s = stack_table__at(t, 1);
	bad |= !s || s->count != 2 || s->nr_kernel != 0 || s->nr_user != 0;
	stack_table__free(t);
	return bad;
}

static int case_huge_stack(void)
{
	/* The most frames nr_kernel and nr_user can say: more than one arena chunk. */
	const uint16_t n = UINT16_MAX;
	uint64_t *ips = malloc(2 * (size_t)n * sizeof(*ips));
	struct stack_table *t = stack_table__new();
	struct stack *s;
	int bad = 0;

	if (!ips || !t)
		return 1;
	for (size_t i = 0; i < 2 * (size_t)n; i++)
		ips[i] = 0x1000 + i;
	bad |= add(t, 1, 1, 0, ips, n, ips + n, n, 1) != 0;
	bad |= add(t, 1, 1, 0, ips, n, ips + n, n, 1) != 0;
	bad |= add(t, 1, 1, 0, ips, 1, ips + 1, 1, 1) != 0; /* small one after */
	bad |= stack_table__len(t) != 2;
	s = stack_table__at(t, 0);
	bad |= !s || s->count != 2 || !stack_is(s, 1, 1, 0, ips, n, ips + n, n);
	s = stack_table__at(t, 1);
	bad |= !s || s->count != 1 || !stack_is(s, 1, 1, 0, ips, 1, ips + 1, 1);
	stack_table__free(t);
	free(ips);
	return bad;
}

static void run_case(const char *what, int (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn() ? 1 : 0);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	waitpid(pid, &status, 0);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "%s: want exit 0, got %s %d (a sanitizer report above?)", what,
	       WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * The timeline: with keep_times, every sample's time and weight in arrival
 * order, naming its stack (aggregated as ever); past the bound, counted as
 * dropped, the stacks' counts still whole. Without it, no times.
 */
static void test_times(void)
{
	struct stack_table *t = stack_table__new(), *off = stack_table__new();
	struct stack_owner who = {.pid = 7, .tid = 8};
	uint64_t a[] = {0x401000, 0x402000}, b[] = {0x403000};
	const struct stack_time *times;
	size_t n;

	if (!t || !off) {
		CHECK(0);
		return;
	}
	stack_table__keep_times(t, 3000);
	for (uint64_t i = 0; i < 5000; i++) {
		CHECK(!stack_table__add(t, &who, 0, NULL, 0, i % 3 ? a : b, i % 3 ? 2 : 1, 10 + i,
					1000 + i));
		CHECK(!stack_table__add(off, &who, 0, NULL, 0, a, 2, 1, i));
	}
	times = stack_table__times(t, &n);
	CHECKF(n == 3000 && stack_table__times_dropped(t) == 2000, "%zu times, %llu dropped", n,
	       (unsigned long long)stack_table__times_dropped(t));
	for (size_t i = 0; i < n; i++) {
		const struct stack *st = stack_table__at(t, times[i].stack);

		if (times[i].time_ns != 1000 + i || times[i].weight != 10 + i || !st ||
		    st->nr_user != (i % 3 ? 2 : 1)) {
			CHECKF(0, "time %zu: %llu weight %llu stack %u", i,
			       (unsigned long long)times[i].time_ns,
			       (unsigned long long)times[i].weight, times[i].stack);
			break;
		}
	}
	CHECKF(stack_table__len(t) == 2 && stack_table__samples(t) == 5000, "%zu stacks %llu",
	       stack_table__len(t), (unsigned long long)stack_table__samples(t));
	stack_table__times(off, &n);
	CHECK(n == 0 && stack_table__times_dropped(off) == 0);
	stack_table__free(t);
	stack_table__free(off);
}

int main(void)
{
	test_aggregate();
	test_times();
	test_random();
	test_owner();
	run_case("stacks with NULL frame pointers and zero counts", case_null_frames);
	run_case("a stack of 65535 kernel and 65535 user frames", case_huge_stack);
	return check_exit("test_stack");
}
