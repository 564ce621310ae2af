/* SPDX-License-Identifier: GPL-2.0 */
/*
 * forkexec SECONDS [HOT]: forks a child that execs the hot workload (HOT, or
 * "hot" next to this executable) for SECONDS; the parent burns the CPU in
 * parent_spin meanwhile, then waits for the child.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "common.h"

__attribute__((noinline)) uint64_t parent_spin(double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 7;

	while (wl_now() < end)
		WL_SPIN(x, 100000);
	return x;
}

int main(int argc, char **argv)
{
	double seconds = wl_init(argc, argv, 3);
	char self[PATH_MAX], hot[PATH_MAX + 8], secs[32];
	int status;
	pid_t pid;

	if (argc > 2) {
		snprintf(hot, sizeof(hot), "%s", argv[2]);
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0) {
			perror("readlink");
			return 1;
		}
		self[n] = 0;
		snprintf(hot, sizeof(hot), "%s/hot", dirname(self));
	}
	snprintf(secs, sizeof(secs), "%g", seconds);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execl(hot, "hot", secs, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", hot, strerror(errno));
		_exit(127);
	}
	wl_sink = parent_spin(seconds);
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
