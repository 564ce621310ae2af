// SPDX-License-Identifier: GPL-2.0
/*
 * Command line and environment. The table below is the single list of what
 * hrprof accepts; `--show_config` prints the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

enum {
	OPT_SHOW_CONFIG = 1000,
	OPT_ENABLE,
	OPT_BACKEND,
	OPT_LOG_MODE,
	OPT_MAX_FRAMES,
	OPT_MAX_PIDS,
};

static const struct option long_options[] = {
    {"service", required_argument, NULL, 'S'},
    {"environment", required_argument, NULL, 'E'},
    {"service_version", required_argument, NULL, 'V'},
    {"tags", required_argument, NULL, 'T'},
    {"pid", required_argument, NULL, 'p'},
    {"global", no_argument, NULL, 'g'},
    {"upload_period", required_argument, NULL, 'u'},
    {"log_level", required_argument, NULL, 'l'},
    {"log_mode", required_argument, NULL, OPT_LOG_MODE},
    {"show_config", no_argument, NULL, OPT_SHOW_CONFIG},
    {"version", no_argument, NULL, 'v'},
    {"enable", required_argument, NULL, OPT_ENABLE},
    {"help", no_argument, NULL, 'h'},
    {"frequency", required_argument, NULL, 'F'},
    {"output", required_argument, NULL, 'o'},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"event", required_argument, NULL, 'e'},
    {"max_frames", required_argument, NULL, OPT_MAX_FRAMES},
    {"maximum_pids", required_argument, NULL, OPT_MAX_PIDS},
    {"maximum-pids", required_argument, NULL, OPT_MAX_PIDS},
    {NULL, 0, NULL, 0},
};

/* Hard bounds, checked as values are parsed. */
#define MAX_UPLOAD_PERIOD 3600
#define MAX_FRAMES_LIMIT  1024

void options_usage(FILE *out)
{
	fprintf(out,
		"usage: hrprof [options] [--] COMMAND [ARGS...]   profile a command\n"
		"       hrprof -p PID [options]                 profile a running process\n"
		"       hrprof -g [options]                     profile every process\n"
		"       hrprof report [-n N] FILE...            top functions of a profile\n"
		"\n"
		"  -F, --frequency HZ         samples per second per CPU (default 99)\n"
		"  -e, --event EVENT          cpu-clock (sCPU, default) or cycles (hCPU)\n"
		"  -o, --output DIR           write each profile to DIR as gzip pprof\n"
		"  -u, --upload_period SEC    one profile every SEC seconds (default 59)\n"
		"  -p, --pid PID              attach to PID: all its threads, existing and new\n"
		"  -g, --global               every process on the host\n"
		"      --backend B            auto (default), kmod or perf\n"
		"      --max_frames N         deepest stack kept (default 512)\n"
		"      --maximum_pids N       processes tracked in global mode (default 1000)\n"
		"  -S, --service NAME         service name (DD_SERVICE, default myservice)\n"
		"  -E, --environment ENV      environment (DD_ENV)\n"
		"  -V, --service_version V    version (DD_VERSION)\n"
		"  -T, --tags K:V,...         extra tags (DD_TAGS)\n"
		"  -l, --log_level LEVEL      debug, informational, notice (default), warn, error\n"
		"      --log_mode MODE        stderr (default), stdout, disabled or a file\n"
		"      --show_config          print the resolved configuration\n"
		"      --enable BOOL          false: run the command without profiling\n"
		"  -v, --version              print the version\n"
		"  -h, --help                 this text\n");
}

const char *event_name(enum event_kind event)
{
	return event == EVENT_CYCLES ? "cycles" : "cpu-clock";
}

const char *backend_name(enum backend_kind backend)
{
	switch (backend) {
	case BACKEND_KMOD:
		return "kmod";
	case BACKEND_PERF:
		return "perf";
	default:
		return "auto";
	}
}

/* Prints one line about a bad value; returns -EINVAL for the caller to pass on. */
static int __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fputs("hrprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Parses a decimal in [lo, hi]. Returns -EINVAL on anything else. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_event(const char *s, enum event_kind *out)
{
	if (!strcmp(s, "cpu-clock") || !strcmp(s, "sCPU") || !strcmp(s, "cpu"))
		*out = EVENT_CPU_CLOCK;
	else if (!strcmp(s, "cycles") || !strcmp(s, "hCPU") || !strcmp(s, "cpu-cycles"))
		*out = EVENT_CYCLES;
	else
		return -EINVAL;
	return 0;
}

static int parse_backend(const char *s, enum backend_kind *out)
{
	if (!strcmp(s, "auto"))
		*out = BACKEND_AUTO;
	else if (!strcmp(s, "kmod"))
		*out = BACKEND_KMOD;
	else if (!strcmp(s, "perf"))
		*out = BACKEND_PERF;
	else
		return -EINVAL;
	return 0;
}

static unsigned int read_sysctl_uint(const char *path, unsigned int dflt)
{
	unsigned int v = dflt;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* Creates dir if missing, then proves it writable by creating a file in it. */
static int check_output_dir(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;
	int fd;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (snprintf(probe, sizeof(probe), "%s/.hrprof-probe-XXXXXX", dir) >= (int)sizeof(probe))
		return -ENAMETOOLONG;
	fd = mkstemp(probe);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(probe);
	return 0;
}

static int check_pid(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	if (access(path, F_OK))
		return -ESRCH;
	return 0;
}

/* Environment first, so that flags parsed afterwards win. */
static int options_from_env(struct options *o)
{
	const char *v;

	if ((v = getenv("DD_SERVICE")) && *v)
		o->service = v;
	if ((v = getenv("DD_ENV")) && *v)
		o->environment = v;
	if ((v = getenv("DD_VERSION")) && *v)
		o->service_version = v;
	if ((v = getenv("DD_TAGS")) && *v)
		o->tags = v;
	if ((v = getenv("DD_PROFILING_UPLOAD_PERIOD")) && *v &&
	    parse_uint(v, 1, MAX_UPLOAD_PERIOD, &o->upload_period))
		return bad("DD_PROFILING_UPLOAD_PERIOD: '%s' is not a number of seconds (1-3600)",
			   v);
	if ((v = getenv("DD_PROFILING_NATIVE_LOG_LEVEL")) && *v &&
	    log_level_parse(v, &o->log_level))
		return bad("DD_PROFILING_NATIVE_LOG_LEVEL: unknown level '%s'", v);
	if ((v = getenv("DD_PROFILING_NATIVE_LOG_MODE")) && *v)
		o->log_mode = v;
	if ((v = getenv("DD_PROFILING_SHOW_CONFIG")) && *v && parse_bool(v, &o->show_config))
		return bad("DD_PROFILING_SHOW_CONFIG: '%s' is not true or false", v);
	if ((v = getenv("DD_PROFILING_ENABLED")) && *v && parse_bool(v, &o->enabled))
		return bad("DD_PROFILING_ENABLED: '%s' is not true or false", v);
	if ((v = getenv("DD_PROFILING_NATIVE_EVENTS")) && *v && parse_event(v, &o->event))
		return bad("DD_PROFILING_NATIVE_EVENTS: unknown event '%s' (cpu-clock, cycles)", v);
	if ((v = getenv("DD_PROFILING_MAXIMUM_PIDS")) && *v &&
	    parse_uint(v, 1, 1000000, &o->maximum_pids))
		return bad("DD_PROFILING_MAXIMUM_PIDS: '%s' is not a count", v);
	return 0;
}

int options_parse(struct options *o, int argc, char **argv)
{
	unsigned int max_rate;
	bool pid_given = false;
	int c, err;

	*o = (struct options){
	    .mode = TARGET_WRAP,
	    .backend = BACKEND_AUTO,
	    .event = EVENT_CPU_CLOCK,
	    .frequency = 99,
	    .upload_period = 59,
	    .max_frames = 512,
	    .maximum_pids = 1000,
	    .service = "myservice",
	    .log_level = LOG_NOTICE,
	    .log_mode = "stderr",
	    .enabled = true,
	};
	err = options_from_env(o);
	if (err)
		return err;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:S:E:V:T:p:gu:l:vhF:o:e:", long_options, NULL)) !=
	       -1) {
		const char *arg = optarg;

		switch (c) {
		case 'S':
			o->service = arg;
			break;
		case 'E':
			o->environment = arg;
			break;
		case 'V':
			o->service_version = arg;
			break;
		case 'T':
			o->tags = arg;
			break;
		case 'p':
			if (parse_uint(arg, 1, INT_MAX, (unsigned int *)&o->pid))
				return bad("--pid: '%s' is not a process id", arg);
			pid_given = true;
			break;
		case 'g':
			o->mode = TARGET_GLOBAL;
			break;
		case 'u':
			if (parse_uint(arg, 1, MAX_UPLOAD_PERIOD, &o->upload_period))
				return bad("--upload_period: '%s' is not a number of seconds "
					   "(1-3600)",
					   arg);
			break;
		case 'l':
			if (log_level_parse(arg, &o->log_level))
				return bad("--log_level: unknown level '%s' (debug, "
					   "informational, notice, warn, error)",
					   arg);
			break;
		case OPT_LOG_MODE:
			o->log_mode = arg;
			break;
		case OPT_SHOW_CONFIG:
			o->show_config = true;
			break;
		case 'v':
			o->show_version = true;
			break;
		case OPT_ENABLE:
			if (parse_bool(arg, &o->enabled))
				return bad("--enable: '%s' is not true or false", arg);
			break;
		case 'h':
			o->show_help = true;
			break;
		case 'F':
			if (parse_uint(arg, 1, UINT_MAX, &o->frequency))
				return bad("--frequency: '%s' is not a positive number of "
					   "samples per second",
					   arg);
			break;
		case 'o':
			if (!*arg)
				return bad("--output: empty directory name");
			o->output_dir = arg;
			break;
		case OPT_BACKEND:
			if (parse_backend(arg, &o->backend))
				return bad("--backend: unknown backend '%s' (auto, kmod, perf)",
					   arg);
			break;
		case 'e':
			if (parse_event(arg, &o->event))
				return bad("--event: unknown event '%s' (cpu-clock/sCPU, "
					   "cycles/hCPU)",
					   arg);
			break;
		case OPT_MAX_FRAMES:
			if (parse_uint(arg, 8, MAX_FRAMES_LIMIT, &o->max_frames))
				return bad("--max_frames: '%s' is not between 8 and 1024", arg);
			break;
		case OPT_MAX_PIDS:
			if (parse_uint(arg, 1, 1000000, &o->maximum_pids))
				return bad("--maximum_pids: '%s' is not a count", arg);
			break;
		case ':':
			return bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return bad("unknown option '-%c' (see hrprof --help)", optopt);
			return bad("unknown option '%s' (see hrprof --help)", argv[optind - 1]);
		}
	}
	if (o->show_help || o->show_version)
		return 0;

	if (optind < argc)
		o->command = &argv[optind];
	if (pid_given) {
		if (o->mode == TARGET_GLOBAL)
			return bad("--pid and --global cannot be used together");
		if (o->command)
			return bad("--pid cannot be combined with a command ('%s')", o->command[0]);
		o->mode = TARGET_PID;
	} else if (o->mode == TARGET_GLOBAL) {
		if (o->command)
			return bad("--global cannot be combined with a command ('%s')",
				   o->command[0]);
	} else if (!o->command) {
		return bad("nothing to profile: give a command, --pid PID or --global (see "
			   "hrprof --help)");
	}
	if (!o->enabled)
		return 0;

	max_rate = read_sysctl_uint("/proc/sys/kernel/perf_event_max_sample_rate", 100000);
	if (o->frequency > max_rate) {
		return bad("--frequency: %u Hz is above the kernel's limit "
			   "(kernel.perf_event_max_sample_rate = %u)",
			   o->frequency, max_rate);
	}
	if (o->mode == TARGET_PID && check_pid(o->pid))
		return bad("--pid: no process with pid %d", o->pid);
	if (o->output_dir && (err = check_output_dir(o->output_dir)))
		return bad("--output: cannot write to '%s': %s", o->output_dir, strerror(-err));
	if (strcmp(o->log_mode, "stderr") && (err = log_set_mode(o->log_mode)))
		return bad("--log_mode: cannot open '%s': %s", o->log_mode, strerror(-err));
	return 0;
}

void options_print(const struct options *o, FILE *out)
{
	static const char *const modes[] = {"wrap", "pid", "global"};

	fprintf(out, "hrprof configuration:\n");
	fprintf(out, "  mode:            %s\n", modes[o->mode]);
	if (o->mode == TARGET_PID)
		fprintf(out, "  pid:             %d\n", o->pid);
	if (o->command) {
		fprintf(out, "  command:        ");
		for (char **a = o->command; *a; a++)
			fprintf(out, " %s", *a);
		fputc('\n', out);
	}
	fprintf(out, "  backend:         %s\n", backend_name(o->backend));
	fprintf(out, "  event:           %s\n", event_name(o->event));
	fprintf(out, "  frequency:       %u Hz\n", o->frequency);
	fprintf(out, "  upload_period:   %u s\n", o->upload_period);
	fprintf(out, "  max_frames:      %u\n", o->max_frames);
	fprintf(out, "  maximum_pids:    %u\n", o->maximum_pids);
	fprintf(out, "  output:          %s\n", o->output_dir ? o->output_dir : "(none)");
	fprintf(out, "  service:         %s\n", o->service);
	fprintf(out, "  environment:     %s\n", o->environment ? o->environment : "");
	fprintf(out, "  service_version: %s\n", o->service_version ? o->service_version : "");
	fprintf(out, "  tags:            %s\n", o->tags ? o->tags : "");
	fprintf(out, "  log_level:       %s\n", log_level_name(o->log_level));
	fprintf(out, "  log_mode:        %s\n", o->log_mode);
	fprintf(out, "  enabled:         %s\n", o->enabled ? "true" : "false");
}
