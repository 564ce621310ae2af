// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF symbolizer's symbol tables against fixtures compiled at run time
 * (PIE, non-PIE, a shared library, C++), with expected addresses, names,
 * segments and build ids taken from binutils (nm, c++filt, readelf).
 * Demangling, the file cache, and files that are not ELF or are corrupt.
 * DWARF lines, inlined functions and debug files: test_sym_debug.
 *
 * Exit: 0 pass, 1 a check failed, 77 no C compiler or binutils.
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stddef.h>
#include <sys/stat.h>

#include "elf_section.h"
#include "sym_fixture.h"

/* ---- fixtures ---- */

static const char fixlib_c[] = "__attribute__((noinline)) int fixlib_one(int x)\n"
			       "{\n"
			       "	return x + 7;\n"
			       "}\n"
			       "__attribute__((noinline)) static int fixlib_hidden(int x)\n"
			       "{\n"
			       "	volatile int y = x;\n"
			       "	return y * fixlib_one(y);\n"
			       "}\n"
			       "int fixlib_two(int x)\n"
			       "{\n"
			       "	return fixlib_hidden(x) * 2;\n"
			       "}\n"
			       "void *fixlib_one_addr(void)\n"
			       "{\n"
			       "	return (void *)fixlib_one;\n"
			       "}\n"
			       "void *fixlib_hidden_addr(void)\n"
			       "{\n"
			       "	return (void *)fixlib_hidden;\n"
			       "}\n";

static const char uselib_c[] = WHERE_SRC "int fixlib_two(int);\n"
					 "void *fixlib_one_addr(void);\n"
					 "void *fixlib_hidden_addr(void);\n"
					 "int main(int argc, char **argv)\n"
					 "{\n"
					 "	where(\"fixlib_one\", fixlib_one_addr());\n"
					 "	where(\"fixlib_hidden\", fixlib_hidden_addr());\n"
					 "	return fixlib_two(argc) == 99999;\n"
					 "}\n";

static const char cxx_cc[] = "namespace fixns {\n"
			     "template <typename T> struct Box {\n"
			     "	T v;\n"
			     "	__attribute__((noinline)) T get(T m) const\n"
			     "	{\n"
			     "		return v * m;\n"
			     "	}\n"
			     "};\n"
			     "__attribute__((noinline)) int compute(int a, double b)\n"
			     "{\n"
			     "	return a + (int)b;\n"
			     "}\n"
			     "}\n"
			     "int main(int argc, char **)\n"
			     "{\n"
			     "	fixns::Box<int> b{argc};\n"
			     "	return b.get(argc) + fixns::compute(argc, 1.5);\n"
			     "}\n";

/* ---- helpers ---- */

/* The file offset of vaddr by the PT_LOAD segments `readelf -lW` prints. */
static bool readelf_vaddr_to_offset(const char *file, uint64_t vaddr, uint64_t *off)
{
	char *txt = capture("readelf -lW '%s'", file), *line, *save = NULL;
	bool ok = false;

	if (!txt)
		return false;
	for (line = strtok_r(txt, "\n", &save); line && !ok; line = strtok_r(NULL, "\n", &save)) {
		unsigned long o, v, p, fs, ms;

		if (sscanf(line, " LOAD %lx %lx %lx %lx %lx", &o, &v, &p, &fs, &ms) != 5)
			continue;
		if (vaddr >= v && vaddr < v + fs) {
			*off = vaddr - v + o;
			ok = true;
		}
	}
	free(txt);
	return ok;
}

/*
 * Runs a fixture that prints "name ip map_start map_pgoff" for its functions,
 * and resolves every ip the way a caller does: ip -> file offset -> vaddr.
 */
static void check_runtime(struct sym_cache *c, const char *exe, const char *file, int expect)
{
	char *out = capture("'%s'; true", exe), *line, *save = NULL;
	int seen = 0;

	CHECKF(out != NULL, "running %s", exe);
	if (!out)
		return;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long ip, start, pgoff;
		uint64_t vaddr = 0;
		struct sym_elf *e;
		struct sym_info si;
		char name[256];

		if (sscanf(line, "%255s %lx %lx %lx", name, &ip, &start, &pgoff) != 4)
			continue;
		seen++;
		e = sym_cache__elf(c, file, 0, 0);
		CHECKF(e != NULL, "open %s", file);
		if (!e)
			break;
		CHECKF(sym_elf__offset_to_vaddr(e, ip - start + pgoff, &vaddr),
		       "%s: offset %#lx has a segment", name, ip - start + pgoff);
		CHECKF(vaddr == nm_addr(file, name, NULL),
		       "%s: runtime ip %#lx maps to vaddr %#" PRIx64 ", nm says %#" PRIx64, name,
		       ip, vaddr, nm_addr(file, name, NULL));
		CHECKF(sym_elf__lookup(e, vaddr, &si) && !strcmp(si.name, name),
		       "%s: runtime ip %#lx resolves to it", name, ip);
	}
	CHECKF(seen == expect, "%s printed %d locations, expected %d", exe, seen, expect);
	free(out);
}

/* ---- tests ---- */

static void test_demangle(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"_ZN3foo3barEv", "foo::bar()"},
	    {"_Z3foov.cold", "foo() [clone .cold]"},
	    {"_ZNK5fixns3BoxIiE3getEi", "fixns::Box<int>::get(int) const"},
	    {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"},
	    {"_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123"
	     "456789abcdefE",
	     "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop"},
	    {"main", NULL},
	    {"", NULL},
	    {"_Z", NULL},
	    {"_Zzzzz", NULL},
	    {"Z3foov", NULL},
	};

	CHECK(sym_demangle(NULL) == NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = sym_demangle(cases[i].in);

		if (cases[i].out)
			CHECKF(d && !strcmp(d, cases[i].out), "demangle %s: expected %s, got %s",
			       cases[i].in, cases[i].out, d ? d : "NULL");
		else
			CHECKF(!d, "demangle %s: expected NULL, got %s", cases[i].in, d);
		free(d);
	}
}

static void test_exe(const char *bin, bool pie)
{
	struct sym_cache *c = sym_cache__new(16);
	char id[256] = "";
	struct sym_elf *e;
	uint64_t off = 0, vaddr = 0;
	uint64_t a = nm_addr(bin, "fix_alpha", NULL);

	e = sym_cache__elf(c, bin, 0, 0);
	CHECKF(e != NULL, "open %s", bin);
	if (!e)
		goto out;
	CHECK(sym_elf__has_symbols(e));
	check_func(e, bin, "fix_alpha", "fix.c");
	check_func(e, bin, "fix_static_beta", "fix.c");
	check_func(e, bin, "fix_gamma", "fix.c");
	check_func(e, bin, "main", "fix.c");
	/* An untyped label in code names the code after it, up to the next
	 * symbol; one inside a sized function does not take its name. */
	a = nm_addr(bin, "fix_label", NULL);
	CHECKF(a != 0, "nm has fix_label in %s", bin);
	if (a) {
		check_sym(e, a, "fix_label", a, NULL);
		check_sym(e, a + 2, "fix_label", a, NULL);
	}
	a = nm_addr(bin, "fix_inner", NULL);
	CHECKF(a != 0, "nm has fix_inner in %s", bin);
	if (a)
		check_sym(e, a, "fix_sized", nm_addr(bin, "fix_sized", NULL), NULL);
	a = nm_addr(bin, "fix_alpha", NULL);
	CHECK(readelf_build_id(bin, id, sizeof(id)));
	CHECKF(!strcmp(sym_elf__build_id(e), id), "%s: build id %s, readelf says %s", bin,
	       sym_elf__build_id(e), id);
	CHECKF(strlen(id) == 40, "readelf build id %s", id);
	CHECK(readelf_vaddr_to_offset(bin, a, &off));
	CHECKF(sym_elf__offset_to_vaddr(e, off, &vaddr) && vaddr == a,
	       "%s: offset %#" PRIx64 " -> %#" PRIx64 ", expected %#" PRIx64, bin, off, vaddr, a);
	CHECK(!sym_elf__offset_to_vaddr(e, 1ULL << 40, &vaddr));
	if (!pie) {
		struct sym_info si;

		CHECK(!sym_elf__lookup(e, 0, &si));
		CHECK(!sym_elf__lookup(e, UINT64_MAX, &si));
	}
	check_runtime(c, bin, bin, 3);
out:
	sym_cache__free(c);
}

static void test_lib(void)
{
	const char *lib = tpath("libfix.so");
	struct sym_cache *c = sym_cache__new(16);
	struct sym_elf *e = sym_cache__elf(c, lib, 0, 0);

	CHECKF(e != NULL, "open %s", lib);
	if (e) {
		/* built without -g: no file names */
		check_func(e, lib, "fixlib_one", NULL);
		check_func(e, lib, "fixlib_hidden", NULL);
		check_func(e, lib, "fixlib_two", NULL);
		{
			struct sym_info si;
			uint64_t a = nm_addr(lib, "fixlib_one", NULL);

			CHECK(sym_elf__lookup(e, a, &si) && si.file == NULL);
			CHECK(sym_elf__lookup(e, a, &si) && !strcmp(si.name, si.raw_name));
		}
	}
	check_runtime(c, tpath("uselib"), lib, 2);
	sym_cache__free(c);
}

static void test_cxx(bool have_cxx)
{
	static const char *const subs[] = {"7compute", "3BoxIiE3get"};
	const char *bin = tpath("cxx");
	struct sym_cache *c;
	struct sym_elf *e;

	if (!have_cxx) {
		printf("note: no g++, C++ demangling through ELF skipped\n");
		return;
	}
	c = sym_cache__new(4);
	e = sym_cache__elf(c, bin, 0, 0);
	CHECKF(e != NULL, "open %s", bin);
	for (size_t i = 0; e && i < 2; i++) {
		char mangled[512], *want;
		uint64_t a, size;
		struct sym_info si;

		CHECKF(nm_sym(bin, NULL, subs[i], &a, &size, mangled, sizeof(mangled)),
		       "nm has *%s*", subs[i]);
		want = capture("c++filt '%s'", mangled);
		if (!want)
			continue;
		want[strcspn(want, "\n")] = '\0';
		CHECKF(sym_elf__lookup(e, a + size / 2, &si), "lookup %s", mangled);
		CHECKF(!strcmp(si.name, want), "expected %s, got %s", want, si.name);
		CHECKF(!strcmp(si.raw_name, mangled), "expected raw %s, got %s", mangled,
		       si.raw_name);
		CHECKF(si.file && ends_with(si.file, "cxx.cc"), "%s: file %s", want,
		       si.file ? si.file : "NULL");
		/* the demangled name is kept: same pointer the second time */
		{
			struct sym_info again;

			CHECK(sym_elf__lookup(e, a, &again) && again.name == si.name &&
			      again.file == si.file);
		}
		free(want);
	}
	sym_cache__free(c);
}

static void test_cache(void)
{
	struct sym_cache *c = sym_cache__new(8), *small = sym_cache__new(2);
	struct sym_elf *a, *b, *d, *x;
	char nopie_id[256] = "";
	struct stat st;
	struct sym_info si;

	CHECK(run("cd '%s' && cp pie pie2 && cp nopie lru_b && cp pie stale", tmpdir) == 0);
	readelf_build_id(tpath("nopie"), nopie_id, sizeof(nopie_id));

	/* one object per build id */
	a = sym_cache__elf(c, tpath("pie"), 0, 0);
	b = sym_cache__elf(c, tpath("pie2"), 0, 0);
	CHECKF(a && a == b, "two paths with one build id share an object (%p %p)", (void *)a,
	       (void *)b);
	CHECK(sym_cache__elf(c, tpath("pie"), 0, 0) == a);

	/* (dev, ino) identify the file without the path */
	CHECK(stat(tpath("nopie"), &st) == 0);
	a = sym_cache__elf(c, tpath("nopie"), st.st_dev, st.st_ino);
	b = sym_cache__elf(c, "/nonexistent/elsewhere", st.st_dev, st.st_ino);
	CHECKF(a && a == b, "dev/ino key (%p %p)", (void *)a, (void *)b);
	/* ... but only when they are the opened file's */
	b = sym_cache__elf(c, tpath("nopie"), 1234, 5678);
	CHECK(b == a);
	CHECK(!sym_cache__elf(c, "/nonexistent/elsewhere", 1234, 5678));

	/* aliases unused through a whole trim period are forgotten */
	CHECK(run("cd '%s' && cp pie gone && cp pie kept", tmpdir) == 0);
	a = sym_cache__elf(c, tpath("gone"), 0, 0);
	b = sym_cache__elf(c, tpath("kept"), 0, 0);
	CHECK(a && a == b);
	sym_cache__trim(c);
	CHECK(sym_cache__elf(c, tpath("kept"), 0, 0) == a);
	sym_cache__trim(c);
	CHECK(unlink(tpath("gone")) == 0 && unlink(tpath("kept")) == 0);
	CHECK(!sym_cache__elf(c, tpath("gone"), 0, 0));
	CHECK(sym_cache__elf(c, tpath("kept"), 0, 0) == a);

	/* failures are remembered until a trim */
	CHECK(!sym_cache__elf(c, tpath("late"), 0, 0));
	CHECK(run("cp '%s' '%s'", tpath("pie"), tpath("late")) == 0);
	CHECK(!sym_cache__elf(c, tpath("late"), 0, 0));
	sym_cache__trim(c);
	CHECK(sym_cache__elf(c, tpath("late"), 0, 0) != NULL);

	/* a path that names another file now is read again */
	a = sym_cache__elf(c, tpath("stale"), 0, 0);
	CHECK(run("cp '%s' '%s'", tpath("nopie"), tpath("stale")) == 0);
	b = sym_cache__elf(c, tpath("stale"), 0, 0);
	CHECKF(a && b && !strcmp(sym_elf__build_id(b), nopie_id), "stale path re-read (%s)",
	       b ? sym_elf__build_id(b) : "NULL");

	/* past max_files nothing is freed before a trim; the trim drops the LRU */
	a = sym_cache__elf(small, tpath("pie"), 0, 0);
	b = sym_cache__elf(small, tpath("lru_b"), 0, 0);
	d = sym_cache__elf(small, tpath("libfix.so"), 0, 0);
	CHECK(a && b && d && a != b && b != d && a != d);
	CHECK(sym_cache__elf(small, tpath("pie"), 0, 0) == a);
	if (a && b && d) {
		CHECK(sym_elf__lookup(a, nm_addr(tpath("pie"), "fix_alpha", NULL), &si));
		CHECK(sym_elf__lookup(b, nm_addr(tpath("nopie"), "fix_alpha", NULL), &si));
		CHECK(sym_elf__lookup(d, nm_addr(tpath("libfix.so"), "fixlib_one", NULL), &si));
	}
	sym_cache__trim(small);
	CHECK(unlink(tpath("lru_b")) == 0);
	x = sym_cache__elf(small, tpath("lru_b"), 0, 0);
	CHECKF(x == NULL, "the least recently used file was evicted");
	CHECK(sym_cache__elf(small, tpath("pie"), 0, 0) == a);
	CHECK(sym_cache__elf(small, tpath("libfix.so"), 0, 0) == d);
	if (a)
		CHECK(sym_elf__lookup(a, nm_addr(tpath("pie"), "fix_alpha", NULL), &si));

	sym_cache__free(c);
	sym_cache__free(small);
	sym_cache__free(NULL);
	sym_cache__trim(NULL);
	CHECK(sym_cache__elf(NULL, "x", 0, 0) == NULL);
	CHECK(!sym_elf__lookup(NULL, 0, &si));
	CHECK(!strcmp(sym_elf__build_id(NULL), ""));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rng();
}

static void test_bad_inputs(void)
{
	unsigned char buf[8192];
	struct sym_cache *c = sym_cache__new(16);
	const char *paths[] = {
	    tpath("nonexistent"), tpath("empty"),     tpath("random"),
	    tpath("magic"),	  tpath("trunc64"),   tpath("trunc100"),
	    tpath("trunc4k"),	  tpath("trunchalf"), tmpdir,
	    "/dev/zero",	  "/dev/null",	      tpath("fifo"),
	};
	struct stat st;
	int rc;

	CHECK(write_file(tpath("empty"), "", 0) == 0);
	fill_random(buf, sizeof(buf));
	CHECK(write_file(tpath("random"), buf, sizeof(buf)) == 0);
	memcpy(buf, "\177ELF\2\1\1", 7);
	CHECK(write_file(tpath("magic"), buf, sizeof(buf)) == 0);
	CHECK(stat(tpath("pie"), &st) == 0);
	rc = run("cd '%s' && head -c 64 pie > trunc64 && head -c 100 pie > trunc100 && "
		 "head -c 4096 pie > trunc4k && head -c %lld pie > trunchalf && mkfifo fifo",
		 tmpdir, (long long)st.st_size / 2);
	CHECK(rc == 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		CHECKF(sym_cache__elf(c, paths[i], 0, 0) == NULL, "%s is not a usable ELF file",
		       paths[i]);
		/* and again, from the failure cache */
		CHECK(sym_cache__elf(c, paths[i], 0, 0) == NULL);
	}
	CHECK(sym_cache__elf(c, "", 0, 0) == NULL);
	CHECK(sym_cache__elf(c, NULL, 0, 0) == NULL);
	sym_cache__free(c);
}

/* Copies pie, then overwrites bytes in the copy at an offset found through a
 * section or the headers. */
struct corruption {
	const char *name;
	const char *section; /* overwrite this section's contents with garbage */
	size_t field;	     /* or this Elf64_Ehdr field (offset), */
	size_t shfield;	     /* or this Elf64_Shdr field of section, */
	size_t phfield;	     /* or this Elf64_Phdr field of every PT_LOAD, */
	uint64_t value;	     /* with this value */
	int width;
};

static void patch(int fd, uint64_t off, uint64_t value, int width)
{
	CHECK(pwrite(fd, &value, width, off) == width);
}

static bool corrupt(const struct corruption *k, const char *dst)
{
	uint64_t off = 0, size = 0, hdr = 0;
	bool ok = false;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	if (run("cp '%s' '%s'", tpath("pie"), dst))
		return false;
	fd = open(dst, O_RDWR);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	if (k->section && !elf_section_range(elf, k->section, &off, &size, &hdr))
		goto out;
	if (k->section && !k->shfield) {
		unsigned char *junk = malloc(size);

		if (!junk)
			goto out;
		fill_random(junk, size);
		CHECK(pwrite(fd, junk, size, off) == (ssize_t)size);
		free(junk);
	} else if (k->section) {
		patch(fd, hdr + k->shfield, k->value, k->width);
	} else if (k->phfield) {
		for (size_t i = 0; i < eh.e_phnum; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD)
				patch(fd, eh.e_phoff + i * eh.e_phentsize + k->phfield, k->value,
				      k->width);
		}
	} else {
		patch(fd, k->field, k->value, k->width);
	}
	ok = true;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ok;
}

static void test_corrupt(void)
{
	static const struct corruption cases[] = {
	    {"symtab data", ".symtab", 0, 0, 0, 0, 0},
	    {"strtab data", ".strtab", 0, 0, 0, 0, 0},
	    {"dynsym data", ".dynsym", 0, 0, 0, 0, 0},
	    {"debug_info data", ".debug_info", 0, 0, 0, 0, 0},
	    {"debug_abbrev data", ".debug_abbrev", 0, 0, 0, 0, 0},
	    {"debug_line data", ".debug_line", 0, 0, 0, 0, 0},
	    {"debug_str data", ".debug_str", 0, 0, 0, 0, 0},
	    {"note data", ".note.gnu.build-id", 0, 0, 0, 0, 0},
	    {"symtab sh_link", ".symtab", 0, offsetof(Elf64_Shdr, sh_link), 0, 0x7fff, 4},
	    {"symtab sh_entsize", ".symtab", 0, offsetof(Elf64_Shdr, sh_entsize), 0, 3, 8},
	    {"symtab sh_size", ".symtab", 0, offsetof(Elf64_Shdr, sh_size), 0, 1ULL << 40, 8},
	    {"symtab sh_offset", ".symtab", 0, offsetof(Elf64_Shdr, sh_offset), 0, ~0ULL - 8, 8},
	    {"text sh_size", ".text", 0, offsetof(Elf64_Shdr, sh_size), 0, 0, 8},
	    {"debug_info sh_size", ".debug_info", 0, offsetof(Elf64_Shdr, sh_size), 0, 3, 8},
	    {"e_shnum", NULL, offsetof(Elf64_Ehdr, e_shnum), 0, 0, 0xffff, 2},
	    {"e_shnum 0", NULL, offsetof(Elf64_Ehdr, e_shnum), 0, 0, 0, 2},
	    {"e_shstrndx", NULL, offsetof(Elf64_Ehdr, e_shstrndx), 0, 0, 0xfffe, 2},
	    {"e_shoff", NULL, offsetof(Elf64_Ehdr, e_shoff), 0, 0, 0x123457, 8},
	    {"e_phnum", NULL, offsetof(Elf64_Ehdr, e_phnum), 0, 0, 0xffff, 2},
	    {"e_shentsize", NULL, offsetof(Elf64_Ehdr, e_shentsize), 0, 0, 7, 2},
	    {"p_filesz", NULL, 0, 0, offsetof(Elf64_Phdr, p_filesz), 1ULL << 62, 8},
	    {"p_offset", NULL, 0, 0, offsetof(Elf64_Phdr, p_offset), ~0ULL - 4096, 8},
	};
	uint64_t alpha = nm_addr(tpath("pie"), "fix_alpha", NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[64];
		struct sym_cache *c = sym_cache__new(4);
		struct sym_elf *e;
		struct sym_info si;
		uint64_t v;

		snprintf(name, sizeof(name), "corrupt%zu", i);
		if (!corrupt(&cases[i], tpath(name))) {
			printf("note: corruption '%s' not applied\n", cases[i].name);
			sym_cache__free(c);
			continue;
		}
		e = sym_cache__elf(c, tpath(name), 0, 0);
		/* anything but a crash or a hang is fine; exercise everything */
		sym_elf__build_id(e);
		sym_elf__has_symbols(e);
		for (uint64_t off = 0; off < 0x4000; off += 7)
			sym_elf__offset_to_vaddr(e, off, &v);
		for (uint64_t a = 0; a < 0x6000; a += 3) {
			if (sym_elf__lookup(e, a, &si))
				CHECKF(si.name && si.raw_name && si.start <= a,
				       "%s: lookup %#" PRIx64, cases[i].name, a);
		}
		sym_elf__lookup(e, alpha, &si);
		sym_cache__free(c);
	}
}

int main(void)
{
	bool have_cxx;
	int rc = fixture_begin("sym-elf");

	if (rc)
		return rc;
	elf_version(EV_CURRENT);
	test_demangle();

	if (write_file(tpath("fix.c"), fix_c, strlen(fix_c)) ||
	    write_file(tpath("fixlib.c"), fixlib_c, strlen(fixlib_c)) ||
	    write_file(tpath("uselib.c"), uselib_c, strlen(uselib_c)) ||
	    write_file(tpath("cxx.cc"), cxx_cc, strlen(cxx_cc))) {
		printf("FAIL: writing fixtures to %s\n", tmpdir);
		return 1;
	}
	if (run("cd '%s' && " FIX_BUILD " && "
		"cc -O1 -fPIC -shared -Wl,--build-id -o libfix.so fixlib.c && "
		"cc -g -O1 -fPIE -pie -o uselib uselib.c -L. -lfix -Wl,-rpath,'%s'",
		tmpdir, tmpdir)) {
		printf("FAIL: compiling fixtures in %s\n", tmpdir);
		return 1;
	}
	have_cxx = !run("command -v g++ >/dev/null && command -v c++filt >/dev/null") &&
		   !run("cd '%s' && g++ -g -O1 -Wl,--build-id -o cxx cxx.cc", tmpdir);

	test_exe(tpath("pie"), true);
	test_exe(tpath("nopie"), false);
	test_lib();
	test_cxx(have_cxx);
	test_cache();
	test_bad_inputs();
	test_corrupt();
	fixture_end();
	return check_exit("test_sym_elf");
}
