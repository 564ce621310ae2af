// SPDX-License-Identifier: GPL-2.0
/*
 * What the parsed options mean on this machine, checked before anything
 * starts: the target (a command, a pid that exists, or everything), where
 * uploads go, the rate the kernel allows, an output directory that can be
 * written, the log destination.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "options_table.h"
#include "base/util.h"

int options_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("hrprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
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

/*
 * Resolves where profiles go, in ddprof's order: a URL, else host and port;
 * agentless to the intake of DD_SITE. With -o and no Agent setting at all,
 * files only.
 */
static int resolve_endpoint(struct options *o)
{
	const char *intake = getenv("HRPROF_INTAKE_URL"); /* tests: a fake intake */
	unsigned int port = 8126;
	bool agent_set = o->agent_url || o->agent_host || o->agent_port || o->agentless;
	const char *u = o->agent_url;

	o->upload = o->upload_flag >= 0 ? o->upload_flag : !(o->output_dir && !agent_set);
	if (o->agentless) {
		if (!o->api_key || strlen(o->api_key) < 32)
			return options_bad("--agentless needs an API key of at least 32 characters "
					   "(--api_key or DD_API_KEY)");
		if (intake && *intake)
			o->upload_url = strdup(intake);
		else if (asprintf(&o->upload_url, "https://intake.profile.%s/api/v2/profile",
				  o->site) < 0)
			o->upload_url = NULL;
		o->endpoint_desc = o->upload_url ? strdup(o->upload_url) : NULL;
		return o->upload_url && o->endpoint_desc ? 0 : -ENOMEM;
	}
	if (o->agent_port && parse_uint(o->agent_port, 1, 65535, &port))
		return options_bad("--port: '%s' is not a TCP port (1-65535)", o->agent_port);
	if (u && (!strncmp(u, "unix://", 7) || u[0] == '/')) {
		const char *path = u[0] == '/' ? u : u + 7;

		if (path[0] != '/')
			return options_bad("--url: '%s' is not a unix socket path (unix:///path)",
					   u);
		o->unix_socket = strdup(path);
		o->upload_url = strdup("http://localhost/profiling/v1/input");
		if (asprintf(&o->endpoint_desc, "unix://%s", path) < 0)
			o->endpoint_desc = NULL;
	} else if (u) {
		const char *scheme = strstr(u, "://");
		size_t len = strlen(u);

		if (scheme && strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			return options_bad(
			    "--url: '%s' has an unsupported scheme (http, https, unix)", u);
		if (!*u || (scheme && !scheme[3]))
			return options_bad("--url: '%s' names no host", u);
		while (len && u[len - 1] == '/')
			len--;
		if (asprintf(&o->upload_url, "%s%.*s/profiling/v1/input", scheme ? "" : "http://",
			     (int)len, u) < 0)
			o->upload_url = NULL;
		if (asprintf(&o->endpoint_desc, "%s%.*s", scheme ? "" : "http://", (int)len, u) < 0)
			o->endpoint_desc = NULL;
	} else {
		const char *host = o->agent_host ? o->agent_host : "localhost";

		if (!*host)
			return options_bad("--host: empty host name");
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

void options_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("hrprof: warn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Whether the option whose field is at off was given (not a default). */
static bool given_at(const struct options *o, size_t off)
{
	for (size_t i = 0; i < opts_count; i++)
		if (opts_table[i].off == off && opts_table[i].name &&
		    options_given(o, &opts_table[i]))
			return true;
	return false;
}

/*
 * ddprof's --cpu_affinity: hex digits (an optional 0x, commas ignored),
 * the last digit CPUs 0-3. False when it is not that.
 */
static bool parse_cpu_mask(const char *s, uint64_t *mask, size_t words)
{
	size_t len, bit = 0;
	bool any = false;

	memset(mask, 0, words * sizeof(*mask));
	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	len = strlen(s);
	for (size_t i = len; i-- > 0;) {
		char c = s[i];
		unsigned int v;

		if (c == ',')
			continue;
		if (c >= '0' && c <= '9')
			v = (unsigned int)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (unsigned int)((c | 0x20) - 'a' + 10);
		else
			return false;
		for (unsigned int b = 0; b < 4; b++, bit++) {
			if (!(v & (1u << b)))
				continue;
			if (bit >= words * 64)
				return false;
			mask[bit / 64] |= 1ULL << (bit % 64);
			any = true;
		}
	}
	return any;
}

/* The options ddprof has and hrprof takes without effect: one line each. */
static void warn_not_applicable(const struct options *o)
{
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];

		if (d->kind == K_NA && options_given(o, d))
			options_warn("--%s has no effect here: %s", d->name, d->na);
	}
}

/* Creates the directory a --debug_pprof_prefix names and proves it writable. */
static int check_prefix(const char *prefix)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(prefix, '/');

	if (!slash)
		return check_output_dir(".");
	if (slash == prefix)
		return check_output_dir("/");
	if ((size_t)(slash - prefix) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, prefix, (size_t)(slash - prefix));
	dir[slash - prefix] = 0;
	return check_output_dir(dir);
}

int options_resolve(struct options *o)
{
	unsigned int max_rate;
	int err;

	if (o->pid) {
		if (o->mode == TARGET_GLOBAL)
			return options_bad("--pid and --global cannot be used together");
		if (o->command)
			return options_bad("--pid cannot be combined with a command ('%s')",
					   o->command[0]);
		o->mode = TARGET_PID;
	} else if (o->mode == TARGET_GLOBAL) {
		if (o->command)
			return options_bad("--global cannot be combined with a command ('%s')",
					   o->command[0]);
	} else if (o->settings_only) {
		if (o->command)
			return options_bad("doctor takes no command ('%s')", o->command[0]);
	} else if (!o->command) {
		return options_bad("nothing to profile: give a command, --pid PID or --global (see "
				   "hrprof --help)");
	}
	if ((err = options_resolve_events(o)))
		return err;
	if (!o->enabled)
		return 0;
	warn_not_applicable(o);
	if (!o->do_export && o->upload_flag < 0)
		o->upload_flag = 0;
	err = resolve_endpoint(o);
	if (err)
		return err;
	o->nice_set = given_at(o, offsetof(struct options, nice));
	if (o->cpu_affinity) {
		o->cpu_mask_set = parse_cpu_mask(o->cpu_affinity, o->cpu_mask,
						 sizeof(o->cpu_mask) / sizeof(o->cpu_mask[0]));
		if (!o->cpu_mask_set)
			options_warn(
			    "--cpu_affinity: '%s' is not a hex CPU mask (0xa4): left as it is",
			    o->cpu_affinity);
	}
	if (o->switch_user) {
		errno = 0;
		if (o->mode != TARGET_WRAP)
			options_warn(
			    "--switch_user: no command to run: it applies to a command hrprof "
			    "starts");
		else if (!getpwnam(o->switch_user))
			return options_bad("--switch_user: no user '%s'%s%s", o->switch_user,
					   errno ? ": " : "", errno ? strerror(errno) : "");
	}

	o->stack_sample_size &= ~7u; /* perf copies whole words */
	if (o->mode == TARGET_PID && check_pid(o->pid))
		return options_bad("--pid: no process with pid %d", o->pid);
	/* hrprof doctor reports these as its checks, and changes nothing. */
	if (o->settings_only)
		return 0;
	max_rate = (unsigned int)sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 100000);
	if (o->frequency > max_rate) {
		return options_bad("--frequency: %u Hz is above the kernel's limit "
				   "(kernel.perf_event_max_sample_rate = %u)",
				   o->frequency, max_rate);
	}
	if (o->output_dir && (err = check_output_dir(o->output_dir)))
		return options_bad("--output: cannot write to '%s': %s", o->output_dir,
				   strerror(-err));
	if (o->pprof_prefix && (err = check_prefix(o->pprof_prefix)))
		return options_bad("--debug_pprof_prefix: cannot write to '%s': %s",
				   o->pprof_prefix, strerror(-err));
	if (strcasecmp(o->log_mode, "stderr") && (err = log_set_mode(o->log_mode)))
		return options_bad("--log_mode: cannot open '%s': %s", o->log_mode, strerror(-err));
	return 0;
}
