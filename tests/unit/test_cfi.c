// SPDX-License-Identifier: GPL-2.0
/*
 * Compiling CFI tables (cfi_compile) from real objects.
 *
 * The compiler on real objects: this test program (a function's entry row
 * is CFA = SP + 8, rows sorted, ranges outside any FDE marked NONE), the C
 * library (its lazy PLT compiled to the PLT rule, its signal trampoline
 * __restore_rt, found through sigaction's sa_restorer, to a SIGNAL row,
 * functions whose CFA is an expression counted, the outermost frames
 * (_start's kind) to END rows), the dynamic loader's entry point (no CFI)
 * to an END row. A program built without unwind tables: its
 * .debug_frame merged with the start files' .eh_frame, and, stripped,
 * found again with its separate debug file. Malformed input: this program's
 * .eh_frame_hdr and .eh_frame with bytes flipped and the index cut, and the
 * fixture's .debug_frame mutated, a thousand times each, compiled without
 * a crash (the ASan build runs it too). The module's block index over the
 * C library's table (cfi_check.h).
 *
 * For the module: a mapping of this program's code, its table and the bias
 * between the two (unwinder__object_maps) find a function's entry row.
 *
 * The step on stacks and the index on tables laid out by hand:
 * test_cfi_step.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/unwind.h"
#include "proc/proc.h"
#include "check.h"
#include "proc_check.h"
#include "elf_section.h"
#include "cfi_check.h"

/* ---- the compiler ---- */

/* path's table, with debug's .debug_frame when debug is not NULL. */
static int compile_with(const char *path, const char *debug, struct cfi_table *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), dfd = -1, err;
	Elf *elf, *delf = NULL;

	if (fd < 0)
		return -errno;
	if (debug && (dfd = open(debug, O_RDONLY | O_CLOEXEC)) < 0) {
		close(fd);
		return -errno;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (dfd >= 0)
		delf = elf_begin(dfd, ELF_C_READ_MMAP, NULL);
	err = elf && (dfd < 0 || delf) ? cfi_compile(elf, delf, t) : -EINVAL;
	if (elf)
		elf_end(elf);
	if (delf)
		elf_end(delf);
	close(fd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

static int compile_file(const char *path, struct cfi_table *t)
{
	return compile_with(path, NULL, t);
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
	CHECKF(hrprof_cfi_rows_ok(t.rows, t.nrows), "this program's rows fail the module's checks");
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
	CHECKF(hrprof_cfi_rows_ok(t.rows, t.nrows), "%s: rows fail the module's checks", b.path);
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
	check_index(t.rows, t.nrows, b.path);
	cfi_table__free(&t);
}

static int find_ldso(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (strstr(info->dlpi_name, "/ld-linux")) {
		snprintf(arg, 256, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

/* ld.so's entry point has no CFI; a return into its first bytes ends the
 * stack (an END row), beyond them nothing is known (NONE). */
static void test_entry(void)
{
	char path[256] = "";
	const struct hrprof_cfi_row *r;
	struct cfi_table t;
	GElf_Ehdr eh;
	int fd;
	Elf *elf;

	if (dl_iterate_phdr(find_ldso, path) != 1) {
		CHECKF(0, "no dynamic loader mapped");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	CHECK(elf && gelf_getehdr(elf, &eh) && eh.e_entry);
	if (elf && cfi_compile(elf, NULL, &t) == 0) {
		r = hrprof_cfi_lookup(t.rows, t.nrows, eh.e_entry + 4);
		CHECKF(r && r->kind == HRPROF_CFI_END, "%s: entry +4: kind %d", path,
		       r ? r->kind : -1);
		cfi_table__free(&t);
	} else {
		CHECKF(0, "compiling %s", path);
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
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
		if (cfi_compile(elf, NULL, &t) == 0)
			compiled++;
		CHECKF(hrprof_cfi_rows_ok(t.rows, t.nrows), "mutation %d: rows fail the checks", i);
		cfi_table__free(&t);
		elf_end(elf);
	}
	CHECKF(compiled > 0, "no mutated object compiled at all");
out:
	free(img);
	free(copy);
}

/* ---- .debug_frame ---- */

static char tmpdir[] = "/tmp/hrprof-test-cfi-XXXXXX";

static const char dframe_c[] =
    "__attribute__((noinline)) long leaf(long x) { volatile long a[16];\n"
    "  for (int i = 0; i < 16; i++) a[i] = x + i; return a[x & 15]; }\n"
    "__attribute__((noinline)) long mid(long x) { return leaf(x) + leaf(x + 1) * 3; }\n"
    "int main(int argc, char **argv) { (void)argv; return (int)mid(argc); }\n";

/* The value of symbol name in path's symbol table, or 0. */
static uint64_t symbol(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	Elf_Scn *scn = NULL;
	uint64_t v = 0;

	while (elf && !v && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (gelf_getsym(d, (int)i, &sym) &&
			    (n = elf_strptr(elf, sh.sh_link, sym.st_name)) && !strcmp(n, name)) {
				v = sym.st_value;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return v;
}

static const char *tpath(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

/* A row of kind SP with CFA = SP + 8 at pc (a function's entry). */
static bool entry_row(const struct cfi_table *t, uint64_t pc)
{
	const struct hrprof_cfi_row *r = hrprof_cfi_lookup(t->rows, t->nrows, pc);

	return r && r->pc == pc && r->kind == HRPROF_CFI_SP && r->cfa_off == 8;
}

/* Mutated .debug_frame bytes (and sizes) compile without a crash. */
static void debug_frame_mutated(const char *path)
{
	uint64_t off = 0, size = 0;
	unsigned int seed = 777;
	struct stat st;
	char *img = NULL, *copy = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;

	if (fd < 0 || fstat(fd, &st) || !(img = malloc((size_t)st.st_size)) ||
	    !(copy = malloc((size_t)st.st_size)) ||
	    pread(fd, img, (size_t)st.st_size, 0) != st.st_size) {
		CHECK(0);
		goto out;
	}
	elf = elf_memory(img, (size_t)st.st_size);
	CHECK(elf && elf_section_range(elf, ".debug_frame", &off, &size, NULL) && size > 16);
	if (elf)
		elf_end(elf);
	for (int i = 0; i < 1000 && size > 16; i++) {
		struct cfi_table t;
		int flips = 1 + rand_r(&seed) % 6;

		memcpy(copy, img, (size_t)st.st_size);
		for (int k = 0; k < flips; k++) {
			size_t at = off + (size_t)rand_r(&seed) % size;

			/* Lengths and CIE pointers are the 4-byte words: hit them often. */
			if (rand_r(&seed) % 2)
				at &= ~(size_t)3;
			copy[at] = (char)rand_r(&seed);
		}
		elf = elf_memory(copy, (size_t)st.st_size);
		if (!elf)
			continue;
		cfi_compile(elf, NULL, &t);
		CHECKF(hrprof_cfi_rows_ok(t.rows, t.nrows), "mutation %d: rows fail the checks", i);
		cfi_table__free(&t);
		elf_end(elf);
	}
out:
	if (fd >= 0)
		close(fd);
	free(img);
	free(copy);
}

/*
 * A program built without unwind tables: its functions' CFI is in
 * .debug_frame only (the C runtime's start files keep theirs in
 * .eh_frame). Compiled, both merge: leaf and mid from .debug_frame, _start
 * from .eh_frame. Stripped of its debug sections, its table covers them
 * only with the separate debug file.
 */
static void test_debug_frame(void)
{
	uint64_t leaf, mid, start;
	struct cfi_table t;
	FILE *f;
	const struct hrprof_cfi_row *r;
	char cmd[1024];

	if (!mkdtemp(tmpdir)) {
		CHECK(0);
		return;
	}
	f = fopen(tpath("df.c"), "w");
	CHECK(f && fputs(dframe_c, f) >= 0);
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && cc -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables "
		 "-fno-unwind-tables -o df df.c && objcopy --only-keep-debug df df.debug && "
		 "strip --strip-debug -o df.strip df",
		 tmpdir);
	if (system(cmd) != 0) {
		CHECKF(0, "compiling the fixture: %s", cmd);
		return;
	}
	leaf = symbol(tpath("df"), "leaf");
	mid = symbol(tpath("df"), "mid");
	start = symbol(tpath("df"), "_start");
	CHECK(leaf && mid && start);

	CHECK(compile_file(tpath("df"), &t) == 0);
	CHECKF(t.counts.debug_fdes >= 3 && t.counts.fdes > t.counts.debug_fdes,
	       "%u FDEs, %u from .debug_frame", t.counts.fdes, t.counts.debug_fdes);
	CHECKF(entry_row(&t, leaf) && entry_row(&t, mid), "no entry rows for leaf and mid");
	r = hrprof_cfi_lookup(t.rows, t.nrows, start);
	CHECKF(r && r->kind == HRPROF_CFI_END, "_start: kind %d", r ? r->kind : -1);
	CHECKF(hrprof_cfi_rows_ok(t.rows, t.nrows), "merged rows fail the checks");
	cfi_table__free(&t);

	CHECK(compile_file(tpath("df.strip"), &t) == 0);
	r = hrprof_cfi_lookup(t.rows, t.nrows, leaf);
	CHECKF(!r || r->kind == HRPROF_CFI_NONE, "stripped: leaf has kind %d", r ? r->kind : -1);
	CHECK(t.counts.debug_fdes == 0);
	cfi_table__free(&t);
	CHECK(compile_with(tpath("df.strip"), tpath("df.debug"), &t) == 0);
	CHECKF(entry_row(&t, leaf) && entry_row(&t, mid) && t.counts.debug_fdes >= 3,
	       "with its debug file: no entry rows (%u FDEs from .debug_frame)",
	       t.counts.debug_fdes);
	r = hrprof_cfi_lookup(t.rows, t.nrows, start);
	CHECK(r && r->kind == HRPROF_CFI_END);
	cfi_table__free(&t);

	debug_frame_mutated(tpath("df"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		CHECK(0);
}

/* ---- for the module: a mapping's table and bias ---- */

/*
 * unwinder__object_maps on this program's own code mapping (from
 * /proc/self/maps): the part it covers holds a function's address, and the
 * table's pc for it (address - bias) is that function's entry row.
 */
static void test_object_maps(void)
{
	struct unwinder *u = unwinder__new(UNWIND_AUTO);
	struct proc p = {.pid = (uint32_t)getpid()};
	uint64_t addr = (uintptr_t)test_self;
	struct unwind_object_map om[4];
	struct mapping *m = self_mapping(addr);
	unsigned int n, found = 0;

	if (!u || !m) {
		CHECKF(0, "no unwinder, or no mapping of %#llx", (unsigned long long)addr);
		goto out;
	}
	n = unwinder__object_maps(u, &p, m, om, 4);
	for (unsigned int i = 0; i < n; i++) {
		CHECK(om[i].start >= m->start && om[i].end <= m->end && om[i].start < om[i].end);
		CHECK(om[i].ext_id && *om[i].ext_id == 0);
		if (addr >= om[i].start && addr < om[i].end) {
			const struct hrprof_cfi_row *r =
			    hrprof_cfi_lookup(om[i].rows, om[i].nrows, addr - om[i].bias);

			found++;
			CHECKF(r && r->pc == addr - om[i].bias && r->kind == HRPROF_CFI_SP &&
				   r->cfa_off == 8,
			       "test_self through the mapping: row at %#x kind %d", r ? r->pc : 0,
			       r ? r->kind : -1);
		}
	}
	CHECKF(found == 1, "%u of %u covered parts hold test_self", found, n);
out:
	if (m)
		mapping__put(m);
	unwinder__free(u);
}

int main(void)
{
	elf_version(EV_CURRENT);
	test_self();
	test_libc();
	test_entry();
	test_malformed();
	test_debug_frame();
	test_object_maps();
	return check_exit("test_cfi");
}
