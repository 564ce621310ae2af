// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings and JIT maps: immutable once made, reference-counted, shared by
 * the process table, its views and the profiles that name frames with them;
 * a sorted array of mappings searched by address; /proc/<pid>/maps lines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "proc.h"

struct mapping *mapping__new(uint64_t start, uint64_t end, uint64_t pgoff, uint64_t dev,
			     uint64_t ino, const char *path)
{
	size_t len = strlen(path);
	struct mapping *m = malloc(sizeof(*m) + len + 1);

	if (!m)
		return NULL;
	*m = (struct mapping){
	    .refs = 1, .start = start, .end = end, .pgoff = pgoff, .dev = dev, .ino = ino};
	memcpy(m->path, path, len + 1);
	return m;
}

struct mapping *mapping__get(struct mapping *m)
{
	if (m)
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void mapping__put(struct mapping *m)
{
	if (m && !__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL))
		free(m);
}

bool mapping__is_file(const struct mapping *m)
{
	return m->path[0] == '/' && strncmp(m->path, "//anon", 6) && strncmp(m->path, "/memfd:", 7);
}

struct jitmap *jitmap__get(struct jitmap *j)
{
	if (j)
		__atomic_add_fetch(&j->refs, 1, __ATOMIC_RELAXED);
	return j;
}

void jitmap__put(struct jitmap *j)
{
	if (j && !__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL)) {
		j->free(j->map);
		free(j);
	}
}

size_t mappings_lower(struct mapping *const *maps, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (maps[mid]->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mapping *mappings_find(struct mapping *const *maps, size_t n, uint64_t addr)
{
	size_t i = mappings_lower(maps, n, addr);

	return i < n && maps[i]->start <= addr ? maps[i] : NULL;
}

/* Parses a hex or decimal field ending at one of stops or at the end of the
 * line; false on overflow or anything else. */
static bool parse_u64(char **s, int base, const char *stops, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!isxdigit((unsigned char)**s))
		return false;
	*out = strtoull(*s, &end, base);
	if (errno || end == *s || (*end && !strchr(stops, *end)))
		return false;
	*s = *end ? end + 1 : end;
	return true;
}

bool maps_parse_line(char *line, uint64_t *start, uint64_t *end, uint64_t *pgoff, uint64_t *dev,
		     uint64_t *ino, char **path)
{
	uint64_t major, minor;
	char *s = line, *perms, *nl;

	if (!parse_u64(&s, 16, "-", start) || !parse_u64(&s, 16, " ", end))
		return false;
	perms = s;
	if (strlen(perms) < 5 || perms[4] != ' ')
		return false;
	s += 5;
	if (!parse_u64(&s, 16, " ", pgoff) || !parse_u64(&s, 16, ":", &major) ||
	    !parse_u64(&s, 16, " ", &minor) || !parse_u64(&s, 10, " \n", ino))
		return false;
	if (perms[2] != 'x' || *end <= *start || major > 0xfff || minor > 0xfffff)
		return false;
	*dev = makedev((unsigned int)major, (unsigned int)minor);
	while (*s == ' ')
		s++;
	*path = s;
	nl = strchr(*path, '\n');
	if (nl)
		*nl = 0;
	if (!**path)
		*path = "//anon";
	return true;
}

size_t mapping__proc_path(const struct mapping *m, uint32_t pid, char *buf, size_t n)
{
	int prefix = snprintf(buf, n, "/proc/%u/root", pid);
	char *deleted;

	if (prefix < 0 || (size_t)prefix >= n)
		return 0;
	snprintf(buf + prefix, n - (size_t)prefix, "%s", m->path);
	deleted = strstr(buf, " (deleted)");
	if (deleted)
		*deleted = 0;
	return (size_t)prefix;
}
