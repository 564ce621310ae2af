// SPDX-License-Identifier: GPL-2.0
/*
 * Resolved options into components' configurations (config.h): each field
 * a component reads is filled here, and only here.
 */
#include <string.h>

#include "config.h"

static void config_backend(const struct options *o, struct backend_config *c)
{
	*c = (struct backend_config){
	    .mode = o->mode,
	    .backend = o->backend,
	    .event = o->event,
	    .frequency = o->frequency,
	    .period = o->period,
	    .max_frames = o->max_frames,
	    .unwind = o->unwind,
	    .stack_sample_size = o->stack_sample_size,
	    .kmod_source = o->kmod_source,
	};
}

static void config_upload(const struct options *o, struct upload_config *c)
{
	*c = (struct upload_config){
	    .url = o->upload_url,
	    .unix_socket = o->unix_socket,
	    .endpoint_desc = o->endpoint_desc,
	    .agentless = o->agentless,
	    .api_key = o->api_key,
	    .timeout_s = o->upload_timeout,
	    .spool_dir = o->spool_dir,
	    .spool_max_mb = o->spool_max_mb,
	    .spool_max_age_s = o->spool_max_age,
	    .runtime_id = o->runtime_id,
	    .service = o->service,
	    .environment = o->environment,
	    .service_version = o->service_version,
	    .tags = o->tags,
	};
}

static void config_export(const struct options *o, struct export_config *c)
{
	*c = (struct export_config){
	    .profile =
		{
		    .frequency = o->frequency,
		    .count_periods = o->event == EVENT_CYCLES,
		    .timeline = o->timeline,
		    .show_samples = o->show_samples,
		    .inlined_functions = o->inlined_functions,
		    .disable_symbolization = o->disable_symbolization,
		},
	    .debuginfod_wait_ms = o->debuginfod_wait,
	    .worker_period = o->worker_period,
	    .internal_stats = o->internal_stats,
	    .output_dir = o->output_dir,
	    .pprof_prefix = o->pprof_prefix,
	    .service = o->service,
	    .upload = o->upload,
	};
	config_upload(o, &c->agent);
}

void config_session(const struct options *o, struct session_config *c)
{
	*c = (struct session_config){
	    .pid = o->pid,
	    .command = o->command,
	    .switch_user = o->switch_user,
	    .maximum_pids = o->maximum_pids,
	    .upload_period = o->upload_period,
	    .timeline = o->timeline,
	    .nice_set = o->nice_set,
	    .nice = o->nice,
	    .cpu_mask_set = o->cpu_mask_set,
	    .cpu_affinity = o->cpu_affinity,
	};
	memcpy(c->cpu_mask, o->cpu_mask, sizeof(c->cpu_mask));
	config_backend(o, &c->sampling);
	config_export(o, &c->export);
}

void config_doctor(const struct options *o, struct doctor_config *c)
{
	*c = (struct doctor_config){
	    .pid = o->pid,
	    .output_dir = o->output_dir,
	    .upload = o->enabled && o->upload && o->upload_url,
	};
	config_backend(o, &c->sampling);
	config_upload(o, &c->agent);
}
