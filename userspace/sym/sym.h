/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Naming addresses, at export time only (never on the sample path).
 *
 * Three sources: ELF files (symtab, dynsym, separate debug files found by
 * build id or .gnu_debuglink, DWARF for source file names), the kernel
 * (/proc/kallsyms, module symbols included) and JIT perf maps
 * (/tmp/perf-<pid>.map). All names returned are owned by the object they
 * come from and live as long as it does.
 */
#ifndef HRPROF_SYM_H
#define HRPROF_SYM_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct sym_info {
	const char *name;     /* demangled function name */
	const char *raw_name; /* name as stored (mangled for C++) */
	const char *file;     /* source file, or NULL when unknown */
	uint64_t start;	      /* address of the symbol's first byte */
};

/* ---- ELF files ---- */

struct sym_elf;
struct sym_cache;

/* A cache of opened ELF files, keyed by build id (else device and inode, else
 * path), holding at most max_files after each sym_cache__trim. Not thread-safe.
 * Returns NULL only when out of memory. */
struct sym_cache *sym_cache__new(unsigned int max_files);
void sym_cache__free(struct sym_cache *cache);

/*
 * Opens, or finds in the cache, the ELF file at path: a path the daemon can
 * open, such as "/proc/<pid>/root/usr/lib/x86_64-linux-gnu/libc.so.6" for a
 * file in another mount namespace. dev and ino come from the mapping (0 when
 * unknown); once a file with that device and inode was opened they find it
 * again without touching the path (a process that exited). A file that cannot be
 * read or is not ELF returns NULL, and the failure is remembered.
 * The returned object stays valid until sym_cache__trim or sym_cache__free.
 */
struct sym_elf *sym_cache__elf(struct sym_cache *cache, const char *path, uint64_t dev,
			       uint64_t ino);

/* Between profiles: frees the least recently used files beyond max_files
 * (invalidating their sym_elf pointers) and forgets remembered failures. */
void sym_cache__trim(struct sym_cache *cache);

/* Sets the separate debug file directory (default "/usr/lib/debug"), searched
 * under a path's /proc/<pid>/root/ prefix first. Returns 0 or -errno. */
int sym_cache__set_debug_dir(struct sym_cache *cache, const char *dir);

/* The GNU build id in lower-case hex, or "" when the file has none. */
const char *sym_elf__build_id(const struct sym_elf *elf);

/* Translates an offset in the file into the ELF virtual address through the
 * PT_LOAD segment that holds it. Returns false when no segment does. */
bool sym_elf__offset_to_vaddr(const struct sym_elf *elf, uint64_t offset, uint64_t *vaddr);

/* Finds the function that contains vaddr (an ELF virtual address). */
bool sym_elf__lookup(struct sym_elf *elf, uint64_t vaddr, struct sym_info *info);

/* One function at an address: the symbol's own, or one inlined into it. */
struct sym_frame {
	const char *name;     /* demangled */
	const char *raw_name; /* as stored */
	const char *file;     /* source file of line, NULL when unknown */
	uint32_t line;	      /* 0 when unknown */
};

#define SYM_FRAMES_MAX 32 /* inlined calls deeper than this are cut (the outer kept) */

/*
 * The functions at vaddr, innermost first: with inlines, each function
 * inlined there (from DWARF) and, last, the symbol's function; without, that
 * function alone. Each frame's line is where it is at vaddr: the line table's
 * for the innermost, the call site of the one inlined into it for the
 * others. Returns how many (1 <= n <= max, max >= 1), 0 when no symbol
 * holds vaddr. Strings live as long as elf.
 */
size_t sym_elf__frames(struct sym_elf *elf, uint64_t vaddr, bool inlines, struct sym_frame *out,
		       size_t max);

/* True when symbols came from anywhere (symtab, dynsym or a debug file). */
bool sym_elf__has_symbols(const struct sym_elf *elf);

/* ---- ELF files and their debug files (the unwinder's and doctor's too) ---- */

#define BUILD_ID_MAX  64	       /* bytes */
#define SYM_DEBUG_DIR "/usr/lib/debug" /* where debug files are by default */

struct elf_file {
	int fd;
	Elf *elf;
	struct stat st;
};

struct elf_sections {
	Elf_Scn *symtab;
	Elf_Scn *dynsym;
	Elf_Scn *debugdata; /* .gnu_debugdata: MiniDebugInfo */
	bool dwarf;
};

/* A PT_LOAD segment: where its bytes are in the file and in memory. */
struct load_seg {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
};

/* Whether libelf works here (its version is ours). */
bool sym_elf__libelf_ok(void);
/* Opens path, a regular ELF file whose headers fit in it (else -ENOEXEC).
 * Returns 0 or -errno. */
int elf_file__open(struct elf_file *f, const char *path);
void elf_file__close(struct elf_file *f);
/* elf's GNU build id in lower-case hex into out (2 * BUILD_ID_MAX + 1
 * bytes), "" when it has none. */
void build_id_hex(Elf *elf, char *out);
/* The sections of elf that name functions, and whether it has DWARF. */
void elf_sections__scan(Elf *elf, struct elf_sections *s);

/* The debug file of path (opened as main), by build id, then by
 * .gnu_debuglink, under path's /proc/<pid>/root prefix first, then on the host. */
bool debug_find(const char *debug_dir, const char *path, const struct elf_file *main,
		const char *build_id, struct elf_file *out, struct elf_sections *sec);
/* MiniDebugInfo, the xz-compressed ELF file (a symbol table) in
 * scn (.gnu_debugdata), decompressed into *buf (the caller frees it after
 * elf_end) and opened in memory; NULL when it cannot be read. */
Elf *minidebug_open(Elf_Scn *scn, void **buf);

/* ---- debuginfod ---- */

struct sym_fetcher;

enum { SYM_FETCH_NONE, SYM_FETCH_PENDING, SYM_FETCH_DONE, SYM_FETCH_FAILED };

/* A fetcher of debug files from the debuginfod servers in DEBUGINFOD_URLS
 * (its thread started); NULL when that is unset or empty, or on failure. */
struct sym_fetcher *sym_fetcher__new(void);
/* Stops the thread (a transfer in progress is aborted within a second). */
void sym_fetcher__free(struct sym_fetcher *f);
/* The debug file of build_id (hex): asked for the first time, then waited
 * for until deadline_ns (CLOCK_MONOTONIC) at most. SYM_FETCH_DONE with its
 * path in *path (malloc'd), or SYM_FETCH_PENDING, or SYM_FETCH_FAILED. */
int sym_fetcher__get(struct sym_fetcher *f, const char *build_id, uint64_t deadline_ns,
		     char **path);
/* Where build_id stands, without asking or waiting (SYM_FETCH_NONE: never asked). */
int sym_fetcher__state(struct sym_fetcher *f, const char *build_id);

/* Files without debug information here have it asked of f (not owned),
 * waiting at most until the deadline; one whose answer came late is opened
 * again, with it, after the next trim. */
void sym_cache__set_fetcher(struct sym_cache *cache, struct sym_fetcher *f);
void sym_cache__set_deadline(struct sym_cache *cache, uint64_t deadline_ns);

/* ---- the kernel ---- */

struct ksyms;

/* Reads /proc/kallsyms (path for tests). Returns NULL when out of memory; an
 * unreadable or address-less (kptr_restrict) file gives an empty table. */
struct ksyms *ksyms__load(const char *path);
void ksyms__free(struct ksyms *ksyms);
/* info->file is the module name in brackets ("[ext4]") or NULL for vmlinux. */
bool ksyms__lookup(const struct ksyms *ksyms, uint64_t addr, struct sym_info *info);
bool ksyms__empty(const struct ksyms *ksyms);

/* ---- JIT perf maps ---- */

struct perfmap;

/* Reads a perf map ("START SIZE name" per line, hex). Returns NULL when the
 * file does not exist or cannot be read; malformed lines are skipped. */
struct perfmap *perfmap__load(const char *path);
void perfmap__free(struct perfmap *map);
bool perfmap__lookup(const struct perfmap *map, uint64_t addr, struct sym_info *info);

/* ---- names ---- */

/* Returns a malloc'd demangled name, or NULL when name is not a C++/Rust
 * mangled name or on error. */
char *sym_demangle(const char *name);

#endif
