// SPDX-License-Identifier: GPL-2.0
/* A process's container id, from its cgroup paths (as ddprof finds it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

void container_id_from_cgroup(const char *path, char out[65])
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	out[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	while (!out[0] && getline(&line, &cap, f) > 0) {
		for (char *c = line; *c; c++) {
			size_t n = strspn(c, "0123456789abcdef");

			if (n == 64 && (c == line || c[-1] == '/' || c[-1] == '-') &&
			    (c[64] == 0 || c[64] == '/' || c[64] == '.' || c[64] == '\n')) {
				memcpy(out, c, 64);
				out[64] = 0;
				break;
			}
			c += n ? n - 1 : 0;
		}
	}
	free(line);
	fclose(f);
}

void container_id_of(int pid, char out[65])
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid > 0 ? pid : getpid());
	container_id_from_cgroup(path, out);
}
