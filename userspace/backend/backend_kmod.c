// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel module's backend: samples from /dev/hrprof's per-CPU rings
 * (kmod.c drives the device), side-band records (mmap, comm, fork, exit)
 * from perf dummy events, all read in one time-ordered merge. And the
 * choice of backend for --backend auto.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend_perf.h"
#include "kmod.h"
#include "base/log.h"
#include "proc/proc.h"
#include "ring_merge.h"
#include "unwind/unwind.h"
#include "base/util.h"

struct kmod_backend;

/* A module ring: contiguous records (the data is mapped twice), checked whole. */
struct kring {
	struct merge_ring m;
	struct kmod_backend *kb;
	struct kmod_ring *k;
	uint64_t head, pos;
};

struct kmod_backend {
	struct kmod_dev kmod;
	struct perf_events *side;
	struct kring *krings; /* kmod.info.nr_cpus */
	struct merge_ring **merge;
	size_t nmerge;
	int *poll_fds;
	size_t npoll;
	struct backend_events ev;
	struct backend_stats stats; /* the module rings' */
	unsigned int max_frames;
	struct hrprof_record *rec; /* the record handed on, with our pids */
	char describe[64];
	bool stopped;
	/* CFI tables in the module (--unwind auto|cfi, HRPROF_FEAT_CFI) */
	bool cfi;
	bool cfi_full_logged;
	struct hrprof_umap *umaps; /* a process's, while they are given */
	struct mapping **umap_of;  /* the mapping each of umaps is of */
	size_t umaps_cap;
	size_t umap_of_cap;
	uint64_t tables_loaded, maps_given, table_errors;
};

#define to_kmod(b) ((struct kmod_backend *)(b))

static void kring_begin(struct merge_ring *mr)
{
	struct kring *r = (struct kring *)mr;
	struct kmod_backend *kb = r->kb;
	uint64_t lost = __atomic_load_n(&r->k->prod->lost, __ATOMIC_RELAXED);

	if (lost != r->k->lost_seen) {
		kb->stats.lost += lost - r->k->lost_seen;
		log_debug("kmod: %llu samples lost (ring full)",
			  (unsigned long long)(lost - r->k->lost_seen));
		kb->ev.lost(kb->ev.ctx, lost - r->k->lost_seen);
		r->k->lost_seen = lost;
	}
	r->head = __atomic_load_n(&r->k->prod->producer_pos, __ATOMIC_ACQUIRE);
	r->pos = r->k->cons->consumer_pos;
}

static bool kring_peek(struct merge_ring *mr)
{
	struct kring *r = (struct kring *)mr;
	const struct hrprof_record *rec;

	mr->next = NULL;
	if (r->pos >= r->head)
		return false;
	rec = (const void *)(r->k->data + (r->pos & (r->k->data_size - 1)));
	if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > r->head - r->pos ||
	    rec->size != sizeof(*rec) + 8 * ((size_t)rec->nr_kernel + rec->nr_user) ||
	    rec->nr_kernel + rec->nr_user > r->kb->max_frames + 256) {
		r->kb->stats.bad_records++;
		r->pos = r->head;
		return false;
	}
	mr->next = rec;
	mr->next_time = rec->time_ns;
	return true;
}

/* A module record enters the pipeline with the pids this daemon sees. */
static void kring_consume(struct merge_ring *mr)
{
	struct kring *r = (struct kring *)mr;
	struct kmod_backend *kb = r->kb;
	const struct hrprof_record *rec = mr->next;

	memcpy(kb->rec, rec, rec->size);
	if (rec->ns_tgid) {
		kb->rec->tgid = rec->ns_tgid;
		kb->rec->tid = rec->ns_tid;
	}
	kb->stats.samples++;
	r->pos += rec->size;
	kb->ev.sample(kb->ev.ctx, kb->rec, NULL);
}

static void kring_end(struct merge_ring *mr)
{
	struct kring *r = (struct kring *)mr;

	__atomic_store_n(&r->k->cons->consumer_pos, r->pos, __ATOMIC_RELEASE);
}

/* ---- CFI tables: the module walks user stacks with them ---- */

#define TABLE_REFUSED UINT32_MAX

/* The module's id for the table of om, loaded on first use; 0 when it
 * cannot be loaded (the limit: said once). */
static uint32_t table_id(struct kmod_backend *kb, const struct unwind_object_map *om,
			 const char *path)
{
	uint32_t id = 0;
	int err;

	if (*om->ext_id)
		return *om->ext_id == TABLE_REFUSED ? 0 : *om->ext_id;
	err = kmod_add_table(&kb->kmod, om->rows, om->nrows, &id);
	if (err == -ENOSPC) {
		if (!kb->cfi_full_logged)
			log_warn(
			    "kernel module: its memory for CFI tables (%u MiB) is full: frames "
			    "in %s and later objects are walked by frame pointers (load "
			    "hrprof.ko with a larger table_mem_mb=)",
			    kb->kmod.info.table_mem_mb, path);
		kb->cfi_full_logged = true;
		kb->table_errors++;
		return 0;
	}
	if (err) {
		log_debug("kmod: table of %s (%u rows) refused: %s", path, om->nrows,
			  strerror(-err));
		kb->table_errors++;
		*om->ext_id = TABLE_REFUSED; /* not asked again */
		return 0;
	}
	kb->tables_loaded++;
	*om->ext_id = id;
	return id;
}

static void table_evicted(void *ctx, uint32_t id)
{
	struct kmod_backend *kb = ctx;

	if (id != TABLE_REFUSED)
		kmod_del_table(&kb->kmod, id);
}

static void load_one(void *ctx, const struct unwind_object_map *om, const char *path)
{
	table_id(ctx, om, path);
}

/* The tables compiled ahead of the start, in the module before the first
 * sample: a process's first mappings are given without loading them. */
static void kmod_load_tables(struct backend *b, struct unwinder *u)
{
	struct kmod_backend *kb = to_kmod(b);

	if (!kb->cfi)
		return;
	unwinder__on_evict(u, table_evicted, kb);
	unwinder__each_table(u, load_one, kb);
}

/* p's executable mappings and their tables, given to the module when they
 * changed since it was last given them. */
static void kmod_process_seen(struct backend *b, struct proc *p, struct unwinder *u)
{
	struct kmod_backend *kb = to_kmod(b);
	size_t n = 0;
	uint64_t now;
	int err;

	if (!kb->cfi || (p->kmod_synced && p->kmod_gen == p->gen))
		return;
	p->kmod_synced = true;
	p->kmod_gen = p->gen;
	unwinder__on_evict(u, table_evicted, kb);
	for (size_t i = 0; i < p->nmaps && n < HRPROF_MAPS_MAX; i++) {
		struct unwind_object_map om[4];
		unsigned int k = unwinder__object_maps(u, p, p->maps[i], om, 4);

		if (array__reserve(&kb->umaps, &kb->umaps_cap, n + k, sizeof(*kb->umaps)) ||
		    array__reserve(&kb->umap_of, &kb->umap_of_cap, n + k, sizeof(*kb->umap_of)))
			return;
		for (unsigned int j = 0; j < k && n < HRPROF_MAPS_MAX; j++) {
			uint32_t id = table_id(kb, &om[j], p->maps[i]->path);

			if (!id || (n && om[j].start < kb->umaps[n - 1].end))
				continue;
			kb->umap_of[n] = p->maps[i];
			kb->umaps[n++] = (struct hrprof_umap){.start = om[j].start,
							      .end = om[j].end,
							      .bias = om[j].bias,
							      .table = id};
		}
	}
	err = kmod_set_maps(&kb->kmod, p->pid, kb->umaps, (uint32_t)n);
	if (err && err != -ESRCH)
		log_info("kernel module: it refused the mappings of pid %u (%s): its stacks are "
			 "walked by frame pointers",
			 p->pid, strerror(-err));
	if (err)
		return;
	kb->maps_given++;
	now = clock_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < n; i++)
		if (!kb->umap_of[i]->kmod_at)
			kb->umap_of[i]->kmod_at = now;
}

static const struct merge_ring_ops kring_ops = {
    .begin = kring_begin,
    .peek = kring_peek,
    .consume = kring_consume,
    .end = kring_end,
};

/* The module's side: device, rings, targets. Returns -errno after logging why. */
static int kmod_setup(struct kmod_backend *kb, const struct backend_config *cfg, int pid)
{
	char why[256];
	uint32_t source = cfg->kmod_source;
	int err;

	err = kmod_open(&kb->kmod, why, sizeof(why));
	if (err) {
		log_error("--backend kmod: %s", why);
		return err;
	}
	if (cfg->event == EVENT_CYCLES && source == HRPROF_SOURCE_AUTO)
		source = HRPROF_SOURCE_PMU;
	err = kmod_configure(&kb->kmod, cfg, source);
	if (err) {
		long max = sysctl_read("/proc/sys/kernel/perf_event_max_sample_rate", 0);
		char hint[96] = "";

		if (err == -ENODEV)
			snprintf(hint, sizeof(hint), "%s",
				 source == HRPROF_SOURCE_NMI_TEST
				     ? " (load hrprof.ko with nmi_test=1 for the test source)"
				     : " (no PMU here: use cpu-clock)");
		else if (err == -EINVAL && max > 0 && cfg->frequency > max)
			snprintf(hint, sizeof(hint),
				 " (above kernel.perf_event_max_sample_rate, %ld Hz)", max);
		log_error("kernel module: configuring %s sampling at %u Hz failed: %s%s",
			  kmod_source_name(source), cfg->frequency, strerror(-err), hint);
		return err;
	}
	if (cfg->mode != TARGET_GLOBAL && (err = kmod_add_target(&kb->kmod, (uint32_t)pid))) {
		log_error("kernel module: cannot follow pid %d: %s", pid, strerror(-err));
		return err;
	}
	kb->cfi = cfg->unwind != UNWIND_FP && (kb->kmod.info.features & HRPROF_FEAT_CFI);
	if (cfg->unwind != UNWIND_FP && !kb->cfi)
		log_notice("kernel module: this hrprof.ko walks user stacks by frame pointers only "
			   "(no CFI tables: an older module)");
	snprintf(kb->describe, sizeof(kb->describe), "%s", kmod_source_name(kb->kmod.cfg.source));
	log_info("backend kmod: %s at %u Hz, %u pages per CPU ring, %u user frames, %s",
		 kmod_source_name(kb->kmod.cfg.source), cfg->frequency, kb->kmod.cfg.ring_pages,
		 kb->kmod.cfg.max_user_frames,
		 kb->cfi ? "user stacks by CFI tables" : "user stacks by frame pointers");
	return 0;
}

static void kmod_backend_free(struct backend *b)
{
	struct kmod_backend *kb = to_kmod(b);
	struct hrprof_stats st;

	if (!kb)
		return;
	if (kb->kmod.fd >= 0 && kb->cfi && !kmod_stats(&kb->kmod, &st))
		log_info("kmod unwind: %llu user frames by CFI, %llu by frame pointers; %llu walks "
			 "complete, %llu ended by a bad frame, %llu by an unreadable one, %llu of "
			 "processes not yet described, %llu met an address outside the given "
			 "mappings; %llu tables (%llu KiB) in the module, %llu loaded, %llu "
			 "refused, %llu mapping updates",
			 (unsigned long long)st.frames_cfi, (unsigned long long)st.frames_fp,
			 (unsigned long long)st.cfi_complete, (unsigned long long)st.cfi_bad,
			 (unsigned long long)st.user_faults, (unsigned long long)st.cfi_no_maps,
			 (unsigned long long)st.cfi_unmapped, (unsigned long long)st.tables,
			 (unsigned long long)st.table_bytes / 1024,
			 (unsigned long long)kb->tables_loaded,
			 (unsigned long long)kb->table_errors, (unsigned long long)kb->maps_given);
	if (kb->kmod.fd >= 0 && !kmod_stats(&kb->kmod, &st))
		log_debug("kmod stats: samples=%llu lost=%llu skipped=%llu user_faults=%llu "
			  "sample_ns=%llu ns_per_sample=%llu wakeups=%llu missed=%llu "
			  "targets=%llu",
			  (unsigned long long)st.samples, (unsigned long long)st.lost,
			  (unsigned long long)st.skipped, (unsigned long long)st.user_faults,
			  (unsigned long long)st.sample_ns,
			  (unsigned long long)(st.samples ? st.sample_ns / st.samples : 0),
			  (unsigned long long)st.wakeups, (unsigned long long)st.missed,
			  (unsigned long long)st.targets);
	kmod_close(&kb->kmod);
	perf_events__free(kb->side);
	free(kb->krings);
	free(kb->merge);
	free(kb->poll_fds);
	free(kb->rec);
	free(kb->umaps);
	free(kb->umap_of);
	free(kb);
}

static int kmod_backend_open(struct backend **out, const struct backend_config *cfg, int pid,
			     const struct backend_events *ev)
{
	struct kmod_backend *kb = calloc(1, sizeof(*kb));
	uint32_t ncpus;
	int err;

	if (!kb)
		return -ENOMEM;
	kb->kmod.fd = -1;
	kb->ev = *ev;
	kb->max_frames = cfg->max_frames;
	err = kmod_setup(kb, cfg, pid);
	if (err)
		goto err_free;
	err = perf_events__open(&kb->side, cfg, pid, true, ev);
	if (err)
		goto err_free;
	ncpus = kb->kmod.info.nr_cpus;
	kb->krings = calloc(ncpus, sizeof(*kb->krings));
	kb->merge = calloc(kb->side->ncpus + ncpus, sizeof(*kb->merge));
	kb->poll_fds = calloc(kb->side->ncpus + 1, sizeof(*kb->poll_fds));
	kb->rec = malloc(sizeof(*kb->rec) + 8 * ((size_t)kb->max_frames + 256));
	if (!kb->krings || !kb->merge || !kb->poll_fds || !kb->rec) {
		err = -ENOMEM;
		goto err_free;
	}
	kb->nmerge = perf_events__rings(kb->side, kb->merge);
	for (uint32_t cpu = 0; cpu < ncpus; cpu++) {
		kb->krings[cpu] =
		    (struct kring){.m.ops = &kring_ops, .kb = kb, .k = &kb->kmod.rings[cpu]};
		kb->merge[kb->nmerge++] = &kb->krings[cpu].m;
	}
	kb->npoll = perf_events__poll_fds(kb->side, kb->poll_fds);
	kb->poll_fds[kb->npoll++] = kb->kmod.fd;
	if (ev->starting)
		ev->starting(ev->ctx, (struct backend *)kb);
	err = kmod_start(&kb->kmod);
	if (err) {
		log_error("kernel module: start failed: %s", strerror(-err));
		goto err_free;
	}
	*out = (struct backend *)kb;
	return 0;
err_free:
	kmod_backend_free((struct backend *)kb);
	return err;
}

static size_t kmod_backend_fds(struct backend *b, const int **fds)
{
	*fds = to_kmod(b)->poll_fds;
	return to_kmod(b)->npoll;
}

static void kmod_backend_drain(struct backend *b, uint64_t until)
{
	ring_merge__drain(to_kmod(b)->merge, to_kmod(b)->nmerge, until);
}

static void kmod_backend_stop(struct backend *b)
{
	struct kmod_backend *kb = to_kmod(b);

	if (kb->stopped)
		return;
	kb->stopped = true;
	kmod_stop(&kb->kmod);
	perf_events__disable(kb->side);
}

static void kmod_backend_stats(struct backend *b, struct backend_stats *st)
{
	struct kmod_backend *kb = to_kmod(b);

	*st = kb->stats;
	st->lost += kb->side->stats.lost;
	st->bad_records += kb->side->stats.bad_records;
}

static const char *kmod_backend_describe(struct backend *b)
{
	return to_kmod(b)->describe;
}

static bool kmod_backend_kernel_frames(struct backend *b)
{
	return true;
}

const struct backend_ops backend_kmod = {
    .name = "kmod",
    .open = kmod_backend_open,
    .fds = kmod_backend_fds,
    .drain = kmod_backend_drain,
    .stop = kmod_backend_stop,
    .stats = kmod_backend_stats,
    .describe = kmod_backend_describe,
    .kernel_frames = kmod_backend_kernel_frames,
    .process_seen = kmod_process_seen,
    .load_tables = kmod_load_tables,
    .free = kmod_backend_free,
};

int backend_kmod_probe(char *why, size_t whylen)
{
	struct kmod_dev k;
	int err = kmod_open(&k, why, whylen);

	if (!err)
		kmod_close(&k);
	return err;
}

const struct backend_ops *backend_choose(const struct backend_config *cfg)
{
	char why[256];
	int err;

	if (cfg->backend == BACKEND_PERF) {
		log_info("backend: perf (asked for)");
		return &backend_perf;
	}
	err = backend_kmod_probe(why, sizeof(why));
	if (cfg->backend == BACKEND_KMOD) {
		if (err) {
			fprintf(stderr, "hrprof: --backend kmod: %s\n", why);
			return NULL;
		}
		log_info("backend: kmod (asked for; %s)", why);
		return &backend_kmod;
	}
	log_info("backend: %s (%s)", err ? "perf" : "kmod", why);
	return err ? &backend_perf : &backend_kmod;
}
