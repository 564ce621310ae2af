// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof: a continuous profiler for compiled code.
 *
 *   hrprof [options] -- COMMAND...   profile a command
 *   hrprof -p PID | -g               profile a process, or the whole host
 *   hrprof report FILE...            print a profile's top functions
 *   hrprof report --flamegraph OUT.html FILE...  write them as a flame graph page
 *   hrprof doctor [-p PID]           check what profiling needs here
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "config.h"
#include "options/options.h"
#include "report/report.h"

/* `hrprof doctor [-p PID] [options]`: the daemon's options, read as the
 * daemon reads them, checked against this machine. */
static int doctor_main(int argc, char **argv)
{
	struct doctor_config cfg;
	struct options opts;
	int rc = DOCTOR_OK;

	if (options_parse_settings(&opts, argc, argv)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts.show_help) {
		doctor_usage(stdout);
		goto out;
	}
	log_set_level(opts.log_level);
	config_doctor(&opts, &cfg);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = doctor_run(&cfg, stdout);
	curl_global_cleanup();
out:
	options_free(&opts);
	return rc;
}

int main(int argc, char **argv)
{
	const struct backend_ops *ops;
	struct session_config cfg;
	struct options opts;
	int rc = 0, err;

	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "doctor"))
		return doctor_main(argc - 1, argv + 1);
	if (options_parse(&opts, argc, argv)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts.capture_config && (err = options_write_config(&opts, opts.capture_config))) {
		fprintf(stderr, "hrprof: --capture_config: cannot write '%s': %s\n",
			opts.capture_config, strerror(-err));
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts.show_event_help) {
		options_event_help(stdout);
		goto out;
	}
	if (opts.show_help) {
		options_usage(stdout);
		goto out;
	}
	if (opts.show_version) {
		printf("hrprof %s\n", HRPROF_VERSION);
		goto out;
	}
	log_set_level(opts.log_level);
	if (opts.show_config)
		options_print(&opts, stdout);
	config_session(&opts, &cfg);
	if (!opts.enabled) {
		if (opts.mode != TARGET_WRAP) {
			log_notice("profiling disabled (--enable false)");
			goto out;
		}
		rc = session_exec(&cfg);
		goto out;
	}
	ops = backend_choose(&cfg.sampling);
	if (!ops) {
		rc = EXIT_USAGE;
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = session_run(&cfg, ops);
	curl_global_cleanup();
out:
	options_free(&opts);
	return rc;
}
