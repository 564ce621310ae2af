/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HRPROF_SESSION_H
#define HRPROF_SESSION_H

#include "backend/backend.h"
#include "options/options.h"

/* Profiles opts' target with ops until it exits or a signal stops it. Returns
 * the process exit code: the command's status in wrap mode. */
int session_run(const struct options *opts, const struct backend_ops *ops);

#endif
