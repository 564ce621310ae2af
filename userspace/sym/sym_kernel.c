// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols from /proc/kallsyms, module symbols included.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"
#include "base/util.h"

/* How far past the last text symbol of a module (or of a run of text with no
 * other symbol after it) an address is still taken to be in that symbol. */
#define KSYM_TAIL_MAX (64 * 1024)
#define KSYM_BARRIER  UINT32_MAX

struct ksym {
	uint64_t addr;
	uint32_t name; /* offset in names, or KSYM_BARRIER for a non-text symbol */
	uint32_t mod;  /* index in mods; 0 is vmlinux */
	uint32_t line; /* file order, to keep sorting stable */
	uint8_t score;
};

struct ksyms {
	struct ksym *v;
	size_t n;
	size_t cap;
	char *names;
	size_t nlen;
	size_t ncap;
	uint32_t *mods; /* name offsets of "[module]" strings; mods[0] unused */
	size_t nmods;
	size_t mods_cap;
};

static int ksyms__str(struct ksyms *k, const char *s, size_t len, uint32_t *off)
{
	if (k->nlen + len + 1 > UINT32_MAX)
		return -E2BIG;
	if (array__reserve(&k->names, &k->ncap, k->nlen + len + 1, 1))
		return -ENOMEM;
	memcpy(k->names + k->nlen, s, len);
	k->names[k->nlen + len] = '\0';
	*off = (uint32_t)k->nlen;
	k->nlen += len + 1;
	return 0;
}

/* Returns the index of "[mod]" (mod is the text between the brackets). */
static int ksyms__module(struct ksyms *k, const char *mod, size_t len, uint32_t *idx)
{
	char buf[256];
	int err;

	if (len + 3 > sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "[%.*s]", (int)len, mod);
	/* modules come in runs: look at the newest first */
	for (size_t i = k->nmods; i-- > 1;) {
		if (!strcmp(k->names + k->mods[i], buf)) {
			*idx = (uint32_t)i;
			return 0;
		}
	}
	/* room for the new one, and for mods[0] when it is the first */
	if (array__reserve(&k->mods, &k->mods_cap, k->nmods + 2, sizeof(*k->mods)))
		return -ENOMEM;
	if (!k->nmods)
		k->mods[k->nmods++] = 0;
	err = ksyms__str(k, buf, len + 2, &k->mods[k->nmods]);
	if (err)
		return err;
	*idx = (uint32_t)k->nmods++;
	return 0;
}

static int ksyms__add(struct ksyms *k, const struct ksym *s)
{
	if (array__reserve(&k->v, &k->cap, k->n + 1, sizeof(*k->v)))
		return -ENOMEM;
	k->v[k->n++] = *s;
	return 0;
}

static bool ksym_is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* Parses "ffffffff81000000 T _stext" or "... t name\t[module]". Returns
 * -EINVAL for a line to skip. */
static int ksyms__parse(struct ksyms *k, char *line, uint32_t lineno)
{
	struct ksym s = {.line = lineno};
	char *p = line, *name, *mod;
	size_t nlen;
	char type;
	int err;

	while (*p == ' ')
		p++;
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	s.addr = strtoull(p, &p, 16);
	if (errno || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	type = *p++;
	if (!type || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	if (!s.addr || type == 'a' || type == 'A')
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	name = p;
	nlen = strcspn(name, " \t\r\n");
	if (!nlen)
		return -EINVAL;
	p = name + nlen;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		mod = p + 1;
		p = strchr(mod, ']');
		if (!p || p == mod)
			return -EINVAL;
		err = ksyms__module(k, mod, p - mod, &s.mod);
		if (err)
			return err;
	}
	if (!ksym_is_text(type)) {
		s.name = KSYM_BARRIER;
	} else {
		err = ksyms__str(k, name, nlen, &s.name);
		if (err)
			return err;
		/* aliases at one address: globals first, then fewer leading '_' */
		s.score = (isupper((unsigned char)type) ? 8 : 0) + 4;
		for (size_t i = 0; i < 3 && name[i] == '_'; i++)
			s.score--;
	}
	return ksyms__add(k, &s);
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	bool xb = x->name == KSYM_BARRIER, yb = y->name == KSYM_BARRIER;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (xb != yb)
		return xb ? 1 : -1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	bool any_text = false;
	uint32_t lineno = 0;
	size_t cap = 0, n = 0;
	char *line = NULL;
	FILE *f;

	if (!k)
		return NULL;
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return k;
	while (getline(&line, &cap, f) > 0) {
		if (ksyms__parse(k, line, lineno++) == -ENOMEM) {
			free(line);
			fclose(f);
			ksyms__free(k);
			return NULL;
		}
	}
	free(line);
	fclose(f);
	if (!k->n)
		return k;
	qsort(k->v, k->n, sizeof(*k->v), ksym_cmp);
	/* one entry per address, and no barrier right after another */
	for (size_t i = 0; i < k->n; i++) {
		struct ksym *s = &k->v[i];

		if (n && k->v[n - 1].addr == s->addr)
			continue;
		if (n && s->name == KSYM_BARRIER && k->v[n - 1].name == KSYM_BARRIER)
			continue;
		any_text |= s->name != KSYM_BARRIER;
		k->v[n++] = *s;
	}
	k->n = any_text ? n : 0;
	return k;
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->v);
	free(k->names);
	free(k->mods);
	free(k);
}

bool ksyms__empty(const struct ksyms *k)
{
	return !k || !k->n;
}

bool ksyms__lookup(const struct ksyms *k, uint64_t addr, struct sym_info *info)
{
	const struct ksym *s;
	size_t lo = 0, hi;
	uint64_t end;

	if (!k || !info)
		return false;
	hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	s = &k->v[lo - 1];
	if (s->name == KSYM_BARRIER)
		return false;
	end = s->addr + KSYM_TAIL_MAX < s->addr ? UINT64_MAX : s->addr + KSYM_TAIL_MAX;
	if (lo < k->n && (k->v[lo].mod == s->mod || k->v[lo].addr < end))
		end = k->v[lo].addr;
	if (addr >= end)
		return false;
	info->name = k->names + s->name;
	info->raw_name = info->name;
	info->file = s->mod ? k->names + k->mods[s->mod] : NULL;
	info->start = s->addr;
	return true;
}
