// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor: where profiles go. The --output directory, and the
 * Datadog Agent uploads are sent to.
 */
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "doctor_int.h"
#include "export/export.h"

/* The Agent's /info lists the endpoints it serves ("endpoints": [...]). */
void doctor_check_agent(struct doctor *d)
{
	const struct upload_config *a = &d->cfg->agent;
	const char *fix =
	    "start the Datadog Agent, or point hrprof at it: -U / DD_TRACE_AGENT_URL, "
	    "or -H -P / DD_AGENT_HOST DD_TRACE_AGENT_PORT (hrprof --show_config "
	    "shows what it resolved)";
	const char *version;
	struct agent_info info;
	int err;

	if (!d->cfg->upload) {
		doctor_line(d, DOCTOR_LVL_OK, "agent", NULL, "uploads are off: nothing to reach");
		return;
	}
	if (a->agentless) {
		doctor_line(d, DOCTOR_LVL_OK, "agent", NULL,
			    "agentless: profiles go to %s (not checked: doctor asks Agents only)",
			    a->endpoint_desc);
		return;
	}
	err = agent_info__get(a, a->timeout_s < 5 ? a->timeout_s : 5, &info);
	version = info.version[0] ? info.version : "of unknown version";
	if (err == -ENOMEM)
		doctor_line(d, DOCTOR_LVL_WARN, "agent", NULL, "not checked: out of memory");
	else if (err)
		doctor_line(d, DOCTOR_LVL_WARN, "agent", fix,
			    "%s does not answer (%s): profiles are kept in the spool until it does",
			    a->endpoint_desc, info.error);
	else if (info.status != 200)
		doctor_line(d, DOCTOR_LVL_WARN, "agent",
			    "check that the URL is the Datadog Agent's",
			    "%s answers GET /info with HTTP %ld: not a Datadog Agent, or one too "
			    "old to list its endpoints",
			    a->endpoint_desc, info.status);
	else if (info.profiling)
		doctor_line(d, DOCTOR_LVL_OK, "agent", NULL,
			    "%s answers (Agent %s) and lists /profiling/v1/input", a->endpoint_desc,
			    version);
	else
		doctor_line(d, DOCTOR_LVL_WARN, "agent",
			    "upgrade the Agent, and check that APM is enabled in it "
			    "(apm_config.enabled)",
			    "%s answers (Agent %s) but does not list /profiling/v1/input: "
			    "uploads will be refused",
			    a->endpoint_desc, version);
}

/* Where a file system takes no new directories whatever the permissions. */
static bool pseudo_fs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC);
}

/*
 * --output: the directory, or the nearest of its parents that exists when
 * the daemon would create it, must be writable. Asked with access(2),
 * creating nothing.
 */
void doctor_check_output(struct doctor *d)
{
	const char *dir = d->cfg->output_dir, *fix = "choose another --output directory";
	char path[PATH_MAX], e[96];
	struct stat st;
	char *slash;

	if (!dir)
		return;
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': the path is too long", dir);
		return;
	}
	while (stat(path, &st)) {
		if ((errno != ENOENT && errno != ENOTDIR) || !strcmp(path, "/") ||
		    !strcmp(path, ".")) {
			doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s: %s", dir, path,
				    doctor_errno(-errno, e, sizeof(e)));
			return;
		}
		slash = strrchr(path, '/');
		if (!slash)
			snprintf(path, sizeof(path), ".");
		else if (slash == path)
			path[1] = 0;
		else
			*slash = 0;
	}
	if (!S_ISDIR(st.st_mode))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s is not a directory", dir,
			    path);
	else if (pseudo_fs(path))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix,
			    "'%s': %s is in /proc or /sys, where nothing can be created", dir,
			    path);
	else if (access(path, W_OK | X_OK))
		doctor_line(d, DOCTOR_LVL_FAIL, "output", fix, "'%s': %s is not writable: %s", dir,
			    path, doctor_errno(-errno, e, sizeof(e)));
	else if (strcmp(path, dir))
		doctor_line(d, DOCTOR_LVL_OK, "output", NULL,
			    "'%s' is missing; the daemon creates it in %s, which is writable", dir,
			    path);
	else
		doctor_line(d, DOCTOR_LVL_OK, "output", NULL, "'%s' is writable", dir);
}
