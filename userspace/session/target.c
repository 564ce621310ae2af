// SPDX-License-Identifier: GPL-2.0
/*
 * The wrapped command (target.h). The child waits on a pipe before exec;
 * a second pipe, close-on-exec, reads EOF once the exec succeeded, or the
 * errno of the exec that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "target.h"

int target__spawn(struct target *t, char **argv, const char *user, const sigset_t *oldmask)
{
	int fds[2], efds[2];
	pid_t pid;

	t->pid = -1;
	t->go_fd = t->exec_fd = -1;
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	if (pipe2(efds, O_CLOEXEC)) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		close(efds[0]);
		close(efds[1]);
		return err;
	}
	if (pid == 0) {
		char go;
		int err;

		close(fds[1]);
		close(efds[0]);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		if (read(fds[0], &go, 1) != 1)
			_exit(127); /* hrprof went away before letting us run */
		close(fds[0]);
		err = user ? -become_user(user) : 0;
		if (err) {
			if (write(efds[1], &err, sizeof(err)) < 0)
				err = errno;
			fprintf(stderr, "hrprof: cannot run '%s' as %s: %s\n", argv[0], user,
				strerror(err));
			_exit(126);
		}
		execvp(argv[0], argv);
		err = errno;
		if (write(efds[1], &err, sizeof(err)) < 0)
			err = errno;
		fprintf(stderr, "hrprof: cannot run '%s': %s\n", argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(fds[0]);
	close(efds[1]);
	t->pid = pid;
	t->go_fd = fds[1];
	t->exec_fd = efds[0];
	return 0;
}

int target__release(struct target *t)
{
	ssize_t n;
	int err = 0;

	if (t->go_fd < 0)
		return 0;
	n = write(t->go_fd, "g", 1);
	if (n != 1)
		err = n < 0 ? -errno : -EIO;
	close(t->go_fd);
	t->go_fd = -1;
	return err;
}

bool target__ran(struct target *t)
{
	struct pollfd pfd = {.fd = t->exec_fd, .events = POLLIN};
	int err;

	return t->exec_fd >= 0 && poll(&pfd, 1, 1000) == 1 &&
	       read(t->exec_fd, &err, sizeof(err)) == 0;
}

void target__abandon(struct target *t)
{
	if (t->go_fd >= 0)
		close(t->go_fd);
	t->go_fd = -1;
}

void target__close(struct target *t)
{
	target__abandon(t);
	if (t->exec_fd >= 0)
		close(t->exec_fd);
	t->exec_fd = -1;
}

int target_exec(char **argv, const char *user)
{
	int err;

	if (user && (err = become_user(user))) {
		log_error("cannot become %s: %s", user, strerror(-err));
		return 126;
	}
	execvp(argv[0], argv);
	err = errno;
	log_error("cannot run '%s': %s", argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}
