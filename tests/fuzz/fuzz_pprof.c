// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof reader behind `hrprof report` (gzip or raw protobuf, every id
 * checked), then the report itself and the flame graph's page on what it
 * accepted.
 */
#include "report/flamegraph.h"
#include "fuzz.h"
#include "report/pprof_read.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pprof_file f = {0};
	char path[64], why[256];
	int fd;

	fuzz_quiet();
	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	if (pprof_file__load(&f, path, why, sizeof(why)) == 0) {
		FUZZ_CHECK(f.pr);
		pprof_file__free(&f);
		{
			FILE *out = fopen("/dev/null", "w");

			struct flamegraph *fg = flamegraph__new();

			if (out) {
				report_print(out, path, 0, NULL);
				report_print(out, path, 3, "cpu-samples");
				if (fg && !flamegraph__add_file(fg, path, NULL, why, sizeof(why)))
					FUZZ_CHECK(!flamegraph__write_html(fg, out));
				fclose(out);
			}
			flamegraph__free(fg);
		}
	}
	close(fd);
	return 0;
}
