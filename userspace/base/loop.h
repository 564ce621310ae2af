/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop, on io_uring. Every source of work is a file descriptor
 * watched with a multishot poll: sample rings (perf fds), a signalfd, timerfds,
 * a pidfd for an attached target. When one is readable its callback runs on
 * the loop's thread. Nothing polls busily: the loop sleeps in
 * io_uring_submit_and_wait until the kernel posts a completion.
 */
#ifndef HRPROF_LOOP_H
#define HRPROF_LOOP_H

#include <stdint.h>

struct loop;

/* events is the poll mask the kernel reported (POLLIN, POLLHUP, ...). */
typedef void (*loop_fn)(struct loop *loop, int fd, uint32_t events, void *arg);

/* Returns -errno on error (io_uring unavailable...), or zero with *out set. */
int loop__new(struct loop **out, unsigned int entries);
/* Logs why loop__new failed with err, and the fix (locked memory, io_uring
 * disabled). */
void loop__log_failure(int err);
void loop__free(struct loop *loop);

/* Watches fd for readability until the loop is freed. Returns -errno or zero. */
int loop__watch(struct loop *loop, int fd, loop_fn fn, void *arg);

/* Runs until loop__stop. Returns -errno if waiting failed, else zero. */
int loop__run(struct loop *loop);
void loop__stop(struct loop *loop);

/* A timerfd that fires every interval_ms (first after first_ms). Returns the fd or -errno. */
int timerfd_every(unsigned int first_ms, unsigned int interval_ms);

#endif
