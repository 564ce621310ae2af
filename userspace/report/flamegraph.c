// SPDX-License-Identifier: GPL-2.0
/*
 * `hrprof report --flamegraph OUT.html FILE...` (see flamegraph.h).
 *
 * The page gets one JSON object:
 *
 *   {"version": 1, "type": "cpu-time", "unit": "nanoseconds",
 *    "files": [path...], "dropped": N, "truncated": N, "max_depth": N,
 *    "strings": [s...],
 *    "stacks": [[string index, root first...]...],
 *    "samples": [[stack, thread string or -1, process string or -1, value]...]}
 *
 * A stack is a sample's frames by name, outermost first, each inlined
 * function a frame of its own (as go tool pprof shows them). A thread is
 * hrprof's "thread_name (thread id)" labels, a process its "process_name
 * (process_id)"; profiles without them (Go's) have -1. Samples whose value is
 * not positive have no width: they are counted in "dropped".
 *
 * A crafted file can expand each location into many lines and each sample
 * into many locations, so the data is bounded: a stack of more than
 * FG_STACK_MAX frames ("max_depth") keeps its outermost ones, its value
 * going to the last kept frame, and is counted in "truncated" (the page
 * says so); the distinct stacks together hold at most FG_POOL_MAX frames,
 * past which adding a file fails with -E2BIG.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "flamegraph.h"
#include "base/hashtab.h"
#include "pprof_read.h"
#include "report.h"
#include "base/util.h"

#define FG_MARKER    "@HRPROF_DATA@"
#define FG_STACK_MAX ((size_t)1 << 16) /* frames of one stack */
#define FG_POOL_MAX  ((size_t)1 << 26) /* frames of all distinct stacks */

struct fg_stack {
	size_t off; /* in pool */
	size_t len;
};

struct fg_sample {
	uint32_t stack;
	int32_t thread, proc; /* string index or -1 */
	int64_t value;
};

struct flamegraph {
	char *type, *unit; /* of the first file */
	char **files;
	size_t nfiles;
	uint64_t dropped, truncated;
	char **strs;
	size_t nstrs, cap_strs;
	struct hashtab by_str; /* index + 1 */
	uint32_t *pool;	       /* the stacks' string indexes */
	size_t npool, cap_pool;
	struct fg_stack *stacks;
	size_t nstacks, cap_stacks;
	struct hashtab by_stack;
	struct fg_sample *samples;
	size_t nsamples, cap_samples;
	struct hashtab by_sample;
};

/* One file being added: its frames by location, as string indexes. */
struct fg_file {
	struct pprof_file pf;
	size_t si;
	size_t *loc_frame; /* location index -> first of its frames */
	size_t *frames;	   /* string per frame, innermost first */
	uint32_t *buf;	   /* one stack, root first */
	size_t cap_buf;
};

struct flamegraph *flamegraph__new(void)
{
	return calloc(1, sizeof(struct flamegraph));
}

void flamegraph__free(struct flamegraph *fg)
{
	if (!fg)
		return;
	free(fg->type);
	free(fg->unit);
	for (size_t i = 0; i < fg->nfiles; i++)
		free(fg->files[i]);
	free(fg->files);
	for (size_t i = 0; i < fg->nstrs; i++)
		free(fg->strs[i]);
	free(fg->strs);
	hashtab__free(&fg->by_str);
	free(fg->pool);
	free(fg->stacks);
	hashtab__free(&fg->by_stack);
	free(fg->samples);
	hashtab__free(&fg->by_sample);
	free(fg);
}

/* The index of string s, added if new. Returns it, or -ENOMEM. */
static long fg__str(struct flamegraph *fg, const char *s)
{
	uint64_t h = hash_str(s);
	struct hashtab_slot *slot;
	char *copy;

	if (hashtab__reserve(&fg->by_str, 1) ||
	    array__reserve(&fg->strs, &fg->cap_strs, fg->nstrs + 1, sizeof(*fg->strs)))
		return -ENOMEM;
	for (slot = hashtab__probe(&fg->by_str, h); slot->val;
	     slot = hashtab__next(&fg->by_str, slot)) {
		if (slot->hash == h && !strcmp(fg->strs[slot->val - 1], s))
			return (long)(slot->val - 1);
	}
	if (fg->nstrs >= INT32_MAX || !(copy = strdup(s)))
		return -ENOMEM;
	fg->strs[fg->nstrs] = copy;
	hashtab__fill(&fg->by_str, slot, h, ++fg->nstrs);
	return (long)(fg->nstrs - 1);
}

/* The index of the stack ids[0..n), added if new. Returns it, -E2BIG when
 * it would take the stacks past FG_POOL_MAX frames, or -ENOMEM. */
static long fg__stack(struct flamegraph *fg, const uint32_t *ids, size_t n)
{
	uint64_t h = hash_bytes(ids, n * sizeof(*ids));
	struct hashtab_slot *slot;

	if (hashtab__reserve(&fg->by_stack, 1) ||
	    array__reserve(&fg->stacks, &fg->cap_stacks, fg->nstacks + 1, sizeof(*fg->stacks)))
		return -ENOMEM;
	for (slot = hashtab__probe(&fg->by_stack, h); slot->val;
	     slot = hashtab__next(&fg->by_stack, slot)) {
		const struct fg_stack *st = &fg->stacks[slot->val - 1];

		if (slot->hash == h && st->len == n &&
		    !memcmp(fg->pool + st->off, ids, n * sizeof(*ids)))
			return (long)(slot->val - 1);
	}
	if (fg->nstacks >= UINT32_MAX)
		return -ENOMEM;
	if (n > FG_POOL_MAX - fg->npool)
		return -E2BIG;
	if (array__reserve(&fg->pool, &fg->cap_pool, fg->npool + n, sizeof(*fg->pool)))
		return -ENOMEM;
	if (n)
		memcpy(fg->pool + fg->npool, ids, n * sizeof(*ids));
	fg->stacks[fg->nstacks] = (struct fg_stack){.off = fg->npool, .len = n};
	fg->npool += n;
	hashtab__fill(&fg->by_stack, slot, h, ++fg->nstacks);
	return (long)(fg->nstacks - 1);
}

/* Adds value to the sample (stack, thread, proc). Returns -ENOMEM or zero. */
static int fg__sample(struct flamegraph *fg, uint32_t stack, int32_t thread, int32_t proc,
		      int64_t value)
{
	uint64_t h = hash_fin(hash_mix(hash_mix(stack, (uint32_t)thread), (uint32_t)proc));
	struct hashtab_slot *slot;

	if (hashtab__reserve(&fg->by_sample, 1) ||
	    array__reserve(&fg->samples, &fg->cap_samples, fg->nsamples + 1, sizeof(*fg->samples)))
		return -ENOMEM;
	for (slot = hashtab__probe(&fg->by_sample, h); slot->val;
	     slot = hashtab__next(&fg->by_sample, slot)) {
		struct fg_sample *s = &fg->samples[slot->val - 1];

		if (slot->hash == h && s->stack == stack && s->thread == thread &&
		    s->proc == proc) {
			if (__builtin_add_overflow(s->value, value, &s->value))
				s->value = INT64_MAX;
			return 0;
		}
	}
	fg->samples[fg->nsamples] =
	    (struct fg_sample){.stack = stack, .thread = thread, .proc = proc, .value = value};
	hashtab__fill(&fg->by_sample, slot, h, ++fg->nsamples);
	return 0;
}

/* pprof_file__frames' name_id: the string's index. */
static long fg__name_str(void *arg, const char *name, bool temp)
{
	(void)temp;
	return fg__str(arg, name);
}

/* The string of a sample's two labels name_key and id_key: "name (id)",
 * "name" or "id"; -1 when it has neither. Returns -ENOMEM or the index. */
static long fg__label(struct flamegraph *fg, const profile_t *pr,
		      const Perftools__Profiles__Sample *s, const char *name_key,
		      const char *id_key)
{
	const char *name = NULL;
	char id[32] = "", buf[1100];

	for (size_t i = 0; i < s->n_label; i++) {
		const Perftools__Profiles__Label *l = s->label[i];
		const char *k = pprof_str(pr, l->key);

		if (!strcmp(k, name_key) && l->str)
			name = pprof_str(pr, l->str);
		else if (!strcmp(k, id_key) && l->str)
			snprintf(id, sizeof(id), "%.31s", pprof_str(pr, l->str));
		else if (!strcmp(k, id_key))
			snprintf(id, sizeof(id), "%" PRId64, l->num);
	}
	if (!name && !id[0])
		return -1;
	if (name && id[0])
		snprintf(buf, sizeof(buf), "%.1024s (%s)", name, id);
	else
		snprintf(buf, sizeof(buf), "%.1024s", name ? name : id);
	return fg__str(fg, buf);
}

/* Adds one sample of f: its frames root first (the outermost FG_STACK_MAX),
 * its thread and process. Returns -E2BIG (see fg__stack), -ENOMEM or zero. */
static int fg__add_sample(struct flamegraph *fg, struct fg_file *f,
			  const Perftools__Profiles__Sample *s)
{
	const profile_t *pr = f->pf.pr;
	int64_t v = s->value[f->si];
	long stack, thread, proc;
	size_t n = 0;
	int err;

	if (v <= 0) {
		fg->dropped++;
		return 0;
	}
	for (size_t j = 0; j < s->n_location_id && n <= FG_STACK_MAX; j++) {
		size_t li = (size_t)pprof_id_map__find(&f->pf.locs, s->location_id[j]);

		n += f->loc_frame[li + 1] - f->loc_frame[li];
	}
	if (n > FG_STACK_MAX) {
		n = FG_STACK_MAX;
		fg->truncated++;
	}
	if ((err = array__reserve(&f->buf, &f->cap_buf, n ? n : 1, sizeof(*f->buf))))
		return err;
	n = 0;
	for (size_t j = s->n_location_id; j-- > 0 && n < FG_STACK_MAX;) {
		size_t li = (size_t)pprof_id_map__find(&f->pf.locs, s->location_id[j]);

		for (size_t k = f->loc_frame[li + 1]; k-- > f->loc_frame[li] && n < FG_STACK_MAX;)
			f->buf[n++] = (uint32_t)f->frames[k];
	}
	stack = fg__stack(fg, f->buf, n);
	if (stack == -E2BIG)
		return -E2BIG;
	thread = fg__label(fg, pr, s, "thread_name", "thread id");
	proc = fg__label(fg, pr, s, "process_name", "process_id");
	if (stack < 0 || thread < -1 || proc < -1)
		return -ENOMEM;
	return fg__sample(fg, (uint32_t)stack, (int32_t)thread, (int32_t)proc, v);
}

int flamegraph__add_file(struct flamegraph *fg, const char *path, const char *sample_index,
			 char *why, size_t whylen)
{
	struct fg_file f = {0};
	const profile_t *pr;
	const char *type, *unit;
	char **files;
	int err;

	err = pprof_file__load(&f.pf, path, why, whylen);
	if (err)
		goto out;
	pr = f.pf.pr;
	err = report_sample_type(pr, sample_index, &f.si, why, whylen);
	if (err)
		goto out;
	if (!pr->n_sample_type) {
		snprintf(why, whylen, "no sample types");
		err = -EINVAL;
		goto out;
	}
	type = pprof_str(pr, pr->sample_type[f.si]->type);
	unit = pprof_str(pr, pr->sample_type[f.si]->unit);
	if (!fg->type) {
		fg->type = strdup(type);
		fg->unit = strdup(unit);
		if (!fg->type || !fg->unit) {
			err = -ENOMEM;
			goto out;
		}
	} else if (strcmp(fg->type, type) || strcmp(fg->unit, unit)) {
		snprintf(why, whylen,
			 "sample type %.100s/%.100s, the first file's is %.100s/%.100s", type, unit,
			 fg->type, fg->unit);
		err = -EINVAL;
		goto out;
	}
	files = reallocarray(fg->files, fg->nfiles + 1, sizeof(*files));
	if (!files) {
		err = -ENOMEM;
		goto out;
	}
	fg->files = files;
	if (!(fg->files[fg->nfiles] = strdup(path))) {
		err = -ENOMEM;
		goto out;
	}
	fg->nfiles++;
	err = pprof_file__frames(&f.pf, fg__name_str, fg, &f.loc_frame, &f.frames);
	for (size_t i = 0; !err && i < pr->n_sample; i++)
		err = fg__add_sample(fg, &f, pr->sample[i]);
	if (err == -E2BIG)
		snprintf(why, whylen, "its stacks take the flame graph past %zu frames",
			 FG_POOL_MAX);
out:
	free(f.loc_frame);
	free(f.frames);
	free(f.buf);
	pprof_file__free(&f.pf);
	return err;
}

/* The data object the page reads (see the head of this file). */
static void fg__write_json(const struct flamegraph *fg, FILE *out)
{
	fputs("{\"version\":1,\"type\":", out);
	json_str__write(out, fg->type ? fg->type : "");
	fputs(",\"unit\":", out);
	json_str__write(out, fg->unit ? fg->unit : "");
	fputs(",\"files\":[", out);
	for (size_t i = 0; i < fg->nfiles; i++) {
		if (i)
			fputc(',', out);
		json_str__write(out, fg->files[i]);
	}
	fprintf(out,
		"],\"dropped\":%" PRIu64 ",\"truncated\":%" PRIu64
		",\"max_depth\":%zu,\n\"strings\":[",
		fg->dropped, fg->truncated, FG_STACK_MAX);
	for (size_t i = 0; i < fg->nstrs; i++) {
		fputs(i ? ",\n" : "", out);
		json_str__write(out, fg->strs[i]);
	}
	fputs("],\n\"stacks\":[", out);
	for (size_t i = 0; i < fg->nstacks; i++) {
		const struct fg_stack *st = &fg->stacks[i];

		fputs(i ? ",\n[" : "[", out);
		for (size_t j = 0; j < st->len; j++)
			fprintf(out, "%s%" PRIu32, j ? "," : "", fg->pool[st->off + j]);
		fputc(']', out);
	}
	fputs("],\n\"samples\":[", out);
	for (size_t i = 0; i < fg->nsamples; i++) {
		const struct fg_sample *s = &fg->samples[i];

		fprintf(out, "%s[%" PRIu32 ",%" PRId32 ",%" PRId32 ",%" PRId64 "]", i ? ",\n" : "",
			s->stack, s->thread, s->proc, s->value);
	}
	fputs("]}", out);
}

int flamegraph__write_html(const struct flamegraph *fg, FILE *out)
{
	const char *tpl = (const char *)flamegraph_html;
	const char *at = memmem(tpl, flamegraph_html_len, FG_MARKER, strlen(FG_MARKER));
	size_t head;

	if (!at)
		return -EINVAL;
	head = (size_t)(at - tpl);
	fwrite(tpl, 1, head, out);
	fg__write_json(fg, out);
	fwrite(at + strlen(FG_MARKER), 1, flamegraph_html_len - head - strlen(FG_MARKER), out);
	return ferror(out) ? -EIO : 0;
}

int flamegraph_check_output(const char *out_path, const char *const *files, size_t nfiles)
{
	static const char head[] = "<!DOCTYPE html";
	char buf[sizeof(head) - 1];
	struct stat o, st;
	ssize_t got = -1;
	int fd;

	if (stat(out_path, &o))
		return 0;
	for (size_t i = 0; i < nfiles; i++) {
		if (!stat(files[i], &st) && st.st_dev == o.st_dev && st.st_ino == o.st_ino) {
			fprintf(
			    stderr,
			    "hrprof report: the output %s is the input %s: give the page its own "
			    "name\n",
			    out_path, files[i]);
			return -EEXIST;
		}
	}
	if (S_ISREG(o.st_mode) && (fd = open(out_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0) {
		got = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (got != (ssize_t)sizeof(buf) || memcmp(buf, head, sizeof(buf))) {
		fprintf(stderr,
			"hrprof report: the output %s exists and is not an HTML page: not "
			"overwritten\n",
			out_path);
		return -EEXIST;
	}
	return 0;
}

struct fg_buf {
	const char *data;
	size_t len;
};

static int fg_fill(int fd, void *arg)
{
	const struct fg_buf *b = arg;

	return write_all(fd, b->data, b->len);
}

int flamegraph_write(const char *out_path, const char *const *files, size_t nfiles,
		     const char *sample_index)
{
	struct flamegraph *fg = flamegraph__new();
	struct fg_buf b = {0};
	char why[512] = "", *page = NULL;
	size_t len = 0;
	FILE *mem = NULL;
	mode_t um;
	int err = 0;

	if (!fg) {
		err = -ENOMEM;
		goto out_err;
	}
	for (size_t i = 0; i < nfiles; i++) {
		why[0] = '\0';
		err = flamegraph__add_file(fg, files[i], sample_index, why, sizeof(why));
		if (err) {
			fprintf(stderr, "hrprof report: %s: %s\n", files[i],
				why[0] ? why : strerror(-err));
			goto out;
		}
	}
	mem = open_memstream(&page, &len);
	if (!mem) {
		err = -ENOMEM;
		goto out_err;
	}
	err = flamegraph__write_html(fg, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err)
		goto out_err;
	b = (struct fg_buf){.data = page, .len = len};
	um = umask(0);
	umask(um);
	err = file_write_atomic(out_path, 0666 & ~um, fg_fill, &b);
	if (err)
		fprintf(stderr, "hrprof report: cannot write %s: %s\n", out_path, strerror(-err));
	goto out;
out_err:
	fprintf(stderr, "hrprof report: %s: %s\n", out_path, strerror(-err));
out:
	free(page);
	flamegraph__free(fg);
	return err;
}
