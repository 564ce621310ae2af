/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of hrprof's options (options_table.c), read by options.c
 * to parse flags and the environment and to print --help and
 * --show_config.
 */
#ifndef HRPROF_OPTIONS_TABLE_H
#define HRPROF_OPTIONS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

enum opt_kind {
	K_STR, /* a string (K_NONEMPTY: not "") */
	K_NONEMPTY,
	K_UINT,	  /* unsigned int in [lo, hi] (int for --pid) */
	K_BOOL,	  /* true/false, yes/no, 1/0, on/off */
	K_FLAG,	  /* no value: true (from the environment: a K_BOOL) */
	K_SET,	  /* no value: stores value (an int field) */
	K_CHOICE, /* one of choices (an int-sized enum field) */
	K_LEVEL,  /* a log level */
};

struct opt_choice {
	const char *name;
	int value;
};

struct opt_def {
	const char *name;  /* --name; NULL: environment only */
	const char *alias; /* a second long name */
	int short_name;	   /* -c, or 0 */
	const char *env;   /* the environment variable, or NULL */
	enum opt_kind kind;
	size_t off; /* in struct options */
	unsigned long lo, hi;
	int value; /* K_SET */
	const struct opt_choice *choices;
	const char *def;  /* the default, as it would be written on the command line */
	const char *arg;  /* the value's name in --help */
	const char *what; /* "is not <what>", for K_UINT */
	const char *help; /* NULL: not in --help (tests' own options) */
	bool secret;	  /* never printed */
};

#define OPTS_MAX 64 /* entries the table may hold */

extern const struct opt_def opts_table[];
extern const size_t opts_count;
extern const struct opt_choice opt_events[];
extern const struct opt_choice opt_backends[];

#endif
