// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof writer's file decoded independently, by `go tool pprof` (-raw
 * and -top), whose text output is checked against what was put in.
 *
 * Exit: 0 pass, 1 a check failed, 77 `go` is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "profile/pprof.h"
#include "profile.pb-c.h"

#include "check.h"
#include "pprof_fixture.h"

static char tmpdir[256];

/* ---- go tool pprof ---- */

static bool go__available(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

/* Runs `go tool pprof ARGS FILE` offline, as root or not; returns its output. */
static char *go__pprof(const char *args, const char *file)
{
	char cmd[2048], out[600];
	char *text;
	int rc;

	snprintf(out, sizeof(out), "%s/go.out", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && env HOME='%s' GOCACHE='%s/gocache' GOPATH='%s/gopath' "
		 "GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local PPROF_TMPDIR='%s' "
		 "go tool pprof %s '%s' >'%s' 2>&1",
		 tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, args, file, out);
	rc = system(cmd);
	text = file__slurp(out, NULL);
	CHECKF(rc == 0, "`go tool pprof %s` exited %d: %s", args, rc, text ? text : "");
	if (rc) {
		free(text);
		return NULL;
	}
	return text;
}

struct raw_sample {
	int64_t v[2];
	char stack[256]; /* function names, leaf first, space separated */
	char labels[256];
};

struct raw_loc {
	unsigned long id;
	char name[64];
};

/* Parses `-raw` (profile.String()): Samples, Locations and Mappings. */
static int raw__parse(char *text, struct raw_sample *smp, int max, char *maps, size_t maps_len)
{
	struct raw_loc locs[32];
	unsigned long ids[max][8];
	int nids[max];
	int n = 0, nlocs = 0;
	enum { NONE, SAMPLES, LOCATIONS, MAPPINGS } sec = NONE;
	char *save, *line;

	maps[0] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Samples:", 8)) {
			sec = SAMPLES;
			continue;
		}
		if (!strncmp(line, "Locations", 9)) {
			sec = LOCATIONS;
			continue;
		}
		if (!strncmp(line, "Mappings", 8)) {
			sec = MAPPINGS;
			continue;
		}
		if (sec == SAMPLES) {
			long long a, b;
			int off;

			if (sscanf(line, " %lld %lld:%n", &a, &b, &off) == 2 && n < max) {
				char *p = line + off, *end;

				smp[n].v[0] = a;
				smp[n].v[1] = b;
				smp[n].stack[0] = smp[n].labels[0] = '\0';
				nids[n] = 0;
				for (;;) {
					unsigned long id = strtoul(p, &end, 10);

					if (end == p || nids[n] == 8)
						break;
					ids[n][nids[n]++] = id;
					p = end;
				}
				n++;
			} else if (n && strstr(line, ":[")) {
				size_t l = strlen(smp[n - 1].labels);

				snprintf(smp[n - 1].labels + l, sizeof(smp[n - 1].labels) - l,
					 "%s ", line);
			}
		} else if (sec == LOCATIONS && nlocs < 32) {
			unsigned long id, addr, mid;
			char name[64] = "";

			if (sscanf(line, " %lu: 0x%lx M=%lu %63s", &id, &addr, &mid, name) >= 3) {
				locs[nlocs].id = id;
				snprintf(locs[nlocs].name, sizeof(locs[nlocs].name), "%s",
					 name[0] ? name : "?");
				nlocs++;
			}
		} else if (sec == MAPPINGS) {
			size_t l = strlen(maps);

			snprintf(maps + l, maps_len - l, "%s\n", line);
		}
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < nids[i]; j++) {
			const char *name = "<unresolved>";
			size_t l = strlen(smp[i].stack);

			for (int k = 0; k < nlocs; k++)
				if (locs[k].id == ids[i][j])
					name = locs[k].name;
			snprintf(smp[i].stack + l, sizeof(smp[i].stack) - l, "%s%s", j ? " " : "",
				 name);
		}
	}
	return n;
}

/* Finds in `-top` output the row for name: flat and cum as printed. */
static bool top__row(const char *text, const char *name, int64_t *flat, int64_t *cum)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char fl[32], flp[32], sum[32], cu[32], cup[32], nm[128];

		if (sscanf(line, " %31s %31s %31s %31s %31s %127s", fl, flp, sum, cu, cup, nm) ==
			6 &&
		    !strcmp(nm, name) && strchr(flp, '%')) {
			*flat = strtoll(fl, NULL, 10);
			*cum = strtoll(cu, NULL, 10);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static void test_go_pprof(void)
{
	static const struct {
		const char *stack, *labels[3];
		int64_t v[2];
	} want[] = {
	    {"leaf_fn work main", {"thread id:[1234]", "thread name:[worker 1]"}, {30 * MS, 3}},
	    {"memcpy work main",
	     {"thread id:[1235]", "thread name:[worker 2]", "size:[4096 bytes]"},
	     {20 * MS, 2}},
	    {"main", {"thread id:[1234]"}, {10 * MS, 1}},
	    {"? main", {NULL}, {5 * MS, 1}},
	};
	static const struct {
		const char *name;
		int64_t flat_ns, cum_ns, flat_n, cum_n;
	} tops[] = {
	    {"leaf_fn", 30 * MS, 30 * MS, 3, 3},
	    {"memcpy", 20 * MS, 20 * MS, 2, 2},
	    {"work", 0, 50 * MS, 0, 5},
	    {"main", 10 * MS, 65 * MS, 1, 7},
	};
	struct raw_sample smp[8];
	struct fixture fx;
	struct pprof *p = fixture__build(&fx);
	char path[600], maps[1024];
	char *text;
	int n;

	if (!p)
		return;
	snprintf(path, sizeof(path), "%s/go.pb.gz", tmpdir);
	CHECK(!pprof__write_file(p, path));
	pprof__free(p);

	text = go__pprof("-raw -symbolize=none", path);
	if (!text)
		return;
	CHECKF(strstr(text, "PeriodType: cpu-time nanoseconds"), "%s", text);
	CHECKF(strstr(text, "Period: 10000000\n"), "%s", text);
	CHECKF(strstr(text, "Time: 2023-11-14 22:13:20.123456789 +0000 UTC"), "%s", text);
	CHECKF(strstr(text, "Duration: 2.5s"), "%s", text);
	CHECKF(strstr(text, "Comment: hrprof unit test"), "%s", text);
	CHECKF(strstr(text, "cpu-time/nanoseconds cpu-samples/count"), "%s", text);
	CHECKF(strstr(text, "leaf_fn src/leaf.cc"), "function file name: %s", text);
	n = raw__parse(text, smp, 8, maps, sizeof(maps));
	CHECKF(n == 4, "%d samples in -raw output", n);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (int j = 0; j < n && !found; j++) {
			if (strcmp(smp[j].stack, want[i].stack) || smp[j].v[0] != want[i].v[0] ||
			    smp[j].v[1] != want[i].v[1])
				continue;
			found = true;
			for (int k = 0; k < 3 && want[i].labels[k]; k++)
				CHECKF(strstr(smp[j].labels, want[i].labels[k]),
				       "sample %zu: label %s not in \"%s\"", i, want[i].labels[k],
				       smp[j].labels);
			if (!want[i].labels[0])
				CHECKF(!smp[j].labels[0], "sample %zu: labels \"%s\"", i,
				       smp[j].labels);
		}
		CHECKF(found, "no sample [%s] %" PRId64 "/%" PRId64 " in go's -raw:\n%s",
		       want[i].stack, want[i].v[0], want[i].v[1], text);
	}
	CHECKF(strstr(maps, "0x400000/0x500000/0x0 /usr/bin/app abcdef0123456789 [FN][FL]"),
	       "mappings: %s", maps);
	CHECKF(strstr(maps, "0x7f0000000000/0x7f0000100000/0x1000 /lib/libc.so.6 c0ffee42 [FN]"),
	       "mappings: %s", maps);
	free(text);

	text = go__pprof("-top -sample_index=cpu-time -unit=ns", path);
	if (text) {
		CHECKF(strstr(text, "Duration: 2.50s"), "%s", text);
		CHECKF(strstr(text, "Type: cpu-time"), "%s", text);
		for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
			int64_t fl = -1, cu = -1;

			CHECKF(top__row(text, tops[i].name, &fl, &cu) && fl == tops[i].flat_ns &&
				   cu == tops[i].cum_ns,
			       "%s: flat %" PRId64 " cum %" PRId64 " in:\n%s", tops[i].name, fl, cu,
			       text);
		}
		free(text);
	}
	text = go__pprof("-top -sample_index=cpu-samples", path);
	if (text) {
		CHECKF(strstr(text, "Total samples = 7"), "%s", text);
		for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
			int64_t fl = -1, cu = -1;

			CHECKF(top__row(text, tops[i].name, &fl, &cu) && fl == tops[i].flat_n &&
				   cu == tops[i].cum_n,
			       "%s: flat %" PRId64 " cum %" PRId64 " in:\n%s", tops[i].name, fl, cu,
			       text);
		}
		free(text);
	}
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	bool go;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/hrprof-test-pprof-go.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	go = go__available();
	if (go)
		test_go_pprof();
	else
		printf("SKIP: go not installed: go tool pprof checks skipped\n");
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (failures)
		return check_exit("test_pprof_go");
	return go ? 0 : 77;
}
