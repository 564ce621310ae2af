/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The log's syslog mode (log_syslog.c), kept apart so that log.c does not
 * see <syslog.h>'s names.
 */
#ifndef HRPROF_LOG_SYSLOG_H
#define HRPROF_LOG_SYSLOG_H

void log_syslog_open(void);
/* level: enum log_level's value (debug 0 .. error 4). */
void log_syslog_line(int level, const char *line);

#endif
