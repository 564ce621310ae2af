// SPDX-License-Identifier: GPL-2.0
/*
 * The pprof profile builder and writer.
 *
 * The builder keeps its own compact records (growable arrays, indices into
 * the string table) and only builds the protobuf-c message tree in
 * pprof__encode, pointing into those arrays, so adding a sample costs no
 * allocation beyond amortized array growth. Strings and functions are
 * interned through hash tables (hashtab.h) that store index + 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/hashtab.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "base/util.h"

struct pprof_str {
	char *s;
	size_t len;
};

struct pprof_value_type {
	int64_t type;
	int64_t unit;
};

struct pprof_mapping_rec {
	uint64_t start;
	uint64_t limit;
	uint64_t offset;
	int64_t filename;
	int64_t build_id;
	bool has_functions;
	bool has_filenames;
};

struct pprof_function_rec {
	int64_t name;
	int64_t system_name;
	int64_t filename;
};

struct pprof_location_rec {
	uint64_t mapping_id;
	uint64_t address;
	size_t line_off; /* into pprof.lines */
	size_t nlines;
};

struct pprof_sample_rec {
	size_t loc_off;
	size_t nlocs;
	size_t val_off;
	size_t lab_off;
	size_t nlabels;
};

struct pprof_label_rec {
	int64_t key;
	int64_t str;
	int64_t num;
	int64_t num_unit;
};

struct pprof {
	struct pprof_str *strs;
	size_t nstrs, cap_strs;
	struct hashtab str_tab; /* string index + 1 */

	struct pprof_function_rec *fns;
	size_t nfns, cap_fns;
	struct hashtab fn_tab; /* function index (its id - 1) + 1 */

	struct pprof_value_type *sample_types;
	size_t nsample_types, cap_sample_types;
	bool has_period_type;
	struct pprof_value_type period_type;
	int64_t period;
	int64_t time_nanos;
	int64_t duration_nanos;
	int64_t *comments;
	size_t ncomments, cap_comments;

	struct pprof_mapping_rec *maps;
	size_t nmaps, cap_maps;
	struct pprof_location_rec *locs;
	size_t nlocs, cap_locs;
	struct pprof_line *lines;
	size_t nlines, cap_lines;

	struct pprof_sample_rec *samples;
	size_t nsamples, cap_samples;
	uint64_t *sample_locs;
	size_t nsample_locs, cap_sample_locs;
	int64_t *sample_vals;
	size_t nsample_vals, cap_sample_vals;
	struct pprof_label_rec *labels;
	size_t nlabels, cap_labels;
};

static int64_t pprof__str_len(struct pprof *p, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	struct hashtab_slot *slot;
	struct pprof_str *e;
	char *copy;

	if (p->nstrs >= UINT32_MAX - 1 || hashtab__reserve(&p->str_tab, 1))
		return -1;
	for (slot = hashtab__probe(&p->str_tab, h); slot->val;
	     slot = hashtab__next(&p->str_tab, slot)) {
		e = &p->strs[slot->val - 1];
		if (slot->hash == h && e->len == len && !memcmp(e->s, s, len))
			return (int64_t)slot->val - 1;
	}
	if (array__reserve(&p->strs, &p->cap_strs, p->nstrs + 1, sizeof(*p->strs)))
		return -1;
	copy = malloc(len + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	e = &p->strs[p->nstrs];
	e->s = copy;
	e->len = len;
	hashtab__fill(&p->str_tab, slot, h, ++p->nstrs);
	return (int64_t)(p->nstrs - 1);
}

/* Interns s (NULL counts as ""); index 0 is always "". */
int64_t pprof__str(struct pprof *p, const char *s)
{
	if (!s || !*s)
		return 0;
	return pprof__str_len(p, s, strlen(s));
}

struct pprof *pprof__new(void)
{
	struct pprof *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	/* string_table[0] must be "", and pprof__str short-cuts "" to 0 */
	if (pprof__str_len(p, "", 0) != 0) {
		pprof__free(p);
		return NULL;
	}
	return p;
}

void pprof__free(struct pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i].s);
	free(p->strs);
	hashtab__free(&p->str_tab);
	free(p->fns);
	hashtab__free(&p->fn_tab);
	free(p->sample_types);
	free(p->comments);
	free(p->maps);
	free(p->locs);
	free(p->lines);
	free(p->samples);
	free(p->sample_locs);
	free(p->sample_vals);
	free(p->labels);
	free(p);
}

/* Sample types cannot change once samples exist: each sample has one value
 * per type. */
int pprof__add_sample_type(struct pprof *p, const char *type, const char *unit)
{
	int64_t t, u;

	if (p->nsamples)
		return -EBUSY;
	t = pprof__str(p, type);
	u = pprof__str(p, unit);
	if (t < 0 || u < 0)
		return -ENOMEM;
	if (array__reserve(&p->sample_types, &p->cap_sample_types, p->nsample_types + 1,
			   sizeof(*p->sample_types)))
		return -ENOMEM;
	p->sample_types[p->nsample_types].type = t;
	p->sample_types[p->nsample_types].unit = u;
	p->nsample_types++;
	return 0;
}

int pprof__set_period(struct pprof *p, const char *type, const char *unit, int64_t period)
{
	int64_t t = pprof__str(p, type), u = pprof__str(p, unit);

	if (t < 0 || u < 0)
		return -ENOMEM;
	p->period_type.type = t;
	p->period_type.unit = u;
	p->has_period_type = true;
	p->period = period;
	return 0;
}

void pprof__set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

int pprof__add_comment(struct pprof *p, const char *comment)
{
	int64_t c = pprof__str(p, comment);

	if (c < 0)
		return -ENOMEM;
	if (array__reserve(&p->comments, &p->cap_comments, p->ncomments + 1, sizeof(*p->comments)))
		return -ENOMEM;
	p->comments[p->ncomments++] = c;
	return 0;
}

uint64_t pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
			const char *filename, const char *build_id, bool has_functions,
			bool has_filenames)
{
	int64_t f = pprof__str(p, filename), b = pprof__str(p, build_id);
	struct pprof_mapping_rec *m;

	if (f < 0 || b < 0)
		return 0;
	if (array__reserve(&p->maps, &p->cap_maps, p->nmaps + 1, sizeof(*p->maps)))
		return 0;
	m = &p->maps[p->nmaps++];
	m->start = start;
	m->limit = limit;
	m->offset = offset;
	m->filename = f;
	m->build_id = b;
	m->has_functions = has_functions;
	m->has_filenames = has_filenames;
	return p->nmaps;
}

/* A NULL system_name is the name itself (as Go's runtime writes them). */
uint64_t pprof__function(struct pprof *p, const char *name, const char *system_name,
			 const char *filename)
{
	int64_t n = pprof__str(p, name), s = pprof__str(p, system_name ? system_name : name);
	int64_t f = pprof__str(p, filename);
	struct pprof_function_rec *e;
	struct hashtab_slot *slot;
	int64_t key[3] = {n, s, f};
	uint64_t h;

	if (n < 0 || s < 0 || f < 0)
		return 0;
	h = hash_bytes(key, sizeof(key));
	if (hashtab__reserve(&p->fn_tab, 1))
		return 0;
	for (slot = hashtab__probe(&p->fn_tab, h); slot->val;
	     slot = hashtab__next(&p->fn_tab, slot)) {
		e = &p->fns[slot->val - 1];
		if (e->name == n && e->system_name == s && e->filename == f)
			return slot->val;
	}
	if (array__reserve(&p->fns, &p->cap_fns, p->nfns + 1, sizeof(*p->fns)))
		return 0;
	e = &p->fns[p->nfns];
	e->name = n;
	e->system_name = s;
	e->filename = f;
	hashtab__fill(&p->fn_tab, slot, h, ++p->nfns);
	return p->nfns;
}

/* A mapping or function id that was never returned is a caller bug; it also
 * gives 0 rather than an unresolvable reference in the encoded profile. */
uint64_t pprof__location_lines(struct pprof *p, uint64_t mapping_id, uint64_t address,
			       const struct pprof_line *lines, size_t nlines)
{
	struct pprof_location_rec *l;

	if (mapping_id > p->nmaps || (nlines && !lines) || nlines > SIZE_MAX - p->nlines)
		return 0;
	for (size_t i = 0; i < nlines; i++)
		if (!lines[i].function_id || lines[i].function_id > p->nfns)
			return 0;
	if (array__reserve(&p->locs, &p->cap_locs, p->nlocs + 1, sizeof(*p->locs)) ||
	    array__reserve(&p->lines, &p->cap_lines, p->nlines + nlines, sizeof(*p->lines)))
		return 0;
	l = &p->locs[p->nlocs++];
	l->mapping_id = mapping_id;
	l->address = address;
	l->line_off = p->nlines;
	l->nlines = nlines;
	if (nlines)
		memcpy(p->lines + p->nlines, lines, nlines * sizeof(*lines));
	p->nlines += nlines;
	return p->nlocs;
}

uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address,
			 uint64_t function_id)
{
	struct pprof_line line = {function_id, 0};

	if (function_id > p->nfns)
		return 0;
	return pprof__location_lines(p, mapping_id, address, &line, function_id ? 1 : 0);
}

const char *pprof__location_name(const struct pprof *p, uint64_t loc_id)
{
	const struct pprof_location_rec *l;
	uint64_t fn;

	if (!loc_id || loc_id > p->nlocs)
		return "?";
	l = &p->locs[loc_id - 1];
	if (!l->nlines)
		return "?";
	fn = p->lines[l->line_off].function_id;
	return p->strs[p->fns[fn - 1].name].s;
}

/* Records a sample: -EINVAL for an unknown location id, a label without a key,
 * or no sample types yet; -ENOMEM leaves the profile as it was. */
int pprof__sample(struct pprof *p, const uint64_t *locs, size_t nlocs, const int64_t *values,
		  const struct pprof_label *labels, size_t nlabels)
{
	size_t nvals = p->nsample_types;
	struct pprof_sample_rec *s;

	if (!nvals || !values || (nlocs && !locs) || (nlabels && !labels))
		return -EINVAL;
	for (size_t i = 0; i < nlocs; i++)
		if (!locs[i] || locs[i] > p->nlocs)
			return -EINVAL;
	for (size_t i = 0; i < nlabels; i++)
		if (!labels[i].key)
			return -EINVAL;
	if (nlocs > SIZE_MAX - p->nsample_locs || nlabels > SIZE_MAX - p->nlabels)
		return -ENOMEM;
	if (array__reserve(&p->samples, &p->cap_samples, p->nsamples + 1, sizeof(*p->samples)) ||
	    array__reserve(&p->sample_locs, &p->cap_sample_locs, p->nsample_locs + nlocs,
			   sizeof(*p->sample_locs)) ||
	    array__reserve(&p->sample_vals, &p->cap_sample_vals, p->nsample_vals + nvals,
			   sizeof(*p->sample_vals)) ||
	    array__reserve(&p->labels, &p->cap_labels, p->nlabels + nlabels, sizeof(*p->labels)))
		return -ENOMEM;
	for (size_t i = 0; i < nlabels; i++) {
		struct pprof_label_rec *l = &p->labels[p->nlabels + i];

		l->key = pprof__str(p, labels[i].key);
		l->str = labels[i].str ? pprof__str(p, labels[i].str) : 0;
		l->num = labels[i].str ? 0 : labels[i].num;
		l->num_unit = labels[i].str ? 0 : pprof__str(p, labels[i].num_unit);
		if (l->key < 0 || l->str < 0 || l->num_unit < 0)
			return -ENOMEM;
	}
	s = &p->samples[p->nsamples++];
	s->loc_off = p->nsample_locs;
	s->nlocs = nlocs;
	s->val_off = p->nsample_vals;
	s->lab_off = p->nlabels;
	s->nlabels = nlabels;
	if (nlocs)
		memcpy(p->sample_locs + p->nsample_locs, locs, nlocs * sizeof(*locs));
	memcpy(p->sample_vals + p->nsample_vals, values, nvals * sizeof(*values));
	p->nsample_locs += nlocs;
	p->nsample_vals += nvals;
	p->nlabels += nlabels;
	return 0;
}

/* The protobuf-c message tree for one encode: flat arrays of messages plus the
 * pointer arrays protobuf-c wants. Scalars point into the builder. */
struct pprof_msgs {
	char **strtab;
	Perftools__Profiles__ValueType *vt, **vtp, period_type;
	Perftools__Profiles__Mapping *map, **mapp;
	Perftools__Profiles__Function *fn, **fnp;
	Perftools__Profiles__Location *loc, **locp;
	Perftools__Profiles__Line *line, **linep;
	Perftools__Profiles__Sample *smp, **smpp;
	Perftools__Profiles__Label *lab, **labp;
};

static void pprof_msgs__free(struct pprof_msgs *m)
{
	free(m->strtab);
	free(m->vt);
	free(m->vtp);
	free(m->map);
	free(m->mapp);
	free(m->fn);
	free(m->fnp);
	free(m->loc);
	free(m->locp);
	free(m->line);
	free(m->linep);
	free(m->smp);
	free(m->smpp);
	free(m->lab);
	free(m->labp);
}

/* calloc that never returns NULL for zero elements, so NULL means OOM. */
static void *xcalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int pprof_msgs__alloc(struct pprof_msgs *m, const struct pprof *p)
{
	m->strtab = xcalloc(p->nstrs, sizeof(*m->strtab));
	m->vt = xcalloc(p->nsample_types, sizeof(*m->vt));
	m->vtp = xcalloc(p->nsample_types, sizeof(*m->vtp));
	m->map = xcalloc(p->nmaps, sizeof(*m->map));
	m->mapp = xcalloc(p->nmaps, sizeof(*m->mapp));
	m->fn = xcalloc(p->nfns, sizeof(*m->fn));
	m->fnp = xcalloc(p->nfns, sizeof(*m->fnp));
	m->loc = xcalloc(p->nlocs, sizeof(*m->loc));
	m->locp = xcalloc(p->nlocs, sizeof(*m->locp));
	m->line = xcalloc(p->nlines, sizeof(*m->line));
	m->linep = xcalloc(p->nlines, sizeof(*m->linep));
	m->smp = xcalloc(p->nsamples, sizeof(*m->smp));
	m->smpp = xcalloc(p->nsamples, sizeof(*m->smpp));
	m->lab = xcalloc(p->nlabels, sizeof(*m->lab));
	m->labp = xcalloc(p->nlabels, sizeof(*m->labp));
	if (!m->strtab || !m->vt || !m->vtp || !m->map || !m->mapp || !m->fn || !m->fnp ||
	    !m->loc || !m->locp || !m->line || !m->linep || !m->smp || !m->smpp || !m->lab ||
	    !m->labp)
		return -ENOMEM;
	return 0;
}

/* Fills the message tree in m from the builder's records. */
static void pprof_msgs__fill(struct pprof_msgs *m, const struct pprof *p,
			     Perftools__Profiles__Profile *prof)
{
	for (size_t i = 0; i < p->nstrs; i++)
		m->strtab[i] = p->strs[i].s;
	prof->n_string_table = p->nstrs;
	prof->string_table = m->strtab;

	for (size_t i = 0; i < p->nsample_types; i++) {
		perftools__profiles__value_type__init(&m->vt[i]);
		m->vt[i].type = p->sample_types[i].type;
		m->vt[i].unit = p->sample_types[i].unit;
		m->vtp[i] = &m->vt[i];
	}
	prof->n_sample_type = p->nsample_types;
	prof->sample_type = m->vtp;

	perftools__profiles__value_type__init(&m->period_type);
	if (p->has_period_type) {
		m->period_type.type = p->period_type.type;
		m->period_type.unit = p->period_type.unit;
		prof->period_type = &m->period_type;
	} else if (p->nsample_types) {
		m->period_type.type = p->sample_types[0].type;
		m->period_type.unit = p->sample_types[0].unit;
		prof->period_type = &m->period_type;
	}
	prof->period = p->period;
	prof->time_nanos = p->time_nanos;
	prof->duration_nanos = p->duration_nanos;
	prof->n_comment = p->ncomments;
	prof->comment = p->comments;

	for (size_t i = 0; i < p->nmaps; i++) {
		const struct pprof_mapping_rec *r = &p->maps[i];
		Perftools__Profiles__Mapping *mp = &m->map[i];

		perftools__profiles__mapping__init(mp);
		mp->id = i + 1;
		mp->memory_start = r->start;
		mp->memory_limit = r->limit;
		mp->file_offset = r->offset;
		mp->filename = r->filename;
		mp->build_id = r->build_id;
		mp->has_functions = r->has_functions;
		mp->has_filenames = r->has_filenames;
		m->mapp[i] = mp;
	}
	prof->n_mapping = p->nmaps;
	prof->mapping = m->mapp;

	for (size_t i = 0; i < p->nfns; i++) {
		Perftools__Profiles__Function *f = &m->fn[i];

		perftools__profiles__function__init(f);
		f->id = i + 1;
		f->name = p->fns[i].name;
		f->system_name = p->fns[i].system_name;
		f->filename = p->fns[i].filename;
		m->fnp[i] = f;
	}
	prof->n_function = p->nfns;
	prof->function = m->fnp;

	for (size_t i = 0; i < p->nlocs; i++) {
		const struct pprof_location_rec *r = &p->locs[i];
		Perftools__Profiles__Location *l = &m->loc[i];

		perftools__profiles__location__init(l);
		l->id = i + 1;
		l->mapping_id = r->mapping_id;
		l->address = r->address;
		for (size_t j = r->line_off; j < r->line_off + r->nlines; j++) {
			perftools__profiles__line__init(&m->line[j]);
			m->line[j].function_id = p->lines[j].function_id;
			m->line[j].line = p->lines[j].line;
			m->linep[j] = &m->line[j];
		}
		l->n_line = r->nlines;
		l->line = r->nlines ? &m->linep[r->line_off] : NULL;
		m->locp[i] = l;
	}
	prof->n_location = p->nlocs;
	prof->location = m->locp;

	for (size_t i = 0; i < p->nlabels; i++) {
		perftools__profiles__label__init(&m->lab[i]);
		m->lab[i].key = p->labels[i].key;
		m->lab[i].str = p->labels[i].str;
		m->lab[i].num = p->labels[i].num;
		m->lab[i].num_unit = p->labels[i].num_unit;
		m->labp[i] = &m->lab[i];
	}
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct pprof_sample_rec *r = &p->samples[i];
		Perftools__Profiles__Sample *s = &m->smp[i];

		perftools__profiles__sample__init(s);
		s->n_location_id = r->nlocs;
		s->location_id = p->sample_locs + r->loc_off;
		s->n_value = p->nsample_types;
		s->value = p->sample_vals + r->val_off;
		s->n_label = r->nlabels;
		s->label = m->labp + r->lab_off;
		m->smpp[i] = s;
	}
	prof->n_sample = p->nsamples;
	prof->sample = m->smpp;
}

int pprof__encode(struct pprof *p, uint8_t **buf, size_t *len)
{
	Perftools__Profiles__Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct pprof_msgs m = {0};
	uint8_t *out;
	size_t size;
	int err;

	err = pprof_msgs__alloc(&m, p);
	if (err)
		goto out;
	pprof_msgs__fill(&m, p, &prof);
	size = perftools__profiles__profile__get_packed_size(&prof);
	out = malloc(size ? size : 1);
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	*len = perftools__profiles__profile__pack(&prof, out);
	*buf = out;
out:
	pprof_msgs__free(&m);
	return err;
}

struct gzip_job {
	const uint8_t *buf;
	size_t len;
};

static int gzip_fill(int fd, void *arg)
{
	struct gzip_job *j = arg;

	return gzip_write_fd(fd, j->buf, j->len);
}

/* Encodes and compresses p into path, whole or not at all (a profile is an
 * ordinary file: 0644). Returns -errno. */
int pprof__write_file(struct pprof *p, const char *path)
{
	struct gzip_job j = {0};
	uint8_t *buf = NULL;
	int err;

	err = pprof__encode(p, &buf, &j.len);
	if (err)
		return err;
	j.buf = buf;
	err = file_write_atomic(path, 0644, gzip_fill, &j);
	free(buf);
	return err;
}
