/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seccomp_deny SYSCALL ERRNO CMD ARGS...: runs CMD where SYSCALL
 * (perf_event_open or io_uring_setup) fails with ERRNO (EPERM, EACCES or
 * ENOSYS), as a seccomp filter (Docker's default profile, a container
 * runtime's) makes it: for hrprof doctor's seccomp and io_uring checks and
 * the daemon's io_uring diagnostics.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	const char *call = argc > 1 ? argv[1] : "", *name = argc > 2 ? argv[2] : "";
	int nr = !strcmp(call, "perf_event_open")  ? __NR_perf_event_open
		 : !strcmp(call, "io_uring_setup") ? __NR_io_uring_setup
						   : -1;
	int err = !strcmp(name, "EPERM")    ? EPERM
		  : !strcmp(name, "EACCES") ? EACCES
		  : !strcmp(name, "ENOSYS") ? ENOSYS
					    : -1;

	if (argc < 4 || nr < 0 || err < 0) {
		fprintf(stderr, "usage: seccomp_deny perf_event_open|io_uring_setup "
				"EPERM|EACCES|ENOSYS CMD ARGS...\n");
		return 2;
	}

	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)err),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "seccomp_deny: seccomp: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "seccomp_deny: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
