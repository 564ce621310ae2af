// SPDX-License-Identifier: GPL-2.0
/*
 * --log_mode syslog. Apart from log.c, whose level names (LOG_DEBUG...)
 * are <syslog.h>'s macros too.
 */
#include <syslog.h>

#include "log_syslog.h"

void log_syslog_open(void)
{
	openlog("hrprof", LOG_PID, LOG_DAEMON);
}

void log_syslog_line(int level, const char *line)
{
	/* log.h's levels, debug to error */
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR};

	syslog(prio[level >= 0 && level < 5 ? level : 4], "%s", line);
}
