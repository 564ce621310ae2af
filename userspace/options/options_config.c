// SPDX-License-Identifier: GPL-2.0
/*
 * ddprof's config file (--config, DD_PROFILING_NATIVE_CONFIG, else
 * ./ddprof.toml when it exists): the line format of CLI11, which ddprof
 * parses its command line with. One "name=value" a line; '#' or ';' starts
 * a comment line; values may be quoted ("..." or '...') or lists
 * ([a, "b"], on one line or several); a name alone is name=true; names are
 * any spelling of an option's long name, its one-letter short name, or its
 * environment variable; "command_line" gives the command. Lines under a
 * [section] header are not hrprof's (ddprof has no sections) and are
 * skipped. The command line wins over the file, the file over the
 * environment. --capture_config writes the options given in the same
 * format.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "options_table.h"

#define CONFIG_MAX_BYTES  (1u << 20)
#define CONFIG_MAX_VALUES 64 /* of one list */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* The first of stop in s outside quotes ("..." or '...'), or its end. */
static char *unquoted_chr(char *s, char stop)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == q)
				q = 0;
		} else if (*s == '"' || *s == '\'') {
			q = *s;
		} else if (*s == stop) {
			break;
		}
	}
	return s;
}

/* Cuts a '#' comment outside quotes. */
static void cut_comment(char *s)
{
	*unquoted_chr(s, '#') = 0;
}

/* The value without its quotes. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = 0;
		return v + 1;
	}
	return v;
}

/* Splits "a, "b", c" (a list's inside) into vals; their count. */
static size_t split_list(char *s, char **vals, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		char *start;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		start = s;
		s = unquoted_chr(s, ',');
		if (*s)
			*s++ = 0;
		vals[n++] = unquote(trim(start));
	}
	return n;
}

/* The option a config key names, or NULL. */
static const struct opt_def *by_key(const char *key)
{
	const struct opt_def *d = options_by_name(key);

	if (d)
		return d;
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *e = &opts_table[i];

		if (e->name && ((key[0] && !key[1] && e->short_name == key[0]) ||
				(e->env && !strcmp(e->env, key))))
			return e;
	}
	return NULL;
}

static int read_all(const char *path, char **text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;
	size_t len = 0;
	char *buf;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		int err = fstat(fd, &st) ? -errno : !S_ISREG(st.st_mode) ? -EISDIR : -EFBIG;

		close(fd);
		return err;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	*text = buf;
	return 0;
}

/* command_line = ["prog", "arg"...]: the command, when the command line has none. */
static int set_command(struct options *o, char **vals, size_t n)
{
	free(o->config_command);
	o->config_command = calloc(n + 1, sizeof(char *));
	if (!o->config_command)
		return -ENOMEM;
	memcpy(o->config_command, vals, n * sizeof(char *));
	return 0;
}

int options_read_config(struct options *o, const char *path, bool required)
{
	char *text = NULL, *line, *next, *key, *val, *vals[CONFIG_MAX_VALUES], who[PATH_MAX + 32];
	unsigned int lineno = 0;
	bool in_section = false;
	int err = read_all(path, &text);

	if (err == -ENOENT && !required)
		return 0;
	if (err)
		return options_bad("--config: cannot read '%s': %s", path, strerror(-err));
	free(o->config_text);
	o->config_text = text;
	for (line = text; line; line = next) {
		const struct opt_def *d;
		size_t nv;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		line = trim(line);
		if (!*line || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && line[strlen(line) - 1] == ']') {
			in_section = strcmp(line, "[default]") != 0;
			continue;
		}
		cut_comment(line);
		key = line;
		val = strchr(line, '=');
		if (val)
			*val++ = 0;
		key = trim(key);
		val = val ? trim(val) : "true";
		/* A list may go on over the next lines, up to its ']'. */
		if (val[0] == '[' && !strchr(val, ']')) {
			while (next && !strchr(val, ']')) {
				char *more = next;

				next = strchr(more, '\n');
				if (next)
					*next++ = 0;
				lineno++;
				/* join: the text between is ours to overwrite */
				memmove(val + strlen(val) + 1, more, strlen(more) + 1);
				val[strlen(val)] = ' ';
			}
		}
		snprintf(who, sizeof(who), "%s:%u: %s", path, lineno, key);
		if (in_section)
			continue;
		if (val[0] == '[') {
			char *end = strrchr(val, ']');

			if (!end)
				return options_bad("%s: a list without its ']'", who);
			*end = 0;
			nv = split_list(val + 1, vals, CONFIG_MAX_VALUES);
		} else {
			vals[0] = unquote(val);
			nv = 1;
		}
		if (!strcmp(key, "command_line")) {
			if ((err = set_command(o, vals, nv)))
				return err;
			continue;
		}
		if (!strcmp(key, "config"))
			return options_bad("%s: a config file cannot name another", who);
		d = by_key(key);
		if (!d) {
			options_warn("%s: not an option hrprof knows, ignored", who);
			continue;
		}
		/* What the command line gives, it gives: the file does not add to it. */
		for (size_t i = 0; i < nv; i++) {
			if ((err = options_set_from_config(o, d, vals[i], who)))
				return err;
			if (d->kind != K_APPEND)
				break;
		}
	}
	return 0;
}

/* A value, quoted unless a plain number or boolean. */
static void put_value(FILE *f, const char *v)
{
	bool plain = *v && strspn(v, "0123456789") == strlen(v);

	if (plain || !strcmp(v, "true") || !strcmp(v, "false")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

int options_write_config(const struct options *o, const char *path)
{
	char tmp[PATH_MAX], num[32];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "# hrprof's options, as --config reads them (ddprof's format)\n");
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		const void *fp = (const char *)o + d->off;
		const char *v = NULL;

		if (!d->name || !options_given(o, d) || d->secret || d->kind == K_NA ||
		    d->off == offsetof(struct options, capture_config) ||
		    d->off == offsetof(struct options, config_file))
			continue;
		switch (d->kind) {
		case K_STR:
		case K_NONEMPTY:
		case K_APPEND:
			v = *(const char *const *)fp;
			break;
		case K_UINT:
			snprintf(num, sizeof(num), "%u", *(const unsigned int *)fp);
			v = num;
			break;
		case K_INT:
			snprintf(num, sizeof(num), "%d", *(const int *)fp);
			v = num;
			break;
		case K_BOOL:
		case K_FLAG:
		case K_NOFLAG:
			v = *(const bool *)fp ? "true" : "false";
			break;
		case K_LEVEL:
			v = log_level_name(*(const enum log_level *)fp);
			break;
		case K_CHOICE:
		case K_SET:
		case K_NA:
			/* written as the option that set them: their own name */
			if (d->kind == K_CHOICE) {
				int c;

				memcpy(&c, fp, sizeof(int));
				for (const struct opt_choice *ch = d->choices; ch->name; ch++)
					if (ch->value == c) {
						v = ch->name;
						break;
					}
			} else if (d->kind == K_SET) {
				int c;

				memcpy(&c, fp, sizeof(int));
				if (c == d->value)
					v = "true";
			}
			break;
		}
		if (!v)
			continue;
		if (d->kind == K_NOFLAG || d->kind == K_SET) {
			fprintf(f, "%s\n", d->name);
			continue;
		}
		fprintf(f, "%s=", d->name);
		put_value(f, v);
		fputc('\n', f);
	}
	if (o->command) {
		fputs("command_line=[", f);
		for (char **a = o->command; *a; a++) {
			if (a != o->command)
				fputs(", ", f);
			put_value(f, *a);
		}
		fputs("]\n", f);
	}
	if (fflush(f) || fsync(fileno(f))) {
		int err = -errno;

		fclose(f);
		unlink(tmp);
		return err;
	}
	fclose(f);
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}
