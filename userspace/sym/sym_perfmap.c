// SPDX-License-Identifier: GPL-2.0
/*
 * JIT perf maps (/tmp/perf-<pid>.map): "START SIZE name" per line, in hex.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "base/util.h"

struct pm_entry {
	uint64_t start;
	uint64_t end;
	uint32_t name;
	uint32_t dname; /* demangled name, or name */
};

/* A piece of the address space and the entry that owns it: the later line
 * wins where entries overlap (JITs reuse addresses). */
struct pm_seg {
	uint64_t start;
	uint64_t end;
	size_t entry;
};

struct perfmap {
	struct pm_entry *e;
	size_t ne;
	size_t ecap;
	struct pm_seg *s;
	size_t ns;
	char *names;
	size_t nlen;
	size_t ncap;
};

static int perfmap__str(struct perfmap *m, const char *s, size_t len, uint32_t *off)
{
	if (m->nlen + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (array__reserve(&m->names, &m->ncap, m->nlen + len + 1, 1))
		return -ENOMEM;
	memcpy(m->names + m->nlen, s, len);
	m->names[m->nlen + len] = '\0';
	*off = (uint32_t)m->nlen;
	m->nlen += len + 1;
	return 0;
}

static bool parse_hex(char **p, uint64_t *out)
{
	char *s = *p, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isxdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 16);
	if (errno || end == s || (*end != ' ' && *end != '\t'))
		return false;
	*p = end;
	return true;
}

/* Returns -EINVAL for a line to skip. */
static int perfmap__parse(struct perfmap *m, char *line)
{
	struct pm_entry e;
	uint64_t size;
	char *p = line, *name;
	size_t len;
	int err;

	if (!parse_hex(&p, &e.start) || !parse_hex(&p, &size))
		return -EINVAL;
	if (!size || e.start + size < e.start)
		return -EINVAL;
	e.end = e.start + size;
	name = p + strspn(p, " \t");
	len = strlen(name);
	while (len && isspace((unsigned char)name[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	err = perfmap__str(m, name, len, &e.name);
	if (err)
		return err;
	e.dname = e.name;
	if (!strncmp(name, "_Z", 2)) {
		char *d = sym_demangle(m->names + e.name);

		err = d ? perfmap__str(m, d, strlen(d), &e.dname) : 0;
		free(d);
		if (err)
			return err;
	}
	if (array__reserve(&m->e, &m->ecap, m->ne + 1, sizeof(*m->e)))
		return -ENOMEM;
	m->e[m->ne++] = e;
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int entry_start_cmp(const void *a, const void *b, void *arg)
{
	const struct pm_entry *e = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (e[x].start != e[y].start)
		return e[x].start < e[y].start ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Max-heap of entry indexes: the latest line on top. */
static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;

	while (i && h[(i - 1) / 2] < v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(size_t *h, size_t *n)
{
	size_t v = h[--(*n)], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] > h[c])
			c++;
		if (h[c] <= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

/* Sweeps the entry boundaries in address order, giving each piece between two
 * boundaries to the latest entry that covers it. */
static int perfmap__paint(struct perfmap *m)
{
	size_t n = m->ne, np = 0, nh = 0, j = 0;
	size_t *order = calloc(n, sizeof(*order));
	size_t *heap = calloc(n, sizeof(*heap));
	uint64_t *pts = calloc(2 * n, sizeof(*pts));
	int err = -ENOMEM;

	m->s = calloc(2 * n, sizeof(*m->s));
	if (!order || !heap || !pts || !m->s)
		goto out;
	for (size_t i = 0; i < n; i++) {
		order[i] = i;
		pts[2 * i] = m->e[i].start;
		pts[2 * i + 1] = m->e[i].end;
	}
	qsort_r(order, n, sizeof(*order), entry_start_cmp, m->e);
	qsort(pts, 2 * n, sizeof(*pts), u64_cmp);
	for (size_t i = 0; i < 2 * n; i++)
		if (!np || pts[np - 1] != pts[i])
			pts[np++] = pts[i];
	for (size_t k = 0; k + 1 < np; k++) {
		uint64_t x = pts[k];
		struct pm_seg *last = m->ns ? &m->s[m->ns - 1] : NULL;

		while (j < n && m->e[order[j]].start <= x)
			heap_push(heap, &nh, order[j++]);
		while (nh && m->e[heap[0]].end <= x)
			heap_pop(heap, &nh);
		if (!nh)
			continue;
		if (last && last->entry == heap[0] && last->end == x) {
			last->end = pts[k + 1];
			continue;
		}
		m->s[m->ns].start = x;
		m->s[m->ns].end = pts[k + 1];
		m->s[m->ns].entry = heap[0];
		m->ns++;
	}
	err = 0;
out:
	free(order);
	free(heap);
	free(pts);
	return err;
}

struct perfmap *perfmap__load(const char *path)
{
	struct perfmap *m;
	size_t cap = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	while ((len = getline(&line, &cap, f)) > 0) {
		/* an unterminated last line may still be being written */
		if (line[len - 1] != '\n')
			break;
		if (perfmap__parse(m, line) == -ENOMEM)
			goto fail;
	}
	if (ferror(f))
		goto fail;
	if (m->ne && perfmap__paint(m) < 0)
		goto fail;
	free(line);
	fclose(f);
	return m;
fail:
	free(line);
	fclose(f);
	perfmap__free(m);
	return NULL;
}

void perfmap__free(struct perfmap *m)
{
	if (!m)
		return;
	free(m->e);
	free(m->s);
	free(m->names);
	free(m);
}

bool perfmap__lookup(const struct perfmap *m, uint64_t addr, struct sym_info *info)
{
	const struct pm_entry *e;
	size_t lo = 0, hi;

	if (!m || !info)
		return false;
	hi = m->ns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->s[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= m->s[lo - 1].end)
		return false;
	e = &m->e[m->s[lo - 1].entry];
	info->name = m->names + e->dname;
	info->raw_name = m->names + e->name;
	info->file = NULL;
	info->start = e->start;
	return true;
}
