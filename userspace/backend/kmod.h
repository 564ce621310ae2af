/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hrprof kernel module as seen from the daemon: /dev/hrprof's ioctls and
 * ring mappings (include/hrprof.h). backend_kmod.c drives it.
 */
#ifndef HRPROF_KMOD_H
#define HRPROF_KMOD_H

#include <stdbool.h>
#include <stdint.h>

#include "hrprof.h"
#include "backend.h"
#include "hrprof_unwind.h"

struct kmod_ring {
	struct hrprof_ring_consumer *cons; /* ours to write */
	const struct hrprof_ring_producer *prod;
	const char *data; /* data_size bytes, mapped twice */
	uint64_t data_size;
	uint64_t lost_seen; /* prod->lost already reported */
};

struct kmod_dev {
	int fd;
	struct hrprof_info info;
	struct hrprof_config cfg;
	struct kmod_ring *rings; /* info.nr_cpus */
	size_t map_len;
};

/*
 * Opens the device and checks its ABI. Returns -ENOENT when the module is
 * not loaded, -EPROTO when its ABI differs, else -errno; why says it in
 * words for the log.
 */
int kmod_open(struct kmod_dev *k, char *why, size_t whylen);
/* Configures sampling for cfg and maps every CPU's ring. */
int kmod_configure(struct kmod_dev *k, const struct backend_config *cfg, uint32_t source);
int kmod_add_target(struct kmod_dev *k, uint32_t tgid);
/* CFI tables (HRPROF_FEAT_CFI): load one (its id in *id), drop the hold on
 * one, give a process's executable mappings. -errno on failure. */
int kmod_add_table(struct kmod_dev *k, const struct hrprof_cfi_row *rows, uint32_t nrows,
		   uint32_t *id);
int kmod_del_table(struct kmod_dev *k, uint32_t id);
int kmod_set_maps(struct kmod_dev *k, uint32_t tgid, const struct hrprof_umap *maps, uint32_t nr);
int kmod_start(struct kmod_dev *k);
int kmod_stop(struct kmod_dev *k);
int kmod_stats(struct kmod_dev *k, struct hrprof_stats *st);
void kmod_close(struct kmod_dev *k);
const char *kmod_source_name(uint32_t source);

#endif
