// SPDX-License-Identifier: GPL-2.0
/*
 * What the ELF symbolizer reads from debug information, against fixtures
 * compiled at run time: DWARF lines and inlined functions as addr2line
 * names them, a debug file shrunk by dwz (its shared part found by build
 * id), and separate debug files found by .gnu_debuglink and by build id,
 * or refused when they do not match. Symbol tables: test_sym_elf.
 *
 * Exit: 0 pass, 1 a check failed, 77 no C compiler or binutils.
 */
#include "sym_fixture.h"

/* ---- fixtures ---- */

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

/* ---- tests ---- */

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

int main(void)
{
	int rc = fixture_begin("sym-debug");

	if (rc)
		return rc;
	if (write_file(tpath("fix.c"), fix_c, strlen(fix_c)) ||
	    write_file(tpath("inl.c"), inl_c, strlen(inl_c)) ||
	    write_file(tpath("dwz.h"), dwz_h, strlen(dwz_h)) ||
	    write_file(tpath("dwz1.c"), dwz1_c, strlen(dwz1_c)) ||
	    write_file(tpath("dwz2.c"), dwz2_c, strlen(dwz2_c))) {
		printf("FAIL: writing fixtures to %s\n", tmpdir);
		return 1;
	}
	if (run("cd '%s' && " FIX_BUILD " && cc -g -O2 -o inl inl.c", tmpdir)) {
		printf("FAIL: compiling fixtures in %s\n", tmpdir);
		return 1;
	}
	test_frames();
	test_dwz();
	test_debug_files();
	fixture_end();
	return check_exit("test_sym_debug");
}
