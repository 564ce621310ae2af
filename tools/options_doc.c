// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the option reference from userspace/options/options_table.c
 * (`make docs`):
 *
 *   options_doc md            docs/options.md, on stdout
 *   options_doc man TEMPLATE  the man page: TEMPLATE with its @OPTIONS@
 *                             line replaced by the OPTIONS and ENVIRONMENT
 *                             sections, on stdout
 *
 * Exit 0, 1 on an unreadable template or a write error, 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "options/options.h"

static int man(const char *template)
{
	FILE *in = fopen(template, "r");
	char line[4096];
	int found = 0;

	if (!in) {
		perror(template);
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		if (!strcmp(line, "@OPTIONS@\n")) {
			options_doc_man(stdout);
			found++;
		} else {
			fputs(line, stdout);
		}
	}
	fclose(in);
	if (found != 1) {
		fprintf(stderr, "options_doc: %s: %d @OPTIONS@ lines, want 1\n", template, found);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 2 && !strcmp(argv[1], "md")) {
		options_doc_markdown(stdout);
		rc = 0;
	} else if (argc == 3 && !strcmp(argv[1], "man")) {
		rc = man(argv[2]);
	} else {
		fprintf(stderr, "usage: options_doc md | man TEMPLATE\n");
		return 2;
	}
	if (fflush(stdout) || ferror(stdout)) {
		perror("options_doc");
		return 1;
	}
	return rc;
}
