/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of hrprof's options (options_table.c), read by options.c
 * to parse flags and the environment and to print --help and
 * --show_config, and by options_doc.c to write the reference
 * (docs/options.md, the man page's OPTIONS and ENVIRONMENT).
 */
#ifndef HRPROF_OPTIONS_TABLE_H
#define HRPROF_OPTIONS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

enum opt_kind {
	K_STR, /* a string (K_NONEMPTY: not "") */
	K_NONEMPTY,
	K_UINT, /* unsigned int in [lo, hi] (int for --pid); "-1" is hi when neg1_max */
	K_INT,	/* int in [(int)lo, (int)hi] */
	/*
	 * true/false, yes/no, 1/0, on/off, enable/disable, t/f, y/n; on the
	 * command line the value may be left out (true), or be the next word
	 * when that word is one of these (ddprof's "-I true")
	 */
	K_BOOL,
	K_FLAG,	  /* no value: true (from the environment: a K_BOOL) */
	K_NOFLAG, /* no value: false into the bool field (--no-timeline) */
	K_SET,	  /* no value: stores value (an int field) */
	K_CHOICE, /* one of choices (an int-sized enum field) */
	K_LEVEL,  /* a log level */
	K_APPEND, /* a string appended to the char * field, ';'-joined (-e, repeatable) */
	K_NA,	  /* ddprof's, with no effect here: accepted, warned about (na) */
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
	const char *def;    /* the default, as it would be written on the command line */
	const char *arg;    /* the value's name in --help */
	const char *what;   /* "is not <what>", for K_UINT */
	const char *help;   /* NULL: not in --help (tests' own options) */
	const char *doc;    /* more, for the reference (docs/options.md, the man page) */
	const char *ddprof; /* one of ddprof's: how hrprof's compares; NULL: hrprof's own */
	bool secret;	    /* never printed */
	bool neg1_max;	    /* K_UINT: "-1" means hi (ddprof's "no limit") */
	bool na_value;	    /* K_NA: takes a value */
	const char *na;	    /* K_NA: why it has no effect, for the warning */
};

/* Where a value came from (struct options.given): a higher level wins. */
enum {
	OPT_SRC_DEFAULT = 1,
	OPT_SRC_ENV,
	OPT_SRC_CONFIG,
	OPT_SRC_CLI,
};

/* The entry named name (either spelling: '_' or '-'), or NULL. */
const struct opt_def *options_by_name(const char *name);
/* Sets d from a config file's value (who names it in errors). */
int options_set_from_config(struct options *o, const struct opt_def *d, const char *value,
			    const char *who);
/* Whether d was given (environment, config file or command line). */
bool options_given(const struct options *o, const struct opt_def *d);

/* The names of choices c, ", "-joined, into buf. */
void options_choice_list(const struct opt_choice *c, char *buf, size_t n);

extern const struct opt_def opts_table[];
extern const size_t opts_count;
extern const struct opt_choice opt_events[];
extern const struct opt_choice opt_backends[];

#endif
