// SPDX-License-Identifier: GPL-2.0
/*
 * The option reference, written from the one table (options_table.c):
 * docs/options.md and the man page's OPTIONS and ENVIRONMENT sections,
 * made by `make docs` (tools/options_doc.c). --help is the table's too, so
 * the three cannot disagree once regenerated; `make check` fails when the
 * committed files are stale.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "options_table.h"

/* In --help, the reference's main table and the man page's OPTIONS. */
static bool documented(const struct opt_def *d)
{
	return d->name && d->help;
}

/* One of ddprof's options: in the reference's ddprof table. */
static bool ddprofs(const struct opt_def *d)
{
	return d->ddprof || d->kind == K_NA;
}

/* s with what would end a table cell, start a tag or emphasis escaped
 * (GitHub's Markdown leaves a '_' inside a word alone). */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("|*<>`", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* "`-F`, `--frequency HZ`" */
static void md_flags(FILE *out, const struct opt_def *d)
{
	if (d->short_name)
		fprintf(out, "`-%c`, ", d->short_name);
	fprintf(out, "`--%s%s%s`", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
	if (d->alias)
		fprintf(out, ", `--%s`", d->alias);
}

static void md_meaning(FILE *out, const struct opt_def *d)
{
	char list[160];

	md_text(out, d->help);
	if (d->kind == K_CHOICE) {
		options_choice_list(d->choices, list, sizeof(list));
		fputs(": ", out);
		md_text(out, list);
	}
	if (d->doc) {
		fputs("; ", out);
		md_text(out, d->doc);
	}
}

static const char md_intro[] =
    "<!-- Generated from userspace/options/options_table.c by `make docs`: edit the table, "
    "not this file. -->\n"
    "# Options\n\n"
    "Every option of the daemon (`hrprof [options] -- COMMAND`, `-p PID`, `-g`; `hrprof "
    "doctor` reads the same ones). Flags win over a `--config` file, which wins over "
    "environment variables, which win over the defaults. Every long name is also accepted "
    "with `-` for `_` and the other way round. A boolean that ddprof reads with a value "
    "(`-I`, `--enable`, `--agentless`, `--do_export`) takes it attached (`-Itrue`, "
    "`--enable=false`), as the next word when that word is a boolean (`-I true`), or not at "
    "all (true). A bad value prints one line and exits with status 2 before anything "
    "starts. [usage.md](usage.md) says how they work together.\n\n";

static const char md_ddprof[] =
    "## ddprof's options\n\n"
    "Every option of ddprof's (its `src/ddprof_cli.cc`, read at commit 3c60440; "
    "[ddprof-cli.md](ddprof-cli.md) has ddprof's own definitions), with its environment "
    "variable, and what hrprof does with it. \"Warns\": accepted, one line saying why it has "
    "no effect here, and the command runs.\n\n"
    "| ddprof | environment | hrprof |\n"
    "|---|---|---|\n"
    "| `COMMAND...` | | the same: profile the command (and its children) |\n";

void options_doc_markdown(FILE *out)
{
	fputs(md_intro, out);
	fputs("| option | environment | default | meaning |\n|---|---|---|---|\n", out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (!documented(d))
			continue;
		fputs("| ", out);
		md_flags(out, d);
		fprintf(out, " | %s%s%s | ", d->env ? "`" : "", d->env ? d->env : "",
			d->env ? "`" : "");
		if (d->def)
			fprintf(out, "`%s`", d->def);
		fputs(" | ", out);
		md_meaning(out, d);
		fputs(" |\n", out);
	}
	fputs("\n## Environment only\n\n| variable | default | meaning |\n|---|---|---|\n", out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (d->name || !d->env || !d->help)
			continue;
		fprintf(out, "| `%s` | %s%s%s | ", d->env, d->def ? "`" : "", d->def ? d->def : "",
			d->def ? "`" : "");
		md_meaning(out, d);
		fputs(" |\n", out);
	}
	fputc('\n', out);
	fputs(md_ddprof, out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (!ddprofs(d))
			continue;
		fputs("| ", out);
		if (d->name)
			md_flags(out, d);
		fprintf(out, " | %s%s%s | ", d->env ? "`" : "", d->env ? d->env : "",
			d->env ? "`" : "");
		if (d->kind == K_NA) {
			fputs("warns: ", out);
			md_text(out, d->na);
		} else {
			md_text(out, d->ddprof);
		}
		fputs(" |\n", out);
	}
	fputs("\nhrprof's own:", out);
	for (size_t i = 0, n = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (documented(d) && !ddprofs(d))
			fprintf(out, "%s `--%s`", n++ ? "," : "", d->name);
	}
	fputs(".\n", out);
}

/* s as roff text: backslashes and hyphens escaped, no line starting a request. */
static void roff_text(FILE *out, const char *s, bool line_start)
{
	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		line_start = false;
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void options_doc_man(FILE *out)
{
	char list[160];

	fputs(".SH OPTIONS\n", out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (!documented(d))
			continue;
		fputs(".TP\n", out);
		if (d->short_name)
			fprintf(out, "\\fB\\-%c\\fR, ", d->short_name);
		fputs("\\fB", out);
		roff_text(out, "--", false);
		roff_text(out, d->name, false);
		fputs("\\fR", out);
		if (d->arg) {
			fputs(" \\fI", out);
			roff_text(out, d->arg, false);
			fputs("\\fR", out);
		}
		if (d->alias) {
			fputs(", \\fB", out);
			roff_text(out, "--", false);
			roff_text(out, d->alias, false);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff_text(out, d->help, true);
		if (d->kind == K_CHOICE) {
			options_choice_list(d->choices, list, sizeof(list));
			fputs(": ", out);
			roff_text(out, list, false);
		}
		if (d->doc) {
			fputs("; ", out);
			roff_text(out, d->doc, false);
		}
		if (d->def) {
			fputs(" (default ", out);
			roff_text(out, d->def, false);
			fputc(')', out);
		}
		fputs(".\n", out);
	}
	fputs(".SH ENVIRONMENT\n"
	      "A command-line option wins over its variable; a variable over the default.\n",
	      out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (!d->env || !(documented(d) || (!d->name && d->help)))
			continue;
		fputs(".TP\n.B ", out);
		roff_text(out, d->env, false);
		fputc('\n', out);
		if (d->name) {
			fputs("As \\fB", out);
			roff_text(out, "--", false);
			roff_text(out, d->name, false);
			fputs("\\fR.\n", out);
		} else {
			roff_text(out, d->help, true);
			fputs(".\n", out);
		}
	}
}
