/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Most of the CPU in the kernel: syscall_loop (main -> syscall_loop) reads 64 KiB of /dev/zero (the
 * kernel clears the buffer) and calls getppid, over and over.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "common.h"

static char buf[64 * 1024];

/*
 * The syscall instruction is issued here, not in libc's wrappers: those have
 * no frame pointer, so a frame-pointer unwind from inside them would skip
 * syscall_loop.
 */
static inline __attribute__((always_inline)) long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) long syscall_loop(int fd, double seconds)
{
	double end = wl_now() + seconds;
	long n = 0;

	while (wl_now() < end) {
		for (int i = 0; i < 16; i++) {
			if (raw_syscall3(SYS_read, fd, (long)buf, sizeof(buf)) > 0)
				n++;
			n += raw_syscall3(SYS_getppid, 0, 0, 0) > 0;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	double seconds = wl_init(argc, argv, 3);
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0) {
		perror("/dev/zero");
		return 1;
	}
	wl_sink = (uint64_t)syscall_loop(fd, seconds);
	close(fd);
	return 0;
}
