// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU rings. Each is built from distinct pages vmapped as
 * [consumer][producer][data...][data...]: the data pages appear twice, back
 * to back, so a record written at any offset is contiguous both for the
 * writer and, through the same layout in the user mapping, for the reader.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "hrprof_kmod.h"

static void hrprof_ring_free_pages(struct page **pages, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (pages[i])
			__free_page(pages[i]);
	}
	kvfree(pages);
}

struct hrprof_ring *hrprof_ring_new(int cpu, unsigned int nr_data, u64 watermark)
{
	unsigned int nr_pages = 2 + nr_data, i;
	struct page **pages, **map;
	struct hrprof_ring *r;

	r = kzalloc_node(sizeof(*r), GFP_KERNEL, cpu_to_node(cpu));
	if (!r)
		return NULL;
	pages = kvcalloc(nr_pages, sizeof(*pages), GFP_KERNEL);
	map = kvcalloc(2 + 2 * nr_data, sizeof(*map), GFP_KERNEL);
	if (!pages || !map)
		goto err;
	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!pages[i])
			goto err;
	}
	map[0] = pages[0];
	map[1] = pages[1];
	for (i = 0; i < nr_data; i++) {
		map[2 + i] = pages[2 + i];
		map[2 + nr_data + i] = pages[2 + i];
	}
	r->vaddr = vmap(map, 2 + 2 * nr_data, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!r->vaddr)
		goto err;
	kvfree(map);
	r->pages = pages;
	r->nr_data = nr_data;
	r->cons = r->vaddr;
	r->prod = r->vaddr + PAGE_SIZE;
	r->data = r->vaddr + 2 * PAGE_SIZE;
	r->data_size = (u64)nr_data * PAGE_SIZE;
	r->watermark = watermark;
	r->prod->data_size = (u32)r->data_size;
	r->prod->cpu = cpu;
	return r;
err:
	kvfree(map);
	if (pages)
		hrprof_ring_free_pages(pages, nr_pages);
	kfree(r);
	return NULL;
}

void hrprof_ring_free(struct hrprof_ring *r)
{
	if (!r)
		return;
	vunmap(r->vaddr);
	hrprof_ring_free_pages(r->pages, 2 + r->nr_data);
	kfree(r);
}

/* The reader has watermark bytes or more to read. */
bool hrprof_ring_readable(const struct hrprof_ring *r)
{
	/* A hint for poll: a stale value only delays or repeats a wakeup. */
	u64 prod = smp_load_acquire(&r->prod->producer_pos);
	/* Written by the reader; read once, no ordering needed. */
	u64 cons = READ_ONCE(r->cons->consumer_pos);

	return prod - cons >= r->watermark;
}
