/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod_cfi's table ioctls and their refusals (included by kmod_cfi.c
 * alone): the device's info, random sorted rows, ADD_TABLE, DEL_TABLE,
 * SET_MAPS and GET_STATS as 0 or -errno, then each refusal with its errno
 * and the memory limit (tables added until ENOSPC, never past
 * table_mem_mb).
 */
#ifndef HRPROF_VM_KMOD_CFI_TABLES_H
#define HRPROF_VM_KMOD_CFI_TABLES_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hrprof.h"
#include "hrprof_unwind.h"
#include "vm_check.h"

static struct hrprof_info info;
static long page;
static unsigned int seed = 2026;

static bool expect(int got, int want, const char *what)
{
	checks++;
	if (got == want)
		return true;
	fail("%s: got %s, want %s", what, ename(got), ename(want));
	return false;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)rand_r(&seed) % n : 0;
}

/* n sorted rows of random kinds, as the daemon would give. */
static struct hrprof_cfi_row *rows_new(uint32_t n)
{
	struct hrprof_cfi_row *r = calloc(n, sizeof(*r));
	uint32_t pc = rnd(4096);

	for (uint32_t i = 0; r && i < n; i++) {
		pc += 1 + rnd(64);
		r[i] = (struct hrprof_cfi_row){.pc = pc,
					       .kind = (uint8_t)rnd(HRPROF_CFI_EXPR + 1),
					       .bp = (uint8_t)rnd(HRPROF_BP_UNDEF + 1),
					       .bp_off = (int16_t)(-8 * (int)rnd(8)),
					       .cfa_off = (int32_t)(8 * (int)rnd(64)) - 64};
	}
	return r;
}

static int add_table(int fd, const struct hrprof_cfi_row *rows, uint32_t n, uint32_t *id)
{
	struct hrprof_table t = {.rows = (uintptr_t)rows, .nrows = n};
	int err = ioc(fd, HRPROF_IOC_ADD_TABLE, &t);

	if (!err)
		*id = t.id;
	return err;
}

static int del_table(int fd, uint32_t id)
{
	struct hrprof_table_id t = {.id = id};

	return ioc(fd, HRPROF_IOC_DEL_TABLE, &t);
}

static int set_maps(int fd, uint32_t tgid, const struct hrprof_umap *m, uint32_t nr)
{
	struct hrprof_maps a = {.tgid = tgid, .nr = nr, .maps = (uintptr_t)m};

	return ioc(fd, HRPROF_IOC_SET_MAPS, &a);
}

static struct hrprof_stats stats(int fd)
{
	struct hrprof_stats st = {0};

	if (ioc(fd, HRPROF_IOC_GET_STATS, &st))
		fail("GET_STATS");
	return st;
}

/* Mappings replaced or cleared go after an RCU grace period: waits up to
 * 2 s for the counters to say nothing is held. */
static bool nothing_held(int fd)
{
	for (int i = 0; i < 200; i++) {
		struct hrprof_stats st = stats(fd);

		if (!st.tables && !st.table_bytes)
			return true;
		usleep(10000);
	}
	return false;
}

static void refusals(int fd)
{
	struct hrprof_cfi_row *r = rows_new(16), saved;
	struct hrprof_table t;
	struct hrprof_table_id tid;
	struct hrprof_umap m[2];
	struct hrprof_maps a;
	uint32_t id = 0, ids[64];
	unsigned int nids = 0;
	int err;

	expect(add_table(fd, r, 0, &id), -EINVAL, "ADD_TABLE of 0 rows");
	expect(add_table(fd, r, HRPROF_TABLE_ROWS_MAX + 1, &id), -EINVAL,
	       "ADD_TABLE too many rows");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE flags");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .id = 5};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE id set");
	t = (struct hrprof_table){.rows = (uintptr_t)r, .nrows = 16, .reserved[2] = 1};
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, &t), -EINVAL, "ADD_TABLE reserved");
	expect(add_table(fd, NULL, 16, &id), -EFAULT, "ADD_TABLE rows at NULL");
	expect(add_table(fd, (void *)0xffff888000000000ULL, 16, &id), -EFAULT,
	       "ADD_TABLE rows at a kernel address");
	expect(ioc(fd, HRPROF_IOC_ADD_TABLE, (void *)8), -EFAULT, "ADD_TABLE argument at 8");
	saved = r[5];
	r[5].pc = r[4].pc;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE rows not increasing");
	r[5] = saved;
	r[5].kind = HRPROF_CFI_EXPR + 1;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE unknown kind");
	r[5] = saved;
	r[5].bp = HRPROF_BP_UNDEF + 1;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE unknown BP rule");
	r[5] = saved;
	r[5].cfa_off = HRPROF_CFA_OFF_MAX + 8;
	expect(add_table(fd, r, 16, &id), -EINVAL, "ADD_TABLE CFA offset out of bounds");
	r[5] = saved;
	if (!expect(add_table(fd, r, 16, &id), 0, "ADD_TABLE of good rows") || !id)
		fail("table id %u", id);

	tid = (struct hrprof_table_id){.id = 0};
	expect(ioc(fd, HRPROF_IOC_DEL_TABLE, &tid), -EINVAL, "DEL_TABLE id 0");
	tid = (struct hrprof_table_id){.id = id, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_DEL_TABLE, &tid), -EINVAL, "DEL_TABLE flags");
	expect(del_table(fd, id + 1000), -ENOENT, "DEL_TABLE of no table");

	m[0] = (struct hrprof_umap){.start = 0x400000, .end = 0x500000, .table = id};
	m[1] = (struct hrprof_umap){.start = 0x480000, .end = 0x600000, .table = id};
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS overlapping");
	m[1].start = 0x500000;
	m[1].table = id + 1000;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -ENOENT, "SET_MAPS of no table");
	m[1].table = id;
	m[1].end = m[1].start;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS empty range");
	m[1].end = 0x600000;
	m[1].reserved = 1;
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), -EINVAL, "SET_MAPS reserved");
	m[1].reserved = 0;
	expect(set_maps(fd, (uint32_t)getpid(), m, HRPROF_MAPS_MAX + 1), -EINVAL,
	       "SET_MAPS too many");
	expect(set_maps(fd, 0, m, 2), -EINVAL, "SET_MAPS of pid 0");
	expect(set_maps(fd, 4194303, m, 2), -ESRCH, "SET_MAPS of no process");
	expect(set_maps(fd, (uint32_t)getpid(), NULL, 2), -EFAULT, "SET_MAPS maps at NULL");
	a = (struct hrprof_maps){
	    .tgid = (uint32_t)getpid(), .nr = 2, .maps = (uintptr_t)m, .flags = 1};
	expect(ioc(fd, HRPROF_IOC_SET_MAPS, &a), -EINVAL, "SET_MAPS flags");
	expect(set_maps(fd, (uint32_t)getpid(), m, 2), 0, "SET_MAPS good");
	/* The maps hold the table: deleting the id leaves them working. */
	expect(del_table(fd, id), 0, "DEL_TABLE of a mapped table");
	if (stats(fd).tables != 1)
		fail("a table deleted while mapped is gone from the counters");
	expect(set_maps(fd, (uint32_t)getpid(), NULL, 0), 0, "SET_MAPS clearing");
	if (!nothing_held(fd))
		fail("after clearing: %llu tables, %llu bytes",
		     (unsigned long long)stats(fd).tables,
		     (unsigned long long)stats(fd).table_bytes);
	free(r);

	/* The limit: the largest tables until ENOSPC. */
	r = rows_new(HRPROF_TABLE_ROWS_MAX / 64);
	for (err = 0; !err && nids < 64;) {
		struct hrprof_cfi_row *big = calloc(HRPROF_TABLE_ROWS_MAX, sizeof(*big));

		for (uint32_t i = 0; big && i < HRPROF_TABLE_ROWS_MAX; i++)
			big[i] =
			    (struct hrprof_cfi_row){.pc = i, .kind = HRPROF_CFI_SP, .cfa_off = 8};
		err = big ? add_table(fd, big, HRPROF_TABLE_ROWS_MAX, &ids[nids]) : -ENOMEM;
		if (!err)
			nids++;
		free(big);
	}
	expect(err, -ENOSPC, "ADD_TABLE past table_mem_mb");
	if (stats(fd).table_bytes > (uint64_t)info.table_mem_mb << 20)
		fail("%llu bytes held, over the %u MiB limit",
		     (unsigned long long)stats(fd).table_bytes, info.table_mem_mb);
	printf("limit: %u tables of %u rows before ENOSPC (%u MiB)\n", nids, HRPROF_TABLE_ROWS_MAX,
	       info.table_mem_mb);
	while (nids)
		expect(del_table(fd, ids[--nids]), 0, "DEL_TABLE");
	if (stats(fd).table_bytes)
		fail("%llu bytes held after deleting every table",
		     (unsigned long long)stats(fd).table_bytes);
	free(r);
}

#endif
