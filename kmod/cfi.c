// SPDX-License-Identifier: GPL-2.0
/*
 * CFI tables and process mappings (HRPROF_IOC_ADD_TABLE, SET_MAPS,
 * DEL_TABLE in include/hrprof.h), read by the sample path to walk user
 * stacks with include/hrprof_unwind.h's step.
 *
 * Writers are the ioctls (under the session's lock) and the exit probe;
 * the sample path reads in NMI or hard interrupt context under
 * rcu_read_lock, without locks. A process's mappings are one immutable
 * array, published in an xarray (xa_load is lock-free) and freed after a
 * grace period once replaced or erased. A table is reference-counted: one
 * reference is the daemon's (its id), one each array that uses it; the
 * last array to go frees it, after the grace period that covers every
 * sampler that could still see that array. Every byte is counted against
 * the table_mem_mb limit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kref.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "hrprof_kmod.h"

static unsigned int table_mem_mb = 256;
module_param(table_mem_mb, uint, 0444);
MODULE_PARM_DESC(table_mem_mb, "memory a session may hold in CFI tables and mappings, MiB "
			       "(default 256)");

struct hrprof_ktable {
	struct kref ref;
	struct hrprof_cfi *cfi;
	size_t bytes;
	u32 nrows;
	/* the block index (include/hrprof_unwind.h): first[0 .. nblocks] */
	u32 shift, nblocks;
	u32 *first;
	struct hrprof_cfi_row rows[];
};

struct hrprof_kmap {
	u64 start, end, bias;
	struct hrprof_ktable *table;
};

struct hrprof_pmaps {
	struct rcu_head rcu;
	u64 gen; /* unique to this array: the row caches' key (hrprof_kmod.h) */
	struct hrprof_cfi *cfi;
	size_t bytes;
	u32 nr;
	struct hrprof_kmap maps[];
};

/* The last generation given to a mappings array (never 0, never reused). */
static atomic64_t pmaps_gen = ATOMIC64_INIT(0);

u32 hrprof_cfi_mem_mb(void)
{
	return table_mem_mb;
}

void hrprof_cfi_init(struct hrprof_cfi *c)
{
	xa_init_flags(&c->tables, XA_FLAGS_ALLOC1);
	xa_init(&c->procs);
	atomic64_set(&c->bytes, 0);
	atomic_set(&c->ntables, 0);
}

/* Takes bytes from the limit; false when that would pass it. */
static bool mem_take(struct hrprof_cfi *c, size_t bytes)
{
	u64 limit = (u64)table_mem_mb << 20;

	if (atomic64_add_return(bytes, &c->bytes) > limit) {
		atomic64_sub(bytes, &c->bytes);
		return false;
	}
	return true;
}

static void table_release(struct kref *ref)
{
	struct hrprof_ktable *t = container_of(ref, struct hrprof_ktable, ref);

	atomic64_sub(t->bytes, &t->cfi->bytes);
	atomic_dec(&t->cfi->ntables);
	kvfree(t->first);
	kvfree(t);
}

static void pmaps_free(struct hrprof_pmaps *pm)
{
	u32 i;

	for (i = 0; i < pm->nr; i++)
		kref_put(&pm->maps[i].table->ref, table_release);
	atomic64_sub(pm->bytes, &pm->cfi->bytes);
	kvfree(pm);
}

/* After a grace period no sampler still reads the array (vfree defers
 * itself out of this softirq context). */
static void pmaps_free_rcu(struct rcu_head *rcu)
{
	pmaps_free(container_of(rcu, struct hrprof_pmaps, rcu));
}

/* Everything goes; no sampler, probe or ioctl can run any more. */
void hrprof_cfi_free(struct hrprof_cfi *c)
{
	struct hrprof_pmaps *pm;
	struct hrprof_ktable *t;
	unsigned long i;

	/* Arrays replaced earlier, still waiting for their grace period. */
	rcu_barrier();
	xa_for_each(&c->procs, i, pm)
		pmaps_free(pm);
	xa_destroy(&c->procs);
	xa_for_each(&c->tables, i, t)
		kref_put(&t->ref, table_release);
	xa_destroy(&c->tables);
	WARN_ON_ONCE(atomic64_read(&c->bytes) || atomic_read(&c->ntables));
}

long hrprof_cfi_add_table(struct hrprof_cfi *c, void __user *arg)
{
	struct hrprof_table a;
	struct hrprof_ktable *t;
	size_t bytes, ibytes = 0;
	u32 id;
	int err;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.id || memchr_inv(a.reserved, 0, sizeof(a.reserved)) || !a.nrows ||
	    a.nrows > HRPROF_TABLE_ROWS_MAX)
		return -EINVAL;
	bytes = struct_size(t, rows, a.nrows);
	if (!mem_take(c, bytes))
		return -ENOSPC;
	err = -ENOMEM;
	t = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!t)
		goto err_mem;
	err = -EFAULT;
	if (copy_from_user(t->rows, u64_to_user_ptr(a.rows), a.nrows * sizeof(t->rows[0])))
		goto err_free;
	err = -EINVAL;
	if (!hrprof_cfi_rows_ok(t->rows, a.nrows))
		goto err_free;
	t->shift = hrprof_cfi_index_shift(t->rows, a.nrows, &t->nblocks);
	ibytes = array_size(t->nblocks + 1, sizeof(*t->first));
	err = -ENOSPC;
	if (!mem_take(c, ibytes)) {
		ibytes = 0;
		goto err_free;
	}
	err = -ENOMEM;
	t->first = kvmalloc(ibytes, GFP_KERNEL_ACCOUNT);
	if (!t->first)
		goto err_free;
	hrprof_cfi_index_build(t->rows, a.nrows, t->shift, t->first, t->nblocks);
	kref_init(&t->ref);
	t->cfi = c;
	t->bytes = bytes + ibytes;
	t->nrows = a.nrows;
	err = xa_alloc(&c->tables, &id, t, xa_limit_31b, GFP_KERNEL);
	if (err)
		goto err_free_index;
	atomic_inc(&c->ntables);
	a.id = id;
	if (copy_to_user(arg, &a, sizeof(a))) {
		xa_erase(&c->tables, id);
		kref_put(&t->ref, table_release);
		return -EFAULT;
	}
	return 0;
err_free_index:
	kvfree(t->first);
err_free:
	kvfree(t);
err_mem:
	atomic64_sub(bytes + ibytes, &c->bytes);
	return err;
}

long hrprof_cfi_del_table(struct hrprof_cfi *c, void __user *arg)
{
	struct hrprof_table_id a;
	struct hrprof_ktable *t;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved || !a.id)
		return -EINVAL;
	t = xa_erase(&c->tables, a.id);
	if (!t)
		return -ENOENT;
	kref_put(&t->ref, table_release);
	return 0;
}

/* Replaces tgid's array (NULL: none); the old one goes after a grace period. */
static int pmaps_publish(struct hrprof_cfi *c, u32 tgid, struct hrprof_pmaps *pm)
{
	struct hrprof_pmaps *old;

	old = pm ? xa_store(&c->procs, tgid, pm, GFP_KERNEL) : xa_erase(&c->procs, tgid);
	if (xa_is_err(old))
		return xa_err(old);
	if (old)
		call_rcu(&old->rcu, pmaps_free_rcu);
	return 0;
}

long hrprof_cfi_set_maps(struct hrprof_cfi *c, u32 tgid, const struct hrprof_maps *a)
{
	struct hrprof_umap *um = NULL;
	struct hrprof_pmaps *pm;
	size_t bytes;
	u32 i;
	int err;

	if (a->flags || memchr_inv(a->reserved, 0, sizeof(a->reserved)) || a->nr > HRPROF_MAPS_MAX)
		return -EINVAL;
	if (!a->nr)
		return pmaps_publish(c, tgid, NULL);
	bytes = struct_size(pm, maps, a->nr);
	if (!mem_take(c, bytes))
		return -ENOSPC;
	err = -ENOMEM;
	pm = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	um = kvmalloc_array(a->nr, sizeof(*um), GFP_KERNEL);
	if (!pm || !um)
		goto err_free;
	err = -EFAULT;
	if (copy_from_user(um, u64_to_user_ptr(a->maps), a->nr * sizeof(*um)))
		goto err_free;
	pm->gen = atomic64_inc_return(&pmaps_gen);
	pm->cfi = c;
	pm->bytes = bytes;
	err = -EINVAL;
	if (!hrprof_umaps_ok(um, a->nr, TASK_SIZE_MAX))
		goto err_put;
	for (i = 0; i < a->nr; i++) {
		struct hrprof_ktable *t;

		err = -ENOENT;
		t = xa_load(&c->tables, um[i].table);
		if (!t)
			goto err_put;
		kref_get(&t->ref);
		pm->maps[i] = (struct hrprof_kmap){um[i].start, um[i].end, um[i].bias, t};
		pm->nr = i + 1;
	}
	kvfree(um);
	err = pmaps_publish(c, tgid, pm);
	if (err)
		pmaps_free(pm);
	return err;
err_put:
	kvfree(um);
	pmaps_free(pm); /* gives the bytes back too */
	return err;
err_free:
	kvfree(um);
	kvfree(pm);
	atomic64_sub(bytes, &c->bytes);
	return err;
}

/* The process's last thread exits, or it execs (the probes): its mappings go. */
void hrprof_cfi_exit(struct hrprof_cfi *c, u32 tgid)
{
	/* Most exits are of processes without mappings: a lock-free look first. */
	if (xa_load(&c->procs, tgid))
		pmaps_publish(c, tgid, NULL);
}

/*
 * Sample path (NMI rules; the caller holds rcu_read_lock for the whole
 * walk). The mappings the daemon gave for tgid's process, NULL when none;
 * *gen their generation.
 */
const struct hrprof_pmaps *hrprof_cfi_maps(struct hrprof_cfi *c, u32 tgid, u64 *gen)
{
	const struct hrprof_pmaps *pm = xa_load(&c->procs, tgid);

	if (pm)
		*gen = pm->gen;
	return pm;
}

/*
 * The row of pm's tables for address addr; NULL when none covers it,
 * ERR_PTR(-ENOENT) when none of pm's mappings holds addr at all. The row
 * found and the addresses it covers go to h (see hrprof_cfi_row_cached).
 * The mapping by binary search (a process has tens), the row through the
 * table's block index.
 */
const struct hrprof_cfi_row *hrprof_cfi_row(const struct hrprof_pmaps *pm, u64 addr,
					    struct hrprof_cfi_hint *h)
{
	const struct hrprof_cfi_row *row;
	const struct hrprof_ktable *t;
	const struct hrprof_kmap *m;
	u32 lo = 0, hi = pm->nr;
	u64 end;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (pm->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return ERR_PTR(-ENOENT);
	m = &pm->maps[lo - 1];
	if (addr >= m->end)
		return ERR_PTR(-ENOENT);
	if (addr < m->bias)
		return NULL;
	t = m->table;
	row = hrprof_cfi_lookup_indexed(t->rows, t->nrows, t->first, t->nblocks, t->shift,
					addr - m->bias);
	if (row) {
		/* row covers up to the next row's pc, within the mapping */
		end = row + 1 < t->rows + t->nrows ? m->bias + row[1].pc : m->end;
		h->row = row;
		h->lo = max(m->start, m->bias + row->pc);
		h->hi = min(m->end, end);
	}
	return row;
}
