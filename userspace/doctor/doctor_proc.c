// SPDX-License-Identifier: GPL-2.0
/*
 * hrprof doctor -p PID (doctor.h): whether hrprof may watch the process,
 * and for each file it runs, what will name and unwind its frames: the
 * symbol tables, the debug information (in the file, a separate debug file
 * found as the symbolizer finds it, MiniDebugInfo) and the call frame
 * information the unwinder compiles. Files are opened the way the daemon
 * opens them (sym_file.c, sym_debug.c, cfi.c), as the process sees them.
 * Whether code keeps its frame pointers cannot be read from a file: only
 * whether CFI covers it.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/unwind.h"
#include "doctor_int.h"
#include "proc/proc.h"
#include "sym/sym.h"
#include "base/util.h"

/* Entries of a symbol table section. */
static size_t sym_count(Elf_Scn *scn)
{
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;
	return sh.sh_size / sh.sh_entsize;
}

/* The path of an open descriptor, for naming the debug file found. */
static void fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
}

/* What names the file's functions: its .symtab, its debug file's, its
 * MiniDebugInfo's, else only .dynsym's exports. False when stripped. */
static bool describe_symbols(const struct elf_sections *s, const struct elf_sections *ds,
			     bool have_dbg, char *buf, size_t len)
{
	void *mbuf = NULL;
	struct elf_sections ms;
	Elf *mini;
	size_t n = 0;

	if (s->symtab) {
		snprintf(buf, len, ".symtab (%zu entries)", sym_count(s->symtab));
		return true;
	}
	if (have_dbg && ds->symtab) {
		snprintf(buf, len, "stripped, .symtab in its debug file (%zu entries)",
			 sym_count(ds->symtab));
		return true;
	}
	if (s->debugdata && (mini = minidebug_open(s->debugdata, &mbuf))) {
		elf_sections__scan(mini, &ms);
		n = sym_count(ms.symtab);
		elf_end(mini);
		free(mbuf);
		if (n) {
			snprintf(buf, len,
				 "stripped, .symtab in .gnu_debugdata (MiniDebugInfo, %zu "
				 "entries)",
				 n);
			return true;
		}
	}
	if (s->dynsym)
		snprintf(buf, len, "stripped: .dynsym only (%zu exported), other functions unnamed",
			 sym_count(s->dynsym));
	else
		snprintf(buf, len, "stripped: no symbol table, frames unnamed");
	return false;
}

static void describe_debug(const struct elf_file *f, const struct elf_sections *s,
			   const struct elf_file *dbg, const struct elf_sections *ds, bool have_dbg,
			   const char *build_id, char *buf, size_t len)
{
	char path[PATH_MAX];
	GElf_Word crc;
	const char *link = dwelf_elf_gnu_debuglink(f->elf, &crc);

	if (s->dwarf) {
		snprintf(buf, len, "embedded .debug_info");
	} else if (have_dbg) {
		fd_path(dbg->fd, path, sizeof(path));
		snprintf(buf, len, "%s %s", ds->dwarf ? "debug file" : "debug file (symbols only)",
			 path);
	} else if (link) {
		snprintf(buf, len, "none: .gnu_debuglink names %s, not found", link);
	} else if (s->debugdata) {
		snprintf(buf, len, "MiniDebugInfo only (symbols, no lines)");
	} else if (build_id[0]) {
		snprintf(buf, len, "none (build id %s: no %s/.build-id/%.2s/%s.debug)", build_id,
			 SYM_DEBUG_DIR, build_id, build_id + 2);
	} else {
		snprintf(buf, len, "none");
	}
}

/* One executable file mapping: full is its path as pid sees it
 * (/proc/<pid>/root/...), host the same without the prefix. */
static void check_file(struct doctor *d, const char *name, const char *full, const char *host)
{
	char id[2 * BUILD_ID_MAX + 1], syms[256], dbgs[PATH_MAX + 64], check[PATH_MAX + 16];
	char cfis[160], e[96];
	struct elf_file f, dbg = {.fd = -1};
	struct elf_sections s, ds = {0};
	struct cfi_table t;
	const char *path = full;
	bool have_dbg, named;
	uint32_t eh, fdes;
	int err;

	snprintf(check, sizeof(check), "mapping %s", name);
	err = elf_file__open(&f, path);
	if (err) {
		path = host;
		err = elf_file__open(&f, path);
	}
	if (err) {
		doctor_line(d, DOCTOR_LVL_WARN, check, NULL, "cannot be read: %s",
			    err == -ENOEXEC ? "not an ELF file" : doctor_errno(err, e, sizeof(e)));
		return;
	}
	elf_sections__scan(f.elf, &s);
	build_id_hex(f.elf, id);
	have_dbg = debug_find(SYM_DEBUG_DIR, path, &f, id, &dbg, &ds);
	named = describe_symbols(&s, &ds, have_dbg, syms, sizeof(syms));
	describe_debug(&f, &s, &dbg, &ds, have_dbg, id, dbgs, sizeof(dbgs));

	/* As the unwinder: the debug file's .debug_frame when the file has none. */
	err = cfi_compile(f.elf, have_dbg && !cfi_has_debug_frame(f.elf) ? dbg.elf : NULL, &t);
	eh = t.counts.fdes - t.counts.debug_fdes;
	if (t.counts.fdes)
		snprintf(cfis, sizeof(cfis), "%u FDEs (%s%s%s%s)%s", t.counts.fdes,
			 eh ? ".eh_frame" : "", eh && t.counts.debug_fdes ? ", " : "",
			 t.counts.debug_fdes ? ".debug_frame" : "",
			 t.counts.debug_fdes && have_dbg && !cfi_has_debug_frame(f.elf)
			     ? " of its debug file"
			     : "",
			 err && err != -ENOENT ? ", partly unreadable" : "");
	else
		snprintf(cfis, sizeof(cfis),
			 "none (no .eh_frame, no .debug_frame): only frame pointers unwind it, "
			 "which a file cannot show");
	fdes = t.counts.fdes;
	cfi_table__free(&t);

	doctor_line(d, named && fdes ? DOCTOR_LVL_OK : DOCTOR_LVL_WARN, check,
		    !named  ? "install its debug symbols (Debian: the -dbgsym package; or set "
			      "DEBUGINFOD_URLS), or ship it unstripped"
		    : !fdes ? "build it with -fasynchronous-unwind-tables or "
			      "-fno-omit-frame-pointer"
			    : NULL,
		    "symbols: %s; debug info: %s; CFI: %s", syms, dbgs, cfis);
	if (have_dbg)
		elf_file__close(&dbg);
	elf_file__close(&f);
}

/* The C library a process runs, from its mappings' names. */
static const char *libc_of(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "ld-musl-", 8) || !strncmp(base, "libc.musl", 9))
		return "musl";
	if (!strncmp(base, "libc.so.6", 9) || !strncmp(base, "libc-2.", 7))
		return "glibc";
	return NULL;
}

/* Reads pid's name and real uid from /proc (uid -1 when unknown). */
static void proc_ident(int pid, char *comm, size_t len, long *uid)
{
	char path[64];
	FILE *f;

	comm[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, (int)len, f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	*uid = (long)proc_status_field(pid, "Uid:", 10, (unsigned long long)-1);
}

static void check_jit(struct doctor *d, int pid, unsigned int anon)
{
	char a[80], b[80];

	snprintf(a, sizeof(a), "/proc/%d/root/tmp/perf-%d.map", pid, pid);
	snprintf(b, sizeof(b), "/tmp/perf-%d.map", pid);
	if (!access(a, R_OK) || !access(b, R_OK))
		doctor_line(d, DOCTOR_LVL_OK, "jit", NULL,
			    "%u anonymous executable mappings, named by /tmp/perf-%d.map", anon,
			    pid);
	else
		doctor_line(d, DOCTOR_LVL_WARN, "jit",
			    "have the runtime write a perf map (/tmp/perf-PID.map)",
			    "%u anonymous executable mappings (JIT code?) and no /tmp/perf-%d.map: "
			    "frames there stay unnamed",
			    anon, pid);
}

/* What the maps walk found: executable files, anonymous executable
 * mappings, the C library. */
struct maps_walk {
	unsigned int files, anon;
	const char *libc; /* "glibc", "musl", or NULL */
	char libc_path[PATH_MAX];
};

/* Checks each executable file of pid's maps file f, once per file. */
static void maps_walk(struct doctor *d, int pid, FILE *f, struct maps_walk *w)
{
	char *line = NULL, *mpath, last[PATH_MAX] = "", full[PATH_MAX + 32];
	uint64_t start, end, pgoff, dev, ino;
	size_t cap = 0;

	while (getline(&line, &cap, f) > 0) {
		struct mapping *m;
		size_t prefix;

		if (!maps_parse_line(line, &start, &end, &pgoff, &dev, &ino, &mpath))
			continue;
		m = mapping__new(start, end, pgoff, dev, ino, mpath);
		if (!m)
			break;
		if (!mapping__is_file(m)) {
			w->anon += m->path[0] != '[';
			mapping__put(m);
			continue;
		}
		prefix = mapping__proc_path(m, (uint32_t)pid, full, sizeof(full));
		if (strcmp(full + prefix, last)) {
			snprintf(last, sizeof(last), "%s", full + prefix);
			if (!w->libc && (w->libc = libc_of(last)))
				snprintf(w->libc_path, sizeof(w->libc_path), "%s", last);
			check_file(d, m->path, full, full + prefix);
			w->files++;
		}
		mapping__put(m);
	}
	free(line);
}

/* Whether the maps file f reads: 0 (a kernel thread's is empty), or -errno. */
static int maps_readable(FILE *f)
{
	int c;

	errno = 0;
	c = fgetc(f);
	if (c == EOF)
		return ferror(f) ? (errno ? -errno : -EIO) : 0;
	ungetc(c, f);
	return 0;
}

void doctor_process(struct doctor *d, int pid)
{
	char path[64], comm[64], e[96];
	struct maps_walk w = {0};
	bool user_only;
	long uid;
	FILE *f;
	int err;

	if (!sym_elf__libelf_ok()) {
		doctor_line(d, DOCTOR_LVL_WARN, "process", NULL,
			    "libelf cannot start: no file "
			    "checks");
		return;
	}
	proc_ident(pid, comm, sizeof(comm), &uid);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	err = f ? maps_readable(f) : -errno;
	if (err) {
		doctor_line(d, d->kmod_err ? DOCTOR_LVL_FAIL : DOCTOR_LVL_WARN, "process",
			    "run hrprof as the process's user, or as root (CAP_SYS_PTRACE)",
			    "pid %d (%s, uid %ld): cannot read %s: %s: hrprof needs ptrace access "
			    "to it",
			    pid, comm, uid, path, doctor_errno(err, e, sizeof(e)));
		if (f)
			fclose(f);
		return;
	}
	err = doctor_perf_probe(pid, -1, &user_only);
	doctor_line(d,
		    err && d->kmod_err ? DOCTOR_LVL_FAIL
		    : err || user_only ? DOCTOR_LVL_WARN
				       : DOCTOR_LVL_OK,
		    "process",
		    err ? "see the perf_event_open and perf_event_paranoid lines; another user's "
			  "process needs root or CAP_PERFMON and CAP_SYS_PTRACE"
			: NULL,
		    "pid %d (%s, uid %ld): its mappings are readable; a perf event on it %s%s%s",
		    pid, comm, uid,
		    err		? "is refused: "
		    : user_only ? "opens, user frames only"
				: "opens",
		    err ? doctor_errno(err, e, sizeof(e)) : "",
		    err && !d->kmod_err ? " (the module samples instead)" : "");

	maps_walk(d, pid, f, &w);
	fclose(f);
	if (w.libc)
		doctor_line(d, DOCTOR_LVL_OK, "process libc", NULL, "%s (%s)", w.libc, w.libc_path);
	else
		doctor_line(d, DOCTOR_LVL_OK, "process libc", NULL,
			    "no C library mapped (static, or not yet loaded)");
	if (w.anon)
		check_jit(d, pid, w.anon);
	if (!w.files)
		doctor_line(d, DOCTOR_LVL_WARN, "mappings", NULL,
			    "no executable file mapping (a kernel thread?): nothing to profile "
			    "in user space");
}
