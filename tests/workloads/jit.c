/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny "JIT": copies a hand-assembled x86-64 countdown loop into an
 * anonymous page (written, then made read+execute), announces it in
 * /tmp/perf-<pid>.map as jit_hot_loop, and calls it from jit_driver until the
 * duration is over. The map file is removed at exit unless JIT_KEEP_MAP=1.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "common.h"

/* uint64_t jit_hot_loop(uint64_t n): counts n down to zero (n > 0). */
static const unsigned char code[] = {
    0x55,	      /* push %rbp */
    0x48, 0x89, 0xe5, /* mov %rsp,%rbp */
    0x48, 0x89, 0xf8, /* mov %rdi,%rax */
    0x48, 0xff, 0xc8, /* 1: dec %rax */
    0x75, 0xfb,	      /* jnz 1b */
    0x5d,	      /* pop %rbp */
    0xc3,	      /* ret */
};

typedef uint64_t (*jit_fn)(uint64_t);

static char map_path[64];

static void remove_map(void)
{
	const char *keep = getenv("JIT_KEEP_MAP");

	if (!keep || strcmp(keep, "1") != 0)
		unlink(map_path);
}

static void on_signal(int sig)
{
	remove_map();
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((noinline)) uint64_t jit_driver(jit_fn fn, double seconds)
{
	double end = wl_now() + seconds;
	uint64_t x = 0;

	while (wl_now() < end)
		x += fn(1000000);
	return x;
}

int main(int argc, char **argv)
{
	double seconds = wl_init(argc, argv, 3);
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *page;
	FILE *f;

	page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Some padding before the code, so the symbol does not start the mapping. */
	memset(page, 0xcc, len);
	memcpy(page + 64, code, sizeof(code));
	if (mprotect(page, len, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		return 1;
	}
	snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
	f = fopen(map_path, "w");
	if (!f) {
		perror(map_path);
		return 1;
	}
	fprintf(f, "%lx %zx jit_hot_loop\n", (unsigned long)(uintptr_t)(page + 64), sizeof(code));
	fclose(f);
	atexit(remove_map);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	wl_sink = jit_driver((jit_fn)(void *)(page + 64), seconds);
	return 0;
}
