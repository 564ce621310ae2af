/* SPDX-License-Identifier: GPL-2.0 */
/* Writing files: whole buffers, and whole files that appear at once. */
#ifndef HRPROF_FILEIO_H
#define HRPROF_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf, through short writes and EINTR. Returns -errno or zero. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Writes path whole or not at all: fill(fd, arg) writes a temporary file
 * "<dir>/.<base>.tmp.XXXXXX" (O_CLOEXEC), which gets mode, is fsynced and
 * renamed over path, and the directory is fsynced. Any failure (fill's
 * -errno included) removes the temporary file. Returns -errno or zero.
 */
int file_write_atomic(const char *path, mode_t mode, int (*fill)(int fd, void *arg), void *arg);

#endif
