/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest's test programs (tests/vm/, one .c file each) share: counting checks,
 * reporting a failure, naming an errno, an ioctl as 0 or -errno.
 */
#ifndef HRPROF_VM_CHECK_H
#define HRPROF_VM_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static int failures, checks;

/* One line "FAIL: ..." on stdout, counted. */
__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* err (an errno, or minus one) by name: "EINVAL", "success" for 0. */
static inline const char *ename(int err)
{
	const char *n;

	if (err < 0)
		err = -err;
	if (!err)
		return "success";
	n = strerrorname_np(err);
	return n ? n : "?";
}

/* Returns 0 or -errno. */
static inline int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

#endif
