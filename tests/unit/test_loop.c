// SPDX-License-Identifier: GPL-2.0
/*
 * The io_uring event loop: a timerfd firing every 10 ms and a pipe, watched
 * together; each timer tick writes one byte into the pipe, the pipe's
 * callback sees them in order and stops the loop after five. Then: stopping
 * from a callback ends the run before the other completions of the same
 * batch are handed out.
 *
 * Exit: 0 pass, 1 a check failed, 77 io_uring is not available here.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "base/loop.h"

#define TICKS 5

struct state {
	int timer_fd, pipe_rd, pipe_wr;
	int timer_calls, pipe_calls;
	uint64_t expirations;
	char seen[64];
	size_t nseen;
	uint32_t pipe_events, timer_events;
	int wrong_fd;
};

static void on_timer(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct state *s = arg;
	uint64_t n = 0;
	char c;

	s->timer_calls++;
	s->timer_events |= events;
	if (fd != s->timer_fd)
		s->wrong_fd++;
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		s->expirations += n;
	c = (char)('a' + (s->timer_calls - 1) % 26);
	if (s->timer_calls <= TICKS && write(s->pipe_wr, &c, 1) != 1)
		s->wrong_fd++;
}

static void on_pipe(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct state *s = arg;
	ssize_t n;

	s->pipe_calls++;
	s->pipe_events |= events;
	if (fd != s->pipe_rd)
		s->wrong_fd++;
	n = read(fd, s->seen + s->nseen, sizeof(s->seen) - 1 - s->nseen);
	if (n > 0)
		s->nseen += (size_t)n;
	s->seen[s->nseen] = 0;
	if (s->nseen >= TICKS)
		loop__stop(l);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_timer_and_pipe(struct loop *l)
{
	struct state s = {0};
	int p[2], err;
	double t0, took;

	CHECK(!pipe2(p, O_NONBLOCK | O_CLOEXEC));
	s.pipe_rd = p[0];
	s.pipe_wr = p[1];
	s.timer_fd = timerfd_every(10, 10);
	CHECKF(s.timer_fd >= 0, "timerfd_every: %d", s.timer_fd);
	if (s.timer_fd < 0)
		return;
	CHECK(!loop__watch(l, s.timer_fd, on_timer, &s));
	CHECK(!loop__watch(l, s.pipe_rd, on_pipe, &s));

	t0 = now_s();
	err = loop__run(l);
	took = now_s() - t0;
	CHECKF(err == 0, "loop__run: %d", err);
	CHECKF(!strcmp(s.seen, "abcde"), "pipe read '%s', want 'abcde'", s.seen);
	CHECKF(s.timer_calls >= TICKS, "%d timer callbacks, want %d", s.timer_calls, TICKS);
	CHECKF(s.expirations >= TICKS, "%llu expirations", (unsigned long long)s.expirations);
	CHECKF(s.pipe_calls >= 1 && s.pipe_calls <= TICKS, "%d pipe callbacks", s.pipe_calls);
	CHECKF(s.pipe_events & POLLIN, "pipe events %#x", s.pipe_events);
	CHECKF(s.timer_events & POLLIN, "timer events %#x", s.timer_events);
	CHECKF(!s.wrong_fd, "%d callbacks with the wrong fd or failed writes", s.wrong_fd);
	/* Five ticks 10 ms apart, the first after 10 ms. */
	CHECKF(took >= 0.04 && took < 1.5, "took %.3f s, want about 0.05", took);
	close(s.timer_fd);
	close(p[0]);
	close(p[1]);
}

struct stopper {
	int calls;
};

static void on_stop(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct stopper *st = arg;
	char buf[16];

	st->calls++;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	loop__stop(l);
}

static void test_stop_ends_batch(void)
{
	struct stopper st = {0};
	struct loop *l = NULL;
	int a[2], b[2], err;

	err = loop__new(&l, 8);
	CHECKF(!err, "loop__new: %d", err);
	if (err)
		return;
	CHECK(!pipe2(a, O_NONBLOCK | O_CLOEXEC) && !pipe2(b, O_NONBLOCK | O_CLOEXEC));
	/* Both readable before the run: both polls complete at once. */
	CHECK(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1);
	CHECK(!loop__watch(l, a[0], on_stop, &st));
	CHECK(!loop__watch(l, b[0], on_stop, &st));
	err = loop__run(l);
	CHECKF(err == 0, "loop__run: %d", err);
	CHECKF(st.calls == 1, "%d callbacks ran after loop__stop, want 1", st.calls);
	loop__free(l);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

int main(void)
{
	struct loop *l = NULL;
	int err;

	alarm(10); /* a loop that never stops fails rather than hangs */
	err = loop__new(&l, 64);
	if (err == -ENOSYS || err == -EPERM) {
		printf("SKIP: io_uring unavailable here: %s\n", strerror(-err));
		return 77;
	}
	CHECKF(!err && l, "loop__new: %d", err);
	if (err)
		return check_exit("test_loop");
	test_timer_and_pipe(l);
	loop__free(l);
	test_stop_ends_batch();
	loop__free(NULL);
	return check_exit("test_loop");
}
