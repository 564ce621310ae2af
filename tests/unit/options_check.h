/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the option parser's unit tests share: options_parse on an argument
 * list with stderr caught (GOOD: zero and nothing on stderr; BAD: -EINVAL
 * and exactly one line), the DD_* variables cleared before each case, a
 * scratch directory (tmpdir, made by main and removed with rm_entry), and
 * ways to print a command and what stderr said on one line.
 */
#ifndef HRPROF_TEST_OPTIONS_CHECK_H
#define HRPROF_TEST_OPTIONS_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "options/options.h"

#define MAX_ARGS 32

static char tmpdir[] = "/tmp/hrprof-test-options-XXXXXX";
static char err_path[PATH_MAX];
static char err_text[4096];
static int err_lines;

static const char *const dd_vars[] = {
    "DD_SERVICE",
    "DD_ENV",
    "DD_VERSION",
    "DD_TAGS",
    "DD_PROFILING_UPLOAD_PERIOD",
    "DD_PROFILING_NATIVE_LOG_LEVEL",
    "DD_PROFILING_NATIVE_LOG_MODE",
    "DD_PROFILING_NATIVE_EVENTS",
    "DD_PROFILING_ENABLED",
    "DD_PROFILING_MAXIMUM_PIDS",
    "DD_PROFILING_SHOW_CONFIG",
    "DD_PROFILING_NATIVE_PRESET",
    "DD_PROFILING_INLINED_FUNCTIONS",
    "DD_PROFILING_TIMELINE_ENABLE",
    "DD_PROFILING_PPROF_PREFIX",
    "DD_PROFILING_DO_EXPORT",
    "DD_PROFILING_SWITCH_USER",
    "DD_PROFILING_NICE",
    "DD_PROFILING_CPU_AFFINITY",
    "DD_PROFILING_INTERNAL_STATS",
    "DD_PROFILING_SHOW_SAMPLES",
    "DD_PROFILING_RUNTIME_ID",
    "DD_PROFILING_WORKER_PERIOD",
    "DD_PROFILING_NATIVE_CONFIG",
    "DD_PROFILING_FAULT_INFO",
    "DD_PROFILING_SAMPLE_STACK_USER",
    /* Where uploads go: not this test's subject, but must not leak in from outside. */
    "DD_TRACE_AGENT_URL",
    "DD_AGENT_HOST",
    "DD_TRACE_AGENT_PORT",
    "DD_API_KEY",
    "DD_SITE",
    "DD_PROFILING_AGENTLESS",
    "HRPROF_INTAKE_URL",
};

static inline void env_clear(void)
{
	for (size_t i = 0; i < sizeof(dd_vars) / sizeof(dd_vars[0]); i++)
		unsetenv(dd_vars[i]);
}

/*
 * Parses argv (NULL-terminated, "hrprof" first) with stderr sent to a file;
 * leaves what was printed in err_text and its line count in err_lines. The
 * argv array is static storage owned by the caller so that o->command may
 * point into it. o must be zeroed before its first use: what an earlier parse
 * into it allocated is freed here.
 */
static inline int parse_v(struct options *o, char **argv)
{
	int argc = 0, saved, fd, ret;
	ssize_t n;

	while (argv[argc])
		argc++;
	options_free(o); /* what the previous parse into o allocated */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved < 0 || fd < 0) {
		printf("FAIL: cannot redirect stderr: %s\n", strerror(errno));
		exit(1);
	}
	dup2(fd, STDERR_FILENO);
	ret = options_parse(o, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, err_text, sizeof(err_text) - 1, 0);
	close(fd);
	err_text[n > 0 ? n : 0] = 0;
	err_lines = 0;
	for (char *c = err_text; *c; c++)
		err_lines += *c == '\n';
	if (*err_text && err_text[strlen(err_text) - 1] != '\n')
		err_lines++; /* an unterminated line counts too */
	return ret;
}

/* Keeps the argv of each call alive: o->command points into it. */
static char *argv_pool[64][MAX_ARGS];
static size_t argv_used;

static inline char **make_argv(const char *first, va_list ap)
{
	char **argv = argv_pool[argv_used++ % 64];
	int n = 0;

	argv[n++] = "hrprof";
	for (const char *a = first; a && n < MAX_ARGS - 1; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	argv[n] = NULL;
	return argv;
}

/* parse(&o, "-F", "10", "./cmd", NULL): the arguments after "hrprof". */
static inline int parse(struct options *o, const char *first, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, first);
	argv = make_argv(first, ap);
	va_end(ap);
	return parse_v(o, argv);
}

static inline const char *argv_str(char **argv)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = 0;
	for (; argv && *argv && len < sizeof(buf) - 1; argv++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "", *argv);
	return argv ? buf : "(null)";
}

/* err_text on one line: newlines shown as " | ". */
static inline const char *err_oneline(void)
{
	static char buf[sizeof(err_text) * 3];
	size_t n = 0;

	for (const char *c = err_text; *c && n < sizeof(buf) - 4; c++) {
		if (*c != '\n')
			buf[n++] = *c;
		else if (c[1])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " | ");
	}
	buf[n] = 0;
	return buf;
}

/* A good parse: zero and nothing on stderr. */
#define GOOD(o, ...)                                                                               \
	do {                                                                                       \
		int r_ = parse(o, __VA_ARGS__, NULL);                                              \
		CHECKF(r_ == 0 && err_lines == 0, "want 0 and no stderr, got %d and '%s'", r_,     \
		       err_oneline());                                                             \
	} while (0)

/* A bad parse: -EINVAL and exactly one line on stderr. */
#define BAD(o, ...)                                                                                \
	do {                                                                                       \
		int r_ = parse(o, __VA_ARGS__, NULL);                                              \
		CHECKF(r_ == -EINVAL && err_lines == 1,                                            \
		       "want -EINVAL and one stderr line, got %d and %d lines: '%s'", r_,          \
		       err_lines, err_oneline());                                                  \
	} while (0)

static inline int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}
#define STREQ(a, b) streq((a), (b))

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

#endif
