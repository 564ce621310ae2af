/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process table: what the daemon knows of each profiled process (name,
 * executable, executable mappings, JIT map) and of each thread (name).
 *
 * Fed by the sample source's side-band records (mmap, comm, fork, exit) and
 * backfilled from /proc/<pid>/ when a process is first seen. Owned by the
 * event loop's thread. Mappings and JIT maps are immutable once published and
 * reference-counted, so a profile snapshot can hold them while the export
 * thread names frames and the table moves on.
 */
#ifndef HRPROF_PROC_H
#define HRPROF_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mapping {
	int refs; /* atomic */
	uint64_t start, end, pgoff;
	uint64_t dev, ino;
	uint64_t kmod_at; /* CLOCK_MONOTONIC ns it was first given to the kernel
			   * module with a table (the main thread's), 0: never */
	char path[];	  /* as the process sees it: "/usr/lib/...", "[vdso]", "//anon" */
};

/*
 * How a process's JIT map (/tmp/perf-<pid>.map) is read: the process model
 * holds maps without knowing what they are; whoever names frames reads
 * them (sym.h's perf maps). load returns a map or NULL; free takes NULL.
 */
struct jit_reader {
	void *(*load)(const char *path);
	void (*free)(void *map);
};

/* A JIT map, shared the same way as mappings. */
struct jitmap {
	int refs; /* atomic */
	void *map;
	void (*free)(void *map);
};

/*
 * A process as it was at one moment: the names and mappings that the samples
 * taken then are named with, however the process changes (exec, new
 * mappings, a new name) or ends before its profile is built. Immutable and
 * reference-counted: the process holds its current view, each stack of the
 * period holds the view of when it was sampled, and the export thread drops
 * them with the profile.
 */
struct proc_view {
	int refs; /* atomic */
	uint32_t pid, nspid;
	char comm[16];
	char exe[64];
	char container_id[65];
	struct jitmap *jit;
	size_t nmaps;
	struct mapping *maps[]; /* sorted by start, each holding a reference */
};

/* mapping.c */
/* A new mapping, one reference held; NULL when out of memory. */
struct mapping *mapping__new(uint64_t start, uint64_t end, uint64_t pgoff, uint64_t dev,
			     uint64_t ino, const char *path);
struct mapping *mapping__get(struct mapping *m);
void mapping__put(struct mapping *m);
/* m's file as process pid sees it, "/proc/<pid>/root<path>" with a
 * " (deleted)" cut, in buf; returns the prefix's length (buf + it is the
 * host's file of that name, for once the process is gone). */
size_t mapping__proc_path(const struct mapping *m, uint32_t pid, char *buf, size_t n);
/* True for a mapping backed by a file that can be opened (not [vdso], anon...). */
bool mapping__is_file(const struct mapping *m);
struct jitmap *jitmap__get(struct jitmap *j);
void jitmap__put(struct jitmap *j);
struct proc_view *proc_view__get(struct proc_view *v);
void proc_view__put(struct proc_view *v);
/* The mapping of v holding addr, or NULL. */
struct mapping *proc_view__find_mapping(const struct proc_view *v, uint64_t addr);

struct proc {
	uint32_t pid;
	uint32_t nspid;		 /* pid in its own namespace, for /tmp/perf-<nspid>.map */
	char comm[16];		 /* the main thread's name */
	char exe[64];		 /* the executable's basename: the root frame */
	char container_id[65];	 /* "" when not in a container */
	bool exec_pending;	 /* exec seen; the next executable mapping names exe */
	bool exited;		 /* gone: freed at the next collection */
	bool backfilled;	 /* /proc/<pid>/maps read once */
	uint64_t jit_checked_ns; /* last look for a perf map */
	struct mapping **maps;	 /* sorted by start, not overlapping */
	size_t nmaps, maps_cap;
	struct jitmap *jit;
	struct proc_view *view; /* the last one made, or NULL */
	bool view_old;		/* p changed since view was made */
	uint32_t gen;		/* counts changes (mappings, names) */
	uint32_t kmod_gen;	/* gen when the kernel module was last given p's mappings */
	bool kmod_synced;	/* ... if ever */
};

struct thread {
	uint32_t tid;
	uint32_t pid;
	char comm[16];
	bool exited;
};

struct proc_table;

struct proc_stats {
	uint64_t procs;	       /* tracked now */
	uint64_t dropped_pids; /* processes not tracked because of maximum_pids */
	uint64_t backfills;
	uint64_t mmaps;
	uint64_t views;	      /* process views made */
	uint64_t views_stale; /* not made: over the memory bound, the last one served */
};

/* max_procs bounds live processes (global mode's --maximum_pids). */
struct proc_table *proc_table__new(unsigned int max_procs);
void proc_table__free(struct proc_table *t);

/*
 * Returns the process, creating it (and reading /proc/<pid>/ when backfill) if
 * unknown. NULL when the table is full (counted in dropped_pids) or out of
 * memory.
 */
struct proc *proc_table__get(struct proc_table *t, uint32_t pid, bool backfill);
struct proc *proc_table__find(struct proc_table *t, uint32_t pid);

/*
 * Reads the name of every process now in /proc, for those of them that
 * end before their first sample is read (--global starts with no fork
 * record of them): their backfill finds no /proc then, and takes the name
 * from here.
 */
void proc_table__names_at_start(struct proc_table *t);
/* Returns the thread, creating it with its name from /proc if unknown. */
struct thread *proc_table__thread(struct proc_table *t, uint32_t pid, uint32_t tid);

/* Side-band events, in the order the kernel reports them. */
void proc_table__mmap(struct proc_table *t, uint32_t pid, uint64_t start, uint64_t len,
		      uint64_t pgoff, uint64_t dev, uint64_t ino, const char *path);
void proc_table__comm(struct proc_table *t, uint32_t pid, uint32_t tid, const char *comm,
		      bool exec);
void proc_table__fork(struct proc_table *t, uint32_t pid, uint32_t ppid, uint32_t tid);
void proc_table__exit(struct proc_table *t, uint32_t pid, uint32_t tid);

/* Frees processes and threads that exited; call after a snapshot took what it needs. */
void proc_table__collect(struct proc_table *t);

/* In maps sorted by start, not overlapping: the index of the first whose end
 * is above addr; and the one holding addr, or NULL. */
size_t mappings_lower(struct mapping *const *maps, size_t n, uint64_t addr);
struct mapping *mappings_find(struct mapping *const *maps, size_t n, uint64_t addr);

/* The mapping of p holding addr, or NULL. */
struct mapping *proc__find_mapping(const struct proc *p, uint64_t addr);

/*
 * The view of p as it is now, for a sample taken now: made anew only when p
 * changed since the last call. Borrowed: take a reference to keep it. NULL
 * when out of memory with no earlier view; over PROC_VIEW_BYTES (or out of
 * memory), the last view made.
 */
struct proc_view *proc_table__view(struct proc_table *t, struct proc *p);

/* Views alive at once, in bytes, are bounded: past this a changed process
 * keeps being served its last view (counted in views_stale). */
#define PROC_VIEW_BYTES (256u << 20)

/* Loads /proc/<pid>/root/tmp/perf-<nspid>.map with r, if it changed since
 * the last look; rate-limited to once a second per process. */
void proc__refresh_jit(struct proc *p, uint64_t now_ns, const struct jit_reader *r);

/* Parses one line of /proc/<pid>/maps. Returns false for a line to skip
 * (not executable, malformed). path points into line. */
bool maps_parse_line(char *line, uint64_t *start, uint64_t *end, uint64_t *pgoff, uint64_t *dev,
		     uint64_t *ino, char **path);

/* The id of the container pid runs in (64 hex digits from /proc/<pid>/cgroup),
 * or "" (pid <= 0: hrprof's own). */
void container_id_of(int pid, char out[65]);
/* The same from a cgroup file: docker ("/docker/<id>", "docker-<id>.scope"),
 * containerd ("cri-containerd-<id>.scope"), cri-o, podman, kubepods paths. */
void container_id_from_cgroup(const char *path, char out[65]);

void proc_table__stats(const struct proc_table *t, struct proc_stats *st);

/* Calls fn for every live process. */
void proc_table__for_each(struct proc_table *t, void (*fn)(struct proc *p, void *arg), void *arg);

#endif
