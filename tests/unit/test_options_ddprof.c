// SPDX-License-Identifier: GPL-2.0
/*
 * options_parse on ddprof's command line (docs/ddprof-cli.md): both
 * spellings of every long name, booleans that take a value, the timeline,
 * events in ddprof's syntax, presets, ddprof's options that have no effect
 * here (a warning each), the profiler's own values, a config file below the
 * command line and above the environment (--config, DD_PROFILING_NATIVE_CONFIG,
 * a bad one naming its line), and --capture_config read back by --config.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "options/options.h"
#include "options_check.h"

/* Writes text to a file in tmpdir; its path. */
static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* Accepted with warnings: zero and n lines on stderr. */
#define WARNS(o, n, ...)                                                                           \
	do {                                                                                       \
		int r_ = parse(o, __VA_ARGS__, NULL);                                              \
		CHECKF(r_ == 0 && err_lines == (n), "want 0 and %d warnings, got %d and '%s'",     \
		       (n), r_, err_oneline());                                                    \
	} while (0)

/* ddprof's command line (docs/ddprof-cli.md): spellings, values, file, events. */
static void test_ddprof(void)
{
	char prefix[PATH_MAX], conf[PATH_MAX], cap[PATH_MAX];
	struct options o = {0};

	env_clear();
	/* -o is --log_mode, as in ddprof; the profile directory is --output. */
	GOOD(&o, "-o", "stderr", "./cmd");
	CHECKF(STREQ(o.log_mode, "stderr") && !o.output_dir, "log_mode %s output %s", o.log_mode,
	       o.output_dir);
	GOOD(&o, "--log-mode", "STDERR", "./cmd");
	/* Both spellings of every long name. */
	GOOD(&o, "--service-version", "3", "--upload-period", "7", "--show-config",
	     "--stack-sample-size", "4096", "--maximum_pids", "-1", "--log-level", "warn", "./cmd");
	CHECKF(STREQ(o.service_version, "3") && o.upload_period == 7 && o.show_config &&
		   o.stack_sample_size == 4096 && o.maximum_pids == 1000000 &&
		   o.log_level == LOG_WARN,
	       "version %s period %u show %d stack %u pids %u level %d", o.service_version,
	       o.upload_period, o.show_config, o.stack_sample_size, o.maximum_pids, o.log_level);
	/* Booleans that take a value in ddprof: alone, attached, or the next word. */
	GOOD(&o, "-I", "./cmd");
	CHECK(o.inlined_functions && o.command && STREQ(o.command[0], "./cmd"));
	GOOD(&o, "-Ifalse", "./cmd");
	CHECK(!o.inlined_functions && STREQ(o.command[0], "./cmd"));
	GOOD(&o, "-I", "true", "./cmd");
	CHECK(o.inlined_functions && STREQ(o.command[0], "./cmd"));
	GOOD(&o, "./cmd");
	CHECK(o.inlined_functions); /* on by default: its cost is small */
	GOOD(&o, "--inlined_functions", "false", "./cmd");
	CHECK(!o.inlined_functions && STREQ(o.command[0], "./cmd"));
	GOOD(&o, "--inlined-functions=0", "--agentless", "no", "--do_export", "false", "./cmd");
	CHECK(!o.inlined_functions && !o.agentless && !o.do_export && !o.upload);
	/* The timeline: on by default, --no-timeline, the variable. */
	GOOD(&o, "./cmd");
	CHECK(o.timeline);
	GOOD(&o, "--no-timeline", "./cmd");
	CHECK(!o.timeline);
	setenv("DD_PROFILING_TIMELINE_ENABLE", "false", 1);
	GOOD(&o, "./cmd");
	CHECK(!o.timeline);
	GOOD(&o, "--timeline", "./cmd");
	CHECK(o.timeline);
	env_clear();
	/* Events in ddprof's syntax. */
	GOOD(&o, "-e", "sCPU period=2000000", "./cmd");
	CHECKF(o.event == EVENT_CPU_CLOCK && o.frequency == 500 && !o.period, "event %d F %u",
	       o.event, o.frequency);
	GOOD(&o, "-e", "hCPU,p=100000", "./cmd");
	CHECKF(o.event == EVENT_CYCLES && o.period == 100000, "event %d period %llu", o.event,
	       (unsigned long long)o.period);
	GOOD(&o, "-e", "sCPU f=250", "./cmd");
	CHECKF(o.frequency == 250, "F %u", o.frequency);
	GOOD(&o, "-e", " ; sCPU frequency=123 ;; ", "./cmd");
	CHECKF(o.frequency == 123, "F %u", o.frequency);
	WARNS(&o, 1, "-e", "sCPU;sALLOC", "./cmd");
	WARNS(&o, 1, "-e", "sALLOC period=-524288;sCPU", "./cmd");
	CHECK(o.event == EVENT_CPU_CLOCK);
	WARNS(&o, 1, "-e", "hCPU", "-e", "sCPU", "./cmd");
	CHECKF(o.event == EVENT_CYCLES, "the first event: %d", o.event);
	WARNS(&o, 1, "-e", "sCPU mode=l", "./cmd");
	WARNS(&o, 2, "-e", "sPF", "./cmd"); /* left out; then CPU time it is */
	BAD(&o, "-e", "sCPU period=0", "./cmd");
	BAD(&o, "-e", "sCPU p=1,f=2", "./cmd");
	BAD(&o, "-e", "sCPU bogus=1", "./cmd");
	BAD(&o, "-e", "sCPU hCPU", "./cmd");
	setenv("DD_PROFILING_NATIVE_EVENTS", "hCPU", 1);
	GOOD(&o, "-e", "sCPU", "./cmd"); /* the flag replaces the variable's list */
	CHECK(o.event == EVENT_CPU_CLOCK);
	env_clear();
	/* Presets. */
	GOOD(&o, "--preset", "cpu_only", "./cmd");
	WARNS(&o, 1, "--preset", "alloc_only", "./cmd");
	CHECK(o.event == EVENT_CPU_CLOCK);
	WARNS(&o, 1, "--preset", "cpu_live_heap", "./cmd");
	BAD(&o, "--preset", "everything", "./cmd");
	setenv("DD_PROFILING_NATIVE_PRESET", "nope", 1);
	BAD(&o, "./cmd");
	CHECKF(strstr(err_text, "DD_PROFILING_NATIVE_PRESET"), "'%s'", err_oneline());
	env_clear();
	/* Options of ddprof's that have no effect here: a warning each. */
	WARNS(&o, 2, "--fault_info", "true", "--socket", "/x", "./cmd");
	WARNS(&o, 1, "--no-reorder-events", "./cmd");
	/* Values for the profiler itself. */
	GOOD(&o, "--nice", "5", "--cpu_affinity", "0x3", "--runtime_id", "abc", "--worker_period",
	     "2", "./cmd");
	CHECKF(o.nice_set && o.nice == 5 && o.cpu_mask_set && o.cpu_mask[0] == 3 &&
		   STREQ(o.runtime_id, "abc") && o.worker_period == 2,
	       "nice %d/%d mask %llx", o.nice_set, o.nice, (unsigned long long)o.cpu_mask[0]);
	GOOD(&o, "--cpu_affinity", "1,0", "./cmd");
	CHECKF(o.cpu_mask[0] == 0x10, "mask %llx", (unsigned long long)o.cpu_mask[0]);
	WARNS(&o, 1, "--cpu_affinity", "xyz", "./cmd");
	CHECK(!o.cpu_mask_set);
	BAD(&o, "--nice", "20", "./cmd");
	BAD(&o, "--nice", "x", "./cmd");
	BAD(&o, "--switch_user", "no-such-user-hrprof", "./cmd");
	GOOD(&o, "--switch_user", "root", "./cmd");
	/* --debug_pprof_prefix: created, uploads stay on. */
	snprintf(prefix, sizeof(prefix), "%s/pp/run-", tmpdir);
	GOOD(&o, "--debug_pprof_prefix", prefix, "./cmd");
	CHECK(o.upload && STREQ(o.pprof_prefix, prefix));
	BAD(&o, "--debug_pprof_prefix", "/proc/nope/x-", "./cmd");

	/* A config file: below the command line, above the environment. */
	snprintf(conf, sizeof(conf), "%s",
		 write_file("ddprof.toml", "# ddprof's test file, in its format\n"
					   "service=\"from-file\"\n"
					   "environment = 'ci'\n"
					   "upload_period=3\n"
					   "log_level=\"informational\"\n"
					   "show_config=1\n"
					   "event=\"sCPU,period=1000000\"\n"
					   "event=\"sALLOC\"\n"
					   "S = shortname-loses\n"
					   "[elsewhere]\n"
					   "service=ignored\n"));
	setenv("DD_ENV", "from-env", 1);
	setenv("DD_SERVICE", "env-svc", 1);
	WARNS(&o, 1, "--config", conf, "-u", "9", "./cmd");
	CHECKF(STREQ(o.service, "shortname-loses") || STREQ(o.service, "from-file"), "service %s",
	       o.service);
	CHECKF(STREQ(o.environment, "ci") && o.upload_period == 9 && o.log_level == LOG_INFO &&
		   o.show_config && o.frequency == 1000,
	       "env %s period %u level %d F %u", o.environment, o.upload_period, o.log_level,
	       o.frequency);
	env_clear();
	setenv("DD_PROFILING_NATIVE_CONFIG", conf, 1);
	WARNS(&o, 1, "./cmd");
	CHECK(STREQ(o.environment, "ci"));
	env_clear();
	BAD(&o, "--config", "/nonexistent/ddprof.toml", "./cmd");
	snprintf(conf, sizeof(conf), "%s", write_file("bad.toml", "upload_period=abc\n"));
	BAD(&o, "--config", conf, "./cmd");
	CHECKF(strstr(err_text, "bad.toml:1"), "names the line: '%s'", err_oneline());
	snprintf(conf, sizeof(conf), "%s",
		 write_file("cmd.toml", "command_line=[\"/bin/echo\", \"hi there\",\n 3]\n"
					"nosuchoption=1\n"));
	WARNS(&o, 1, "--config", conf);
	CHECKF(o.command && STREQ(argv_str(o.command), "/bin/echo hi there 3"), "command '%s'",
	       argv_str(o.command));

	/* --capture_config writes what --config reads back. */
	snprintf(cap, sizeof(cap), "%s/captured.toml", tmpdir);
	GOOD(&o, "--capture_config", cap, "-S", "cap-svc", "-e", "hCPU p=5000", "--no-timeline",
	     "-u", "4", "-g");
	CHECK(options_write_config(&o, cap) == 0);
	GOOD(&o, "--config", cap);
	CHECKF(STREQ(o.service, "cap-svc") && o.event == EVENT_CYCLES && o.period == 5000 &&
		   !o.timeline && o.upload_period == 4 && o.mode == TARGET_GLOBAL,
	       "service %s event %d period %llu timeline %d period %u mode %d", o.service, o.event,
	       (unsigned long long)o.period, o.timeline, o.upload_period, o.mode);
	/* -e help asks for the syntax. */
	GOOD(&o, "-e", "help");
	CHECK(o.show_event_help);
	options_free(&o);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(err_path, sizeof(err_path), "%s/stderr.txt", tmpdir);

	test_ddprof();

	env_clear();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit("test_options_ddprof");
}
