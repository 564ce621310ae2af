// SPDX-License-Identifier: GPL-2.0
/*
 * Logging (log.h): one line a message, prefixed with the level, to
 * stderr, stdout, a file or syslog (log_syslog.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "log_syslog.h"

static enum log_level log_level = LOG_NOTICE;
static FILE *log_file;
static bool log_syslog;

static const char *const level_names[] = {
    [LOG_DEBUG] = "debug", [LOG_INFO] = "informational", [LOG_NOTICE] = "notice",
    [LOG_WARN] = "warn",   [LOG_ERROR] = "error",	 [LOG_OFF] = "off",
};

int log_level_parse(const char *name, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} aliases[] = {
	    {"debug", LOG_DEBUG}, {"informational", LOG_INFO},
	    {"info", LOG_INFO},	  {"notice", LOG_NOTICE},
	    {"warn", LOG_WARN},	  {"warning", LOG_WARN},
	    {"error", LOG_ERROR}, {"off", LOG_OFF},
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcasecmp(name, aliases[i].name)) {
			*level = aliases[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_OFF ? level_names[level] : "?";
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level >= log_level && level < LOG_OFF;
}

int log_set_mode(const char *mode)
{
	FILE *f;

	if (!strcasecmp(mode, "stderr")) {
		f = stderr;
	} else if (!strcasecmp(mode, "stdout")) {
		f = stdout;
	} else if (!strcasecmp(mode, "disabled")) {
		log_level = LOG_OFF;
		return 0;
	} else if (!strcasecmp(mode, "syslog")) {
		log_syslog_open();
		log_syslog = true;
		return 0;
	} else {
		f = fopen(mode, "ae");
		if (!f)
			return -errno;
		setvbuf(f, NULL, _IOLBF, 0);
	}
	if (log_file && log_file != stderr && log_file != stdout)
		fclose(log_file);
	log_file = f;
	return 0;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = {"debug", "info", "notice", "warn", "error", ""};
	FILE *f = log_file ? log_file : stderr;
	char line[2048];
	va_list ap;
	int saved = errno;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		log_syslog_line((int)level, line);
	else
		fprintf(f, "hrprof: %s: %s\n", tags[level], line);
	errno = saved;
}
