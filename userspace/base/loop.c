// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop on io_uring (loop.h): a multishot poll per watched fd,
 * callbacks on the loop's thread; timerfds; why io_uring was refused.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct watch {
	struct watch *next;
	int fd;
	loop_fn fn;
	void *arg;
};

struct loop {
	struct io_uring ring;
	struct watch *watches;
	bool stop;
};

int loop__new(struct loop **out, unsigned int entries)
{
	struct loop *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	err = io_uring_queue_init(entries, &l->ring, 0);
	if (err) {
		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void loop__free(struct loop *l)
{
	struct watch *w, *next;

	if (!l)
		return;
	io_uring_queue_exit(&l->ring);
	for (w = l->watches; w; w = next) {
		next = w->next;
		free(w);
	}
	free(l);
}

static struct io_uring_sqe *loop__sqe(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

static int loop__arm(struct loop *l, struct watch *w)
{
	struct io_uring_sqe *sqe = loop__sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, w->fd, POLLIN);
	io_uring_sqe_set_data(sqe, w);
	return 0;
}

int loop__watch(struct loop *l, int fd, loop_fn fn, void *arg)
{
	struct watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	*w = (struct watch){.next = l->watches, .fd = fd, .fn = fn, .arg = arg};
	err = loop__arm(l, w);
	if (err) {
		free(w);
		return err;
	}
	l->watches = w;
	return 0;
}

void loop__stop(struct loop *l)
{
	l->stop = true;
}

int loop__run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int err = io_uring_submit_and_wait(&l->ring, 1);

		if (err < 0 && err != -EINTR)
			return err;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			struct watch *w = io_uring_cqe_get_data(cqe);

			seen++;
			if (!w)
				continue;
			/* A multishot poll that ended (error, or the kernel dropped it)
			 * is armed again; a closed fd ends the watch for good. */
			if (!(cqe->flags & IORING_CQE_F_MORE) && cqe->res != -EBADF)
				loop__arm(l, w);
			if (cqe->res < 0) {
				if (cqe->res != -ECANCELED)
					log_debug("poll on fd %d: %d", w->fd, cqe->res);
				continue;
			}
			w->fn(l, w->fd, (uint32_t)cqe->res, w->arg);
			if (l->stop)
				break;
		}
		io_uring_cq_advance(&l->ring, seen);
	}
	return 0;
}

int timerfd_every(unsigned int first_ms, unsigned int interval_ms)
{
	struct itimerspec its = {
	    .it_value = {first_ms / 1000, (long)(first_ms % 1000) * 1000000},
	    .it_interval = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void loop__log_failure(int err)
{
	struct rlimit rl = {0};

	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (err == -ENOMEM)
		log_error("io_uring setup failed (%s): locked memory is limited ('ulimit -l' is "
			  "%llu KiB); raise it or grant CAP_IPC_LOCK",
			  strerror(-err),
			  rl.rlim_cur == RLIM_INFINITY ? 0ULL
						       : (unsigned long long)rl.rlim_cur / 1024);
	else if (err == -EPERM || err == -ENOSYS)
		log_error("io_uring setup failed (%s): io_uring is disabled here "
			  "(kernel.io_uring_disabled, seccomp or a container runtime)",
			  strerror(-err));
	else
		log_error("io_uring setup failed: %s", strerror(-err));
}
