// SPDX-License-Identifier: GPL-2.0
/*
 * `hrprof report [-n N] [--sample_index NAME|IDX] [--flamegraph OUT.html] FILE...`
 *
 * Reads pprof files (gzip-compressed or raw protobuf; ours or Go's), checks
 * every reference in them, and prints a summary and the top functions by flat
 * and by cumulative value, with the columns of `go tool pprof -top`; or, with
 * --flamegraph, writes the files merged as one flame graph (flamegraph.c).
 * Input is untrusted: sizes are bounded and a malformed file gives one error
 * line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flamegraph.h"
#include "base/hashtab.h"
#include "pprof_read.h"
#include "report.h"
#include "base/util.h"

#define REPORT_NAME_MAX	   100 /* longer names are cut, "..." added */
#define REPORT_DEFAULT_TOP 20

struct report_node {
	const char *name;
	char *owned; /* name, when made up here (addresses) */
	int64_t flat;
	int64_t cum;
	size_t stamp; /* last sample (+1) counted in cum */
};

struct report {
	struct pprof_file pf;
	const profile_t *pr; /* pf.pr */
	struct report_node *nodes;
	size_t nnodes, cap_nodes;
	struct hashtab by_name; /* node index + 1 */
	size_t *loc_frame;	/* location index -> first of its frames in frames[] */
	size_t *frames;		/* node per frame, innermost first */
	size_t si;		/* sample type shown */
	long count_si;		/* a sample type counted in "count", or -1 */
	int64_t total;		/* sum of |value| over samples: the base for percentages */
	int64_t lost;		/* value of samples with a "[lost]" leaf */
	int64_t lost_cnt;	/* the same in the count type */
	int64_t total_cnt;	/* all samples, in the count type */
};

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

int report_sample_type(const profile_t *pr, const char *want, size_t *si, char *why, size_t whylen)
{
	size_t n = pr->n_sample_type;

	*si = 0;
	if (!want) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(pprof_str(pr, pr->sample_type[i]->unit), "nanoseconds")) {
				*si = i;
				break;
			}
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(pprof_str(pr, pr->sample_type[i]->type), want)) {
			*si = i;
			return 0;
		}
	}
	if (*want && strspn(want, "0123456789") == strlen(want) && strlen(want) < 10) {
		size_t idx = strtoul(want, NULL, 10);

		if (idx < n) {
			*si = idx;
			return 0;
		}
	}
	{
		char have[256] = "";
		size_t off = 0;

		for (size_t i = 0; i < n && off < sizeof(have); i++)
			off +=
			    (size_t)snprintf(have + off, sizeof(have) - off, "%s%s", i ? ", " : "",
					     pprof_str(pr, pr->sample_type[i]->type));
		snprintf(why, whylen, "no sample type \"%s\" (have: %s)", want, have);
	}
	return -EINVAL;
}

/* Picks the sample type shown (report_sample_type) and the one counted in
 * "count", if any. */
static int report__pick(struct report *r, const char *want, char *why, size_t whylen)
{
	const profile_t *pr = r->pr;

	r->count_si = -1;
	for (size_t i = 0; i < pr->n_sample_type; i++) {
		if (r->count_si < 0 && !strcmp(pprof_str(pr, pr->sample_type[i]->unit), "count"))
			r->count_si = (long)i;
	}
	return report_sample_type(pr, want, &r->si, why, whylen);
}

/* Finds or adds the node named name; owned (may be NULL) is freed when a node
 * exists already, else kept. Returns the node index or -ENOMEM. */
static long report__node(struct report *r, const char *name, char *owned)
{
	uint64_t h = hash_str(name);
	struct hashtab_slot *slot;

	if (hashtab__reserve(&r->by_name, 1))
		goto oom;
	for (slot = hashtab__probe(&r->by_name, h); slot->val;
	     slot = hashtab__next(&r->by_name, slot)) {
		if (slot->hash == h && !strcmp(r->nodes[slot->val - 1].name, name)) {
			free(owned);
			return (long)(slot->val - 1);
		}
	}
	if (array__reserve(&r->nodes, &r->cap_nodes, r->nnodes + 1, sizeof(*r->nodes)))
		goto oom;
	r->nodes[r->nnodes] = (struct report_node){.name = name, .owned = owned};
	hashtab__fill(&r->by_name, slot, h, ++r->nnodes);
	return (long)(r->nnodes - 1);
oom:
	free(owned);
	return -ENOMEM;
}

/* pprof_file__frames' name_id: the node named name (copied when temp). */
static long report__name_node(void *arg, const char *name, bool temp)
{
	char *owned = NULL;

	if (temp && !(owned = strdup(name)))
		return -ENOMEM;
	return report__node(arg, owned ? owned : name, owned);
}

/* Adds up flat (leaf frame), cum (each node once per sample) and lost. */
static int report__compute(struct report *r)
{
	const profile_t *pr = r->pr;
	int err = pprof_file__frames(&r->pf, report__name_node, r, &r->loc_frame, &r->frames);

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
			size_t li = (size_t)pprof_id_map__find(&r->pf.locs, s->location_id[j]);

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
	const char *type = pprof_str(pr, pr->sample_type[r->si]->type);
	const char *unit = pprof_str(pr, pr->sample_type[r->si]->unit);
	struct report_node **v;
	char a[32], b[32];
	size_t n = 0;

	fputs("File: ", out);
	name__print(out, path);
	fputs("\nSample types:", out);
	for (size_t i = 0; i < pr->n_sample_type; i++) {
		fprintf(out, "%s %s/%s%s", i ? "," : "", pprof_str(pr, pr->sample_type[i]->type),
			pprof_str(pr, pr->sample_type[i]->unit), i == r->si ? " [shown]" : "");
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
		value__fmt(a, sizeof(a), pr->period, pprof_str(pr, pr->period_type->unit));
		fprintf(out, "Period: %s %s\n", a, pprof_str(pr, pr->period_type->type));
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
	hashtab__free(&r->by_name);
	free(r->loc_frame);
	free(r->frames);
	pprof_file__free(&r->pf);
}

/* Reports one file on out; on failure prints one line on stderr and returns
 * -errno (-EINVAL for a malformed file). */
int report_print(FILE *out, const char *path, int top_n, const char *sample_index)
{
	struct report r = {0};
	char why[512] = "";
	int err;

	if (top_n <= 0)
		top_n = REPORT_DEFAULT_TOP;
	err = pprof_file__load(&r.pf, path, why, sizeof(why));
	r.pr = r.pf.pr;
	if (!err)
		err = report__pick(&r, sample_index, why, sizeof(why));
	if (!err)
		err = report__compute(&r);
	if (!err)
		report__output(out, &r, path, top_n);
	if (err) {
		fflush(out);
		fprintf(stderr, "hrprof report: %s: %s\n", path, why[0] ? why : strerror(-err));
	}
	report__free(&r);
	return err;
}

static int report__usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "hrprof report: %s\n", msg);
	fputs("usage: hrprof report [-n N] [--sample_index NAME|IDX] [--flamegraph OUT.html] "
	      "FILE...\n",
	      stderr);
	return 2;
}

static const char report_help[] =
    "usage: hrprof report [-n N] [--sample_index NAME|IDX] [--flamegraph OUT.html] FILE...\n"
    "\n"
    "Prints a summary of each pprof file (gzip-compressed or not) and its top\n"
    "functions by flat and by cumulative value.\n"
    "\n"
    "  -n N                   functions per table (default 20)\n"
    "  --sample_index NAME|IDX  sample type to show, by name or index (default:\n"
    "                         the first in nanoseconds, else the first)\n"
    "  --flamegraph OUT.html  instead, write the files merged as one flame graph:\n"
    "                         a self-contained HTML page (zoom, search, a filter\n"
    "                         by thread and by process); refused (exit 2) when\n"
    "                         OUT.html is one of the FILEs, or exists and is\n"
    "                         not an HTML page\n";

/*
 * Whether a is --NAME or --NAME=VALUE ('_' in name matches '-' too); its
 * value (after '=', else the next argument, taken) goes to *val, "" when
 * there is none.
 */
static bool report__long_opt(const char *a, const char *name, int *i, int argc, char **argv,
			     const char **val)
{
	size_t k;

	if (strncmp(a, "--", 2))
		return false;
	a += 2;
	for (k = 0; name[k]; k++)
		if (a[k] != name[k] && !(name[k] == '_' && a[k] == '-'))
			return false;
	if (a[k] == '=')
		*val = a + k + 1;
	else if (a[k])
		return false;
	else if (*i + 1 < argc)
		*val = argv[++*i];
	else
		*val = "";
	return true;
}

/* argv[0] is the subcommand ("report"); options and files may be mixed, and
 * "--" ends the options. Exit codes: 0 ok, 1 a file failed, 2 bad usage (or an
 * output --flamegraph refuses: flamegraph_check_output). */
int report_main(int argc, char **argv)
{
	const char *sample_index = NULL, *flamegraph = NULL;
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
		} else if (report__long_opt(a, "sample_index", &i, argc, argv, &val)) {
			if (!*val) {
				free(files);
				return report__usage("--sample_index needs a name or an index");
			}
			sample_index = val;
		} else if (report__long_opt(a, "flamegraph", &i, argc, argv, &val)) {
			if (!*val) {
				free(files);
				return report__usage("--flamegraph needs an output file");
			}
			flamegraph = val;
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
	if (flamegraph &&
	    flamegraph_check_output(flamegraph, (const char *const *)files, (size_t)nfiles)) {
		free(files);
		return 2;
	}
	if (flamegraph) {
		rc = flamegraph_write(flamegraph, (const char *const *)files, (size_t)nfiles,
				      sample_index)
			 ? 1
			 : 0;
		free(files);
		return rc;
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
