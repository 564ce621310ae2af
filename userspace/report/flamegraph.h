/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `hrprof report --flamegraph OUT.html FILE...`: pprof files merged into one
 * self-contained HTML page (userspace/report/flamegraph.html, embedded at build
 * time) that draws them as an icicle graph, with zoom, search and a filter by
 * thread and by process. The C side only aggregates: samples with the same
 * stack (function names, inlined frames apart), thread and process are
 * summed, and the page gets them as JSON; the page builds the tree.
 */
#ifndef HRPROF_FLAMEGRAPH_H
#define HRPROF_FLAMEGRAPH_H

#include <stddef.h>
#include <stdio.h>

struct flamegraph;

/* An empty flame graph; NULL when out of memory. */
struct flamegraph *flamegraph__new(void);
void flamegraph__free(struct flamegraph *fg);

/*
 * Loads and checks the pprof file at path and adds its samples of the type
 * `hrprof report` would show (sample_index: as its --sample_index, NULL for
 * the default). Every file must give the same type and unit as the first.
 * Returns 0, or -errno with a reason in why (-EINVAL: malformed, or another
 * sample type; -E2BIG: its stacks take the graph past its bound on frames);
 * on error fg may hold part of the file (its names, stacks, samples so far)
 * and is fit only for flamegraph__free.
 */
int flamegraph__add_file(struct flamegraph *fg, const char *path, const char *sample_index,
			 char *why, size_t whylen);

/* The page, the data embedded, on out. Returns -errno or zero. */
int flamegraph__write_html(const struct flamegraph *fg, FILE *out);

/*
 * Whether out_path may be written: it does not exist, or it is an HTML page
 * (starts as flamegraph.html does, "<!DOCTYPE html") and none of the files.
 * Otherwise prints one line on stderr and returns -EEXIST; else zero.
 */
int flamegraph_check_output(const char *out_path, const char *const *files, size_t nfiles);

/*
 * The command: files merged into a flame graph written to out_path whole or
 * not at all (mode 0666 less the umask). On failure prints one line on
 * stderr and returns -errno.
 */
int flamegraph_write(const char *out_path, const char *const *files, size_t nfiles,
		     const char *sample_index);

/* The page template (flamegraph.html), generated into $(O)/gen. */
extern const unsigned char flamegraph_html[];
extern const size_t flamegraph_html_len;

#endif
