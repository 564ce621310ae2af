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
#include "base/util.h"

/* CLI11's words for booleans, as ddprof reads them. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on", "enable", "t", "y"};
	static const char *const no[] = {"0", "false", "no", "off", "disable", "f", "n"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
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
void options_choice_list(const struct opt_choice *c, char *buf, size_t n)
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
static int opt_set_at(struct options *o, const struct opt_def *d, const char *s, const char *who,
		      int level)
{
	void *f = field(o, d);
	char list[160];
	size_t idx = (size_t)(d - opts_table);
	int v;

	if (o->given[idx] < level && d->kind == K_APPEND) {
		free(*(char **)f); /* a source of a higher level replaces the list */
		*(char **)f = NULL;
	}
	if (o->given[idx] < level)
		o->given[idx] = (unsigned char)level;
	switch (d->kind) {
	case K_NA:
		return 0;
	case K_APPEND: {
		char *old = *(char **)f, *cat;

		if (asprintf(&cat, "%s%s%s", old ? old : "", old ? ";" : "", s) < 0)
			return -ENOMEM;
		free(old);
		*(char **)f = cat;
		return 0;
	}
	case K_NOFLAG:
		*(bool *)f = false;
		return 0;
	case K_INT: {
		char *end;
		long n;

		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || end == s || *end || n < (long)(int)d->lo || n > (long)(int)d->hi)
			return options_bad("%s: '%s' is not %s", who, s, d->what);
		*(int *)f = (int)n;
		return 0;
	}
	case K_NONEMPTY:
		if (!*s)
			return options_bad("%s: empty value", who);
		__attribute__((fallthrough));
	case K_STR:
		*(const char **)f = s;
		return 0;
	case K_UINT:
		if (d->neg1_max && !strcmp(s, "-1")) {
			*(unsigned int *)f = (unsigned int)d->hi;
			return 0;
		}
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
		if (!s) {
			*(bool *)f = true;
			return 0;
		}
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
		options_choice_list(d->choices, list, sizeof(list));
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
		if (opts_table[i].def &&
		    opt_set_at(o, &opts_table[i], opts_table[i].def, "default", OPT_SRC_DEFAULT))
			return -EINVAL;
	return 0;
}

/* Environment first, so that the config file and flags parsed afterwards
 * win. An empty variable counts as unset. */
static int opt_environment(struct options *o)
{
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		const char *v = d->env ? getenv(d->env) : NULL;
		int err;

		if (v && *v && (err = opt_set_at(o, d, v, d->env, OPT_SRC_ENV)))
			return err;
	}
	return 0;
}

/* Whether the command line gives the option a value (K_BOOL: optionally). */
static bool takes_value(const struct opt_def *d)
{
	return d->kind != K_FLAG && d->kind != K_SET && d->kind != K_NOFLAG &&
	       (d->kind != K_NA || d->na_value);
}

int options_set_from_config(struct options *o, const struct opt_def *d, const char *value,
			    const char *who)
{
	return opt_set_at(o, d, value, who, OPT_SRC_CONFIG);
}

bool options_given(const struct options *o, const struct opt_def *d)
{
	return o->given[d - opts_table] > OPT_SRC_DEFAULT;
}

void options_usage(FILE *out)
{
	char list[160];

	fprintf(out,
		"usage: hrprof [options] [--] COMMAND [ARGS...]   profile a command\n"
		"       hrprof -p PID [options]                 profile a running process\n"
		"       hrprof -g [options]                     profile every process\n"
		"       hrprof report [-n N] FILE...            top functions of a profile\n"
		"       hrprof report --flamegraph OUT FILE...   a flame graph page\n"
		"       hrprof doctor [-p PID] [options]        checks what profiling needs\n\n");
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
			options_choice_list(d->choices, list, sizeof(list));
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

void options_free(struct options *o)
{
	free(o->upload_url);
	free(o->unix_socket);
	free(o->endpoint_desc);
	free(o->events);
	free(o->config_text);
	free(o->config_command);
	o->upload_url = o->unix_socket = o->endpoint_desc = o->events = o->config_text = NULL;
	o->config_command = NULL;
}

/*
 * Each long name is also accepted with '-' for '_' and '_' for '-', as
 * ddprof spells most of its options both ways: the other spelling of
 * name into buf, or NULL when it has none.
 */
static const char *other_spelling(const char *name, char *buf, size_t n)
{
	size_t len = strlen(name);

	if (len >= n || !strpbrk(name, "_-"))
		return NULL;
	for (size_t i = 0; i <= len; i++)
		buf[i] = name[i] == '_' ? '-' : name[i] == '-' ? '_' : name[i];
	return buf;
}

/* getopt_long's view of the table: val is 256 + the entry's index. */
static void getopt_tables(struct option *longs, char *shorts, char (*spell)[48])
{
	size_t nl = 0, ns = 0, nsp = 0;

	shorts[ns++] = '+'; /* stop at the command */
	shorts[ns++] = ':'; /* a missing value is ':' */
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		int has = !takes_value(d)     ? no_argument
			  : d->kind == K_BOOL ? optional_argument
					      : required_argument;
		const char *names[2] = {d->name, d->alias};

		if (!d->name)
			continue;
		for (size_t k = 0; k < 2; k++) {
			const char *other;

			if (!names[k])
				continue;
			longs[nl++] = (struct option){names[k], has, NULL, 256 + (int)i};
			other = other_spelling(names[k], spell[nsp], sizeof(spell[nsp]));
			if (other) {
				longs[nl++] = (struct option){other, has, NULL, 256 + (int)i};
				nsp++;
			}
		}
		if (d->short_name) {
			shorts[ns++] = (char)d->short_name;
			if (has != no_argument)
				shorts[ns++] = ':';
			if (has == optional_argument)
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

const struct opt_def *options_by_name(const char *name)
{
	char buf[48];

	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		const char *names[2] = {d->name, d->alias};

		for (size_t k = 0; k < 2; k++) {
			if (names[k] &&
			    (!strcmp(names[k], name) ||
			     ((other_spelling(names[k], buf, sizeof(buf))) && !strcmp(buf, name))))
				return d;
		}
	}
	return NULL;
}

/*
 * One pass of getopt over argv. With cli false it only looks for
 * --config (before the config file is read, since the command line wins
 * over it); with cli true it sets every option.
 */
static int parse_argv(struct options *o, int argc, char **argv, bool cli)
{
	struct option longs[4 * OPTS_MAX + 1];
	char shorts[4 * OPTS_MAX + 3], who[64], spell[2 * OPTS_MAX][48];
	int c, err;

	getopt_tables(longs, shorts, spell);
	optind = 0; /* 0, not 1: glibc also forgets its place inside "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct opt_def *d = c >= 256 ? &opts_table[c - 256] : by_short(c);
		const char *value = optarg;
		bool b;

		/* ddprof's "-I true": a boolean's value may be the next word. */
		if (d && d->kind == K_BOOL && !value && optind < argc &&
		    !parse_bool(argv[optind], &b))
			value = argv[optind++];
		if (!cli) {
			if (d && d->off == offsetof(struct options, config_file) && optarg)
				o->config_file = optarg;
			continue;
		}
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
		if ((err = opt_set_at(o, d, takes_value(d) ? value : NULL, who, OPT_SRC_CLI)))
			return err;
	}
	return 0;
}

static int parse_all(struct options *o, int argc, char **argv, bool settings_only)
{
	const char *cfg;
	int err;

	if ((err = opt_defaults(o)))
		return err;
	o->settings_only = settings_only;
	if ((err = opt_environment(o)))
		return err;
	/* Precedence: command line, config file, environment, default (ddprof's). */
	parse_argv(o, argc, argv, false);
	cfg = o->config_file;
	if (cfg) {
		if ((err = options_read_config(o, cfg, true)))
			return err;
	} else if ((cfg = getenv("DD_PROFILING_NATIVE_CONFIG")) && *cfg) {
		if ((err = options_read_config(o, cfg, true)))
			return err;
	} else if (!access("ddprof.toml", F_OK) &&
		   (err = options_read_config(o, "ddprof.toml", false))) {
		return err;
	}
	if ((err = parse_argv(o, argc, argv, true)))
		return err;
	if (o->show_help || o->show_version)
		return 0;

	if (optind < argc)
		o->command = &argv[optind];
	else if (o->config_command && !settings_only)
		o->command = o->config_command;
	if (o->events && !strcmp(o->events, "help")) {
		o->show_event_help = true;
		return 0;
	}
	return options_resolve(o);
}

int options_parse(struct options *o, int argc, char **argv)
{
	return parse_all(o, argc, argv, false);
}

int options_parse_settings(struct options *o, int argc, char **argv)
{
	return parse_all(o, argc, argv, true);
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
	case K_APPEND:
		s = *(const char *const *)f;
		fputs(d->secret ? (s ? "<redacted>" : "(none)") : (s ? s : ""), out);
		break;
	case K_INT:
		fprintf(out, "%d", *(const int *)f);
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
	case K_NOFLAG:
	case K_NA:
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
		if (d->kind == K_SET || d->kind == K_NOFLAG || d->kind == K_NA || !d->help ||
		    d->off == offsetof(struct options, show_help) ||
		    d->off == offsetof(struct options, show_version) ||
		    (d->off == offsetof(struct options, pid) && o->mode != TARGET_PID))
			continue;
		opt_print(o, d, out);
	}
	if (o->period)
		fprintf(out, "  %-16s %llu %s\n", "period", (unsigned long long)o->period,
			o->event == EVENT_CYCLES ? "cycles" : "ns");
	fprintf(out, "  %-16s %s\n", "event", event_name(o->event));
	fprintf(out, "  %-16s %s\n", "upload", o->upload ? "true" : "false");
	if (o->endpoint_desc)
		fprintf(out, "  %-16s %s%s\n", "endpoint", o->endpoint_desc,
			o->agentless ? " (agentless)" : "");
}
