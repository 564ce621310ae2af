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
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "doctor/doctor.h"
#include "base/log.h"
#include "options/options.h"
#include "profile/pprof.h"
#include "report/report.h"
#include "session.h"
#include "base/util.h"

int main(int argc, char **argv)
{
	const struct backend_ops *ops;
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
	if (!opts.enabled) {
		if (opts.mode != TARGET_WRAP) {
			log_notice("profiling disabled (--enable false)");
			goto out;
		}
		if (opts.switch_user && (err = become_user(opts.switch_user))) {
			fprintf(stderr, "hrprof: cannot become %s: %s\n", opts.switch_user,
				strerror(-err));
			rc = 126;
			goto out;
		}
		execvp(opts.command[0], opts.command);
		fprintf(stderr, "hrprof: cannot run '%s': %s\n", opts.command[0], strerror(errno));
		rc = errno == ENOENT ? 127 : 126;
		goto out;
	}
	ops = backend_choose(&opts);
	if (!ops) {
		rc = EXIT_USAGE;
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = session_run(&opts, ops);
	curl_global_cleanup();
out:
	options_free(&opts);
	return rc;
}
