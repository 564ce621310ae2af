// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hrprof from the daemon's side (kmod.h): opening and checking its
 * ABI, configuring it, mapping every CPU's ring, and the ioctls that give it
 * targets, CFI tables and process mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmod.h"
#include "base/log.h"

#define KMOD_KERNEL_FRAMES 128

const char *kmod_source_name(uint32_t source)
{
	switch (source) {
	case HRPROF_SOURCE_PMU:
		return "pmu-cycles (NMI)";
	case HRPROF_SOURCE_CPU_CLOCK:
		return "cpu-clock (hrtimer)";
	case HRPROF_SOURCE_NMI_TEST:
		return "nmi-test (NMIs sent by an hrtimer on the next CPU)";
	default:
		return "auto";
	}
}

int kmod_open(struct kmod_dev *k, char *why, size_t whylen)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->fd = open(HRPROF_DEVICE, O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			snprintf(why, whylen,
				 "%s is missing: the kernel module is not loaded "
				 "(sudo modprobe hrprof)",
				 HRPROF_DEVICE);
		else if (err == -EBUSY)
			snprintf(why, whylen, "another hrprof session is using the kernel module");
		else if (err == -EACCES || err == -EPERM)
			snprintf(why, whylen, "%s needs root (CAP_SYS_ADMIN)", HRPROF_DEVICE);
		else
			snprintf(why, whylen, "cannot open %s: %s", HRPROF_DEVICE, strerror(-err));
		return err;
	}
	if (ioctl(k->fd, HRPROF_IOC_GET_INFO, &k->info)) {
		err = -errno;
		snprintf(why, whylen, "the module does not answer GET_INFO: %s", strerror(-err));
		goto err_close;
	}
	if (k->info.abi_version != HRPROF_ABI_VERSION) {
		snprintf(why, whylen, "the module's ABI is %u, this hrprof speaks %u: update one",
			 k->info.abi_version, HRPROF_ABI_VERSION);
		err = -EPROTO;
		goto err_close;
	}
	snprintf(why, whylen, "the module is loaded (ABI %u)", k->info.abi_version);
	return 0;
err_close:
	close(k->fd);
	k->fd = -1;
	return err;
}

/* Data pages per ring: ~200 ms of 1 KiB samples at the asked rate. */
static uint32_t kmod_ring_pages(unsigned int freq, uint32_t page, uint32_t max)
{
	uint64_t want = (uint64_t)freq * 1024 / 5 / page;
	uint32_t pages = 64;

	while (pages < want && pages < max)
		pages *= 2;
	return pages;
}

int kmod_configure(struct kmod_dev *k, const struct backend_config *cfg, uint32_t source)
{
	long page = (long)k->info.page_size;
	uint32_t maxu = cfg->max_frames < k->info.max_frames ? cfg->max_frames : k->info.max_frames;
	size_t stride;

	k->cfg = (struct hrprof_config){
	    .source = source,
	    .flags =
		(cfg->period ? 0 : HRPROF_CFG_FREQ) | HRPROF_CFG_KERNEL | HRPROF_CFG_USER |
		(cfg->mode == TARGET_GLOBAL ? HRPROF_CFG_ALL_PROCS : 0) |
		(cfg->unwind != UNWIND_FP && (k->info.features & HRPROF_FEAT_CFI) ? HRPROF_CFG_CFI
										  : 0),
	    .sample_rate = cfg->period ? cfg->period : cfg->frequency,
	    .max_kernel_frames = KMOD_KERNEL_FRAMES,
	    .max_user_frames = maxu,
	    .ring_pages =
		kmod_ring_pages(cfg->frequency, k->info.page_size, k->info.max_ring_pages),
	};
	/* Rings are sized for 1 KiB samples; most are a few hundred bytes, so
	 * wake at a sixteenth to drain well before the ring can fill. */
	k->cfg.watermark = k->cfg.ring_pages * k->info.page_size / 16;
	if (ioctl(k->fd, HRPROF_IOC_CONFIGURE, &k->cfg))
		return -errno;
	stride = HRPROF_RING_STRIDE(k->cfg.ring_pages);
	k->rings = calloc(k->info.nr_cpus, sizeof(*k->rings));
	if (!k->rings)
		return -ENOMEM;
	k->map_len = (1 + 2 * (size_t)k->cfg.ring_pages) * page;
	for (uint32_t cpu = 0; cpu < k->info.nr_cpus; cpu++) {
		struct kmod_ring *r = &k->rings[cpu];
		off_t off = (off_t)(cpu * stride) * page;
		void *c, *p;

		c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, off);
		if (c == MAP_FAILED)
			return -errno;
		r->cons = c;
		p = mmap(NULL, k->map_len, PROT_READ, MAP_SHARED, k->fd, off + page);
		if (p == MAP_FAILED)
			return -errno;
		r->prod = p;
		r->data = (const char *)p + page;
		r->data_size = r->prod->data_size;
	}
	return 0;
}

int kmod_add_target(struct kmod_dev *k, uint32_t tgid)
{
	struct hrprof_target t = {.tgid = tgid};

	return ioctl(k->fd, HRPROF_IOC_ADD_TARGET, &t) ? -errno : 0;
}

int kmod_add_table(struct kmod_dev *k, const struct hrprof_cfi_row *rows, uint32_t nrows,
		   uint32_t *id)
{
	struct hrprof_table t = {.rows = (uintptr_t)rows, .nrows = nrows};

	if (ioctl(k->fd, HRPROF_IOC_ADD_TABLE, &t))
		return -errno;
	*id = t.id;
	return 0;
}

int kmod_del_table(struct kmod_dev *k, uint32_t id)
{
	struct hrprof_table_id t = {.id = id};

	return ioctl(k->fd, HRPROF_IOC_DEL_TABLE, &t) ? -errno : 0;
}

int kmod_set_maps(struct kmod_dev *k, uint32_t tgid, const struct hrprof_umap *maps, uint32_t nr)
{
	struct hrprof_maps m = {.tgid = tgid, .nr = nr, .maps = (uintptr_t)maps};

	return ioctl(k->fd, HRPROF_IOC_SET_MAPS, &m) ? -errno : 0;
}

int kmod_start(struct kmod_dev *k)
{
	return ioctl(k->fd, HRPROF_IOC_START) ? -errno : 0;
}

int kmod_stop(struct kmod_dev *k)
{
	return ioctl(k->fd, HRPROF_IOC_STOP) ? -errno : 0;
}

int kmod_stats(struct kmod_dev *k, struct hrprof_stats *st)
{
	return ioctl(k->fd, HRPROF_IOC_GET_STATS, st) ? -errno : 0;
}

void kmod_close(struct kmod_dev *k)
{
	long page = (long)k->info.page_size;

	if (k->rings) {
		for (uint32_t cpu = 0; cpu < k->info.nr_cpus; cpu++) {
			if (k->rings[cpu].cons)
				munmap(k->rings[cpu].cons, page);
			if (k->rings[cpu].prod)
				munmap((void *)k->rings[cpu].prod, k->map_len);
		}
		free(k->rings);
	}
	if (k->fd > 0)
		close(k->fd);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}
