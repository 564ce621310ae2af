// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols: a kallsyms fixture (vmlinux and module text, data
 * symbols as boundaries, aliases, malformed lines), a kptr_restrict file of
 * zeros, a missing file, and the real /proc/kallsyms when it shows addresses.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/sym.h"

#include "check.h"

static char tmpdir[] = "/tmp/hrprof-sym-kernel-XXXXXX";

static const char fixture[] = "0000000000000000 A fixed_percpu_data\n"
			      "0000000000001000 D cpu_number\n"
			      "ffffffff81000000 T _stext\n"
			      "ffffffff81000000 T startup_64\n"
			      "ffffffff81000100 t helper_local\n"
			      "ffffffff81000200 T do_work\n"
			      "ffffffff81000300 W weak_fn\n"
			      "ffffffff81001000 T _etext\n"
			      "ffffffff81200000 R some_rodata\n"
			      "ffffffff81300000 D some_data\n"
			      "ffffffffc0001080 T ext4_bar\t[ext4]\n"
			      "ffffffffc0001000 t ext4_foo\t[ext4]\n"
			      "ffffffffc0002000 d ext4_data\t[ext4]\n"
			      "ffffffffc0010000 t xfs_a\t[xfs]\n"
			      "ffffffffc0030000 t bpf_prog_6deef7357e7b4530_sd_fw_ingress\t[bpf]\n"
			      "this is not a symbol line\n"
			      "ffffffffzz T bad_hex\n"
			      "ffffffffc0020000 T\n"
			      "ffffffffc0020000\n"
			      "ffffffffc0020000 T broken_module\t[\n"
			      "\n"
			      "ffffffffc0040000 t no_newline_at_end";

struct want {
	uint64_t addr;
	const char *name; /* NULL: no symbol */
	uint64_t start;
	const char *file;
};

static void check(const struct ksyms *k, const struct want *w)
{
	struct sym_info si = {0};
	bool found = ksyms__lookup(k, w->addr, &si);

	if (!w->name) {
		CHECKF(!found, "%#" PRIx64 ": expected no symbol, got %s", w->addr,
		       found ? si.name : "");
		return;
	}
	CHECKF(found, "%#" PRIx64 ": expected %s, got nothing", w->addr, w->name);
	if (!found)
		return;
	CHECKF(!strcmp(si.name, w->name) && !strcmp(si.raw_name, w->name),
	       "%#" PRIx64 ": expected %s, got %s", w->addr, w->name, si.name);
	CHECKF(si.start == w->start, "%#" PRIx64 ": expected start %#" PRIx64 ", got %#" PRIx64,
	       w->addr, w->start, si.start);
	if (w->file)
		CHECKF(si.file && !strcmp(si.file, w->file),
		       "%#" PRIx64 ": expected file %s, got %s", w->addr, w->file,
		       si.file ? si.file : "NULL");
	else
		CHECKF(!si.file, "%#" PRIx64 ": expected no file, got %s", w->addr, si.file);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void test_fixture(void)
{
	static const struct want wants[] = {
	    {0xfff, NULL, 0, NULL},
	    {0x1000, NULL, 0, NULL},
	    {0xffffffff80ffffffULL, NULL, 0, NULL},
	    /* the alias with fewer leading underscores wins */
	    {0xffffffff81000000ULL, "startup_64", 0xffffffff81000000ULL, NULL},
	    {0xffffffff810000ffULL, "startup_64", 0xffffffff81000000ULL, NULL},
	    {0xffffffff81000100ULL, "helper_local", 0xffffffff81000100ULL, NULL},
	    {0xffffffff81000250ULL, "do_work", 0xffffffff81000200ULL, NULL},
	    {0xffffffff81000310ULL, "weak_fn", 0xffffffff81000300ULL, NULL},
	    {0xffffffff81000fffULL, "weak_fn", 0xffffffff81000300ULL, NULL},
	    {0xffffffff81001000ULL, "_etext", 0xffffffff81001000ULL, NULL},
	    /* data symbols end the text before them */
	    {0xffffffff81200000ULL, NULL, 0, NULL},
	    {0xffffffff81200010ULL, NULL, 0, NULL},
	    {0xffffffff81300010ULL, NULL, 0, NULL},
	    {0xffffffffc0001000ULL, "ext4_foo", 0xffffffffc0001000ULL, "[ext4]"},
	    {0xffffffffc0001090ULL, "ext4_bar", 0xffffffffc0001080ULL, "[ext4]"},
	    {0xffffffffc0001fffULL, "ext4_bar", 0xffffffffc0001080ULL, "[ext4]"},
	    {0xffffffffc0002000ULL, NULL, 0, NULL},
	    {0xffffffffc0010100ULL, "xfs_a", 0xffffffffc0010000ULL, "[xfs]"},
	    /* the last symbol of a module is not stretched to the next module */
	    {0xffffffffc001ffffULL, "xfs_a", 0xffffffffc0010000ULL, "[xfs]"},
	    {0xffffffffc0020000ULL, NULL, 0, NULL},
	    {0xffffffffc0030008ULL, "bpf_prog_6deef7357e7b4530_sd_fw_ingress",
	     0xffffffffc0030000ULL, "[bpf]"},
	    /* malformed lines are skipped, the unterminated last line is not */
	    {0xffffffffc0020000ULL, NULL, 0, NULL},
	    {0xffffffffc0040004ULL, "no_newline_at_end", 0xffffffffc0040000ULL, NULL},
	    {0xffffffffc0080000ULL, NULL, 0, NULL},
	    {UINT64_MAX, NULL, 0, NULL},
	};
	char path[256];
	struct ksyms *k;

	snprintf(path, sizeof(path), "%s/kallsyms", tmpdir);
	CHECK(write_file(path, fixture) == 0);
	k = ksyms__load(path);
	CHECK(k != NULL);
	CHECK(!ksyms__empty(k));
	for (size_t i = 0; k && i < sizeof(wants) / sizeof(wants[0]); i++)
		check(k, &wants[i]);
	ksyms__free(k);
}

static void test_restricted(void)
{
	char path[256];
	struct ksyms *k;
	struct sym_info si;

	snprintf(path, sizeof(path), "%s/zeros", tmpdir);
	CHECK(write_file(path, "0000000000000000 T _stext\n"
			       "0000000000000000 t helper\t[ext4]\n"
			       "0000000000000000 D data\n") == 0);
	k = ksyms__load(path);
	CHECK(k != NULL && ksyms__empty(k));
	CHECK(!ksyms__lookup(k, 0, &si));
	CHECK(!ksyms__lookup(k, 0xffffffff81000000ULL, &si));
	ksyms__free(k);

	/* only data symbols: nothing to name */
	CHECK(write_file(path, "ffffffff81200000 R some_rodata\n") == 0);
	k = ksyms__load(path);
	CHECK(k != NULL && ksyms__empty(k));
	ksyms__free(k);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	k = ksyms__load(path);
	CHECK(k != NULL && ksyms__empty(k));
	CHECK(!ksyms__lookup(k, 0xffffffff81000000ULL, &si));
	ksyms__free(k);

	ksyms__free(NULL);
	CHECK(ksyms__empty(NULL));
	CHECK(!ksyms__lookup(NULL, 1, &si));
}

/* Looks up a few well-known functions at addresses read from the file itself. */
static void test_real(void)
{
	static const char *const names[] = {"schedule", "do_syscall_64", "vfs_read"};
	FILE *f = fopen("/proc/kallsyms", "r");
	struct ksyms *k;
	char line[512], mod_name[256] = "", mod[256] = "";
	uint64_t addrs[3] = {0}, mod_addr = 0;
	bool nonzero = false;

	if (!f) {
		printf("note: /proc/kallsyms unreadable, real table skipped\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char t, n[256], m[256];
		unsigned long long a;
		int fields = sscanf(line, "%llx %c %255s [%255[^]]]", &a, &t, n, m);

		if (fields < 3)
			continue;
		nonzero |= a != 0;
		for (int i = 0; i < 3; i++)
			if (!addrs[i] && (t == 'T' || t == 't') && !strcmp(n, names[i]))
				addrs[i] = a;
		if (fields == 4 && !mod_addr && (t == 'T' || t == 't') && a) {
			mod_addr = a;
			snprintf(mod_name, sizeof(mod_name), "%s", n);
			snprintf(mod, sizeof(mod), "[%.250s]", m);
		}
	}
	fclose(f);
	k = ksyms__load(NULL);
	CHECK(k != NULL);
	if (!nonzero) {
		printf("note: /proc/kallsyms has no addresses (kptr_restrict)\n");
		CHECK(ksyms__empty(k));
		ksyms__free(k);
		return;
	}
	CHECK(!ksyms__empty(k));
	for (int i = 0; i < 3; i++) {
		struct sym_info si, si1;

		if (!addrs[i])
			continue;
		/* another name may share the address; the start must match */
		CHECKF(ksyms__lookup(k, addrs[i], &si) && si.start == addrs[i] && !si.file,
		       "%s at %#" PRIx64, names[i], addrs[i]);
		CHECKF(ksyms__lookup(k, addrs[i] + 1, &si1) && si1.start == addrs[i] &&
			   !strcmp(si1.name, si.name),
		       "%s + 1", names[i]);
	}
	if (mod_addr) {
		struct sym_info si;

		CHECKF(ksyms__lookup(k, mod_addr, &si) && si.start == mod_addr && si.file &&
			   !strcmp(si.file, mod),
		       "module symbol %s %s at %#" PRIx64 " (got %s)", mod_name, mod, mod_addr,
		       si.file ? si.file : "NULL");
	}
	ksyms__free(k);
}

int main(void)
{
	char cmd[512];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_fixture();
	test_restricted();
	test_real();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tmpdir);
	return check_exit("test_sym_kernel");
}
