// SPDX-License-Identifier: GPL-2.0
/*
 * Writing files (fileio.h): whole buffers, whole files that appear at once
 * (a temporary file, fsynced and renamed), gzip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Best effort: makes the rename durable. */
static void dir_fsync(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int file_write_atomic(const char *path, mode_t mode, int (*fill)(int fd, void *arg), void *arg)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dlen = slash ? (int)(slash - path) + 1 : 0;
	char *tmp;
	int fd, err;

	if (!*base)
		return -EINVAL;
	if (asprintf(&tmp, "%.*s.%s.tmp.XXXXXX", dlen, path, base) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = fill(fd, arg);
	if (!err && fchmod(fd, mode))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		dir_fsync(path);
	free(tmp);
	return err;
}

int gzip_write_fd(int fd, const uint8_t *data, size_t len)
{
	const size_t out_size = 128 * 1024;
	z_stream zs = {0};
	unsigned char *out;
	int flush, zret, err = 0;

	out = malloc(out_size);
	if (!out)
		return -ENOMEM;
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	do {
		/* avail_in is a uInt: feed at most 1 GiB at a time */
		size_t chunk = len > (1U << 30) ? (1U << 30) : len;

		zs.next_in = (Bytef *)data;
		zs.avail_in = (uInt)chunk;
		data += chunk;
		len -= chunk;
		flush = len ? Z_NO_FLUSH : Z_FINISH;
		do {
			zs.next_out = out;
			zs.avail_out = (uInt)out_size;
			zret = deflate(&zs, flush);
			if (zret == Z_STREAM_ERROR) {
				err = -EIO;
				goto out;
			}
			err = write_all(fd, out, out_size - zs.avail_out);
			if (err)
				goto out;
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	if (zret != Z_STREAM_END)
		err = -EIO;
out:
	deflateEnd(&zs);
	free(out);
	return err;
}
