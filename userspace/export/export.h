/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exporting profiles off the sampling path: the loop's thread pushes each
 * period's snapshot; the export thread builds its pprof (profile.h) and
 * hands it to every exporter, in a list: files (files.c) and the Datadog
 * Agent or intake (agent.c). The loop never waits for any of it.
 */
#ifndef HRPROF_EXPORT_H
#define HRPROF_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"

/* Where uploads go and what they carry: the uploader's settings. */
struct upload_config {
	const char *url;	   /* the full endpoint URL */
	const char *unix_socket;   /* connect through this socket, or NULL */
	const char *endpoint_desc; /* where profiles go, for logs (no secrets) */
	bool agentless;		   /* straight to the intake, with api_key */
	const char *api_key;	   /* never logged */
	unsigned int timeout_s;	   /* each request's, and the wait at exit */
	const char *spool_dir;	   /* where profiles wait for delivery */
	unsigned int spool_max_mb;
	unsigned int spool_max_age_s;
	const char *runtime_id; /* NULL: a fresh UUID */
	/* The run's tags: service (not NULL), env, version, the user's "k:v,...". */
	const char *service;
	const char *environment;
	const char *service_version;
	const char *tags;
};

/* The export thread's settings, and where its profiles go. */
struct export_config {
	struct profile_config profile;
	unsigned int debuginfod_wait_ms; /* what a profile waits for debug files, at most */
	unsigned int worker_period;	 /* profiles between fresh symbol caches */
	const char *internal_stats;	 /* statsd socket or file for hrprof's counters, or NULL */
	const char *output_dir;		 /* files into this directory, or NULL */
	const char *pprof_prefix;	 /* files named PREFIX<time>..., or NULL */
	const char *service;		 /* in file names */
	bool upload;			 /* to the Agent or intake, as agent says */
	struct upload_config agent;
};

struct export_stats {
	uint64_t profiles;
	uint64_t failed;
	uint64_t samples;
	uint64_t empty; /* profiles with no samples */
};

/* A built profile, as exporters see it. */
struct export_item {
	struct pprof *pprof;
	const struct snapshot *snap;
	uint64_t samples;
};

struct exporter {
	const char *name;
	/* Returns -errno; an error is logged by the exporter and counted. */
	int (*export)(struct exporter *e, const struct export_item *item);
	void (*free)(struct exporter *e);
	struct exporter *next;
};

/* Writes each profile as <UTC start>_<service>_<pid>.pb.gz: into directory
 * dir, or (dir NULL) to names that start with prefix. */
struct exporter *file_exporter__new(const char *dir, const char *prefix, const char *service,
				    int pid);

/* Uploads each profile to the Agent or intake cfg names; pid is the target
 * (its container id goes in a header), -1 for none. */
struct exporter *agent_exporter__new(const struct upload_config *cfg, int pid);

/* The exporters cfg asks for (files, prefixed files, uploads), in a list;
 * NULL when none (or out of memory, logged). pid as above. */
struct exporter *exporters__new(const struct export_config *cfg, int pid);

/* What the Agent at cfg's URL says of itself (GET /info). */
struct agent_info {
	long status;	  /* HTTP status; 0: no answer */
	char error[256];  /* why there was no answer */
	char version[64]; /* the Agent's version, "" when not said */
	bool profiling;	  /* it lists /profiling/v1/input */
};

/* Asks the Agent (not the intake) at cfg->url, waiting at most timeout_s.
 * Returns 0 when it answered (any status) or -errno; out says what. */
int agent_info__get(const struct upload_config *cfg, unsigned int timeout_s,
		    struct agent_info *out);

struct export_thread;

/* Starts the export thread; it owns exporters (a list) from now on. cfg is
 * copied (its strings are borrowed). */
int export_thread__start(struct export_thread **out, const struct export_config *cfg,
			 struct exporter *exporters);
/* Queues a snapshot; the thread frees it. Never blocks on export work. */
void export_thread__push(struct export_thread *t, struct snapshot *s);
/* Exports what is queued, stops the thread, frees everything. */
void export_thread__finish(struct export_thread *t, struct export_stats *st);

#endif
