/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line and the environment, resolved into one struct options.
 * Flags win over environment variables; environment variables win over the
 * defaults. Names follow ddprof's where they exist.
 */
#ifndef HRPROF_OPTIONS_H
#define HRPROF_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/backend.h"
#include "base/log.h"
#include "unwind/unwind.h"

#define OPTS_MAX 96 /* entries the table of options may hold */

struct options {
	enum target_mode mode;
	int pid;	/* TARGET_PID */
	char **command; /* TARGET_WRAP: NULL-terminated argv */
	enum backend_kind backend;
	uint32_t kmod_source; /* HRPROF_SOURCE_*: --kmod_source, hidden, for tests */
	enum event_kind event;
	char *events;		/* -e values as given, ';'-joined (malloc'd), or NULL */
	const char *preset;	/* --preset, or NULL */
	unsigned int frequency; /* Hz */
	uint64_t period;	/* from -e "... period=N": events between samples; 0: frequency */
	unsigned int upload_period; /* seconds */
	unsigned int max_frames;
	enum unwind_mode unwind;
	unsigned int stack_sample_size; /* bytes of user stack copied per sample */
	unsigned int maximum_pids;
	const char *output_dir;	  /* NULL: no files */
	const char *pprof_prefix; /* --debug_pprof_prefix: each profile also to PREFIX<time>... */
	bool timeline;		  /* each sample's time (end_timestamp_ns) */
	bool inlined_functions;
	unsigned int debuginfod_wait; /* ms a profile waits for debuginfod, at most */
	bool show_samples;
	bool disable_symbolization; /* user frames as addresses only */
	bool do_export;		    /* false: no uploads (ddprof's --do_export) */
	const char *switch_user;    /* the command runs as this user */
	int nice;		    /* the profiler's niceness, when nice_set */
	bool nice_set;
	const char *cpu_affinity; /* hex CPU mask for the profiler, as given */
	uint64_t cpu_mask[16];	  /* cpu_affinity read: CPUs 0..1023 */
	bool cpu_mask_set;
	const char *internal_stats; /* statsd socket or file for hrprof's own counters */
	const char *runtime_id;	    /* NULL: a fresh UUID */
	unsigned int worker_period; /* exports between resets of the symbol caches */
	const char *config_file;    /* --config, or NULL */
	const char *capture_config; /* write the configuration there, or NULL */
	char *config_text;	    /* the config file's text, which values point into */
	char **config_command;	    /* command_line= of the config file (malloc'd) */
	/* How each table entry got its value: OPT_SRC_* (options.c). */
	unsigned char given[OPTS_MAX];
	const char *service;
	const char *environment;
	const char *service_version;
	const char *tags; /* "k:v,k:v" as given */
	/* Where uploads go, as given (resolved into upload_url below). */
	const char *agent_url;
	const char *agent_host;
	const char *agent_port;
	int upload_flag; /* -1 unset, 0 --no-upload, 1 --upload */
	/* Uploads (agent.c). */
	bool upload;	     /* resolved: send profiles to the Agent or intake */
	char *upload_url;    /* full endpoint URL (malloc'd) */
	char *unix_socket;   /* connect through this socket, or NULL */
	char *endpoint_desc; /* where profiles go, for logs (no secrets) */
	bool agentless;
	const char *api_key; /* agentless only; never printed */
	const char *site;
	unsigned int upload_timeout; /* seconds */
	const char *spool_dir;
	unsigned int spool_max_mb;
	unsigned int spool_max_age; /* seconds */
	enum log_level log_level;
	const char *log_mode;
	bool show_config;
	bool show_version;
	bool show_help;
	bool show_event_help; /* -e help */
	bool enabled;
	bool settings_only; /* hrprof doctor: no target needed, no command taken */
};

/* Exit codes. */
#define EXIT_USAGE 2 /* bad flag or value: nothing was started */

/*
 * Fills opts from argv and the environment, both read through one table of
 * options (options.c) that also gives --help and --show_config. On a bad value, prints one line to
 * stderr and returns -EINVAL. Checks that need the system (pid exists, output
 * directory writable, frequency within the kernel's limit) are done here too,
 * before anything is started. Returns zero on success.
 */
int options_parse(struct options *opts, int argc, char **argv);
/* options_parse for hrprof doctor: the same settings, flags, config file and
 * environment, where no target is needed (-p PID optional) and a command is
 * refused. Nothing is created or opened: the rate limit, --output and
 * --log_mode are left unchecked, for doctor's own checks. */
int options_parse_settings(struct options *opts, int argc, char **argv);
void options_print(const struct options *opts, FILE *out);
/* For options*.c: after parsing, the checks that need the system (see
 * options_parse). Returns 0 or -EINVAL after one line on stderr. */
int options_resolve(struct options *opts);
/* -e and --preset into event, frequency, period (options_events.c). */
int options_resolve_events(struct options *opts);
/* Prints "hrprof: <message>" on stderr; returns -EINVAL. */
int options_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "hrprof: warn: <message>" on stderr (before the log is set up). */
void options_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void options_free(struct options *opts);
void options_usage(FILE *out);
/* The reference of every option, from the table (options_doc.c): the
 * Markdown of docs/options.md, or the man page's OPTIONS and ENVIRONMENT
 * sections. */
void options_doc_markdown(FILE *out);
void options_doc_man(FILE *out);
/* -e help: ddprof's event syntax as hrprof reads it. */
void options_event_help(FILE *out);
/*
 * Reads a config file in ddprof's format (options_config.c) into o, below
 * the command line and above the environment. A missing file is an error
 * when required. Returns 0 or -EINVAL after one line on stderr.
 */
int options_read_config(struct options *o, const char *path, bool required);
/* Writes the options given (not defaults) to path in that format. */
int options_write_config(const struct options *o, const char *path);

#endif
