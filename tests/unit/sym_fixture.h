/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ELF symbolizer's tests (test_sym_elf, test_sym_debug) share: a
 * directory of their own for fixtures compiled at run time, the fixture
 * fix.c (built as a PIE and not), and binutils (nm, readelf) as the oracle
 * for the addresses, names and build ids the symbolizer finds in them.
 */
#ifndef HRPROF_TEST_SYM_FIXTURE_H
#define HRPROF_TEST_SYM_FIXTURE_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sym/sym.h"

#include "check.h"

/* The test's own directory, /tmp/hrprof-<name>-XXXXXX (fixture_begin). */
static char tmpdir[64];

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

/* Builds fix.c (in tmpdir) as pie and nopie. */
#define FIX_BUILD                                                                                  \
	"cc -g -O1 -fPIE -pie -Wl,--build-id -o pie fix.c && "                                     \
	"cc -g -O1 -fno-pie -no-pie -Wl,--build-id -o nopie fix.c"

/* ---- helpers ---- */

static inline const char *tpath(const char *name)
{
	static char bufs[16][512];
	static unsigned int next;
	char *b = bufs[next++ % 16];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static inline int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int run(const char *fmt, ...)
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
static inline char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *capture(const char *fmt, ...)
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

static inline int write_file(const char *path, const void *data, size_t len)
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

static inline bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Finds a defined symbol in `nm -S` output: exact name, or containing sub. */
static inline bool nm_sym(const char *file, const char *name, const char *sub, uint64_t *addr,
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
		if (name ? strcmp(n, name) != 0 : !sub || !strstr(n, sub))
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

static inline uint64_t nm_addr(const char *file, const char *name, uint64_t *size)
{
	uint64_t a = 0, s = 0;

	if (!nm_sym(file, name, NULL, &a, &s, NULL, 0))
		printf("note: nm found no %s in %s\n", name, file);
	if (size)
		*size = s;
	return a;
}

static inline bool readelf_build_id(const char *file, char *out, size_t len)
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

static inline void check_sym(struct sym_elf *e, uint64_t vaddr, const char *name, uint64_t start,
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
static inline void check_func(struct sym_elf *e, const char *bin, const char *name,
			      const char *file)
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
 * Makes tmpdir for the test name. Returns 0, 77 when there is no C
 * compiler or binutils (the test is skipped), or 1.
 */
static inline int fixture_begin(const char *name)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hrprof-%s-XXXXXX", name);
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
	return 0;
}

/* Removes tmpdir, or says where it is when a check failed. */
static inline void fixture_end(void)
{
	if (failures)
		printf("fixtures left in %s\n", tmpdir);
	else
		run("rm -rf '%s'", tmpdir);
}

#endif
