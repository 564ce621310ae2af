// SPDX-License-Identifier: GPL-2.0
/*
 * The line parsers of files hrprof reads: /proc/<pid>/maps lines, JIT perf
 * maps (/tmp/perf-<pid>.map), /proc/kallsyms. Lookups in what was parsed
 * must land inside what they return.
 */
#include "fuzz.h"
#include "proc/proc.h"
#include "sym/sym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *save = NULL, path[64];
	struct sym_info info;
	struct perfmap *pm;
	struct ksyms *ks;
	int fd;

	fuzz_quiet();
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end, pgoff, dev, ino;
		char *mpath;

		if (maps_parse_line(line, &start, &end, &pgoff, &dev, &ino, &mpath))
			FUZZ_CHECK(start < end && mpath);
	}
	free(buf);

	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	pm = perfmap__load(path);
	ks = ksyms__load(path);
	for (size_t i = 0; i + 8 <= size && i < 32 * 8; i += 8) {
		uint64_t a;

		memcpy(&a, data + i, 8);
		if (pm && perfmap__lookup(pm, a, &info))
			FUZZ_CHECK(info.name && info.start <= a);
		if (ks && ksyms__lookup(ks, a, &info))
			FUZZ_CHECK(info.name && info.start <= a);
	}
	perfmap__free(pm);
	ksyms__free(ks);
	close(fd);
	return 0;
}
