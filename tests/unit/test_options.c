// SPDX-License-Identifier: GPL-2.0
/*
 * options_parse: defaults, every flag in its long and short form, `--` and
 * options after the command belonging to the command, DD_* environment
 * variables and flags winning over them, event aliases, and every bad value
 * answered with -EINVAL and exactly one line on stderr. Parsing many times in
 * one process, bad cases in between, must give the same answers. ddprof's
 * spellings, values and config files are test_options_ddprof's.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "options/options.h"
#include "options_check.h"

static void test_defaults(void)
{
	struct options o = {0};

	env_clear();
	GOOD(&o, "./cmd");
	CHECKF(o.mode == TARGET_WRAP, "mode %d", o.mode);
	CHECKF(o.frequency == 99, "frequency %u", o.frequency);
	CHECKF(o.upload_period == 59, "upload_period %u", o.upload_period);
	CHECKF(STREQ(o.service, "myservice"), "service %s", o.service);
	CHECKF(o.event == EVENT_CPU_CLOCK, "event %d", o.event);
	CHECKF(o.backend == BACKEND_AUTO, "backend %d", o.backend);
	CHECKF(o.max_frames == 512, "max_frames %u", o.max_frames);
	CHECKF(o.maximum_pids == 1000, "maximum_pids %u", o.maximum_pids);
	CHECKF(o.log_level == LOG_NOTICE, "log_level %d", o.log_level);
	CHECKF(STREQ(o.log_mode, "stderr"), "log_mode %s", o.log_mode);
	CHECK(o.enabled);
	CHECK(!o.show_config && !o.show_help && !o.show_version);
	CHECK(!o.output_dir && !o.environment && !o.service_version && !o.tags);
	CHECKF(o.command && STREQ(o.command[0], "./cmd") && !o.command[1], "command '%s'",
	       argv_str(o.command));
	CHECK(!strcmp(event_name(EVENT_CPU_CLOCK), "cpu-clock"));
	CHECK(!strcmp(event_name(EVENT_CYCLES), "cycles"));
	CHECK(!strcmp(backend_name(BACKEND_AUTO), "auto"));
	CHECK(!strcmp(backend_name(BACKEND_KMOD), "kmod"));
	CHECK(!strcmp(backend_name(BACKEND_PERF), "perf"));
	options_free(&o);
}

static void test_flags(void)
{
	char out_short[PATH_MAX], out_long[PATH_MAX], logfile[PATH_MAX], self[16];
	struct options o = {0};

	env_clear();
	snprintf(out_short, sizeof(out_short), "%s/out-short", tmpdir);
	snprintf(out_long, sizeof(out_long), "%s/out-long", tmpdir);
	snprintf(logfile, sizeof(logfile), "%s/log.txt", tmpdir);
	snprintf(self, sizeof(self), "%d", (int)getpid());

	/* Short forms. */
	GOOD(&o, "-S", "svc", "-E", "prod", "-V", "1.2.3", "-T", "a:b,c:d", "-u", "30", "-l",
	     "debug", "-F", "250", "--output", out_short, "-e", "cycles", "./cmd", "arg");
	CHECKF(STREQ(o.service, "svc"), "service %s", o.service);
	CHECKF(STREQ(o.environment, "prod"), "environment %s", o.environment);
	CHECKF(STREQ(o.service_version, "1.2.3"), "version %s", o.service_version);
	CHECKF(STREQ(o.tags, "a:b,c:d"), "tags %s", o.tags);
	CHECKF(o.upload_period == 30, "upload_period %u", o.upload_period);
	CHECKF(o.log_level == LOG_DEBUG, "log_level %d", o.log_level);
	CHECKF(o.frequency == 250, "frequency %u", o.frequency);
	CHECKF(STREQ(o.output_dir, out_short), "output %s", o.output_dir);
	CHECKF(o.event == EVENT_CYCLES, "event %d", o.event);
	CHECKF(o.mode == TARGET_WRAP && STREQ(argv_str(o.command), "./cmd arg"), "command '%s'",
	       argv_str(o.command));

	/* Long forms, both "--x v" and "--x=v". */
	GOOD(&o, "--service", "svc2", "--environment=staging", "--service_version", "9",
	     "--tags=x:y", "--upload_period", "10", "--log_level=warn", "--frequency", "1000",
	     "--output", out_long, "--event=cpu-clock", "--backend", "perf", "--show_config",
	     "--enable", "true", "--max_frames=64", "--maximum_pids", "7", "./cmd");
	CHECKF(STREQ(o.service, "svc2"), "service %s", o.service);
	CHECKF(STREQ(o.environment, "staging"), "environment %s", o.environment);
	CHECKF(STREQ(o.service_version, "9"), "version %s", o.service_version);
	CHECKF(STREQ(o.tags, "x:y"), "tags %s", o.tags);
	CHECKF(o.upload_period == 10, "upload_period %u", o.upload_period);
	CHECKF(o.log_level == LOG_WARN, "log_level %d", o.log_level);
	CHECKF(o.frequency == 1000, "frequency %u", o.frequency);
	CHECKF(STREQ(o.output_dir, out_long), "output %s", o.output_dir);
	CHECKF(o.event == EVENT_CPU_CLOCK, "event %d", o.event);
	CHECKF(o.backend == BACKEND_PERF, "backend %d", o.backend);
	CHECK(o.show_config);
	CHECK(o.enabled);
	CHECKF(o.max_frames == 64, "max_frames %u", o.max_frames);
	CHECKF(o.maximum_pids == 7, "maximum_pids %u", o.maximum_pids);

	/* Attached short values, the other spelling of maximum_pids, other backends. */
	GOOD(&o, "-F10", "-Sattached", "--maximum-pids", "3", "--backend=kmod", "./cmd");
	CHECKF(o.frequency == 10, "frequency %u", o.frequency);
	CHECKF(STREQ(o.service, "attached"), "service %s", o.service);
	CHECKF(o.maximum_pids == 3, "maximum_pids %u", o.maximum_pids);
	CHECKF(o.backend == BACKEND_KMOD, "backend %d", o.backend);
	GOOD(&o, "--backend", "auto", "./cmd");
	CHECKF(o.backend == BACKEND_AUTO, "backend %d", o.backend);

	/* --max_frames bounds: 8 and 1024 are fine. */
	GOOD(&o, "--max_frames", "8", "./cmd");
	CHECKF(o.max_frames == 8, "max_frames %u", o.max_frames);
	GOOD(&o, "--max_frames", "1024", "./cmd");
	CHECKF(o.max_frames == 1024, "max_frames %u", o.max_frames);

	/* Log levels, case-insensitive. */
	GOOD(&o, "-l", "informational", "./cmd");
	CHECKF(o.log_level == LOG_INFO, "log_level %d", o.log_level);
	GOOD(&o, "--log_level", "ERROR", "./cmd");
	CHECKF(o.log_level == LOG_ERROR, "log_level %d", o.log_level);
	GOOD(&o, "-l", "notice", "./cmd");
	CHECKF(o.log_level == LOG_NOTICE, "log_level %d", o.log_level);

	/* --log_mode to a file opens it. */
	GOOD(&o, "--log_mode", logfile, "./cmd");
	CHECKF(STREQ(o.log_mode, logfile), "log_mode %s", o.log_mode);
	CHECKF(!access(logfile, F_OK), "%s not created", logfile);
	log_set_mode("stderr");

	/* --enable false. */
	GOOD(&o, "--enable", "false", "./cmd");
	CHECK(!o.enabled);
	GOOD(&o, "--enable=0", "./cmd");
	CHECK(!o.enabled);

	/* -p and --pid: this process exists. */
	GOOD(&o, "-p", self);
	CHECKF(o.mode == TARGET_PID && o.pid == (int)getpid() && !o.command, "mode %d pid %d",
	       o.mode, o.pid);
	GOOD(&o, "--pid", self, "-F", "50");
	CHECKF(o.mode == TARGET_PID && o.pid == (int)getpid() && o.frequency == 50,
	       "mode %d pid %d F %u", o.mode, o.pid, o.frequency);

	/* -g and --global. */
	GOOD(&o, "-g");
	CHECKF(o.mode == TARGET_GLOBAL && !o.command, "mode %d", o.mode);
	GOOD(&o, "--global", "--maximum_pids", "20");
	CHECKF(o.mode == TARGET_GLOBAL && o.maximum_pids == 20, "mode %d", o.mode);

	/* -v, -h and their long forms need nothing to profile. */
	GOOD(&o, "-v");
	CHECK(o.show_version);
	GOOD(&o, "--version");
	CHECK(o.show_version);
	GOOD(&o, "-h");
	CHECK(o.show_help);
	GOOD(&o, "--help");
	CHECK(o.show_help);
	CHECK(!o.show_version);
	options_free(&o);
}

static void test_command(void)
{
	struct options o = {0};

	env_clear();
	/* Options after the command are the command's. */
	GOOD(&o, "-F", "10", "./cmd", "-F", "20");
	CHECKF(o.frequency == 10, "frequency %u", o.frequency);
	CHECKF(STREQ(argv_str(o.command), "./cmd -F 20"), "command '%s'", argv_str(o.command));
	GOOD(&o, "./cmd", "--service", "x", "-g", "--bogus");
	CHECKF(STREQ(o.service, "myservice"), "service %s", o.service);
	CHECKF(o.mode == TARGET_WRAP, "mode %d", o.mode);
	CHECKF(STREQ(argv_str(o.command), "./cmd --service x -g --bogus"), "command '%s'",
	       argv_str(o.command));

	/* `--` ends the options, even before something that looks like one. */
	GOOD(&o, "-F", "10", "--", "./cmd", "-x");
	CHECKF(STREQ(argv_str(o.command), "./cmd -x"), "command '%s'", argv_str(o.command));
	GOOD(&o, "--", "-weird-name", "--", "-F");
	CHECKF(STREQ(argv_str(o.command), "-weird-name -- -F"), "command '%s'",
	       argv_str(o.command));
	CHECKF(o.frequency == 99, "frequency %u", o.frequency);
	BAD(&o, "-F", "10", "--");
	options_free(&o);
}

static void test_events(void)
{
	struct options o = {0};

	env_clear();
	GOOD(&o, "-e", "sCPU", "./cmd");
	CHECKF(o.event == EVENT_CPU_CLOCK, "sCPU -> %d", o.event);
	GOOD(&o, "-e", "hCPU", "./cmd");
	CHECKF(o.event == EVENT_CYCLES, "hCPU -> %d", o.event);
	GOOD(&o, "--event", "cycles", "./cmd");
	CHECKF(o.event == EVENT_CYCLES, "cycles -> %d", o.event);
	GOOD(&o, "--event", "cpu-clock", "./cmd");
	CHECKF(o.event == EVENT_CPU_CLOCK, "cpu-clock -> %d", o.event);
	setenv("DD_PROFILING_NATIVE_EVENTS", "hCPU", 1);
	GOOD(&o, "./cmd");
	CHECKF(o.event == EVENT_CYCLES, "env hCPU -> %d", o.event);
	GOOD(&o, "-e", "sCPU", "./cmd");
	CHECKF(o.event == EVENT_CPU_CLOCK, "env hCPU, flag sCPU -> %d", o.event);
	env_clear();
	options_free(&o);
}

static void test_env(void)
{
	struct options o = {0};

	env_clear();
	setenv("DD_SERVICE", "env-svc", 1);
	setenv("DD_ENV", "env-env", 1);
	setenv("DD_VERSION", "env-ver", 1);
	setenv("DD_TAGS", "env:tag", 1);
	setenv("DD_PROFILING_UPLOAD_PERIOD", "17", 1);
	setenv("DD_PROFILING_NATIVE_LOG_LEVEL", "error", 1);
	setenv("DD_PROFILING_NATIVE_EVENTS", "cycles", 1);
	setenv("DD_PROFILING_ENABLED", "false", 1);
	setenv("DD_PROFILING_MAXIMUM_PIDS", "33", 1);
	setenv("DD_PROFILING_SHOW_CONFIG", "yes", 1);
	GOOD(&o, "./cmd");
	CHECKF(STREQ(o.service, "env-svc"), "service %s", o.service);
	CHECKF(STREQ(o.environment, "env-env"), "environment %s", o.environment);
	CHECKF(STREQ(o.service_version, "env-ver"), "version %s", o.service_version);
	CHECKF(STREQ(o.tags, "env:tag"), "tags %s", o.tags);
	CHECKF(o.upload_period == 17, "upload_period %u", o.upload_period);
	CHECKF(o.log_level == LOG_ERROR, "log_level %d", o.log_level);
	CHECKF(o.event == EVENT_CYCLES, "event %d", o.event);
	CHECK(!o.enabled);
	CHECKF(o.maximum_pids == 33, "maximum_pids %u", o.maximum_pids);
	CHECK(o.show_config);

	/* Flags win over every one of them. */
	GOOD(&o, "-S", "flag-svc", "-E", "flag-env", "-V", "flag-ver", "-T", "flag:tag", "-u", "5",
	     "-l", "debug", "-e", "cpu-clock", "--enable", "true", "--maximum_pids", "44", "./cmd");
	CHECKF(STREQ(o.service, "flag-svc"), "service %s", o.service);
	CHECKF(STREQ(o.environment, "flag-env"), "environment %s", o.environment);
	CHECKF(STREQ(o.service_version, "flag-ver"), "version %s", o.service_version);
	CHECKF(STREQ(o.tags, "flag:tag"), "tags %s", o.tags);
	CHECKF(o.upload_period == 5, "upload_period %u", o.upload_period);
	CHECKF(o.log_level == LOG_DEBUG, "log_level %d", o.log_level);
	CHECKF(o.event == EVENT_CPU_CLOCK, "event %d", o.event);
	CHECK(o.enabled);
	CHECKF(o.maximum_pids == 44, "maximum_pids %u", o.maximum_pids);
	CHECK(o.show_config); /* no flag turns it off; the env's value stays */
	env_clear();

	/* Booleans in their other spellings. */
	setenv("DD_PROFILING_ENABLED", "0", 1);
	setenv("DD_PROFILING_SHOW_CONFIG", "TRUE", 1);
	GOOD(&o, "./cmd");
	CHECK(!o.enabled && o.show_config);
	setenv("DD_PROFILING_ENABLED", "on", 1);
	setenv("DD_PROFILING_SHOW_CONFIG", "off", 1);
	GOOD(&o, "./cmd");
	CHECK(o.enabled && !o.show_config);
	env_clear();

	/* Empty values are as if unset. */
	setenv("DD_SERVICE", "", 1);
	setenv("DD_PROFILING_UPLOAD_PERIOD", "", 1);
	setenv("DD_PROFILING_ENABLED", "", 1);
	GOOD(&o, "./cmd");
	CHECKF(STREQ(o.service, "myservice"), "service %s", o.service);
	CHECKF(o.upload_period == 59, "upload_period %u", o.upload_period);
	CHECK(o.enabled);
	env_clear();

	/* With profiling disabled by the env, a frequency over the kernel's limit is not
	 * checked (nothing will sample). */
	setenv("DD_PROFILING_ENABLED", "false", 1);
	GOOD(&o, "-F", "4000000000", "./cmd");
	CHECKF(o.frequency == 4000000000u, "frequency %u", o.frequency);
	env_clear();

	/* Bad env values. */
	static const char *const bad_env[][2] = {
	    {"DD_PROFILING_UPLOAD_PERIOD", "abc"},     {"DD_PROFILING_UPLOAD_PERIOD", "0"},
	    {"DD_PROFILING_UPLOAD_PERIOD", "-3"},      {"DD_PROFILING_UPLOAD_PERIOD", "99999"},
	    {"DD_PROFILING_NATIVE_LOG_LEVEL", "loud"}, {"DD_PROFILING_NATIVE_EVENTS", "bogus"},
	    {"DD_PROFILING_ENABLED", "maybe"},	       {"DD_PROFILING_MAXIMUM_PIDS", "0"},
	    {"DD_PROFILING_MAXIMUM_PIDS", "many"},     {"DD_PROFILING_SHOW_CONFIG", "sure"},
	};
	for (size_t i = 0; i < sizeof(bad_env) / sizeof(bad_env[0]); i++) {
		int r;

		setenv(bad_env[i][0], bad_env[i][1], 1);
		r = parse(&o, "./cmd", NULL);
		CHECKF(r == -EINVAL && err_lines == 1,
		       "%s=%s: want -EINVAL and one line, got %d and %d lines: '%s'", bad_env[i][0],
		       bad_env[i][1], r, err_lines, err_oneline());
		CHECKF(strstr(err_text, bad_env[i][0]), "%s=%s: message does not name it: '%s'",
		       bad_env[i][0], bad_env[i][1], err_oneline());
		unsetenv(bad_env[i][0]);
	}
	env_clear();
	options_free(&o);
}

static int dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return -1;
	return pid;
}

static unsigned int max_sample_rate(void)
{
	unsigned int v = 100000;
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 100000;
		fclose(f);
	}
	return v;
}

static void test_bad(void)
{
	char file[PATH_MAX], under_file[PATH_MAX], over[32], at[32], dead[16], self[16];
	struct options o = {0};
	int fd, pid;

	env_clear();
	snprintf(file, sizeof(file), "%s/regular", tmpdir);
	snprintf(under_file, sizeof(under_file), "%s/regular/sub", tmpdir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(over, sizeof(over), "%u", max_sample_rate() + 1);
	snprintf(at, sizeof(at), "%u", max_sample_rate());
	snprintf(self, sizeof(self), "%d", (int)getpid());
	pid = dead_pid();
	CHECK(pid > 0);
	snprintf(dead, sizeof(dead), "%d", pid);

	/* Unknown flags. */
	BAD(&o, "-Z", "./cmd");
	BAD(&o, "--bogus", "./cmd");
	BAD(&o, "--bogus=1", "./cmd");
	BAD(&o, "--global=1");
	BAD(&o, "--max", "10", "./cmd"); /* ambiguous: max_frames, maximum_pids */

	/* Missing values, short and long. */
	BAD(&o, "-F");
	BAD(&o, "--frequency");
	BAD(&o, "-S");
	BAD(&o, "--service");
	BAD(&o, "-p");
	BAD(&o, "-o");

	/* Frequencies. */
	BAD(&o, "-F", "0", "./cmd");
	BAD(&o, "-F", "-5", "./cmd");
	BAD(&o, "-F", "abc", "./cmd");
	BAD(&o, "-F", "10x", "./cmd");
	BAD(&o, "-F", "", "./cmd");
	BAD(&o, "-F", "99999999999999999999", "./cmd");
	BAD(&o, "-F", over, "./cmd");
	GOOD(&o, "-F", at, "./cmd");

	/* Pids. */
	BAD(&o, "-p", dead);
	BAD(&o, "-p", "0");
	BAD(&o, "-p", "-1");
	BAD(&o, "-p", "abc");
	BAD(&o, "-p", "99999999999");
	BAD(&o, "-p", self, "./cmd");
	BAD(&o, "-p", self, "-g");
	BAD(&o, "-g", "-p", self);
	BAD(&o, "-g", "./cmd");
	BAD(&o, "-g", "--", "./cmd");

	/* Nothing to profile. */
	{
		char *argv[] = {"hrprof", NULL};

		CHECKF(parse_v(&o, argv) == -EINVAL && err_lines == 1, "%d lines: '%s'", err_lines,
		       err_oneline());
	}
	BAD(&o, "-F", "10");
	BAD(&o, "--enable", "false");

	/* Upload periods, log levels, events, backends, booleans, counts. */
	BAD(&o, "-u", "0", "./cmd");
	BAD(&o, "-u", "99999", "./cmd");
	BAD(&o, "--upload_period", "3601", "./cmd");
	BAD(&o, "-l", "loud", "./cmd");
	BAD(&o, "--log_level", "", "./cmd");
	BAD(&o, "-e", "bogus", "./cmd");
	BAD(&o, "--event", "CPU-CLOCK", "./cmd");
	BAD(&o, "--backend", "ebpf", "./cmd");
	BAD(&o, "--enable=maybe", "./cmd");
	BAD(&o, "--max_frames", "7", "./cmd");
	BAD(&o, "--max_frames", "1025", "./cmd");
	BAD(&o, "--maximum_pids", "0", "./cmd");
	BAD(&o, "--maximum-pids", "x", "./cmd");

	/* Output directories that cannot be written. */
	BAD(&o, "--output", "", "./cmd");
	BAD(&o, "--output", under_file, "./cmd");
	BAD(&o, "--output", file, "./cmd"); /* a regular file, not a directory */
	BAD(&o, "--output", "/proc/x", "./cmd");
	BAD(&o, "--output", "/proc/self/nonexistent-dir", "./cmd");

	/* A log file that cannot be opened. */
	BAD(&o, "--log_mode", under_file, "./cmd");
	BAD(&o, "-o", under_file, "./cmd"); /* ddprof's -o is --log_mode */
	options_free(&o);
}

static void test_output_created(void)
{
	char dir[PATH_MAX];
	struct options o = {0};
	struct stat st;
	int entries = 0;

	env_clear();
	snprintf(dir, sizeof(dir), "%s/created", tmpdir);
	CHECK(access(dir, F_OK) && errno == ENOENT);
	GOOD(&o, "--output", dir, "./cmd");
	CHECKF(!stat(dir, &st) && S_ISDIR(st.st_mode), "%s not created", dir);
	/* The probe file is gone again. */
	{
		char cmd[PATH_MAX + 32];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
		p = popen(cmd, "r");
		if (p) {
			if (fscanf(p, "%d", &entries) != 1)
				entries = -1;
			pclose(p);
		}
		CHECKF(entries == 0, "%d entries left in %s", entries, dir);
	}
	/* Given again, existing: still fine. */
	GOOD(&o, "--output", dir, "./cmd");
	options_free(&o);
}

/*
 * getopt keeps state between calls; options_parse must start afresh every
 * time, whatever the previous call stopped on.
 */
static void test_repeat(void)
{
	struct options o = {0};

	env_clear();
	for (int i = 0; i < 50; i++) {
		GOOD(&o, "-F", "10", "./cmd", "-F", "20");
		CHECKF(o.frequency == 10 && STREQ(argv_str(o.command), "./cmd -F 20"),
		       "round %d: F %u command '%s'", i, o.frequency, argv_str(o.command));
		BAD(&o, "-F");
		GOOD(&o, "-g");
		CHECKF(o.mode == TARGET_GLOBAL, "round %d: mode %d", i, o.mode);
		BAD(&o, "--bogus", "./cmd");
		GOOD(&o, "./cmd");
		CHECKF(o.mode == TARGET_WRAP && o.frequency == 99, "round %d: mode %d F %u", i,
		       o.mode, o.frequency);
		BAD(&o, "-l", "loud", "./cmd");
	}

	/*
	 * An error in the middle of a cluster of short options ("-Zg": Z unknown)
	 * leaves getopt's position inside "-Zg"; the next parse of different
	 * arguments must not pick up the 'g' left over.
	 */
	BAD(&o, "-Zg", "./cmd");
	GOOD(&o, "-S", "svc", "./cmd");
	CHECKF(o.mode == TARGET_WRAP && STREQ(o.service, "svc") &&
		   STREQ(argv_str(o.command), "./cmd"),
	       "after '-Zg': mode %d (want %d wrap) service %s command '%s'", o.mode, TARGET_WRAP,
	       o.service, argv_str(o.command));
	/* Same with a cluster stopped on a bad value. */
	BAD(&o, "-l", "loud", "./cmd");
	BAD(&o, "-Zv");
	GOOD(&o, "./cmd");
	CHECKF(!o.show_version && o.mode == TARGET_WRAP,
	       "after '-Zv': show_version %d (want 0) mode %d", o.show_version, o.mode);
	options_free(&o);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(err_path, sizeof(err_path), "%s/stderr.txt", tmpdir);

	test_defaults();
	test_flags();
	test_command();
	test_events();
	test_env();
	test_bad();
	test_output_created();
	test_repeat();

	env_clear();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit("test_options");
}
