/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HRPROF_FILEIO_H
#define HRPROF_FILEIO_H

#include <stddef.h>

/* Writes all of buf, through short writes and EINTR. Returns -errno or zero. */
int write_all(int fd, const void *buf, size_t len);

#endif
