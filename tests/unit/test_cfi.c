// SPDX-License-Identifier: GPL-2.0
/*
 * CFI tables and the unwind step.
 *
 * The compiler on real objects: this test program (a function's entry row
 * is CFA = SP + 8, rows sorted, ranges outside any FDE marked NONE), the C
 * library (its lazy PLT compiled to the PLT rule, its signal trampoline
 * __restore_rt, found through sigaction's sa_restorer, to a SIGNAL row,
 * functions whose CFA is an expression counted, the outermost frames
 * (_start's kind) to END rows). Malformed input: this program's
 * .eh_frame_hdr and .eh_frame with bytes flipped and the index cut, a
 * thousand times, compiled without a crash (the ASan build runs it too).
 *
 * The step on recorded stacks: a stack laid out by hand for rows of each
 * kind (SP and BP based CFA, BP saved and restored, a PLT stub, a signal
 * frame, frame pointers where no row covers), walked to its END row; reads
 * outside the stack and frames that do not climb refused.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfi.h"
#include "check.h"
#include "elf_section.h"

/* ---- the compiler ---- */

static int compile_file(const char *path, struct cfi_table *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	err = elf ? cfi_compile(elf, t) : -EINVAL;
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

struct base_of {
	const void *addr;
	uintptr_t base;
	char path[256];
};

static int find_base(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct base_of *b = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (uintptr_t)b->addr >= lo &&
		    (uintptr_t)b->addr < lo + ph->p_memsz) {
			b->base = info->dlpi_addr;
			snprintf(b->path, sizeof(b->path), "%s", info->dlpi_name);
			return 1;
		}
	}
	return 0;
}

static void test_self(void)
{
	struct base_of b = {.addr = (const void *)test_self};
	struct cfi_table t;
	const struct hrprof_cfi_row *r;
	uint64_t pc;

	CHECK(dl_iterate_phdr(find_base, &b) == 1);
	CHECK(compile_file("/proc/self/exe", &t) == 0);
	CHECKF(t.nrows > 10 && t.counts.fdes > 5, "rows %u fdes %u", t.nrows, t.counts.fdes);
	for (uint32_t i = 1; i < t.nrows; i++)
		if (t.rows[i].pc <= t.rows[i - 1].pc) {
			CHECKF(0, "rows %u and %u out of order", i - 1, i);
			break;
		}
	pc = (uintptr_t)test_self - b.base;
	r = hrprof_cfi_lookup(t.rows, t.nrows, pc);
	CHECKF(r && r->pc == pc && r->kind == HRPROF_CFI_SP && r->cfa_off == 8,
	       "entry of test_self: row %s at %#x kind %d cfa_off %d", r ? "" : "none",
	       r ? r->pc : 0, r ? r->kind : -1, r ? r->cfa_off : 0);
	/* Below every FDE: no row, or NONE. */
	r = hrprof_cfi_lookup(t.rows, t.nrows, 0);
	CHECK(!r || r->kind == HRPROF_CFI_NONE);
	cfi_table__free(&t);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_libc(void)
{
	struct sigaction sa = {.sa_handler = on_usr1}, old;
	struct base_of b = {0};
	const struct hrprof_cfi_row *r;
	struct cfi_table t;
	bool plt = false, end = false;

	sigaction(SIGUSR1, &sa, NULL);
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_restorer);
	b.addr = (const void *)old.sa_restorer;
	if (!old.sa_restorer || dl_iterate_phdr(find_base, &b) != 1) {
		CHECKF(0, "no libc mapping for sa_restorer %p", (void *)old.sa_restorer);
		return;
	}
	CHECKF(compile_file(b.path, &t) == 0, "compiling %s", b.path);
	/* A return into the trampoline is looked up one byte before it. */
	r = hrprof_cfi_lookup(t.rows, t.nrows, (uintptr_t)old.sa_restorer - b.base - 1);
	CHECKF(r && r->kind == HRPROF_CFI_SIGNAL, "__restore_rt in %s: kind %d", b.path,
	       r ? r->kind : -1);
	for (uint32_t i = 0; i < t.nrows; i++) {
		plt |= t.rows[i].kind == HRPROF_CFI_PLT;
		end |= t.rows[i].kind == HRPROF_CFI_END;
	}
	CHECKF(plt && t.counts.plt > 0, "no PLT row in %s", b.path);
	CHECKF(end, "no END row in %s (clone3, start_thread's callers)", b.path);
	CHECKF(t.counts.signal >= 1 && t.counts.expr >= 1, "%s: %u signal rows, %u CFA expressions",
	       b.path, t.counts.signal, t.counts.expr);
	cfi_table__free(&t);
}

static void test_malformed(void)
{
	uint64_t hoff = 0, hsize = 0, foff = 0, fsize = 0;
	size_t len;
	unsigned int seed = 12345, compiled = 0;
	char *img, *copy;
	struct stat st;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	Elf *elf;

	if (fd < 0 || fstat(fd, &st)) {
		CHECK(0);
		return;
	}
	len = (size_t)st.st_size;
	img = malloc(len);
	copy = malloc(len);
	CHECK(img && copy && pread(fd, img, len, 0) == (ssize_t)len);
	close(fd);
	elf = elf_memory(img, len);
	CHECK(elf && elf_section_range(elf, ".eh_frame_hdr", &hoff, &hsize, NULL) &&
	      elf_section_range(elf, ".eh_frame", &foff, &fsize, NULL));
	if (elf)
		elf_end(elf);
	if (!hsize || !fsize)
		goto out;
	for (int i = 0; i < 1000; i++) {
		struct cfi_table t;
		int flips = 1 + rand_r(&seed) % 8;

		memcpy(copy, img, len);
		for (int k = 0; k < flips; k++) {
			bool hdr = rand_r(&seed) % 3 == 0;
			size_t at = hdr ? hoff + (size_t)rand_r(&seed) % hsize
					: foff + (size_t)rand_r(&seed) % fsize;

			copy[at] = (char)rand_r(&seed);
		}
		if (i % 10 == 0) /* the index's count, huge */
			memset(copy + hoff + 8, 0x7f, 4);
		elf = elf_memory(copy, len);
		if (!elf)
			continue;
		if (cfi_compile(elf, &t) == 0)
			compiled++;
		for (uint32_t r = 1; r < t.nrows; r++)
			if (t.rows[r].pc <= t.rows[r - 1].pc) {
				CHECKF(0, "mutation %d: rows out of order", i);
				break;
			}
		cfi_table__free(&t);
		elf_end(elf);
	}
	CHECKF(compiled > 0, "no mutated object compiled at all");
out:
	free(img);
	free(copy);
}

/* ---- the step ---- */

#define STACK_BASE 0x7ff000000000ULL

static uint64_t mem[512];

static bool mem_read(void *ctx, __u64 addr, __u64 *val)
{
	(void)ctx;
	if (addr < STACK_BASE || addr + 8 > STACK_BASE + sizeof(mem) || addr % 8)
		return false;
	*val = mem[(addr - STACK_BASE) / 8];
	return true;
}

static void put_at(uint64_t addr, uint64_t v)
{
	mem[(addr - STACK_BASE) / 8] = v;
}

/*
 * Code at 0x1000.. (pcs are table offsets): leaf 0x1000 (CFA = SP + 24,
 * BP same), mid 0x2000 (CFA = BP + 16, BP saved at CFA - 16: a frame-pointer
 * function), a PLT stub at 0x3000, a signal trampoline at 0x4000, outer
 * 0x5000 (CFA = SP + 40, BP saved at CFA - 24), root 0x6000 (END); nothing
 * covers 0x7000 (frame pointers).
 */
static const struct hrprof_cfi_row rows[] = {
    {.pc = 0x1000, .kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAME, .cfa_off = 24},
    {.pc = 0x2000, .kind = HRPROF_CFI_BP, .bp = HRPROF_BP_SAVED, .bp_off = -16, .cfa_off = 16},
    {.pc = 0x3000, .kind = HRPROF_CFI_PLT},
    {.pc = 0x4000, .kind = HRPROF_CFI_SIGNAL},
    {.pc = 0x5000, .kind = HRPROF_CFI_SP, .bp = HRPROF_BP_SAVED, .bp_off = -24, .cfa_off = 40},
    {.pc = 0x6000, .kind = HRPROF_CFI_END},
    {.pc = 0x7000, .kind = HRPROF_CFI_NONE},
};

static const struct hrprof_cfi_row *row(uint64_t pc)
{
	return hrprof_cfi_lookup(rows, sizeof(rows) / sizeof(rows[0]), pc);
}

static void test_step(void)
{
	const uint64_t sp0 = STACK_BASE + 0x100;
	struct hrprof_uregs r = {.ip = 0x1010, .sp = sp0, .bp = STACK_BASE + 0x180};
	uint64_t sig_sp = sp0 + 0x40, outer_sp = sig_sp + 176;

	memset(mem, 0, sizeof(mem));
	/* leaf: CFA = sp0 + 24, return into mid. */
	put_at(sp0 + 16, 0x2020);
	/* mid: BP = STACK_BASE + 0x180 is its frame: CFA = BP + 16; it saved the
	 * caller's BP at CFA - 16 = BP; return into the trampoline (4000). */
	put_at(STACK_BASE + 0x180, STACK_BASE + 0x1c0);
	put_at(STACK_BASE + 0x188, 0x4001);
	/* The rt_sigframe's ucontext at the trampoline's SP: BP, SP, IP of the
	 * interrupted outer frame. */
	(void)sig_sp;
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x2020 && r.sp == sp0 + 24 && r.bp == STACK_BASE + 0x180,
	       "after leaf: ip %#llx sp %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp, (unsigned long long)r.bp);
	CHECK(hrprof_unwind_step(row(0x2020 - 1), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x4001 && r.sp == STACK_BASE + 0x190 && r.bp == STACK_BASE + 0x1c0,
	       "after mid: ip %#llx sp %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp, (unsigned long long)r.bp);
	/* The trampoline's frame: SP at the ucontext. */
	sig_sp = r.sp;
	outer_sp = sig_sp + 0x100;
	put_at(sig_sp + HRPROF_SIGFRAME_BP, STACK_BASE + 0x1f0);
	put_at(sig_sp + HRPROF_SIGFRAME_SP, outer_sp);
	put_at(sig_sp + HRPROF_SIGFRAME_IP, 0x5010);
	CHECK(hrprof_unwind_step(row(0x4001 - 1), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x5010 && r.sp == outer_sp && r.bp == STACK_BASE + 0x1f0,
	       "after the signal frame: ip %#llx sp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.sp);
	/* outer (interrupted: its exact ip): CFA = SP + 40, BP saved at CFA - 24,
	 * return into root. */
	put_at(outer_sp + 40 - 8, 0x6010);
	put_at(outer_sp + 40 - 24, STACK_BASE + 0x1f8);
	CHECK(hrprof_unwind_step(row(0x5010), &r, mem_read, NULL) == HRPROF_UW_OK);
	CHECKF(r.ip == 0x6010 && r.sp == outer_sp + 40 && r.bp == STACK_BASE + 0x1f8,
	       "after outer: ip %#llx bp %#llx", (unsigned long long)r.ip,
	       (unsigned long long)r.bp);
	CHECK(hrprof_unwind_step(row(0x6010 - 1), &r, mem_read, NULL) == HRPROF_UW_END);

	/* A PLT stub: CFA = SP + 8 before the push at +11, SP + 16 after. */
	r = (struct hrprof_uregs){.ip = 0x3006, .sp = sp0};
	put_at(sp0, 0x1111);
	CHECK(hrprof_unwind_step(row(0x3006), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x1111 && r.sp == sp0 + 8);
	r = (struct hrprof_uregs){.ip = 0x300b, .sp = sp0};
	put_at(sp0 + 8, 0x2222);
	CHECK(hrprof_unwind_step(row(0x300b), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x2222 && r.sp == sp0 + 16);

	/* No row: frame pointers, {saved BP, return address} at BP. */
	r = (struct hrprof_uregs){.ip = 0x7010, .sp = sp0, .bp = sp0 + 0x20};
	put_at(sp0 + 0x20, sp0 + 0x60);
	put_at(sp0 + 0x28, 0x3333);
	CHECK(hrprof_unwind_step(row(0x7010), &r, mem_read, NULL) == HRPROF_UW_OK &&
	      r.ip == 0x3333 && r.sp == sp0 + 0x30 && r.bp == sp0 + 0x60);
	/* ... a BP below SP is not a frame. */
	r = (struct hrprof_uregs){.ip = 0x7010, .sp = sp0, .bp = sp0 - 0x20};
	CHECK(hrprof_unwind_step(NULL, &r, mem_read, NULL) == HRPROF_UW_BAD);

	/* A saved BP's slot below SP was popped already: BP is kept. */
	r = (struct hrprof_uregs){.ip = 0x5010, .sp = sp0 + 30, .bp = 0xabc};
	put_at(sp0 + 64, 0x4444);
	{
		const struct hrprof_cfi_row epilogue = {.pc = 0x5000,
							.kind = HRPROF_CFI_SP,
							.bp = HRPROF_BP_SAVED,
							.bp_off = -40,
							.cfa_off = 8};

		r.sp = sp0 + 64;
		CHECK(hrprof_unwind_step(&epilogue, &r, mem_read, NULL) == HRPROF_UW_OK &&
		      r.ip == 0x4444 && r.bp == 0xabc);
	}

	/* Reads past the stack: refused. A CFA that does not climb: bad. */
	r = (struct hrprof_uregs){.ip = 0x1010, .sp = STACK_BASE + sizeof(mem) - 8};
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_BAD_READ);
	{
		const struct hrprof_cfi_row down = {
		    .pc = 0x1000, .kind = HRPROF_CFI_SP, .cfa_off = -8};

		r = (struct hrprof_uregs){.ip = 0x1010, .sp = sp0};
		CHECK(hrprof_unwind_step(&down, &r, mem_read, NULL) == HRPROF_UW_BAD);
	}
	/* A return address of 0 ends the stack. */
	r = (struct hrprof_uregs){.ip = 0x1010, .sp = sp0};
	put_at(sp0 + 16, 0);
	CHECK(hrprof_unwind_step(row(0x1010), &r, mem_read, NULL) == HRPROF_UW_END);
}

int main(void)
{
	elf_version(EV_CURRENT);
	test_self();
	test_libc();
	test_malformed();
	test_step();
	return check_exit("test_cfi");
}
