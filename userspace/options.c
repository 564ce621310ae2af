// SPDX-License-Identifier: GPL-2.0
/*
 * Command line and environment, read through the one table of options
 * (options_table.c), which also gives --help and --show_config.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrprof.h"
#include "options.h"
#include "options_table.h"
#include "util.h"

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static void *field(struct options *o, const struct opt_def *d)
{
	return (char *)o + d->off;
}

static const void *cfield(const struct options *o, const struct opt_def *d)
{
	return (const char *)o + d->off;
}

static const char *choice_name(const struct opt_choice *c, int value)
{
	for (; c->name; c++)
		if (c->value == value)
			return c->name;
	return "?";
}

/* The choices' names, as "a, b, c". */
static void choice_list(const struct opt_choice *c, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (const struct opt_choice *e = c; e->name && off < n; e++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", e == c ? "" : ", ", e->name);
}

/*
 * Stores s (NULL for an option without a value) in d's field; who names
 * the source in the error ("--frequency", "DD_PROFILING_UPLOAD_PERIOD").
 */
static int opt_set(struct options *o, const struct opt_def *d, const char *s, const char *who)
{
	void *f = field(o, d);
	char list[160];
	int v;

	switch (d->kind) {
	case K_NONEMPTY:
		if (!*s)
			return options_bad("%s: empty value", who);
		__attribute__((fallthrough));
	case K_STR:
		*(const char **)f = s;
		return 0;
	case K_UINT:
		if (parse_uint(s, d->lo, d->hi, f))
			return options_bad("%s: '%s' is not %s", who, s, d->what);
		return 0;
	case K_FLAG:
		if (!s) {
			*(bool *)f = true;
			return 0;
		}
		/* from the environment: a boolean */
		__attribute__((fallthrough));
	case K_BOOL:
		if (parse_bool(s, f))
			return options_bad("%s: '%s' is not true or false", who, s);
		return 0;
	case K_SET:
		memcpy(f, &d->value, sizeof(int));
		return 0;
	case K_CHOICE:
		for (const struct opt_choice *c = d->choices; c->name; c++) {
			if (!strcmp(s, c->name)) {
				v = c->value;
				memcpy(f, &v, sizeof(int));
				return 0;
			}
		}
		choice_list(d->choices, list, sizeof(list));
		return options_bad("%s: unknown %s '%s' (%s)", who, d->name, s, list);
	case K_LEVEL:
		if (log_level_parse(s, f))
			return options_bad(
			    "%s: unknown level '%s' (debug, informational, notice, warn, "
			    "error)",
			    who, s);
		return 0;
	}
	return -EINVAL;
}

static int opt_defaults(struct options *o)
{
	*o = (struct options){.mode = TARGET_WRAP, .upload_flag = -1};
	for (size_t i = 0; i < opts_count; i++)
		if (opts_table[i].def && opt_set(o, &opts_table[i], opts_table[i].def, "default"))
			return -EINVAL;
	return 0;
}

/* Environment first, so that flags parsed afterwards win. An empty
 * variable counts as unset. */
static int opt_environment(struct options *o)
{
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		const char *v = d->env ? getenv(d->env) : NULL;
		int err;

		if (v && *v && (err = opt_set(o, d, v, d->env)))
			return err;
	}
	return 0;
}

static bool takes_value(const struct opt_def *d)
{
	return d->kind != K_FLAG && d->kind != K_SET;
}

void options_usage(FILE *out)
{
	char list[160];

	fprintf(out,
		"usage: hrprof [options] [--] COMMAND [ARGS...]   profile a command\n"
		"       hrprof -p PID [options]                 profile a running process\n"
		"       hrprof -g [options]                     profile every process\n"
		"       hrprof report [-n N] FILE...            top functions of a profile\n\n");
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		char head[64];

		if (!d->help || !d->name)
			continue;
		snprintf(head, sizeof(head), "%c%c%c --%s%s%s", d->short_name ? '-' : ' ',
			 d->short_name ? d->short_name : ' ', d->short_name ? ',' : ' ', d->name,
			 d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(out, "  %-28s %s", head, d->help);
		if (d->kind == K_CHOICE) {
			choice_list(d->choices, list, sizeof(list));
			fprintf(out, ": %s", list);
		}
		if (d->def && d->kind != K_FLAG && d->env)
			fprintf(out, "\n  %-28s (default %s; %s)", "", d->def, d->env);
		else if (d->def && d->kind != K_FLAG)
			fprintf(out, " (default %s)", d->def);
		else if (d->env)
			fprintf(out, "\n  %-28s (%s)", "", d->env);
		fputc('\n', out);
	}
	fprintf(out, "\nEnvironment only:\n");
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (!d->name && d->env)
			fprintf(out, "  %-28s %s (default %s)\n", d->env, d->help,
				d->def ? d->def : "none");
	}
}

const char *event_name(enum event_kind event)
{
	return choice_name(opt_events, event);
}

const char *backend_name(enum backend_kind backend)
{
	return choice_name(opt_backends, backend);
}

void options_free(struct options *o)
{
	free(o->upload_url);
	free(o->unix_socket);
	free(o->endpoint_desc);
	o->upload_url = o->unix_socket = o->endpoint_desc = NULL;
}

/* getopt_long's view of the table: val is 256 + the entry's index. */
static void getopt_tables(struct option *longs, char *shorts)
{
	size_t nl = 0, ns = 0;

	shorts[ns++] = '+'; /* stop at the command */
	shorts[ns++] = ':'; /* a missing value is ':' */
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		int has = takes_value(d) ? required_argument : no_argument;

		if (!d->name)
			continue;
		longs[nl++] = (struct option){d->name, has, NULL, 256 + (int)i};
		if (d->alias)
			longs[nl++] = (struct option){d->alias, has, NULL, 256 + (int)i};
		if (d->short_name) {
			shorts[ns++] = (char)d->short_name;
			if (has)
				shorts[ns++] = ':';
		}
	}
	longs[nl] = (struct option){0};
	shorts[ns] = 0;
}

static const struct opt_def *by_short(int c)
{
	for (size_t i = 0; i < opts_count; i++)
		if (opts_table[i].name && opts_table[i].short_name == c)
			return &opts_table[i];
	return NULL;
}

int options_parse(struct options *o, int argc, char **argv)
{
	struct option longs[2 * OPTS_MAX + 1];
	char shorts[3 * OPTS_MAX + 3], who[64];
	int c, err;

	if ((err = opt_defaults(o)) || (err = opt_environment(o)))
		return err;
	getopt_tables(longs, shorts);
	optind = 0; /* 0, not 1: glibc also forgets its place inside "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = c >= 256 ? &opts_table[c - 256] : by_short(c);

		if (c == ':')
			return options_bad("option '%s' needs a value", argv[optind - 1]);
		if (!d) {
			if (optopt && optopt < 256)
				return options_bad("unknown option '-%c' (see hrprof --help)",
						   optopt);
			return options_bad("unknown option '%s' (see hrprof --help)",
					   argv[optind - 1]);
		}
		snprintf(who, sizeof(who), "--%s", d->name);
		if ((err = opt_set(o, d, takes_value(d) ? optarg : NULL, who)))
			return err;
	}
	if (o->show_help || o->show_version)
		return 0;

	if (optind < argc)
		o->command = &argv[optind];
	return options_resolve(o);
}

/* The value of one option as --show_config prints it. */
static void opt_print(const struct options *o, const struct opt_def *d, FILE *out)
{
	const void *f = cfield(o, d);
	const char *s;
	int v;

	fprintf(out, "  %-16s ", d->name ? d->name : d->env);
	switch (d->kind) {
	case K_STR:
	case K_NONEMPTY:
		s = *(const char *const *)f;
		fputs(d->secret ? (s ? "<redacted>" : "(none)") : (s ? s : ""), out);
		break;
	case K_UINT:
		if (d->off == offsetof(struct options, pid))
			fprintf(out, "%d", *(const int *)f);
		else
			fprintf(out, "%u", *(const unsigned int *)f);
		break;
	case K_FLAG:
	case K_BOOL:
		fputs(*(const bool *)f ? "true" : "false", out);
		break;
	case K_CHOICE:
		memcpy(&v, f, sizeof(int));
		fputs(choice_name(d->choices, v), out);
		break;
	case K_LEVEL:
		fputs(log_level_name(*(const enum log_level *)f), out);
		break;
	case K_SET:
		break;
	}
	fputc('\n', out);
}

void options_print(const struct options *o, FILE *out)
{
	static const char *const modes[] = {"wrap", "pid", "global"};

	fprintf(out, "hrprof configuration:\n");
	fprintf(out, "  %-16s %s\n", "mode", modes[o->mode]);
	if (o->command) {
		fprintf(out, "  %-16s", "command");
		for (char **a = o->command; *a; a++)
			fprintf(out, " %s", *a);
		fputc('\n', out);
	}
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		/* What only asks for an action, or has its own line here. */
		if (d->kind == K_SET || !d->help || d->off == offsetof(struct options, show_help) ||
		    d->off == offsetof(struct options, show_version) ||
		    (d->off == offsetof(struct options, pid) && o->mode != TARGET_PID))
			continue;
		opt_print(o, d, out);
	}
	fprintf(out, "  %-16s %s\n", "upload", o->upload ? "true" : "false");
	if (o->endpoint_desc)
		fprintf(out, "  %-16s %s%s\n", "endpoint", o->endpoint_desc,
			o->agentless ? " (agentless)" : "");
}
