// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF symbolizer against fixtures compiled at run time (PIE, non-PIE, a
 * shared library, C++), with expected addresses, names, segments and build
 * ids taken from binutils (nm, c++filt, readelf). Separate debug files by
 * .gnu_debuglink and by build id, the file cache, and files that are not ELF
 * or are corrupt.
 *
 * Exit: 0 pass, 1 a check failed, 77 no C compiler or binutils.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sym/sym.h"

#include "check.h"
#include "elf_section.h"

static char tmpdir[] = "/tmp/hrprof-sym-elf-XXXXXX";

/* ---- fixtures ---- */

#define WHERE_SRC                                                                                  \
	"#include <stdint.h>\n"                                                                    \
	"#include <stdio.h>\n"                                                                     \
	"static void where(const char *tag, void *p)\n"                                            \
	"{\n"                                                                                      \
	"	uintptr_t a = (uintptr_t)p;\n"                                                           \
	"	char line[1024];\n"                                                                      \
	"	FILE *f = fopen(\"/proc/self/maps\", \"r\");\n"                                          \
	"	if (!f)\n"                                                                               \
	"		return;\n"                                                                              \
	"	while (fgets(line, sizeof(line), f)) {\n"                                                \
	"		unsigned long s, e, off;\n"                                                             \
	"		if (sscanf(line, \"%lx-%lx %*s %lx\", &s, &e, &off) == 3 && a >= s && a "               \
	"< e) {\n"                                                                                 \
	"			printf(\"%s %lx %lx %lx\\n\", tag, (unsigned long)a, s, off);\n"                       \
	"			break;\n"                                                                              \
	"		}\n"                                                                                    \
	"	}\n"                                                                                     \
	"	fclose(f);\n"                                                                            \
	"}\n"

static const char fix_c[] = WHERE_SRC
    "__attribute__((noinline)) int fix_alpha(int x)\n"
    "{\n"
    "	return x * 3 + 1;\n"
    "}\n"
    "__attribute__((noinline)) static int fix_static_beta(int x)\n"
    "{\n"
    "	volatile int y = x;\n"
    "	return y + fix_alpha(y);\n"
    "}\n"
    "__attribute__((noinline)) int fix_gamma(int x)\n"
    "{\n"
    "	int s = 0;\n"
    "	for (int i = 0; i < x; i++)\n"
    "		s += fix_static_beta(i);\n"
    "	return s;\n"
    "}\n"
    "/* Assembler entry points: an untyped label of no size, and one inside a\n"
    " * sized function. */\n"
    "__asm__(\".text\\n.globl fix_label\\nfix_label:\\n\\tnop\\n\\tnop\\n\\tret\\n\"\n"
    "	\".globl fix_sized\\n.type fix_sized, @function\\nfix_sized:\\n\\tnop\\n\"\n"
    "	\".globl fix_inner\\nfix_inner:\\n\\tnop\\n\\tret\\n.size fix_sized, .-fix_sized\\n\");\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "	where(\"fix_alpha\", (void *)fix_alpha);\n"
    "	where(\"fix_static_beta\", (void *)fix_static_beta);\n"
    "	where(\"fix_gamma\", (void *)fix_gamma);\n"
    "	return fix_gamma(argc) == 123456789;\n"
    "}\n";

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

/* Two levels of always-inlined calls in inl_outer (lines 1..). */
static const char inl_c[] = "static inline __attribute__((always_inline)) int inl_leaf(int x)\n"
			    "{\n"
			    "	return (x * 7 + 3) / (x | 1);\n"
			    "}\n"
			    "static inline __attribute__((always_inline)) int inl_mid(int x)\n"
			    "{\n"
			    "	int s = 0;\n"
			    "	for (int i = 0; i < x; i++)\n"
			    "		s += inl_leaf(i) ^ s;\n"
			    "	return s;\n"
			    "}\n"
			    "__attribute__((noinline)) int inl_outer(int x)\n"
			    "{\n"
			    "	return inl_mid(x) * 3 + inl_mid(x + 5);\n"
			    "}\n"
			    "int main(int argc, char **argv)\n"
			    "{\n"
			    "	(void)argv;\n"
			    "	return inl_outer(argc) & 1;\n"
			    "}\n";

/* The same always-inlined function in two programs: dwz moves its DWARF to
 * the file they share. */
static const char dwz_h[] = "static inline __attribute__((always_inline)) unsigned "
			    "shared_step(unsigned x)\n"
			    "{\n"
			    "	return (x * 2654435761u) / (x | 1);\n"
			    "}\n";
#define DWZ_USER(n)                                                                                \
	"#include \"dwz.h\"\n"                                                                     \
	"__attribute__((noinline)) unsigned user" #n "(unsigned n)\n"                              \
	"{\n"                                                                                      \
	"	unsigned s = " #n ";\n"                                                            \
	"	for (unsigned k = 0; k < n; k++)\n"                                                      \
	"		s += shared_step(s + k);\n"                                                             \
	"	return s;\n"                                                                             \
	"}\n"                                                                                      \
	"int main(int argc, char **argv)\n"                                                        \
	"{\n"                                                                                      \
	"	(void)argv;\n"                                                                           \
	"	return (int)user" #n "((unsigned)argc * 1000) & 1;\n"                              \
	"}\n"
static const char dwz1_c[] = DWZ_USER(1);
static const char dwz2_c[] = DWZ_USER(2);

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

static const char *tpath(const char *name)
{
	static char bufs[16][512];
	static unsigned int next;
	char *b = bufs[next++ % 16];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Returns the command's stdout (malloc'd), or NULL when it fails. */
static char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *capture(const char *fmt, ...)
{
	char cmd[4096];
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p || !out) {
		free(out);
		return NULL;
	}
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *o = realloc(out, cap * 2);

			if (!o)
				break;
			out = o;
			cap *= 2;
		}
	}
	out[len] = '\0';
	if (pclose(p) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(data, 1, len, f) != len)
		err = -EIO;
	if (fclose(f))
		err = -EIO;
	return err;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Finds a defined symbol in `nm -S` output: exact name, or containing sub. */
static bool nm_sym(const char *file, const char *name, const char *sub, uint64_t *addr,
		   uint64_t *size, char *found, size_t found_len)
{
	char *out = capture("nm -S --defined-only '%s' 2>/dev/null", file), *line, *save = NULL;
	bool ok = false;

	if (!out)
		return false;
	for (line = strtok_r(out, "\n", &save); line && !ok; line = strtok_r(NULL, "\n", &save)) {
		char n[1024], t;
		unsigned long a, s;

		/* nm -S prints no size for a symbol of none */
		if (sscanf(line, "%lx %lx %c %1023s", &a, &s, &t, n) != 4) {
			s = 0;
			if (sscanf(line, "%lx %c %1023s", &a, &t, n) != 3)
				continue;
		}
		if (t != 'T' && t != 't' && t != 'W' && t != 'w')
			continue;
		if (name ? strcmp(n, name) != 0 : !strstr(n, sub))
			continue;
		*addr = a;
		*size = s;
		if (found && found_len) {
			size_t l = strnlen(n, found_len - 1);

			memcpy(found, n, l);
			found[l] = '\0';
		}
		ok = true;
	}
	free(out);
	return ok;
}

static uint64_t nm_addr(const char *file, const char *name, uint64_t *size)
{
	uint64_t a = 0, s = 0;

	if (!nm_sym(file, name, NULL, &a, &s, NULL, 0))
		printf("note: nm found no %s in %s\n", name, file);
	if (size)
		*size = s;
	return a;
}

static bool readelf_build_id(const char *file, char *out, size_t len)
{
	char *txt = capture("readelf -n '%s'", file), *p;
	bool ok = false;

	if (txt && (p = strstr(txt, "Build ID: "))) {
		p += strlen("Build ID: ");
		snprintf(out, len, "%.*s", (int)strspn(p, "0123456789abcdef"), p);
		ok = true;
	}
	free(txt);
	return ok;
}

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

static void check_sym(struct sym_elf *e, uint64_t vaddr, const char *name, uint64_t start,
		      const char *file_suffix)
{
	struct sym_info si = {0};

	if (!sym_elf__lookup(e, vaddr, &si)) {
		CHECKF(0, "lookup %#" PRIx64 ": expected %s, found nothing", vaddr, name);
		return;
	}
	CHECKF(!strcmp(si.name, name), "lookup %#" PRIx64 ": expected %s, got %s", vaddr, name,
	       si.name);
	CHECKF(si.start == start,
	       "lookup %#" PRIx64 " (%s): expected start %#" PRIx64 ", got %#" PRIx64, vaddr, name,
	       start, si.start);
	if (file_suffix)
		CHECKF(si.file && ends_with(si.file, file_suffix),
		       "lookup %#" PRIx64 " (%s): expected a file ending in %s, got %s", vaddr,
		       name, file_suffix, si.file ? si.file : "NULL");
}

/* Checks the function at its first byte, its middle and its last byte, and
 * that the byte after it is not taken for it. */
static void check_func(struct sym_elf *e, const char *bin, const char *name, const char *file)
{
	uint64_t size, a = nm_addr(bin, name, &size);
	struct sym_info si;

	CHECKF(a != 0, "nm has %s in %s", name, bin);
	if (!a)
		return;
	check_sym(e, a, name, a, file);
	check_sym(e, a + size / 2, name, a, file);
	if (size)
		check_sym(e, a + size - 1, name, a, file);
	if (size && sym_elf__lookup(e, a + size, &si))
		CHECKF(strcmp(si.name, name) != 0, "%s: %#" PRIx64 " is past its end", name,
		       a + size);
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

/*
 * sym_elf__frames on every byte of inl_outer against addr2line -f -i: the
 * same functions, innermost first, at the same lines; without inlines the
 * outermost alone; past max, the outer ones kept.
 */
static void test_frames(void)
{
	const char *bin = tpath("inl");
	struct sym_cache *c = sym_cache__new(4);
	struct sym_frame f[SYM_FRAMES_MAX];
	uint64_t a, size;
	struct sym_elf *e;
	size_t deep = 0;

	a = nm_addr(bin, "inl_outer", &size);
	e = sym_cache__elf(c, bin, 0, 0);
	CHECKF(e && a && size, "open %s, inl_outer at %#" PRIx64, bin, a);
	for (uint64_t pc = a; e && pc < a + size; pc++) {
		char *out = capture("addr2line -f -i -e '%s' %#" PRIx64, bin, pc), *save = NULL;
		char *name, *where;
		size_t n = sym_elf__frames(e, pc, true, f, SYM_FRAMES_MAX), i = 0, n1;
		bool ok = true;

		if (!out)
			break;
		for (name = strtok_r(out, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
			const char *colon;

			where = strtok_r(NULL, "\n", &save);
			colon = where ? strrchr(where, ':') : NULL;
			if (!colon || i >= n || strcmp(f[i].name, name) ||
			    (unsigned long)f[i].line != strtoul(colon + 1, NULL, 10) ||
			    !f[i].file || !ends_with(f[i].file, "inl.c")) {
				ok = false;
				break;
			}
			i++;
		}
		CHECKF(ok && i == n,
		       "%#" PRIx64 ": frame %zu of %zu (%s:%u) differs from addr2line", pc, i, n,
		       i < n ? f[i].name : "-", i < n ? f[i].line : 0);
		free(out);
		if (!ok || i != n)
			break;
		if (n >= 3)
			deep++;
		/* without inlines: the outermost alone, at the call site */
		n1 = sym_elf__frames(e, pc, false, f + 1, 1);
		CHECK(n1 == 1 && !strcmp(f[1].name, "inl_outer") && f[1].line == f[n - 1].line);
		/* max 2: the two outer frames */
		if (n >= 3) {
			struct sym_frame g[2];

			CHECK(sym_elf__frames(e, pc, true, g, 2) == 2 &&
			      !strcmp(g[1].name, "inl_outer") && !strcmp(g[0].name, "inl_mid"));
		}
	}
	CHECKF(deep > 0, "no address of inl_outer has inl_leaf -> inl_mid -> inl_outer");
	CHECK(sym_elf__frames(e, 0, true, f, SYM_FRAMES_MAX) == 0);
	CHECK(sym_elf__frames(e, a, true, f, 0) == 0);
	sym_cache__free(c);
}

/*
 * A debug file shrunk by dwz (as Debian's dbgsym packages are): shared_step's
 * DWARF is in the file it shares with another program, found through its
 * .gnu_debugaltlink by build id under the debug directory (the path it
 * names leads nowhere);
 * the inlined function is named as addr2line names it in the program before
 * dwz (binutils 2.40's cannot read dwz's references).
 */
static void test_dwz(void)
{
	const char *bin = tpath("dwz1.s");
	struct sym_frame f[SYM_FRAMES_MAX];
	struct sym_cache *c;
	uint64_t a, size;
	struct sym_elf *e;
	size_t inl = 0;

	if (run("command -v dwz >/dev/null") ||
	    run("cd '%s' && cc -g -O2 -o dwz1 dwz1.c && cc -g -O2 -o dwz2 dwz2.c && "
		"objcopy --only-keep-debug dwz1 dwz1.debug && "
		"objcopy --only-keep-debug dwz2 dwz2.debug && "
		"dwz -m dwz-common.debug -M dwz-common.debug dwz1.debug dwz2.debug && "
		"strip --strip-debug -o dwz1.s dwz1 && objcopy --add-gnu-debuglink=dwz1.debug "
		"dwz1.s "
		"&& id=$(readelf -n dwz-common.debug | awk '/Build ID/ { print $3 }') && "
		"[ -n \"$id\" ] && mkdir -p dbg/.build-id/${id%%\"${id#??}\"} && "
		"mv dwz-common.debug dbg/.build-id/${id%%\"${id#??}\"}/${id#??}.debug",
		tmpdir)) {
		printf("note: no dwz, dwz files skipped\n");
		return;
	}
	CHECKF(!run("readelf -S '%s' | grep -q gnu_debugaltlink", tpath("dwz1.debug")),
	       "dwz left no .gnu_debugaltlink in dwz1.debug");
	a = nm_addr(tpath("dwz1"), "user1", &size);
	c = sym_cache__new(4);
	/* the link names "dwz-common.debug", found nowhere: by build id, then */
	CHECK(sym_cache__set_debug_dir(c, tpath("dbg")) == 0);
	e = sym_cache__elf(c, bin, 0, 0);
	CHECKF(e && a && size, "open %s", bin);
	for (uint64_t pc = a; e && pc < a + size; pc++) {
		char *want =
		    capture("addr2line -f -i -e '%s' %#" PRIx64 " | head -1", tpath("dwz1"), pc);
		size_t n = sym_elf__frames(e, pc, true, f, SYM_FRAMES_MAX);

		if (!want)
			break;
		want[strcspn(want, "\n")] = '\0';
		CHECKF(n >= 1 && !strcmp(f[0].name, want), "%#" PRIx64 ": %s, addr2line %s", pc,
		       n ? f[0].name : "-", want);
		if (n == 2 && !strcmp(f[0].name, "shared_step") && !strcmp(f[1].name, "user1") &&
		    f[0].file && ends_with(f[0].file, "dwz.h"))
			inl++;
		free(want);
		if (failures)
			break;
	}
	CHECKF(inl > 0, "shared_step (its DWARF in the dwz file) never named inlined in user1");
	sym_cache__free(c);
}

/* Resolves fix_static_beta (only in .symtab, so only through a debug file) in
 * a stripped copy; want_debug says whether the debug file should be found. */
static void check_stripped(const char *what, const char *path, const char *debug_dir,
			   bool want_debug)
{
	struct sym_cache *c = sym_cache__new(4);
	const char *orig = tpath("pie");
	uint64_t a = nm_addr(orig, "fix_static_beta", NULL);
	struct sym_elf *e;
	struct sym_info si;
	bool ok;

	if (debug_dir)
		CHECK(sym_cache__set_debug_dir(c, debug_dir) == 0);
	e = sym_cache__elf(c, path, 0, 0);
	CHECKF(e != NULL, "%s: open %s", what, path);
	if (!e)
		goto out;
	ok = sym_elf__lookup(e, a, &si) && !strcmp(si.name, "fix_static_beta");
	if (want_debug) {
		CHECKF(ok, "%s: fix_static_beta resolves through the debug file", what);
		if (ok)
			CHECKF(si.file && ends_with(si.file, "fix.c"), "%s: file %s", what,
			       si.file ? si.file : "NULL");
		check_func(e, orig, "fix_alpha", "fix.c");
		check_func(e, orig, "fix_gamma", "fix.c");
	} else {
		CHECKF(!ok, "%s: fix_static_beta must not resolve without a matching debug file",
		       what);
	}
	{
		char id[256] = "";

		readelf_build_id(orig, id, sizeof(id));
		CHECKF(!strcmp(sym_elf__build_id(e), id), "%s: build id %s, expected %s", what,
		       sym_elf__build_id(e), id);
	}
out:
	sym_cache__free(c);
}

static void test_debug_files(void)
{
	char id[256] = "", proc_path[1024], dir[1024];
	const char *pie = tpath("pie");
	int rc;

	readelf_build_id(pie, id, sizeof(id));
	rc = run(
	    "cd '%s' && mkdir -p dl dl2/.debug nodbg crc bid dbgroot/.build-id/%.2s "
	    "dbgbad/.build-id/%.2s && "
	    "cp pie dl/app && objcopy --only-keep-debug dl/app dl/app.debug && "
	    "strip --strip-all dl/app && objcopy --add-gnu-debuglink=dl/app.debug dl/app && "
	    "cp dl/app dl2/app && cp dl/app.debug dl2/.debug/app.debug && "
	    "cp dl/app nodbg/app && "
	    "cp dl/app crc/app && cp dl/app.debug crc/app.debug && printf x >> crc/app.debug && "
	    "cp pie bid/app && strip --strip-all bid/app && "
	    "cp dl/app.debug dbgroot/.build-id/%.2s/%s.debug && "
	    "objcopy --only-keep-debug nopie dbgbad/.build-id/%.2s/%s.debug",
	    tmpdir, id, id, id, id + 2, id, id + 2);
	CHECKF(rc == 0, "preparing stripped copies (rc %d)", rc);
	if (rc)
		return;
	check_stripped("debuglink, same dir", tpath("dl/app"), NULL, true);
	check_stripped("debuglink, .debug dir", tpath("dl2/app"), NULL, true);
	snprintf(proc_path, sizeof(proc_path), "/proc/self/root%s", tpath("dl2/app"));
	check_stripped("debuglink, /proc/self/root", proc_path, NULL, true);
	check_stripped("no debug file", tpath("nodbg/app"), NULL, false);
	check_stripped("debuglink, bad crc", tpath("crc/app"), NULL, false);
	snprintf(dir, sizeof(dir), "%s", tpath("dbgroot"));
	check_stripped("build id", tpath("bid/app"), dir, true);
	snprintf(proc_path, sizeof(proc_path), "/proc/self/root%s", tpath("bid/app"));
	check_stripped("build id, /proc/self/root", proc_path, dir, true);
	check_stripped("build id, default dir", tpath("bid/app"), NULL, false);
	snprintf(dir, sizeof(dir), "%s", tpath("dbgbad"));
	check_stripped("build id, wrong file", tpath("bid/app"), dir, false);
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

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (run("command -v cc >/dev/null && command -v nm >/dev/null && "
		"command -v objcopy >/dev/null && command -v strip >/dev/null && "
		"command -v readelf >/dev/null")) {
		printf("SKIP: needs cc and binutils\n");
		run("rm -rf '%s'", tmpdir);
		return 77;
	}
	elf_version(EV_CURRENT);
	test_demangle();

	if (write_file(tpath("fix.c"), fix_c, strlen(fix_c)) ||
	    write_file(tpath("fixlib.c"), fixlib_c, strlen(fixlib_c)) ||
	    write_file(tpath("uselib.c"), uselib_c, strlen(uselib_c)) ||
	    write_file(tpath("cxx.cc"), cxx_cc, strlen(cxx_cc)) ||
	    write_file(tpath("inl.c"), inl_c, strlen(inl_c)) ||
	    write_file(tpath("dwz.h"), dwz_h, strlen(dwz_h)) ||
	    write_file(tpath("dwz1.c"), dwz1_c, strlen(dwz1_c)) ||
	    write_file(tpath("dwz2.c"), dwz2_c, strlen(dwz2_c))) {
		printf("FAIL: writing fixtures to %s\n", tmpdir);
		return 1;
	}
	if (run("cd '%s' && cc -g -O1 -fPIE -pie -Wl,--build-id -o pie fix.c && "
		"cc -g -O1 -fno-pie -no-pie -Wl,--build-id -o nopie fix.c && "
		"cc -O1 -fPIC -shared -Wl,--build-id -o libfix.so fixlib.c && "
		"cc -g -O1 -fPIE -pie -o uselib uselib.c -L. -lfix -Wl,-rpath,'%s' && "
		"cc -g -O2 -o inl inl.c",
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
	test_frames();
	test_dwz();
	test_debug_files();
	test_cache();
	test_bad_inputs();
	test_corrupt();

	if (failures)
		printf("fixtures left in %s\n", tmpdir);
	else
		run("rm -rf '%s'", tmpdir);
	return check_exit("test_sym_elf");
}
