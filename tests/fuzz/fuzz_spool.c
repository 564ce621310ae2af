// SPDX-License-Identifier: GPL-2.0
/*
 * Spool files as a crash, a full disk or anyone with access to the
 * directory could leave them: the input is one entry file. Taking it either
 * gives an entry whose checksum holds (then put back as written and taken
 * again, the same) or sets it aside; nothing is given out twice.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "export/spool.h"

static char dir[64];

/* Empties the directory (what was set aside, anything left). */
static void clean(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_entry e, again;
	char path[128];
	struct spool *s;
	FILE *f;

	fuzz_quiet();
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/hrprof-fuzz-spool-%d", getpid());
		mkdir(dir, 0700);
	}
	snprintf(path, sizeof(path), "%s/00000000000000000001-x-000001.hrspool", dir);
	f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (spool__open(&s, dir, 1u << 30, 0))
		return 0;
	if (spool__take(s, &e) == 0) {
		char *json = strdup(e.event_json);
		uint8_t *blob = malloc(e.len ? e.len : 1);
		size_t len = e.len;

		FUZZ_CHECK(json && blob);
		memcpy(blob, e.blob, len);
		FUZZ_CHECK(spool__take(s, &again) == -ENOENT); /* once */
		spool__remove(s, &e);
		FUZZ_CHECK(spool__put(s, "00000000000000000002-y-000002", json, blob, len) == 0);
		FUZZ_CHECK(spool__take(s, &again) == 0);
		FUZZ_CHECK(!strcmp(again.event_json, json) && again.len == len &&
			   !memcmp(again.blob, blob, len));
		spool__remove(s, &again);
		free(json);
		free(blob);
	}
	spool__free(s);
	clean();
	return 0;
}
