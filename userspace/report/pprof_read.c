// SPDX-License-Identifier: GPL-2.0
/* Reading and checking pprof files (see pprof_read.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof_read.h"

struct read_buf {
	uint8_t *data;
	size_t len;
};

static void why__set(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void why__set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* Reads the whole file, at most PPROF_READ_MAX bytes. */
static int file__read(const char *path, struct read_buf *b, char *why, size_t whylen)
{
	size_t cap = 64 * 1024;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1 < PPROF_READ_MAX + 1 ? (size_t)st.st_size + 1
								  : PPROF_READ_MAX + 1;
	b->data = malloc(cap);
	if (!b->data) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (b->len == cap) {
			uint8_t *nd;

			if (cap > PPROF_READ_MAX) {
				why__set(why, whylen, "file larger than %zu MiB",
					 PPROF_READ_MAX >> 20);
				err = -EFBIG;
				goto out;
			}
			cap = cap * 2 > PPROF_READ_MAX + 1 ? PPROF_READ_MAX + 1 : cap * 2;
			nd = realloc(b->data, cap);
			if (!nd) {
				err = -ENOMEM;
				goto out;
			}
			b->data = nd;
		}
		n = read(fd, b->data + b->len, cap - b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (b->len > PPROF_READ_MAX) {
		why__set(why, whylen, "file larger than %zu MiB", PPROF_READ_MAX >> 20);
		err = -EFBIG;
	}
out:
	close(fd);
	return err;
}

static bool is_gzip(const struct read_buf *b)
{
	return b->len >= 2 && b->data[0] == 0x1f && b->data[1] == 0x8b;
}

/* Decompresses gzip (several members allowed, as `cat a.gz b.gz`) into out,
 * at most PPROF_READ_MAX bytes. */
static int gunzip(const struct read_buf *in, struct read_buf *out, char *why, size_t whylen)
{
	size_t cap = in->len < ((size_t)16 << 20) ? in->len * 4 + 4096 : (size_t)64 << 20;
	z_stream zs = {0};
	int ret, err = 0;

	out->data = malloc(cap);
	if (!out->data)
		return -ENOMEM;
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -ENOMEM;
	zs.next_in = in->data;
	zs.avail_in = (uInt)in->len; /* in->len <= PPROF_READ_MAX < 4 GiB */
	zs.next_out = out->data;
	zs.avail_out = (uInt)cap;
	for (;;) {
		if (zs.avail_out == 0) {
			size_t have = (size_t)(zs.next_out - out->data);
			uint8_t *nd;

			if (cap >= PPROF_READ_MAX) {
				why__set(why, whylen, "decompressed size exceeds %zu MiB",
					 PPROF_READ_MAX >> 20);
				err = -EFBIG;
				break;
			}
			cap = cap * 2 > PPROF_READ_MAX ? PPROF_READ_MAX : cap * 2;
			nd = realloc(out->data, cap);
			if (!nd) {
				err = -ENOMEM;
				break;
			}
			out->data = nd;
			zs.next_out = nd + have;
			zs.avail_out = (uInt)(cap - have);
		}
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_OK)
			continue;
		if (ret == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			why__set(why, whylen, "trailing garbage after gzip data");
			err = -EINVAL;
			break;
		}
		if (ret == Z_BUF_ERROR && zs.avail_out == 0)
			continue;
		if (ret == Z_BUF_ERROR) {
			why__set(why, whylen, "truncated gzip data");
		} else if (ret == Z_MEM_ERROR) {
			err = -ENOMEM;
			break;
		} else {
			why__set(why, whylen, "corrupt gzip data: %s",
				 zs.msg ? zs.msg : "inflate failed");
		}
		err = -EINVAL;
		break;
	}
	out->len = (size_t)(zs.next_out - out->data);
	inflateEnd(&zs);
	return err;
}

static int id_ent__cmp(const void *a, const void *b)
{
	const struct pprof_id_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts the (id, index) pairs; ids must be non-zero and unique. */
static int id_map__finish(struct pprof_id_map *m, const char *what, char *why, size_t whylen)
{
	qsort(m->e, m->n, sizeof(*m->e), id_ent__cmp);
	for (size_t i = 0; i < m->n; i++) {
		if (!m->e[i].id) {
			why__set(why, whylen, "%s with id 0", what);
			return -EINVAL;
		}
		if (i && m->e[i].id == m->e[i - 1].id) {
			why__set(why, whylen, "duplicate %s id %" PRIu64, what, m->e[i].id);
			return -EINVAL;
		}
	}
	return 0;
}

static int id_map__alloc(struct pprof_id_map *m, size_t n)
{
	m->e = calloc(n ? n : 1, sizeof(*m->e));
	m->n = n;
	return m->e ? 0 : -ENOMEM;
}

/* Returns the index for id, or -1. Ids 1..n in order are found directly. */
long pprof_id_map__find(const struct pprof_id_map *m, uint64_t id)
{
	size_t lo = 0, hi = m->n;

	if (id && id <= m->n && m->e[id - 1].id == id)
		return (long)m->e[id - 1].idx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].id == id)
			return (long)m->e[mid].idx;
		if (m->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool str_ok(const profile_t *pr, int64_t i)
{
	return i >= 0 && (uint64_t)i < pr->n_string_table;
}

const char *pprof_str(const profile_t *pr, int64_t i)
{
	const char *s = str_ok(pr, i) ? pr->string_table[i] : NULL;

	return s ? s : "";
}

#define CHECK_STR(i, ...)                                                                          \
	do {                                                                                       \
		if (!str_ok(pr, (i))) {                                                            \
			char where_[128];                                                          \
			snprintf(where_, sizeof(where_), __VA_ARGS__);                             \
			why__set(why, whylen,                                                      \
				 "string index %" PRId64 " out of range (%zu strings) in %s",      \
				 (int64_t)(i), pr->n_string_table, where_);                        \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

/* Checks the rules of profile.proto: string_table[0] == "", string indices in
 * range, ids unique and non-zero, references resolve, one value per type. */
static int pprof_file__check(struct pprof_file *r, char *why, size_t whylen)
{
	const profile_t *pr = r->pr;
	int err;

	if (!pr->n_string_table || !pr->string_table[0] || pr->string_table[0][0]) {
		why__set(why, whylen, "string table does not start with \"\"");
		return -EINVAL;
	}
	if (!pr->n_sample_type) {
		why__set(why, whylen, "no sample types");
		return -EINVAL;
	}
	for (size_t i = 0; i < pr->n_sample_type; i++) {
		CHECK_STR(pr->sample_type[i]->type, "sample type %zu", i);
		CHECK_STR(pr->sample_type[i]->unit, "sample type %zu", i);
	}
	if (pr->period_type) {
		CHECK_STR(pr->period_type->type, "period type");
		CHECK_STR(pr->period_type->unit, "period type");
	}
	for (size_t i = 0; i < pr->n_comment; i++)
		CHECK_STR(pr->comment[i], "comment %zu", i);
	CHECK_STR(pr->drop_frames, "drop_frames");
	CHECK_STR(pr->keep_frames, "keep_frames");
	CHECK_STR(pr->default_sample_type, "default_sample_type");
	CHECK_STR(pr->doc_url, "doc_url");

	if ((err = id_map__alloc(&r->maps, pr->n_mapping)) ||
	    (err = id_map__alloc(&r->locs, pr->n_location)) ||
	    (err = id_map__alloc(&r->fns, pr->n_function)))
		return err;
	for (size_t i = 0; i < pr->n_mapping; i++) {
		const Perftools__Profiles__Mapping *m = pr->mapping[i];

		CHECK_STR(m->filename, "mapping %" PRIu64, m->id);
		CHECK_STR(m->build_id, "mapping %" PRIu64, m->id);
		r->maps.e[i] = (struct pprof_id_ent){m->id, i};
	}
	for (size_t i = 0; i < pr->n_function; i++) {
		const Perftools__Profiles__Function *f = pr->function[i];

		CHECK_STR(f->name, "function %" PRIu64, f->id);
		CHECK_STR(f->system_name, "function %" PRIu64, f->id);
		CHECK_STR(f->filename, "function %" PRIu64, f->id);
		r->fns.e[i] = (struct pprof_id_ent){f->id, i};
	}
	for (size_t i = 0; i < pr->n_location; i++)
		r->locs.e[i] = (struct pprof_id_ent){pr->location[i]->id, i};
	if ((err = id_map__finish(&r->maps, "mapping", why, whylen)) ||
	    (err = id_map__finish(&r->fns, "function", why, whylen)) ||
	    (err = id_map__finish(&r->locs, "location", why, whylen)))
		return err;

	for (size_t i = 0; i < pr->n_location; i++) {
		const Perftools__Profiles__Location *l = pr->location[i];

		if (l->mapping_id && pprof_id_map__find(&r->maps, l->mapping_id) < 0) {
			why__set(why, whylen,
				 "location %" PRIu64 " refers to missing mapping %" PRIu64, l->id,
				 l->mapping_id);
			return -EINVAL;
		}
		for (size_t j = 0; j < l->n_line; j++) {
			uint64_t fid = l->line[j]->function_id;

			if (fid && pprof_id_map__find(&r->fns, fid) < 0) {
				why__set(why, whylen,
					 "location %" PRIu64 " refers to missing function %" PRIu64,
					 l->id, fid);
				return -EINVAL;
			}
		}
	}
	for (size_t i = 0; i < pr->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->sample[i];

		if (s->n_value != pr->n_sample_type) {
			why__set(why, whylen, "sample %zu has %zu values for %zu sample types", i,
				 s->n_value, pr->n_sample_type);
			return -EINVAL;
		}
		for (size_t j = 0; j < s->n_location_id; j++) {
			if (pprof_id_map__find(&r->locs, s->location_id[j]) < 0) {
				why__set(why, whylen,
					 "sample %zu refers to missing location %" PRIu64, i,
					 s->location_id[j]);
				return -EINVAL;
			}
		}
		for (size_t j = 0; j < s->n_label; j++) {
			const Perftools__Profiles__Label *l = s->label[j];

			CHECK_STR(l->key, "sample %zu label", i);
			CHECK_STR(l->str, "sample %zu label", i);
			CHECK_STR(l->num_unit, "sample %zu label", i);
		}
	}
	return 0;
}

/* Replaces control bytes in every string with '?', so that nothing printed
 * from the file (names, types, units) can drive the terminal. */
static void pprof_file__sanitize(const profile_t *pr)
{
	for (size_t i = 0; i < pr->n_string_table; i++)
		for (char *c = pr->string_table[i]; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
}

int pprof_file__load(struct pprof_file *f, const char *path, char *why, size_t whylen)
{
	struct read_buf raw = {0}, unz = {0};
	const struct read_buf *data = &raw;
	int err;

	memset(f, 0, sizeof(*f));
	err = file__read(path, &raw, why, whylen);
	if (!err && is_gzip(&raw)) {
		err = gunzip(&raw, &unz, why, whylen);
		free(raw.data);
		raw.data = NULL;
		data = &unz;
	}
	if (!err) {
		f->pr = perftools__profiles__profile__unpack(NULL, data->len, data->data);
		if (!f->pr) {
			why__set(why, whylen, "not a pprof profile (protobuf decoding failed)");
			err = -EINVAL;
		}
	}
	free(raw.data);
	free(unz.data);
	if (!err)
		err = pprof_file__check(f, why, whylen);
	if (!err)
		pprof_file__sanitize(f->pr);
	else
		pprof_file__free(f); /* nothing is kept of a file refused */
	return err;
}

void pprof_file__free(struct pprof_file *f)
{
	free(f->maps.e);
	free(f->locs.e);
	free(f->fns.e);
	if (f->pr)
		perftools__profiles__profile__free_unpacked(f->pr, NULL);
	memset(f, 0, sizeof(*f));
}

int pprof_file__frames(const struct pprof_file *f, pprof_name_id_fn name_id, void *arg,
		       size_t **loc_frame, size_t **frames)
{
	const profile_t *pr = f->pr;
	size_t nframes = 0, *fn_id, *lf, *fr = NULL;
	char name[4200];
	int err = 0;

	fn_id = calloc(pr->n_function ? pr->n_function : 1, sizeof(*fn_id));
	lf = calloc(pr->n_location + 1, sizeof(*lf));
	if (!fn_id || !lf) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pr->n_function; i++) {
		long id = name_id(arg, pprof_str(pr, pr->function[i]->name), false);

		if (id < 0) {
			err = (int)id;
			goto out;
		}
		fn_id[i] = (size_t)id;
	}
	for (size_t i = 0; i < pr->n_location; i++) {
		lf[i] = nframes;
		nframes += pr->location[i]->n_line ? pr->location[i]->n_line : 1;
	}
	lf[pr->n_location] = nframes;
	fr = calloc(nframes ? nframes : 1, sizeof(*fr));
	if (!fr) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < pr->n_location; i++) {
		const Perftools__Profiles__Location *l = pr->location[i];

		for (size_t j = 0; j < (l->n_line ? l->n_line : 1); j++) {
			uint64_t fid = l->n_line ? l->line[j]->function_id : 0;
			const char *file = "";
			long id, mi;

			if (fid) {
				fr[lf[i] + j] = fn_id[pprof_id_map__find(&f->fns, fid)];
				continue;
			}
			if (l->mapping_id &&
			    (mi = pprof_id_map__find(&f->maps, l->mapping_id)) >= 0) {
				file = pprof_str(pr, pr->mapping[mi]->filename);
				if (strrchr(file, '/'))
					file = strrchr(file, '/') + 1;
			}
			snprintf(name, sizeof(name), "0x%" PRIx64 "%s%.4096s%s", l->address,
				 *file ? " [" : "", file, *file ? "]" : "");
			id = name_id(arg, name, true);
			if (id < 0) {
				err = (int)id;
				goto out;
			}
			fr[lf[i] + j] = (size_t)id;
		}
	}
out:
	free(fn_id);
	if (err) {
		free(lf);
		free(fr);
		lf = fr = NULL;
	}
	*loc_frame = lf;
	*frames = fr;
	return err;
}
