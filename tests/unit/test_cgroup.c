// SPDX-License-Identifier: GPL-2.0
/*
 * container_id_from_cgroup on fixture files: docker (cgroup v1 and v2),
 * containerd/kubernetes, cri-o and podman scopes give the 64-hex id; hosts,
 * ids of 63 or 65 digits, uppercase ids and a missing file give ""; and
 * lines longer than the reader's buffer (the id anywhere in them, across the
 * buffer's edge included) give the id, never a piece of something else.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "proc/proc.h"

#define ID  "3f5b1c0e9a7d4b2c8e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[64];
static int nfiles;

/* Writes content to a fresh fixture file and returns what was read from it. */
static void id_of(const char *content, char out[65])
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup%d", dir, nfiles++);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(content, f);
	fclose(f);
	memset(out, 'X', 65);
	container_id_from_cgroup(path, out);
	unlink(path);
}

static void check_id(const char *what, const char *content, const char *want)
{
	char out[65];

	id_of(content, out);
	CHECKF(memchr(out, 0, 65) && !strcmp(out, want), "%s: got '%.65s', want '%s'", what, out,
	       want);
}

static void test_fixtures(void)
{
	static const struct {
		const char *what, *content, *want;
	} cases[] = {
	    {"docker cgroup v1",
	     "12:memory:/docker/" ID "\n"
	     "11:cpu,cpuacct:/docker/" ID "\n"
	     "1:name=systemd:/docker/" ID "\n",
	     ID},
	    {"docker cgroup v1, id on a later line",
	     "12:pids:/\n11:hugetlb:/\n3:memory:/docker/" ID "\n", ID},
	    {"docker cgroup v1, no final newline", "12:memory:/docker/" ID, ID},
	    {"docker cgroup v1, nested path", "4:devices:/docker/" ID "/sub\n", ID},
	    {"cgroup v2 systemd docker", "0::/system.slice/docker-" ID ".scope\n", ID},
	    {"containerd / kubernetes",
	     "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
	     "cri-containerd-" ID ".scope\n",
	     ID},
	    {"kubernetes cgroup v1 (cgroupfs driver)",
	     "10:memory:/kubepods/burstable/pod6f2a3a3e-0b1c-4d5e-8f90-123456789abc/" ID "\n", ID},
	    {"cri-o",
	     "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod99.slice/crio-" ID
	     ".scope\n",
	     ID},
	    {"podman",
	     "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope\n",
	     ID},
	    {"podman, container payload", "0::/machine.slice/libpod-" ID ".scope/container\n", ID},
	    {"first id wins", "12:memory:/docker/" ID "\n0::/system.slice/docker-" ID2 ".scope\n",
	     ID},
	    {"host cgroup v2 root", "0::/\n", ""},
	    {"host session", "0::/user.slice/user-0.slice/session-1.scope\n", ""},
	    {"host cgroup v1",
	     "12:memory:/user.slice\n11:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/"
	     "user-0.slice/session-1.scope\n",
	     ""},
	    {"empty file", "", ""},
	    {"65 hex digits", "0::/system.slice/docker-" ID "a.scope\n", ""},
	    {"65 hex digits, v1", "12:memory:/docker/a" ID "\n", ""},
	    {"uppercase hex",
	     "0::/system.slice/"
	     "docker-3F5B1C0E9A7D4B2C8E6F0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F"
	     ".scope\n",
	     ""},
	    {"one uppercase digit",
	     "12:memory:/docker/3f5b1c0e9a7d4b2c8e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5F\n",
	     ""},
	    {"hex inside a word", "0::/system.slice/dockerx" ID ".scope\n", ""},
	    {"hex followed by a letter", "0::/system.slice/docker-" ID "x.scope\n", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_id(cases[i].what, cases[i].content, cases[i].want);

	/* 63 digits. */
	{
		char line[256];

		snprintf(line, sizeof(line), "0::/system.slice/docker-%.63s.scope\n", ID);
		check_id("63 hex digits", line, "");
		snprintf(line, sizeof(line), "12:memory:/docker/%.63s\n", ID);
		check_id("63 hex digits, v1", line, "");
	}
}

static void test_missing(void)
{
	char out[65], path[128];

	memset(out, 'X', sizeof(out));
	snprintf(path, sizeof(path), "%s/does-not-exist", dir);
	container_id_from_cgroup(path, out);
	CHECKF(out[0] == 0, "missing file: got '%.65s'", out);
	memset(out, 'X', sizeof(out));
	container_id_from_cgroup(dir, out); /* a directory */
	CHECKF(out[0] == 0, "a directory: got '%.65s'", out);
}

/* A long line: "0::/", filler up to offset at, then "docker-<id>.scope"
 * with the id starting at offset at (no id when id is NULL). */
static char *long_line(size_t at, const char *id, const char *filler)
{
	size_t flen = strlen(filler), total = at + (id ? strlen(id) : 8) + 32;
	char *s = malloc(total + 1), *p = s;

	if (!s)
		exit(1);
	p += sprintf(p, "0::/");
	while ((size_t)(p - s) + 7 < at) {
		size_t n = at - 7 - (size_t)(p - s);

		n = n < flen ? n : flen;
		memcpy(p, filler, n);
		p += n;
	}
	while ((size_t)(p - s) < at - 7)
		*p++ = 'x';
	p += sprintf(p, "docker-");
	if (id)
		p += sprintf(p, "%s", id);
	else
		p += sprintf(p, "zzzzzzzz");
	sprintf(p, ".scope\n");
	return s;
}

static void test_long_lines(void)
{
	/* Around and well past 1 KiB and 4 KiB: a reader buffer ends in there. */
	static const size_t offsets[] = {500,  960,  990,  1000, 1010, 1020, 1022, 1023,
					 1024, 1025, 1030, 2040, 2046, 2047, 4090, 6000};
	char what[64];

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char *line = long_line(offsets[i], ID, "a.slice/");

		snprintf(what, sizeof(what), "long line, id at offset %zu", offsets[i]);
		check_id(what, line, ID);
		free(line);
	}

	/* A long host line after a container line, and before one. */
	{
		char *host = long_line(3000, NULL, "user.slice/"), *both;

		check_id("long host line", host, "");
		both = malloc(strlen(host) + 200);
		if (both) {
			sprintf(both, "%s12:memory:/docker/%s\n", host, ID);
			check_id("long host line, then docker", both, ID);
			free(both);
		}
		free(host);
	}

	/* A run of 128 hex digits across a buffer edge is not an id, whatever
	 * piece of it ends up at the start of a buffer. */
	for (size_t at = 940; at <= 1030; at += 1) {
		char *line = long_line(at, ID ID, "b.slice/");

		snprintf(what, sizeof(what), "128 hex digits at offset %zu", at);
		check_id(what, line, "");
		free(line);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hrprof-cgroup-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_fixtures();
	test_missing();
	test_long_lines();
	rmdir(dir);
	return check_exit("test_cgroup");
}
