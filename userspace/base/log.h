/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging: one line per message on stderr (or a file), prefixed with the level.
 * Levels follow ddprof's names: debug, informational, notice, warn, error.
 */
#ifndef HRPROF_LOG_H
#define HRPROF_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_NOTICE,
	LOG_WARN,
	LOG_ERROR,
	LOG_OFF,
};

/* Returns -EINVAL for a name that is not a level, or zero on success. */
int log_level_parse(const char *name, enum log_level *level);
const char *log_level_name(enum log_level level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* Sends messages to path (appending), "stderr", "stdout" or "disabled". Returns -errno. */
int log_set_mode(const char *mode);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)

#endif
