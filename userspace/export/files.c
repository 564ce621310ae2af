// SPDX-License-Identifier: GPL-2.0
/*
 * The file exporter: each profile to <dir>/<UTC start>_<service>_<pid>.pb.gz
 * (--output), or to <prefix><UTC start>_<service>_<pid>.pb.gz
 * (--debug_pprof_prefix, ddprof's: the prefix is any path start).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "base/log.h"

struct file_exporter {
	struct exporter e;
	char *dir; /* the path before the file's own name: "dir/" or a prefix */
	char *service;
	int pid;
};

static int file_export(struct exporter *e, const struct export_item *item)
{
	struct file_exporter *fe = (struct file_exporter *)e;
	time_t secs = (time_t)(item->snap->start_ns / 1000000000);
	unsigned int ms = (unsigned int)(item->snap->start_ns / 1000000 % 1000);
	char stamp[32], path[PATH_MAX];
	struct tm tm;
	int err;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	if (fe->pid > 0)
		snprintf(path, sizeof(path), "%s%s.%03uZ_%s_%d.pb.gz", fe->dir, stamp, ms,
			 fe->service, fe->pid);
	else
		snprintf(path, sizeof(path), "%s%s.%03uZ_%s_global.pb.gz", fe->dir, stamp, ms,
			 fe->service);
	err = pprof__write_file(item->pprof, path);
	if (err) {
		log_error("cannot write profile %s: %s", path, strerror(-err));
		return err;
	}
	log_info("wrote %s (%" PRIu64 " samples)", path, item->samples);
	return 0;
}

static void file_free(struct exporter *e)
{
	struct file_exporter *fe = (struct file_exporter *)e;

	if (!fe)
		return;
	free(fe->dir);
	free(fe->service);
	free(fe);
}

/*
 * The longest service name a file name takes: "<20 chars of time>_" before,
 * "_<pid, 10 digits at most, or global>.pb.gz" after, and the whole within
 * NAME_MAX with the 12 bytes pprof__write_file's temporary name adds.
 */
#define FILE_SERVICE_MAX (NAME_MAX - 12 - 21 - 17)

/* The service as one path component ('/' and control characters become
 * '_'), cut to FILE_SERVICE_MAX bytes on a UTF-8 character boundary. */
static char *file_service(const char *s)
{
	size_t len = strlen(s);
	char *out;

	if (len > FILE_SERVICE_MAX) {
		len = FILE_SERVICE_MAX;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		log_notice("the service name is %zu bytes: profile file names hold its first %zu",
			   strlen(s), len);
	}
	out = strndup(s, len);
	for (char *c = out; c && *c; c++) {
		if (*c == '/' || (unsigned char)*c < 0x20)
			*c = '_';
	}
	return out;
}

struct exporter *file_exporter__new(const char *dir, const char *prefix, const char *service,
				    int pid)
{
	struct file_exporter *fe = calloc(1, sizeof(*fe));

	if (!fe)
		return NULL;
	fe->e.name = "file";
	fe->e.export = file_export;
	fe->e.free = file_free;
	if (dir && asprintf(&fe->dir, "%s/", dir) < 0)
		fe->dir = NULL;
	else if (!dir)
		fe->dir = strdup(prefix);
	fe->service = file_service(service);
	fe->pid = pid;
	if (!fe->dir || !fe->service) {
		file_free(&fe->e);
		return NULL;
	}
	return &fe->e;
}
