/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where the resolved options (options/options.h) become each
 * component's small configuration: a session's (its backend's, export
 * thread's, profile builder's and uploader's among them) and doctor's.
 * Nothing below main.c sees struct options.
 */
#ifndef HRPROF_CONFIG_H
#define HRPROF_CONFIG_H

#include "doctor/doctor.h"
#include "options/options.h"
#include "session/session.h"

/* Fills c from o (its strings are o's: o outlives c). */
void config_session(const struct options *o, struct session_config *c);
void config_doctor(const struct options *o, struct doctor_config *c);

#endif
