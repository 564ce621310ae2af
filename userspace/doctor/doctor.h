/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hrprof doctor: the troubleshooting guide's checks, run on this machine
 * and, with -p PID, on one process and the files it runs. Each check
 * prints one line:
 *
 *   <level>  <check>: <finding>[ -- fix: <what to do>]
 *
 * level is ok, warn (profiling works, with less: no kernel frames, no
 * uploads, unnamed frames) or fail (profiling cannot work).
 */
#ifndef HRPROF_DOCTOR_H
#define HRPROF_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "backend/backend.h"
#include "export/export.h"

/* The exit status: no check failed, or one did (a bad flag or pid is the
 * options' EXIT_USAGE). */
#define DOCTOR_OK   0
#define DOCTOR_FAIL 1

/* What the daemon would do, as its options resolve: what doctor checks. */
struct doctor_config {
	struct backend_config sampling;
	int pid;		/* -p PID: that process too; 0: none */
	const char *output_dir; /* --output, or NULL */
	bool upload;		/* profiles go to the Agent or intake, as agent says */
	struct upload_config agent;
};

/* Runs every check, printing its line to out. Returns DOCTOR_OK or DOCTOR_FAIL. */
int doctor_run(const struct doctor_config *cfg, FILE *out);
/* `hrprof doctor -h`. */
void doctor_usage(FILE *out);

#endif
