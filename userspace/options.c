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

#include "hrprof.h"
#include "options.h"
#include "util.h"

enum {
	OPT_SHOW_CONFIG = 1000,
	OPT_ENABLE,
	OPT_BACKEND,
	OPT_LOG_MODE,
	OPT_MAX_FRAMES,
	OPT_MAX_PIDS,
	OPT_AGENTLESS,
	OPT_API_KEY,
	OPT_UPLOAD,
	OPT_NO_UPLOAD,
	OPT_UPLOAD_TIMEOUT,
	OPT_SPOOL_DIR,
	OPT_SPOOL_MAX_MB,
	OPT_SPOOL_MAX_AGE,
	OPT_KMOD_SOURCE,
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
    {"url", required_argument, NULL, 'U'},
    {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'P'},
    {"agentless", no_argument, NULL, OPT_AGENTLESS},
    {"api_key", required_argument, NULL, OPT_API_KEY},
    {"upload", no_argument, NULL, OPT_UPLOAD},
    {"no-upload", no_argument, NULL, OPT_NO_UPLOAD},
    {"no_upload", no_argument, NULL, OPT_NO_UPLOAD},
    {"upload_timeout", required_argument, NULL, OPT_UPLOAD_TIMEOUT},
    {"spool_dir", required_argument, NULL, OPT_SPOOL_DIR},
    {"spool_max_mb", required_argument, NULL, OPT_SPOOL_MAX_MB},
    {"spool_max_age", required_argument, NULL, OPT_SPOOL_MAX_AGE},
    {"kmod_source", required_argument, NULL, OPT_KMOD_SOURCE},
    {NULL, 0, NULL, 0},
};

/* Hard bounds, checked as values are parsed. */
#define MAX_UPLOAD_PERIOD 3600
#define MAX_FRAMES_LIMIT  1024

void options_usage(FILE *out)
{
	fprintf(
	    out,
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
	    "  -U, --url URL              Agent URL: http(s)://host:port, unix:///path, host:port\n"
	    "                             or /path (DD_TRACE_AGENT_URL)\n"
	    "  -H, --host HOST            Agent host (DD_AGENT_HOST, default localhost)\n"
	    "  -P, --port PORT            Agent port (DD_TRACE_AGENT_PORT, default 8126)\n"
	    "      --agentless            send to Datadog's intake directly "
	    "(DD_PROFILING_AGENTLESS)\n"
	    "      --api_key KEY          intake API key (DD_API_KEY), with DD_SITE\n"
	    "      --upload, --no-upload  upload or not (default: upload, unless -o is given\n"
	    "                             with no Agent setting)\n"
	    "      --upload_timeout SEC   HTTP timeout and exit wait (default 10)\n"
	    "      --spool_dir DIR        undelivered profiles wait here (default "
	    "/var/spool/hrprof)\n"
	    "      --spool_max_mb N       the spool's size bound (default 256)\n"
	    "      --spool_max_age SEC    older spooled profiles are dropped (default 86400)\n"
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

/* mkdir -p: creates dir and its missing parents. Returns -errno. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Creates dir if missing, then proves it writable by creating a file in it. */
static int check_output_dir(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;
	int fd, err;

	err = mkdir_p(dir);
	if (err)
		return err;
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

/* Agent settings seen on the command line or in the environment. */
struct endpoint_args {
	const char *url;
	const char *host;
	const char *port;
	int upload; /* -1 unset, 0 --no-upload, 1 --upload */
};

/*
 * Resolves where profiles go, in ddprof's order: a URL, else host and port;
 * agentless to the intake of DD_SITE. With -o and no Agent setting at all,
 * files only.
 */
static int resolve_endpoint(struct options *o, const struct endpoint_args *ea)
{
	const char *intake = getenv("HRPROF_INTAKE_URL"); /* tests: a fake intake */
	unsigned int port = 8126;
	bool agent_set = ea->url || ea->host || ea->port || o->agentless;
	const char *u = ea->url;

	o->upload = ea->upload >= 0 ? ea->upload : !(o->output_dir && !agent_set);
	if (o->agentless) {
		if (!o->api_key || strlen(o->api_key) < 32)
			return bad("--agentless needs an API key of at least 32 characters "
				   "(--api_key or DD_API_KEY)");
		if (intake && *intake)
			o->upload_url = strdup(intake);
		else if (asprintf(&o->upload_url, "https://intake.profile.%s/api/v2/profile",
				  o->site) < 0)
			o->upload_url = NULL;
		o->endpoint_desc = o->upload_url ? strdup(o->upload_url) : NULL;
		return o->upload_url && o->endpoint_desc ? 0 : -ENOMEM;
	}
	if (ea->port && parse_uint(ea->port, 1, 65535, &port))
		return bad("--port: '%s' is not a TCP port (1-65535)", ea->port);
	if (u && (!strncmp(u, "unix://", 7) || u[0] == '/')) {
		const char *path = u[0] == '/' ? u : u + 7;

		if (path[0] != '/')
			return bad("--url: '%s' is not a unix socket path (unix:///path)", u);
		o->unix_socket = strdup(path);
		o->upload_url = strdup("http://localhost/profiling/v1/input");
		if (asprintf(&o->endpoint_desc, "unix://%s", path) < 0)
			o->endpoint_desc = NULL;
	} else if (u) {
		const char *scheme = strstr(u, "://");
		size_t len = strlen(u);

		if (scheme && strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			return bad("--url: '%s' has an unsupported scheme (http, https, unix)", u);
		if (!*u || (scheme && !scheme[3]))
			return bad("--url: '%s' names no host", u);
		while (len && u[len - 1] == '/')
			len--;
		if (asprintf(&o->upload_url, "%s%.*s/profiling/v1/input", scheme ? "" : "http://",
			     (int)len, u) < 0)
			o->upload_url = NULL;
		if (asprintf(&o->endpoint_desc, "%s%.*s", scheme ? "" : "http://", (int)len, u) < 0)
			o->endpoint_desc = NULL;
	} else {
		const char *host = ea->host ? ea->host : "localhost";

		if (!*host)
			return bad("--host: empty host name");
		if (asprintf(&o->endpoint_desc, "http://%s%s%s:%u", strchr(host, ':') ? "[" : "",
			     host, strchr(host, ':') ? "]" : "", port) < 0)
			o->endpoint_desc = NULL;
		if (o->endpoint_desc &&
		    asprintf(&o->upload_url, "%s/profiling/v1/input", o->endpoint_desc) < 0)
			o->upload_url = NULL;
	}
	if (!o->upload_url || !o->endpoint_desc || (u && u[0] == '/' && !o->unix_socket))
		return -ENOMEM;
	return 0;
}

void options_free(struct options *o)
{
	free(o->upload_url);
	free(o->unix_socket);
	free(o->endpoint_desc);
	o->upload_url = o->unix_socket = o->endpoint_desc = NULL;
}

int options_parse(struct options *o, int argc, char **argv)
{
	struct endpoint_args ea = {.upload = -1};
	unsigned int max_rate;
	bool pid_given = false;
	const char *v;
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
	    .site = "datadoghq.com",
	    .upload_timeout = 10,
	    .spool_dir = "/var/spool/hrprof",
	    .spool_max_mb = 256,
	    .spool_max_age = 86400,
	};
	err = options_from_env(o);
	if (err)
		return err;
	if ((v = getenv("DD_TRACE_AGENT_URL")) && *v)
		ea.url = v;
	if ((v = getenv("DD_AGENT_HOST")) && *v)
		ea.host = v;
	if ((v = getenv("DD_TRACE_AGENT_PORT")) && *v)
		ea.port = v;
	if ((v = getenv("DD_API_KEY")) && *v)
		o->api_key = v;
	if ((v = getenv("DD_SITE")) && *v)
		o->site = v;
	if ((v = getenv("DD_PROFILING_AGENTLESS")) && *v && parse_bool(v, &o->agentless))
		return bad("DD_PROFILING_AGENTLESS: '%s' is not true or false", v);

	optind = 0; /* 0, not 1: glibc also forgets its place inside "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:S:E:V:T:p:gu:l:vhF:o:e:U:H:P:", long_options,
				NULL)) != -1) {
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
		case 'U':
			ea.url = arg;
			break;
		case 'H':
			ea.host = arg;
			break;
		case 'P':
			ea.port = arg;
			break;
		case OPT_AGENTLESS:
			o->agentless = true;
			break;
		case OPT_API_KEY:
			o->api_key = arg;
			break;
		case OPT_UPLOAD:
			ea.upload = 1;
			break;
		case OPT_NO_UPLOAD:
			ea.upload = 0;
			break;
		case OPT_UPLOAD_TIMEOUT:
			if (parse_uint(arg, 1, 600, &o->upload_timeout))
				return bad("--upload_timeout: '%s' is not a number of seconds "
					   "(1-600)",
					   arg);
			break;
		case OPT_SPOOL_DIR:
			if (!*arg)
				return bad("--spool_dir: empty directory name");
			o->spool_dir = arg;
			break;
		case OPT_SPOOL_MAX_MB:
			if (parse_uint(arg, 1, 1u << 20, &o->spool_max_mb))
				return bad("--spool_max_mb: '%s' is not a size in MiB", arg);
			break;
		case OPT_SPOOL_MAX_AGE:
			if (parse_uint(arg, 1, UINT_MAX, &o->spool_max_age))
				return bad("--spool_max_age: '%s' is not a number of seconds", arg);
			break;
		case OPT_KMOD_SOURCE:
			if (!strcmp(arg, "auto"))
				o->kmod_source = HRPROF_SOURCE_AUTO;
			else if (!strcmp(arg, "pmu"))
				o->kmod_source = HRPROF_SOURCE_PMU;
			else if (!strcmp(arg, "cpu-clock"))
				o->kmod_source = HRPROF_SOURCE_CPU_CLOCK;
			else if (!strcmp(arg, "nmi-test"))
				o->kmod_source = HRPROF_SOURCE_NMI_TEST;
			else
				return bad("--kmod_source: unknown source '%s' (auto, pmu, "
					   "cpu-clock, nmi-test)",
					   arg);
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
	err = resolve_endpoint(o, &ea);
	if (err)
		return err;

	max_rate = (unsigned int)sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 100000);
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
	fprintf(out, "  upload:          %s\n", o->upload ? "true" : "false");
	if (o->endpoint_desc)
		fprintf(out, "  endpoint:        %s%s\n", o->endpoint_desc,
			o->agentless ? " (agentless)" : "");
	if (o->agentless)
		fprintf(out, "  api_key:         %s\n", o->api_key ? "<redacted>" : "(none)");
	fprintf(out, "  upload_timeout:  %u s\n", o->upload_timeout);
	fprintf(out, "  spool_dir:       %s (at most %u MiB, %u s)\n", o->spool_dir,
		o->spool_max_mb, o->spool_max_age);
	fprintf(out, "  service:         %s\n", o->service);
	fprintf(out, "  environment:     %s\n", o->environment ? o->environment : "");
	fprintf(out, "  service_version: %s\n", o->service_version ? o->service_version : "");
	fprintf(out, "  tags:            %s\n", o->tags ? o->tags : "");
	fprintf(out, "  log_level:       %s\n", log_level_name(o->log_level));
	fprintf(out, "  log_mode:        %s\n", o->log_mode);
	fprintf(out, "  enabled:         %s\n", o->enabled ? "true" : "false");
}
