// SPDX-License-Identifier: GPL-2.0
/*
 * `hrprof report [-n N] [--sample_index NAME|IDX] FILE...`
 *
 * Reads pprof files (gzip-compressed or raw protobuf; ours or Go's), checks
 * every reference in them, and prints a summary and the top functions by flat
 * and by cumulative value, with the columns of `go tool pprof -top`. Input is
 * untrusted: sizes are bounded and a malformed file gives one error line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof.h"
#include "report.h"
#include "profile.pb-c.h"
#include "util.h"

#define REPORT_MAX_SIZE	   ((size_t)512 << 20) /* raw file or decompressed */
#define REPORT_NAME_MAX	   100		       /* longer names are cut, "..." added */
#define REPORT_DEFAULT_TOP 20

typedef Perftools__Profiles__Profile profile_t;

struct report_buf {
	uint8_t *data;
	size_t len;
};

struct id_ent {
	uint64_t id;
	size_t idx;
};

/* id -> array index for mappings, locations or functions. */
struct id_map {
	struct id_ent *e;
	size_t n;
};

struct report_node {
	const char *name;
	char *owned; /* name, when made up here (addresses) */
	uint64_t hash;
	int64_t flat;
	int64_t cum;
	size_t stamp; /* last sample (+1) counted in cum */
};

struct report {
	const profile_t *pr;
	struct id_map maps, locs, fns;
	struct report_node *nodes;
	size_t nnodes, cap_nodes;
	size_t *slots; /* node index + 1, by name */
	size_t nslots;
	size_t *fn_node;   /* function index -> node */
	size_t *loc_frame; /* location index -> first of its frames in frames[] */
	size_t *frames;	   /* node per frame, innermost first */
	size_t nframes;
	size_t si;	   /* sample type shown */
	long count_si;	   /* a sample type counted in "count", or -1 */
	int64_t total;	   /* sum of |value| over samples: the base for percentages */
	int64_t lost;	   /* value of samples with a "[lost]" leaf */
	int64_t lost_cnt;  /* the same in the count type */
	int64_t total_cnt; /* all samples, in the count type */
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

/* Saturating signed add: malformed input must not overflow (UBSan). */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static int64_t sat_abs(int64_t v)
{
	return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

/* Reads the whole file, at most REPORT_MAX_SIZE bytes. */
static int file__read(const char *path, struct report_buf *b, char *why, size_t whylen)
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
		cap = (size_t)st.st_size + 1 < REPORT_MAX_SIZE + 1 ? (size_t)st.st_size + 1
								   : REPORT_MAX_SIZE + 1;
	b->data = malloc(cap);
	if (!b->data) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (b->len == cap) {
			uint8_t *nd;

			if (cap > REPORT_MAX_SIZE) {
				why__set(why, whylen, "file larger than %zu MiB",
					 REPORT_MAX_SIZE >> 20);
				err = -EFBIG;
				goto out;
			}
			cap = cap * 2 > REPORT_MAX_SIZE + 1 ? REPORT_MAX_SIZE + 1 : cap * 2;
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
	if (b->len > REPORT_MAX_SIZE) {
		why__set(why, whylen, "file larger than %zu MiB", REPORT_MAX_SIZE >> 20);
		err = -EFBIG;
	}
out:
	close(fd);
	return err;
}

static bool is_gzip(const struct report_buf *b)
{
	return b->len >= 2 && b->data[0] == 0x1f && b->data[1] == 0x8b;
}

/* Decompresses gzip (several members allowed, as `cat a.gz b.gz`) into out,
 * at most REPORT_MAX_SIZE bytes. */
static int gunzip(const struct report_buf *in, struct report_buf *out, char *why, size_t whylen)
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
	zs.avail_in = (uInt)in->len; /* in->len <= REPORT_MAX_SIZE < 4 GiB */
	zs.next_out = out->data;
	zs.avail_out = (uInt)cap;
	for (;;) {
		if (zs.avail_out == 0) {
			size_t have = (size_t)(zs.next_out - out->data);
			uint8_t *nd;

			if (cap >= REPORT_MAX_SIZE) {
				why__set(why, whylen, "decompressed size exceeds %zu MiB",
					 REPORT_MAX_SIZE >> 20);
				err = -EFBIG;
				break;
			}
			cap = cap * 2 > REPORT_MAX_SIZE ? REPORT_MAX_SIZE : cap * 2;
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
	const struct id_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts the (id, index) pairs; ids must be non-zero and unique. */
static int id_map__finish(struct id_map *m, const char *what, char *why, size_t whylen)
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

static int id_map__alloc(struct id_map *m, size_t n)
{
	m->e = calloc(n ? n : 1, sizeof(*m->e));
	m->n = n;
	return m->e ? 0 : -ENOMEM;
}

/* Returns the index for id, or -1. Ids 1..n in order are found directly. */
static long id_map__find(const struct id_map *m, uint64_t id)
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

static const char *str_get(const profile_t *pr, int64_t i)
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
static int report__check(struct report *r, char *why, size_t whylen)
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
		r->maps.e[i] = (struct id_ent){m->id, i};
	}
	for (size_t i = 0; i < pr->n_function; i++) {
		const Perftools__Profiles__Function *f = pr->function[i];

		CHECK_STR(f->name, "function %" PRIu64, f->id);
		CHECK_STR(f->system_name, "function %" PRIu64, f->id);
		CHECK_STR(f->filename, "function %" PRIu64, f->id);
		r->fns.e[i] = (struct id_ent){f->id, i};
	}
	for (size_t i = 0; i < pr->n_location; i++)
		r->locs.e[i] = (struct id_ent){pr->location[i]->id, i};
	if ((err = id_map__finish(&r->maps, "mapping", why, whylen)) ||
	    (err = id_map__finish(&r->fns, "function", why, whylen)) ||
	    (err = id_map__finish(&r->locs, "location", why, whylen)))
		return err;

	for (size_t i = 0; i < pr->n_location; i++) {
		const Perftools__Profiles__Location *l = pr->location[i];

		if (l->mapping_id && id_map__find(&r->maps, l->mapping_id) < 0) {
			why__set(why, whylen,
				 "location %" PRIu64 " refers to missing mapping %" PRIu64, l->id,
				 l->mapping_id);
			return -EINVAL;
		}
		for (size_t j = 0; j < l->n_line; j++) {
			uint64_t fid = l->line[j]->function_id;

			if (fid && id_map__find(&r->fns, fid) < 0) {
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
			if (id_map__find(&r->locs, s->location_id[j]) < 0) {
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
static void report__sanitize(const profile_t *pr)
{
	for (size_t i = 0; i < pr->n_string_table; i++)
		for (char *c = pr->string_table[i]; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
}

/* Picks the sample type shown: by name, else by index; by default the first
 * in nanoseconds, else the first. */
static int report__pick(struct report *r, const char *want, char *why, size_t whylen)
{
	const profile_t *pr = r->pr;
	size_t n = pr->n_sample_type;

	r->si = 0;
	r->count_si = -1;
	for (size_t i = 0; i < n; i++) {
		if (r->count_si < 0 && !strcmp(str_get(pr, pr->sample_type[i]->unit), "count"))
			r->count_si = (long)i;
	}
	if (!want) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(str_get(pr, pr->sample_type[i]->unit), "nanoseconds")) {
				r->si = i;
				break;
			}
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(str_get(pr, pr->sample_type[i]->type), want)) {
			r->si = i;
			return 0;
		}
	}
	if (*want && strspn(want, "0123456789") == strlen(want) && strlen(want) < 10) {
		size_t idx = strtoul(want, NULL, 10);

		if (idx < n) {
			r->si = idx;
			return 0;
		}
	}
	{
		char have[256] = "";
		size_t off = 0;

		for (size_t i = 0; i < n && off < sizeof(have); i++)
			off +=
			    (size_t)snprintf(have + off, sizeof(have) - off, "%s%s", i ? ", " : "",
					     str_get(pr, pr->sample_type[i]->type));
		why__set(why, whylen, "no sample type \"%s\" (have: %s)", want, have);
	}
	return -EINVAL;
}

/* Finds or adds the node named name; owned (may be NULL) is freed when a node
 * exists already, else kept. Returns the node index or -ENOMEM. */
static long report__node(struct report *r, const char *name, char *owned)
{
	uint64_t h = hash_str(name);
	size_t mask, pos;

	if ((r->nnodes + 1) * 2 > r->nslots) {
		size_t n = r->nslots ? r->nslots * 2 : 1024;
		size_t *s = calloc(n, sizeof(*s));

		if (!s)
			goto oom;
		for (size_t i = 0; i < r->nnodes; i++) {
			pos = r->nodes[i].hash & (n - 1);
			while (s[pos])
				pos = (pos + 1) & (n - 1);
			s[pos] = i + 1;
		}
		free(r->slots);
		r->slots = s;
		r->nslots = n;
	}
	mask = r->nslots - 1;
	for (pos = h & mask; r->slots[pos]; pos = (pos + 1) & mask) {
		struct report_node *e = &r->nodes[r->slots[pos] - 1];

		if (e->hash == h && !strcmp(e->name, name)) {
			free(owned);
			return (long)(r->slots[pos] - 1);
		}
	}
	if (r->nnodes == r->cap_nodes) {
		size_t n = r->cap_nodes ? r->cap_nodes * 2 : 256;
		struct report_node *nn = reallocarray(r->nodes, n, sizeof(*nn));

		if (!nn)
			goto oom;
		r->nodes = nn;
		r->cap_nodes = n;
	}
	r->nodes[r->nnodes] = (struct report_node){.name = name, .owned = owned, .hash = h};
	r->slots[pos] = ++r->nnodes;
	return (long)(r->nnodes - 1);
oom:
	free(owned);
	return -ENOMEM;
}

/* A frame with no function: named by its address (and mapping file). */
static long report__addr_node(struct report *r, const Perftools__Profiles__Location *l)
{
	const char *file = "";
	char *name;
	long mi;

	if (l->mapping_id && (mi = id_map__find(&r->maps, l->mapping_id)) >= 0) {
		file = str_get(r->pr, r->pr->mapping[mi]->filename);
		if (strrchr(file, '/'))
			file = strrchr(file, '/') + 1;
	}
	if (asprintf(&name, "0x%" PRIx64 "%s%s%s", l->address, *file ? " [" : "", file,
		     *file ? "]" : "") < 0)
		return -ENOMEM;
	return report__node(r, name, name);
}

/* Resolves every location into its frames (innermost first), as nodes. */
static int report__frames(struct report *r)
{
	const profile_t *pr = r->pr;
	size_t nframes = 0;

	r->fn_node = calloc(pr->n_function ? pr->n_function : 1, sizeof(*r->fn_node));
	r->loc_frame = calloc(pr->n_location + 1, sizeof(*r->loc_frame));
	if (!r->fn_node || !r->loc_frame)
		return -ENOMEM;
	for (size_t i = 0; i < pr->n_function; i++) {
		long n = report__node(r, str_get(pr, pr->function[i]->name), NULL);

		if (n < 0)
			return (int)n;
		r->fn_node[i] = (size_t)n;
	}
	for (size_t i = 0; i < pr->n_location; i++) {
		r->loc_frame[i] = nframes;
		nframes += pr->location[i]->n_line ? pr->location[i]->n_line : 1;
	}
	r->loc_frame[pr->n_location] = nframes;
	r->frames = calloc(nframes ? nframes : 1, sizeof(*r->frames));
	if (!r->frames)
		return -ENOMEM;
	r->nframes = nframes;
	for (size_t i = 0; i < pr->n_location; i++) {
		const Perftools__Profiles__Location *l = pr->location[i];
		size_t *f = r->frames + r->loc_frame[i];

		for (size_t j = 0; j < (l->n_line ? l->n_line : 1); j++) {
			uint64_t fid = l->n_line ? l->line[j]->function_id : 0;
			long n;

			if (fid)
				n = (long)r->fn_node[id_map__find(&r->fns, fid)];
			else
				n = report__addr_node(r, l);
			if (n < 0)
				return (int)n;
			f[j] = (size_t)n;
		}
	}
	return 0;
}

/* Adds up flat (leaf frame), cum (each node once per sample) and lost. */
static int report__compute(struct report *r)
{
	const profile_t *pr = r->pr;
	int err = report__frames(r);

	if (err)
		return err;
	for (size_t i = 0; i < pr->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->sample[i];
		int64_t v = s->value[r->si];
		bool leaf = true;

		r->total = sat_add(r->total, sat_abs(v));
		if (r->count_si >= 0)
			r->total_cnt = sat_add(r->total_cnt, sat_abs(s->value[r->count_si]));
		for (size_t j = 0; j < s->n_location_id; j++) {
			size_t li = (size_t)id_map__find(&r->locs, s->location_id[j]);

			for (size_t k = r->loc_frame[li]; k < r->loc_frame[li + 1]; k++) {
				struct report_node *n = &r->nodes[r->frames[k]];

				if (leaf) {
					n->flat = sat_add(n->flat, v);
					if (!strcmp(n->name, "[lost]")) {
						r->lost = sat_add(r->lost, v);
						if (r->count_si >= 0)
							r->lost_cnt = sat_add(
							    r->lost_cnt, s->value[r->count_si]);
					}
					leaf = false;
				}
				if (n->stamp != i + 1) {
					n->stamp = i + 1;
					n->cum = sat_add(n->cum, v);
				}
			}
		}
	}
	return 0;
}

/* Formats v in unit the way pprof does: scaled, two decimals, ".00" cut. */
static void value__fmt(char *buf, size_t n, int64_t v, const char *unit)
{
	static const struct {
		double f;
		const char *s;
	} times[] = {{1, "ns"},	 {1e3, "us"},	 {1e6, "ms"},
		     {1e9, "s"}, {60e9, "mins"}, {3600e9, "hrs"}},
	  sizes[] = {{1, "B"},
		     {1024.0, "kB"},
		     {1024.0 * 1024, "MB"},
		     {1024.0 * 1024 * 1024, "GB"},
		     {1024.0 * 1024 * 1024 * 1024, "TB"},
		     {1024.0 * 1024 * 1024 * 1024 * 1024, "PB"}};
	const typeof(times[0]) *scale = NULL;
	size_t nscale = 0;
	double base = 1, d;
	char *dot;

	if (!strcmp(unit, "nanoseconds") || !strcmp(unit, "microseconds") ||
	    !strcmp(unit, "milliseconds") || !strcmp(unit, "seconds")) {
		scale = times;
		nscale = sizeof(times) / sizeof(times[0]);
		base = unit[0] == 'n' ? 1 : unit[1] == 'i' ? 1e3 : unit[0] == 'm' ? 1e6 : 1e9;
	} else if (!strcmp(unit, "bytes")) {
		scale = sizes;
		nscale = sizeof(sizes) / sizeof(sizes[0]);
	}
	if (!scale || v == 0) {
		snprintf(buf, n, "%" PRId64, v);
		return;
	}
	d = (double)v * base;
	size_t k = 0;
	while (k + 1 < nscale && (d < 0 ? -d : d) >= scale[k + 1].f)
		k++;
	snprintf(buf, n, "%.2f", d / scale[k].f);
	dot = strstr(buf, ".00");
	if (dot && !dot[3])
		*dot = '\0';
	snprintf(buf + strlen(buf), n - strlen(buf), "%s", scale[k].s);
}

static void pct__fmt(char *buf, size_t n, int64_t v, int64_t total)
{
	snprintf(buf, n, "%.2f%%", total ? 100.0 * (double)v / (double)total : 0.0);
}

/* Prints name for a terminal: control bytes become '?', cut to
 * REPORT_NAME_MAX bytes at a UTF-8 boundary. */
static void name__print(FILE *out, const char *name)
{
	size_t len = strlen(name), cut = len;

	if (len > REPORT_NAME_MAX) {
		cut = REPORT_NAME_MAX - 3;
		while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)name[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
	if (cut < len)
		fputs("...", out);
}

static int node__cmp_flat(const void *a, const void *b)
{
	const struct report_node *x = *(struct report_node *const *)a;
	const struct report_node *y = *(struct report_node *const *)b;

	if (x->flat != y->flat)
		return x->flat > y->flat ? -1 : 1;
	if (x->cum != y->cum)
		return x->cum > y->cum ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int node__cmp_cum(const void *a, const void *b)
{
	const struct report_node *x = *(struct report_node *const *)a;
	const struct report_node *y = *(struct report_node *const *)b;

	if (x->cum != y->cum)
		return x->cum > y->cum ? -1 : 1;
	if (x->flat != y->flat)
		return x->flat > y->flat ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* One table: the nodes with a value, sorted by cmp, at most top_n rows. */
static void report__table(FILE *out, const struct report *r, struct report_node **v, size_t n,
			  int top_n, bool by_cum, const char *type, const char *unit)
{
	char flat[32], flatp[16], sump[16], cum[32], cump[16];
	size_t shown = n < (size_t)top_n ? n : (size_t)top_n;
	int64_t sum = 0;

	qsort(v, n, sizeof(*v), by_cum ? node__cmp_cum : node__cmp_flat);
	fprintf(out, "\nTop %zu of %zu functions by %s %s:\n", shown, n, by_cum ? "cum" : "flat",
		type);
	fprintf(out, "%10s %7s %7s %10s %7s  %s\n", "flat", "flat%", "sum%", "cum", "cum%",
		"function");
	for (size_t i = 0; i < shown; i++) {
		sum = sat_add(sum, v[i]->flat);
		value__fmt(flat, sizeof(flat), v[i]->flat, unit);
		value__fmt(cum, sizeof(cum), v[i]->cum, unit);
		pct__fmt(flatp, sizeof(flatp), v[i]->flat, r->total);
		pct__fmt(sump, sizeof(sump), sum, r->total);
		pct__fmt(cump, sizeof(cump), v[i]->cum, r->total);
		fprintf(out, "%10s %7s %7s %10s %7s  ", flat, flatp, sump, cum, cump);
		name__print(out, v[i]->name);
		fputc('\n', out);
	}
}

static void report__output(FILE *out, const struct report *r, const char *path, int top_n)
{
	const profile_t *pr = r->pr;
	const char *type = str_get(pr, pr->sample_type[r->si]->type);
	const char *unit = str_get(pr, pr->sample_type[r->si]->unit);
	struct report_node **v;
	char a[32], b[32];
	size_t n = 0;

	fputs("File: ", out);
	name__print(out, path);
	fputs("\nSample types:", out);
	for (size_t i = 0; i < pr->n_sample_type; i++) {
		fprintf(out, "%s %s/%s%s", i ? "," : "", str_get(pr, pr->sample_type[i]->type),
			str_get(pr, pr->sample_type[i]->unit), i == r->si ? " [shown]" : "");
	}
	fputc('\n', out);
	if (pr->time_nanos > 0) {
		time_t t = (time_t)(pr->time_nanos / 1000000000);
		struct tm tm;
		char ts[64];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(out, "Time: %s\n", ts);
	} else {
		fputs("Time: unknown\n", out);
	}
	if (pr->duration_nanos > 0) {
		value__fmt(a, sizeof(a), pr->duration_nanos, "nanoseconds");
		fprintf(out, "Duration: %s\n", a);
	} else {
		fputs("Duration: unknown\n", out);
	}
	if (pr->period_type && pr->period) {
		value__fmt(a, sizeof(a), pr->period, str_get(pr, pr->period_type->unit));
		fprintf(out, "Period: %s %s\n", a, str_get(pr, pr->period_type->type));
	}
	if (r->count_si >= 0)
		fprintf(out, "Samples: %" PRId64 " (%zu distinct stacks)\n", r->total_cnt,
			pr->n_sample);
	else
		fprintf(out, "Samples: %zu distinct stacks\n", pr->n_sample);
	value__fmt(a, sizeof(a), r->total, unit);
	fprintf(out, "Total: %s %s", a, type);
	if (!strcmp(unit, "nanoseconds") && pr->duration_nanos > 0) {
		value__fmt(b, sizeof(b), pr->duration_nanos, "nanoseconds");
		fprintf(out, " (%.2f%% of %s)",
			100.0 * (double)r->total / (double)pr->duration_nanos, b);
	}
	fputc('\n', out);
	value__fmt(a, sizeof(a), r->lost, unit);
	if (r->count_si < 0)
		fprintf(out, "Lost: %s %s\n", a, type);
	else if ((size_t)r->count_si == r->si)
		fprintf(out, "Lost samples: %" PRId64 "\n", r->lost_cnt);
	else
		fprintf(out, "Lost samples: %" PRId64 " (%s %s)\n", r->lost_cnt, a, type);

	v = calloc(r->nnodes ? r->nnodes : 1, sizeof(*v));
	if (!v) {
		fputs("(out of memory for the tables)\n", out);
		return;
	}
	for (size_t i = 0; i < r->nnodes; i++)
		if (r->nodes[i].flat || r->nodes[i].cum)
			v[n++] = &r->nodes[i];
	report__table(out, r, v, n, top_n, false, type, unit);
	report__table(out, r, v, n, top_n, true, type, unit);
	free(v);
}

static void report__free(struct report *r)
{
	for (size_t i = 0; i < r->nnodes; i++)
		free(r->nodes[i].owned);
	free(r->nodes);
	free(r->slots);
	free(r->fn_node);
	free(r->loc_frame);
	free(r->frames);
	free(r->maps.e);
	free(r->locs.e);
	free(r->fns.e);
}

/* Reports one file on out; on failure prints one line on stderr and returns
 * -errno (-EINVAL for a malformed file). */
int report_print(FILE *out, const char *path, int top_n, const char *sample_index)
{
	struct report_buf raw = {0}, unz = {0};
	const struct report_buf *data = &raw;
	struct report r = {0};
	profile_t *pr = NULL;
	char why[512] = "";
	int err;

	if (top_n <= 0)
		top_n = REPORT_DEFAULT_TOP;
	err = file__read(path, &raw, why, sizeof(why));
	if (!err && is_gzip(&raw)) {
		err = gunzip(&raw, &unz, why, sizeof(why));
		free(raw.data);
		raw.data = NULL;
		data = &unz;
	}
	if (!err) {
		pr = perftools__profiles__profile__unpack(NULL, data->len, data->data);
		if (!pr) {
			why__set(why, sizeof(why),
				 "not a pprof profile (protobuf decoding failed)");
			err = -EINVAL;
		}
	}
	free(raw.data);
	free(unz.data);
	r.pr = pr;
	if (!err)
		err = report__check(&r, why, sizeof(why));
	if (!err) {
		report__sanitize(pr);
		err = report__pick(&r, sample_index, why, sizeof(why));
	}
	if (!err)
		err = report__compute(&r);
	if (!err)
		report__output(out, &r, path, top_n);
	if (err) {
		fflush(out);
		fprintf(stderr, "hrprof report: %s: %s\n", path, why[0] ? why : strerror(-err));
	}
	report__free(&r);
	if (pr)
		perftools__profiles__profile__free_unpacked(pr, NULL);
	return err;
}

static int report__usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "hrprof report: %s\n", msg);
	fputs("usage: hrprof report [-n N] [--sample_index NAME|IDX] FILE...\n", stderr);
	return 2;
}

static const char report_help[] =
    "usage: hrprof report [-n N] [--sample_index NAME|IDX] FILE...\n"
    "\n"
    "Prints a summary of each pprof file (gzip-compressed or not) and its top\n"
    "functions by flat and by cumulative value.\n"
    "\n"
    "  -n N                   functions per table (default 20)\n"
    "  --sample_index NAME|IDX  sample type to show, by name or index (default:\n"
    "                         the first in nanoseconds, else the first)\n";

/* argv[0] is the subcommand ("report"); options and files may be mixed, and
 * "--" ends the options. Exit codes: 0 ok, 1 a file failed, 2 bad usage. */
int report_main(int argc, char **argv)
{
	const char *sample_index = NULL;
	int top_n = REPORT_DEFAULT_TOP;
	bool opts = true;
	char **files;
	int nfiles = 0, rc = 0;

	files = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*files));
	if (!files) {
		fputs("hrprof report: out of memory\n", stderr);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (!opts || a[0] != '-' || !a[1]) {
			files[nfiles++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts = false;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(report_help, stdout);
			free(files);
			return 0;
		} else if (!strcmp(a, "-n") || !strncmp(a, "-n", 2) || !strcmp(a, "--top") ||
			   !strncmp(a, "--top=", 6)) {
			char *end;
			long n;

			if (!strncmp(a, "--top=", 6))
				val = a + 6;
			else if (a[1] == 'n' && a[2])
				val = a + 2;
			else if (i + 1 < argc)
				val = argv[++i];
			if (!val) {
				free(files);
				return report__usage("-n needs a number");
			}
			errno = 0;
			n = strtol(val, &end, 10);
			if (errno || end == val || *end || n < 1 || n > 1000000) {
				free(files);
				return report__usage("-n needs a number from 1 to 1000000");
			}
			top_n = (int)n;
		} else if (!strcmp(a, "--sample_index") || !strcmp(a, "--sample-index") ||
			   !strncmp(a, "--sample_index=", 15) ||
			   !strncmp(a, "--sample-index=", 15)) {
			if (a[14] == '=')
				val = a + 15;
			else if (i + 1 < argc)
				val = argv[++i];
			if (!val || !*val) {
				free(files);
				return report__usage("--sample_index needs a name or an index");
			}
			sample_index = val;
		} else {
			fprintf(stderr, "hrprof report: unknown option '%s'\n", a);
			free(files);
			return report__usage(NULL);
		}
	}
	if (!nfiles) {
		free(files);
		return report__usage("no profile file given");
	}
	for (int i = 0; i < nfiles; i++) {
		if (i)
			fputc('\n', stdout);
		if (report_print(stdout, files[i], top_n, sample_index))
			rc = 1;
	}
	fflush(stdout);
	free(files);
	return rc;
}
