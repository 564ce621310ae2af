// SPDX-License-Identifier: GPL-2.0
/*
 * What the parsed options mean on this machine, checked before anything
 * starts: the target (a command, a pid that exists, or everything), where
 * uploads go, the rate the kernel allows, an output directory that can be
 * written, the log destination.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "util.h"

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
	} else if (!o->command) {
		return options_bad("nothing to profile: give a command, --pid PID or --global (see "
				   "hrprof --help)");
	}
	if (!o->enabled)
		return 0;
	err = resolve_endpoint(o);
	if (err)
		return err;

	max_rate = (unsigned int)sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 100000);
	o->stack_sample_size &= ~7u; /* perf copies whole words */
	if (o->frequency > max_rate) {
		return options_bad("--frequency: %u Hz is above the kernel's limit "
				   "(kernel.perf_event_max_sample_rate = %u)",
				   o->frequency, max_rate);
	}
	if (o->mode == TARGET_PID && check_pid(o->pid))
		return options_bad("--pid: no process with pid %d", o->pid);
	if (o->output_dir && (err = check_output_dir(o->output_dir)))
		return options_bad("--output: cannot write to '%s': %s", o->output_dir,
				   strerror(-err));
	if (strcmp(o->log_mode, "stderr") && (err = log_set_mode(o->log_mode)))
		return options_bad("--log_mode: cannot open '%s': %s", o->log_mode, strerror(-err));
	return 0;
}
