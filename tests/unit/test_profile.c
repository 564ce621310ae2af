// SPDX-License-Identifier: GPL-2.0
/*
 * The profile builder (profile__build), from a snapshot made by hand to the
 * pprof it writes, read back with pprof_file__load: a process before and
 * after its exec (old names and mappings, then this very program, its frames
 * named from its own symbols and DWARF, exact lines), a mapping of a file that
 * does not exist (file + offset), anonymous and [vdso] mappings, a frame in no
 * mapping, a kernel frame, a truncated stack, a process in a container, an
 * untracked process and an exiting task. Checked: sample types, period, time,
 * comments, each sample's values, labels and location chain (leaf first,
 * the root frame last), mappings (build id against the program's own note),
 * locations shared between processes, [lost]; then cycles' values
 * (count_periods), --disable_symbolization, the timeline, and an address
 * that is one stack's leaf and another's caller.
 *
 * Made-up pids are above the kernel's largest pid_max (4194304), so that no
 * /proc/<pid>/ exists for them: files are opened by their host path.
 *
 * Exit: 0 pass, 1 a check failed, 77 /proc/self/maps unreadable.
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pprof_check.h"
#include "proc_check.h"
#include "hrprof.h"
#include "proc/proc.h"
#include "profile/profile.h"
#include "report/report.h"
#include "sym/sym.h"

#define PID_A	 5000001u /* works as "oldexe", then execs this program */
#define PID_B	 5000002u /* this program too, in a container */
#define PID_U	 5000003u /* untracked */
#define OLD_EXE	 "/nonexistent/hrprof-test/oldexe"
#define KIP	 0xffffffff81000010ull
#define START_NS 1700000000000000000ull
#define MS	 1000000ll

static char tmpdir[] = "/tmp/test_profile.XXXXXX";

/* ---- this program's own frames ---- */

static volatile int call_line; /* the line of the call in profile_caller */

/* A function's entry is the first row of its line table: the line of its
 * opening brace (the prologue's), with gcc and clang, -O2 and ASan alike. */
static const int callee_entry_line = __LINE__ + 2;
__attribute__((noinline)) static uint64_t profile_callee(void)
{
	asm volatile("" ::: "memory");
	return (uintptr_t)__builtin_return_address(0);
}

/* Its return address in here: the builder looks up the address before it
 * (a caller's frame), the call's line. The asm keeps the call from being a
 * tail call. */
__attribute__((noinline)) static uint64_t profile_caller(void)
{
	uint64_t ret;

	call_line = __LINE__, ret = profile_callee();
	asm volatile("" : "+r"(ret));
	return ret;
}

/* The GNU build id of the first object (the program), from its PT_NOTE in
 * memory: an oracle independent of the symbolizer's libelf reading. */
static int program_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	char *out = arg;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;

		while (ph->p_type == PT_NOTE && p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const unsigned char *desc =
			    (const unsigned char *)(nh + 1) + ((nh->n_namesz + 3) & ~3u);

			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(nh + 1, "GNU", 4)) {
				for (unsigned int k = 0; k < nh->n_descsz && k < 64; k++)
					sprintf(out + 2 * k, "%02x", desc[k]);
				return 1;
			}
			p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1; /* the program comes first: stop there */
}

/* ---- the fixture: three processes' views, this program's addresses ---- */

struct fixture {
	struct mapping *self; /* this program's code, from /proc/self/maps */
	char build_id[2 * 64 + 1];
	const char *exe; /* its basename */
	uint64_t callee_ip, ret_ip;
	char kname[256]; /* what kallsyms names KIP ("[kernel]+0x..." when nothing) */
	bool kfunctions; /* kallsyms has addresses */
	struct proc_view *before, *after, *other;
};

/* A view holding maps (sorted by start; a reference taken on each). */
static struct proc_view *view__new(uint32_t pid, const char *comm, const char *exe,
				   const char *container, struct mapping **maps, size_t n)
{
	struct proc_view *v = calloc(1, sizeof(*v) + n * sizeof(v->maps[0]));

	if (!v)
		return NULL;
	v->refs = 1;
	v->pid = v->nspid = pid;
	snprintf(v->comm, sizeof(v->comm), "%s", comm);
	snprintf(v->exe, sizeof(v->exe), "%s", exe);
	snprintf(v->container_id, sizeof(v->container_id), "%s", container);
	v->nmaps = n;
	for (size_t i = 0; i < n; i++)
		v->maps[i] = mapping__get(maps[i]);
	return v;
}

static int fixture__init(struct fixture *fx)
{
	struct mapping *old[3];
	struct sym_info info;
	struct ksyms *ks;

	memset(fx, 0, sizeof(*fx));
	fx->callee_ip = (uintptr_t)profile_callee;
	fx->ret_ip = profile_caller();
	fx->self = self_mapping(fx->callee_ip);
	if (!fx->self)
		return -ENOENT;
	fx->exe = strrchr(fx->self->path, '/') + 1;
	dl_iterate_phdr(program_build_id, fx->build_id);
	ks = ksyms__load("/proc/kallsyms");
	if (ksyms__lookup(ks, KIP, &info))
		snprintf(fx->kname, sizeof(fx->kname), "%s", info.name);
	else
		snprintf(fx->kname, sizeof(fx->kname), "[kernel]+0x%llx", KIP);
	fx->kfunctions = ks && !ksyms__empty(ks);
	ksyms__free(ks);

	old[0] = mapping__new(0x10000, 0x20000, 0x1000, 0, 0, OLD_EXE);
	old[1] = mapping__new(0x30000, 0x40000, 0, 0, 0, "//anon");
	old[2] = mapping__new(0x40000, 0x41000, 0, 0, 0, "[vdso]");
	if (old[0] && old[1] && old[2])
		fx->before = view__new(PID_A, "oldcomm", "oldexe", "", old, 3);
	fx->after = view__new(PID_A, "newcomm", fx->exe, "", &fx->self, 1);
	fx->other = view__new(PID_B, "bproc", "", "c0ffee", &fx->self, 1);
	for (int i = 0; i < 3; i++)
		mapping__put(old[i]);
	return fx->before && fx->after && fx->other ? 0 : -ENOMEM;
}

static void fixture__free(struct fixture *fx)
{
	proc_view__put(fx->before);
	proc_view__put(fx->after);
	proc_view__put(fx->other);
	mapping__put(fx->self);
}

/*
 * The period: process A's stack before its exec (2 samples), after it (3),
 * both with a kernel frame, B's with the same user frames, truncated (1), an
 * untracked process (1), an exiting task with a kernel frame only (1), and
 * 7 samples lost.
 */
static struct snapshot *snapshot_main(const struct fixture *fx)
{
	struct stack_table *t = stack_table__new();
	struct stack_owner a = {.view = fx->before, .pid = PID_A, .tid = PID_A};
	struct stack_owner b = {.view = fx->other, .pid = PID_B, .tid = PID_B + 1};
	struct stack_owner u = {.view = NULL, .pid = PID_U, .tid = PID_U + 1};
	struct stack_owner x = {.view = NULL, .pid = UINT32_MAX, .tid = UINT32_MAX};
	uint64_t u0[] = {0x10010, 0x10100, 0x30010, 0x40010, 0x5000};
	uint64_t u1[] = {fx->callee_ip, fx->ret_ip}, u3[] = {0x7000}, k[] = {KIP};
	struct snapshot *s;
	int err = 0;

	if (!t)
		return NULL;
	strcpy(a.thread_name, "worker");
	strcpy(b.thread_name, "bthread");
	err |= stack_table__add(t, &a, 0, k, 1, u0, 5, 1 * MS, 0);
	err |= stack_table__add(t, &a, 0, k, 1, u0, 5, 2 * MS, 0);
	a.view = fx->after;
	for (int i = 0; i < 3; i++)
		err |= stack_table__add(t, &a, 0, k, 1, u1, 2, MS / 2, 0);
	err |= stack_table__add(t, &b, HRPROF_F_USER_TRUNCATED, NULL, 0, u1, 2, 7 * MS / 10, 0);
	err |= stack_table__add(t, &u, 0, NULL, 0, u3, 1, MS / 10, 0);
	err |= stack_table__add(t, &x, 0, k, 1, NULL, 0, MS / 5, 0);
	CHECKF(!err && stack_table__len(t) == 5, "stack_table__add: %d, %zu stacks", err,
	       stack_table__len(t));
	s = snapshot__new(t);
	if (!s) {
		stack_table__free(t);
		return NULL;
	}
	s->start_ns = START_NS;
	s->end_ns = START_NS + 10000 * MS;
	s->mono_to_real = (int64_t)START_NS;
	s->lost = 7;
	s->seq = 3;
	s->kernel_frames = true;
	s->backend = "perf";
	snprintf(s->source, sizeof(s->source), "cpu-clock (unit test)");
	return s;
}

/* ---- reading the pprof back ---- */

/* Builds s's profile, writes it to a file, loads it back into f. */
static int build_load(const struct snapshot *s, struct symbolizer *sy,
		      const struct profile_config *cfg, const char *name, struct pprof_file *f,
		      uint64_t *samples)
{
	struct pprof *pp = profile__build(s, sy, cfg, samples);
	char path[256], why[256] = "";
	int err = pp ? 0 : -ENOMEM;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s.pb.gz", tmpdir, name);
	err = err ? err : pprof__write_file(pp, path);
	err = err ? err : pprof_file__load(f, path, why, sizeof(why));
	CHECKF(!err, "%s: build, write and load: %s %s", name, strerror(-err), why);
	pprof__free(pp);
	unlink(path);
	return err;
}

/* Sample i is worth (v0, v1), labelled labels, its locations frames (leaf
 * first, NULL-terminated). */
static void check_sample(const struct pprof_file *f, const char *what, size_t i, int64_t v0,
			 int64_t v1, const char *labels, const char *const *frames)
{
	const Perftools__Profiles__Sample *s = i < f->pr->n_sample ? f->pr->sample[i] : NULL;
	char got[1024];
	size_t n = 0;

	CHECKF(s, "%s: sample %zu of %zu", what, i, f->pr->n_sample);
	if (!s)
		return;
	CHECKF(s->n_value == 2 && s->value[0] == v0 && s->value[1] == v1,
	       "%s: sample %zu values %" PRId64 " %" PRId64 ", want %" PRId64 " %" PRId64, what, i,
	       s->n_value ? s->value[0] : -1, s->n_value > 1 ? s->value[1] : -1, v0, v1);
	labels_describe(f, i, got, sizeof(got));
	CHECKF(!strcmp(got, labels), "%s: sample %zu labels\n  got  %s\n  want %s", what, i, got,
	       labels);
	while (frames[n])
		n++;
	CHECKF(s->n_location_id == n, "%s: sample %zu has %zu locations, want %zu", what, i,
	       s->n_location_id, n);
	for (size_t k = 0; k < n && k < s->n_location_id; k++) {
		loc_describe(f, s->location_id[k], got, sizeof(got));
		CHECKF(!strcmp(got, frames[k]), "%s: sample %zu frame %zu\n  got  %s\n  want %s",
		       what, i, k, got, frames[k]);
	}
}

/* The mapping of file (exactly one), as "start-limit@offset build_id
 * has_functions". */
static void check_mapping(const struct pprof_file *f, const char *what, const char *file,
			  const char *want)
{
	char got[512] = "none";
	int found = 0;

	for (size_t i = 0; i < f->pr->n_mapping; i++) {
		const Perftools__Profiles__Mapping *m = f->pr->mapping[i];

		if (strcmp(str(f, m->filename), file))
			continue;
		found++;
		snprintf(got, sizeof(got), "0x%" PRIx64 "-0x%" PRIx64 "@0x%" PRIx64 " %s %d",
			 m->memory_start, m->memory_limit, m->file_offset, str(f, m->build_id),
			 m->has_functions);
	}
	CHECKF(found == 1 && !strcmp(got, want), "%s: mapping %s (%d)\n  got  %s\n  want %s", what,
	       file, found, got, want);
}

/* The function named name (exactly one), or NULL. */
static const Perftools__Profiles__Function *function_named(const struct pprof_file *f,
							   const char *name)
{
	const Perftools__Profiles__Function *found = NULL;
	int n = 0;

	for (size_t i = 0; i < f->pr->n_function; i++) {
		if (!strcmp(str(f, f->pr->function[i]->name), name)) {
			found = f->pr->function[i];
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

/* The location chains of snapshot_main's stacks, named or as addresses. */
struct chains {
	char c[5][7][768];
	const char *p[5][8];
};

static void chains__init(struct chains *ch, const struct fixture *fx, bool named)
{
	const char *self = fx->self->path;
	char kernel[512];

	snprintf(kernel, sizeof(kernel), "%s:0 [[kernel.kallsyms]] 0x%llx", fx->kname, KIP);
	memset(ch, 0, sizeof(*ch));
	/* Before the exec: unnamed file + offset of the address looked up
	 * (a caller's frame: the one before its return address). */
	snprintf(ch->c[0][0], 768, "%s", kernel);
	snprintf(ch->c[0][1], 768, named ? "oldexe+0x1010:0 [%s] 0x10010" : "- [%s] 0x10010",
		 OLD_EXE);
	snprintf(ch->c[0][2], 768, named ? "oldexe+0x10ff:0 [%s] 0x10100" : "- [%s] 0x10100",
		 OLD_EXE);
	snprintf(ch->c[0][3], 768, "Anonymous:0 [//anon] 0x30010");
	snprintf(ch->c[0][4], 768, "[vdso]:0 [[vdso]] 0x40010");
	snprintf(ch->c[0][5], 768, "[unknown mapping]:0 [-] 0x5000");
	snprintf(ch->c[0][6], 768, "oldexe:0 [-] 0x0");
	/* After it: this program, named with its lines. */
	snprintf(ch->c[1][0], 768, "%s", kernel);
	if (named) {
		snprintf(ch->c[1][1], 768, "profile_callee:%d [%s] 0x%" PRIx64, callee_entry_line,
			 self, fx->callee_ip);
		snprintf(ch->c[1][2], 768, "profile_caller:%d [%s] 0x%" PRIx64, call_line, self,
			 fx->ret_ip);
	} else {
		snprintf(ch->c[1][1], 768, "- [%s] 0x%" PRIx64, self, fx->callee_ip);
		snprintf(ch->c[1][2], 768, "- [%s] 0x%" PRIx64, self, fx->ret_ip);
	}
	snprintf(ch->c[1][3], 768, "%s:0 [-] 0x0", fx->exe);
	/* B: the same frames, truncated, its root frame its comm. */
	memcpy(ch->c[2][0], ch->c[1][1], 768);
	memcpy(ch->c[2][1], ch->c[1][2], 768);
	snprintf(ch->c[2][2], 768, "[truncated]:0 [-] 0x0");
	snprintf(ch->c[2][3], 768, "bproc:0 [-] 0x0");
	snprintf(ch->c[3][0], 768, "[unknown mapping]:0 [-] 0x7000");
	snprintf(ch->c[3][1], 768, "[untracked process]:0 [-] 0x0");
	snprintf(ch->c[4][0], 768, "%s", kernel);
	snprintf(ch->c[4][1], 768, "[exiting task]:0 [-] 0x0");
	for (int s = 0; s < 5; s++)
		for (int k = 0; k < 7 && ch->c[s][k][0]; k++)
			ch->p[s][k] = ch->c[s][k];
}

static const char *const lost_chain[] = {"[lost]:0 [-] 0x0", NULL};

#define LABELS_A "process_id=5000001,thread id=5000001,thread_name=worker,process_name="
#define LABELS_B                                                                                   \
	"process_id=5000002,thread id=5000003,thread_name=bthread,process_name=bproc,"             \
	"container_id=c0ffee"
#define LABELS_U "process_id=5000003,thread id=5000004"

/* What snapshot_main's stacks weigh and are labelled. */
static const struct {
	int64_t weight, count;
	const char *labels;
} want_stacks[5] = {
    {3 * MS, 2, LABELS_A "oldcomm"},
    {3 * MS / 2, 3, LABELS_A "newcomm"},
    {7 * MS / 10, 1, LABELS_B},
    {MS / 10, 1, LABELS_U},
    {MS / 5, 1, ""},
};

/* ---- the cases ---- */

/* cpu-clock: weights in ns, every stack, mapping, name and line. */
static void test_cpu_clock(const struct fixture *fx, const struct snapshot *s,
			   struct symbolizer *sy)
{
	struct profile_config cfg = {.frequency = 100};
	const Perftools__Profiles__Function *fn;
	struct pprof_file f;
	struct chains ch;
	uint64_t samples = 0;
	char want[512];
	const profile_t *pr;

	if (build_load(s, sy, &cfg, "cpu", &f, &samples))
		goto out;
	pr = f.pr;
	CHECKF(samples == 8, "samples %" PRIu64 ", want 8 (lost ones not counted)", samples);
	CHECK(pr->n_sample_type == 2 && !strcmp(str(&f, pr->sample_type[0]->type), "cpu-time") &&
	      !strcmp(str(&f, pr->sample_type[0]->unit), "nanoseconds") &&
	      !strcmp(str(&f, pr->sample_type[1]->type), "cpu-samples") &&
	      !strcmp(str(&f, pr->sample_type[1]->unit), "count"));
	CHECK(pr->period_type && !strcmp(str(&f, pr->period_type->type), "cpu-time") &&
	      !strcmp(str(&f, pr->period_type->unit), "nanoseconds"));
	CHECKF(pr->period == 10 * MS, "period %" PRId64, pr->period);
	CHECK(pr->time_nanos == (int64_t)START_NS && pr->duration_nanos == 10000 * MS);
	snprintf(want, sizeof(want), "hrprof %s, backend perf, cpu-clock (unit test) at 100 Hz",
		 HRPROF_VERSION);
	CHECKF(pr->n_comment == 2 && !strcmp(str(&f, pr->comment[0]), want) &&
		   !strcmp(str(&f, pr->comment[1]), "lost samples: 7"),
	       "%zu comments, first %s", pr->n_comment,
	       pr->n_comment ? str(&f, pr->comment[0]) : "");

	chains__init(&ch, fx, true);
	CHECKF(pr->n_sample == 6, "%zu samples, want 5 stacks and [lost]", pr->n_sample);
	for (size_t i = 0; i < 5; i++)
		check_sample(&f, "cpu", i, want_stacks[i].weight, want_stacks[i].count,
			     want_stacks[i].labels, ch.p[i]);
	check_sample(&f, "cpu", 5, 7 * 10 * MS, 7, "", lost_chain);
	/* One location per (mapping, address): A's and B's frames are the same. */
	CHECK(pr->n_sample == 6 && pr->sample[0]->n_location_id == 7 &&
	      pr->sample[1]->n_location_id == 4 && pr->sample[2]->n_location_id == 4 &&
	      pr->sample[4]->n_location_id == 2 &&
	      pr->sample[1]->location_id[1] == pr->sample[2]->location_id[0] &&
	      pr->sample[1]->location_id[2] == pr->sample[2]->location_id[1] &&
	      pr->sample[0]->location_id[0] == pr->sample[1]->location_id[0] &&
	      pr->sample[1]->location_id[0] == pr->sample[4]->location_id[0]);
	CHECKF(pr->n_location == 16 && pr->n_function == 15, "%zu locations, %zu functions",
	       pr->n_location, pr->n_function);

	/* The first mapping titles the profile: the first process's executable. */
	CHECK(pr->n_mapping == 5 && !strcmp(str(&f, pr->mapping[0]->filename), OLD_EXE));
	check_mapping(&f, "cpu", OLD_EXE, "0x10000-0x20000@0x1000  0");
	check_mapping(&f, "cpu", "//anon", "0x30000-0x40000@0x0  0");
	check_mapping(&f, "cpu", "[vdso]", "0x40000-0x41000@0x0  0");
	snprintf(want, sizeof(want), "0xffff800000000000-0xffffffffffffffff@0x0  %d",
		 fx->kfunctions);
	check_mapping(&f, "cpu", "[kernel.kallsyms]", want);
	CHECKF(strlen(fx->build_id) >= 16, "this program's build id: \"%s\"", fx->build_id);
	snprintf(want, sizeof(want), "0x%" PRIx64 "-0x%" PRIx64 "@0x%" PRIx64 " %s 1",
		 fx->self->start, fx->self->end, fx->self->pgoff, fx->build_id);
	check_mapping(&f, "cpu", fx->self->path, want);

	/* Functions named from the symbols carry their source file. */
	fn = function_named(&f, "profile_caller");
	CHECKF(fn && strstr(str(&f, fn->filename), "test_profile.c") &&
		   !strcmp(str(&f, fn->system_name), "profile_caller"),
	       "profile_caller: file %s", fn ? str(&f, fn->filename) : "(no such function)");
	fn = function_named(&f, "oldexe+0x1010");
	CHECK(fn && !strcmp(str(&f, fn->filename), OLD_EXE));
out:
	pprof_file__free(&f);
}

/* cycles (count_periods): a sample is worth its count of periods. */
static void test_count_periods(const struct fixture *fx, const struct snapshot *s,
			       struct symbolizer *sy)
{
	struct profile_config cfg = {.frequency = 1000, .count_periods = true};
	struct pprof_file f;
	struct chains ch;
	uint64_t samples = 0;

	if (build_load(s, sy, &cfg, "cycles", &f, &samples))
		goto out;
	CHECKF(f.pr->period == MS, "period %" PRId64, f.pr->period);
	CHECK(samples == 8 && f.pr->n_sample == 6);
	chains__init(&ch, fx, true);
	for (size_t i = 0; i < 5; i++)
		check_sample(&f, "cycles", i, want_stacks[i].count * MS, want_stacks[i].count,
			     want_stacks[i].labels, ch.p[i]);
	check_sample(&f, "cycles", 5, 7 * MS, 7, "", lost_chain);
out:
	pprof_file__free(&f);
}

/* --disable_symbolization: user frames in files as addresses in their
 * mappings (build ids kept, no functions); the rest named as ever. */
static void test_nosym(const struct fixture *fx, const struct snapshot *s, struct symbolizer *sy)
{
	struct profile_config cfg = {.frequency = 100, .disable_symbolization = true};
	struct pprof_file f;
	struct chains ch;
	uint64_t samples = 0;
	char want[512];

	if (build_load(s, sy, &cfg, "nosym", &f, &samples))
		goto out;
	CHECK(samples == 8 && f.pr->n_sample == 6);
	chains__init(&ch, fx, false);
	for (size_t i = 0; i < 5; i++)
		check_sample(&f, "nosym", i, want_stacks[i].weight, want_stacks[i].count,
			     want_stacks[i].labels, ch.p[i]);
	check_sample(&f, "nosym", 5, 7 * 10 * MS, 7, "", lost_chain);
	check_mapping(&f, "nosym", OLD_EXE, "0x10000-0x20000@0x1000  0");
	snprintf(want, sizeof(want), "0x%" PRIx64 "-0x%" PRIx64 "@0x%" PRIx64 " %s 0",
		 fx->self->start, fx->self->end, fx->self->pgoff, fx->build_id);
	check_mapping(&f, "nosym", fx->self->path, want);
	CHECK(!function_named(&f, "profile_callee") && !function_named(&f, "oldexe+0x1010"));
out:
	pprof_file__free(&f);
}

/*
 * The timeline: B's stack at 100, 200 and 2000 ns, the untracked one at 50
 * (before the period's start: clamped to it), 2000 past its end (clamped
 * to it); a fifth sample past the 4 times kept is B's stack's untimed rest.
 * Each timed sample is a pprof sample of its own, in arrival order, after
 * the untimed ones.
 */
static void test_timeline(const struct fixture *fx, struct symbolizer *sy)
{
	struct profile_config cfg = {.frequency = 100, .timeline = true};
	struct stack_table *t = stack_table__new();
	struct stack_owner b = {.view = fx->other, .pid = PID_B, .tid = PID_B + 1};
	struct stack_owner u = {.view = NULL, .pid = PID_U, .tid = PID_U + 1};
	uint64_t u1[] = {fx->callee_ip, fx->ret_ip}, u3[] = {0x7000};
	struct snapshot *s = snapshot__new(t);
	const char *xb[4], *xu[3];
	struct pprof_file f = {0};
	uint64_t samples = 0;
	struct chains ch;
	char want[5][512];
	int err = 0;

	CHECK(t && s);
	if (!t || !s) {
		stack_table__free(t);
		free(s);
		return;
	}
	strcpy(b.thread_name, "bthread");
	stack_table__keep_times(t, 4);
	err |= stack_table__add(t, &b, 0, NULL, 0, u1, 2, 10, 100);
	err |= stack_table__add(t, &b, 0, NULL, 0, u1, 2, 20, 200);
	err |= stack_table__add(t, &u, 0, NULL, 0, u3, 1, 5, 50);
	err |= stack_table__add(t, &b, 0, NULL, 0, u1, 2, 40, 2000);
	err |= stack_table__add(t, &b, 0, NULL, 0, u1, 2, 30, 300);
	CHECK(!err && stack_table__times_dropped(t) == 1);
	s->mono_to_real = (int64_t)START_NS;
	s->start_ns = START_NS + 60;
	s->end_ns = START_NS + 1000;
	s->backend = "kmod";
	snprintf(s->source, sizeof(s->source), "timer");
	if (build_load(s, sy, &cfg, "timeline", &f, &samples))
		goto out;
	CHECKF(samples == 5 && f.pr->n_sample == 5, "samples %" PRIu64 ", %zu in the pprof",
	       samples, f.pr->n_sample);
	snprintf(want[0], sizeof(want[0]), "hrprof %s, backend kmod, timer at 100 Hz",
		 HRPROF_VERSION);
	CHECK(f.pr->n_comment == 2 && !strcmp(str(&f, f.pr->comment[0]), want[0]) &&
	      !strcmp(str(&f, f.pr->comment[1]), "kernel frames excluded: not permitted "
						 "(perf_event_paranoid / CAP_PERFMON)"));
	chains__init(&ch, fx, true);
	xb[0] = ch.p[2][0];
	xb[1] = ch.p[2][1];
	xb[2] = ch.p[2][3]; /* bproc, not truncated */
	xb[3] = NULL;
	xu[0] = ch.p[3][0];
	xu[1] = ch.p[3][1];
	xu[2] = NULL;
	snprintf(want[0], sizeof(want[0]), "%s", LABELS_B);
	snprintf(want[1], sizeof(want[1]), "%s,end_timestamp_ns=%llu", LABELS_B, START_NS + 100);
	snprintf(want[2], sizeof(want[2]), "%s,end_timestamp_ns=%llu", LABELS_B, START_NS + 200);
	snprintf(want[3], sizeof(want[3]), "%s,end_timestamp_ns=%llu", LABELS_U, START_NS + 60);
	snprintf(want[4], sizeof(want[4]), "%s,end_timestamp_ns=%llu", LABELS_B, START_NS + 1000);
	check_sample(&f, "timeline", 0, 30, 1, want[0], xb);
	check_sample(&f, "timeline", 1, 10, 1, want[1], xb);
	check_sample(&f, "timeline", 2, 20, 1, want[2], xb);
	check_sample(&f, "timeline", 3, 5, 1, want[3], xu);
	check_sample(&f, "timeline", 4, 40, 1, want[4], xb);
out:
	pprof_file__free(&f);
	snapshot__free(s);
}

/*
 * An address that is one stack's leaf and another's caller (a sample taken
 * just after a call returned): the caller's frame is named by the call, the
 * address before it, whichever stack the builder meets first.
 */
static void test_leaf_and_caller(const struct fixture *fx, struct symbolizer *sy)
{
	struct profile_config cfg = {.frequency = 100};
	struct stack_owner a = {.view = fx->after, .pid = PID_A, .tid = PID_A};
	uint64_t leaf[] = {fx->ret_ip}, both[] = {fx->callee_ip, fx->ret_ip};
	char call[64], got[768];

	snprintf(call, sizeof(call), "profile_caller:%d ", call_line);
	for (int leaf_first = 0; leaf_first < 2; leaf_first++) {
		struct stack_table *t = stack_table__new();
		struct snapshot *s = snapshot__new(t);
		struct pprof_file f = {0};
		uint64_t samples = 0;
		int callers = 0, leaves = 0;

		CHECK(t && s);
		if (!t || !s) {
			stack_table__free(t);
			free(s);
			return;
		}
		strcpy(a.thread_name, "worker");
		if (leaf_first)
			CHECK(!stack_table__add(t, &a, 0, NULL, 0, leaf, 1, MS, 0));
		CHECK(!stack_table__add(t, &a, 0, NULL, 0, both, 2, MS, 0));
		if (!leaf_first)
			CHECK(!stack_table__add(t, &a, 0, NULL, 0, leaf, 1, MS, 0));
		s->start_ns = START_NS;
		s->end_ns = START_NS + 1000 * MS;
		s->backend = "perf";
		if (!build_load(s, sy, &cfg, "leaf_and_caller", &f, &samples)) {
			for (size_t i = 0; i < f.pr->n_sample; i++) {
				const Perftools__Profiles__Sample *x = f.pr->sample[i];

				if (x->n_location_id == 3) {
					loc_describe(&f, x->location_id[1], got, sizeof(got));
					CHECKF(
					    !strncmp(got, call, strlen(call)),
					    "leaf first %d: the caller frame is '%s', want '%s...'",
					    leaf_first, got, call);
					callers++;
				} else if (x->n_location_id == 2) {
					loc_describe(&f, x->location_id[0], got, sizeof(got));
					CHECKF(!strncmp(got, "profile_caller:", 15),
					       "leaf first %d: the leaf frame is '%s'", leaf_first,
					       got);
					leaves++;
				}
			}
		}
		CHECKF(callers == 1 && leaves == 1,
		       "leaf first %d: %d samples with the caller frame, %d with the leaf",
		       leaf_first, callers, leaves);
		pprof_file__free(&f);
		snapshot__free(s);
	}
}

int main(void)
{
	struct fixture fx;
	struct symbolizer *sy;
	struct snapshot *s;

	if (access("/proc/self/maps", R_OK)) {
		printf("test_profile: /proc/self/maps unreadable, skipped\n");
		return 77;
	}
	unsetenv("DEBUGINFOD_URLS"); /* no network: this program's DWARF is here */
	CHECK(mkdtemp(tmpdir));
	CHECKF(!fixture__init(&fx), "this program's code in /proc/self/maps, or memory");
	sy = symbolizer__new(0);
	s = fx.self ? snapshot_main(&fx) : NULL;
	CHECK(sy && s);
	if (sy && s) {
		test_cpu_clock(&fx, s, sy);
		test_count_periods(&fx, s, sy);
		test_nosym(&fx, s, sy);
		test_timeline(&fx, sy);
		test_leaf_and_caller(&fx, sy);
	}
	snapshot__free(s);
	symbolizer__free(sy);
	fixture__free(&fx);
	rmdir(tmpdir);
	return check_exit("test_profile");
}
