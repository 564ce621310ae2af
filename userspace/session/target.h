/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wrapped command: forked and held before exec until the sampling
 * events are open on its pid, so nothing of its start is missed and it
 * keeps its pid through exec; or run unprofiled, in hrprof's place.
 */
#ifndef HRPROF_TARGET_H
#define HRPROF_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int go_fd;   /* written (or closed) to let it exec; -1 once done */
	int exec_fd; /* reads EOF once it runs, or the errno of its exec */
};

/*
 * Forks argv[0] (as user, when not NULL), held before exec until
 * target__release; the child gets oldmask as its signal mask. Returns 0 or
 * -errno.
 */
int target__spawn(struct target *t, char **argv, const char *user, const sigset_t *oldmask);
/* Lets the held command exec. Returns 0 or -errno. */
int target__release(struct target *t);
/* A command still held exits without running (127). */
void target__abandon(struct target *t);
/* True unless the command's exec failed (or it was never let go). */
bool target__ran(struct target *t);
/* Closes what t holds (a command still held is abandoned). */
void target__close(struct target *t);

/* Runs argv in this process (as user, when not NULL), unprofiled. Returns
 * only on failure, with the exit status a shell gives (126, 127), after
 * one line. */
int target_exec(char **argv, const char *user);

#endif
