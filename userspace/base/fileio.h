/* SPDX-License-Identifier: GPL-2.0 */
/* Writing files: whole buffers, whole files that appear at once, gzip. */
#ifndef HRPROF_FILEIO_H
#define HRPROF_FILEIO_H

#include <stddef.h>
#include <stdint.h>
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

/* Streams data gzip-compressed (the fastest level, as Go's runtime/pprof)
 * to fd. Returns -errno or zero. */
int gzip_write_fd(int fd, const uint8_t *data, size_t len);

#endif
