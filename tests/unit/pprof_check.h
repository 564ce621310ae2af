/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a pprof back in a unit test: a profile loaded by the project's
 * reader (pprof_file__load), its strings, mappings and functions by id,
 * and a location or a sample's labels as one line of text to compare.
 */
#ifndef HRPROF_TEST_PPROF_CHECK_H
#define HRPROF_TEST_PPROF_CHECK_H

#include <inttypes.h>
#include <stdio.h>

#include "report/report.h"

static inline const char *str(const struct pprof_file *f, int64_t i)
{
	return pprof_str(f->pr, i);
}

static inline const Perftools__Profiles__Mapping *mapping_of(const struct pprof_file *f,
							     uint64_t id)
{
	long i = pprof_id_map__find(&f->maps, id);

	return i < 0 ? NULL : f->pr->mapping[i];
}

static inline const Perftools__Profiles__Function *function_of(const struct pprof_file *f,
							       uint64_t id)
{
	long i = pprof_id_map__find(&f->fns, id);

	return i < 0 ? NULL : f->pr->function[i];
}

/* Location id as "function:line [mapping file] 0xaddress": "-" for a
 * location without lines (an address only) or without a mapping; the
 * lines of inlined calls joined by '/'. */
static inline void loc_describe(const struct pprof_file *f, uint64_t id, char *buf, size_t n)
{
	long i = pprof_id_map__find(&f->locs, id);
	const Perftools__Profiles__Location *l = i < 0 ? NULL : f->pr->location[i];
	const Perftools__Profiles__Mapping *m;
	size_t off = 0;

	if (!l) {
		snprintf(buf, n, "no location %" PRIu64, id);
		return;
	}
	m = mapping_of(f, l->mapping_id);
	for (size_t k = 0; k < l->n_line && off < n; k++) {
		const Perftools__Profiles__Function *fn = function_of(f, l->line[k]->function_id);

		off += (size_t)snprintf(buf + off, n - off, "%s%s:%" PRId64, k ? "/" : "",
					fn ? str(f, fn->name) : "?", l->line[k]->line);
	}
	if (off < n)
		snprintf(buf + off, n - off, "%s [%s] 0x%" PRIx64, l->n_line ? "" : "-",
			 l->mapping_id ? (m ? str(f, m->filename) : "?") : "-", l->address);
}

/* Sample i's labels as "key=value,...", in their order. */
static inline void labels_describe(const struct pprof_file *f, size_t i, char *buf, size_t n)
{
	const Perftools__Profiles__Sample *s = f->pr->sample[i];
	size_t off = 0;

	buf[0] = 0;
	for (size_t k = 0; k < s->n_label && off < n; k++) {
		const Perftools__Profiles__Label *l = s->label[k];

		if (l->str)
			off += (size_t)snprintf(buf + off, n - off, "%s%s=%s", k ? "," : "",
						str(f, l->key), str(f, l->str));
		else
			off += (size_t)snprintf(buf + off, n - off, "%s%s=%" PRId64, k ? "," : "",
						str(f, l->key), l->num);
	}
}

#endif
