// SPDX-License-Identifier: GPL-2.0
/*
 * Holds one task-bound perf event open until killed. The first such event
 * turns the kernel's perf_sched_events static key on, which patches kernel
 * code live (text_poke with int3); under qemu's multi-threaded emulation
 * that patching now and then crashes a 6.12 guest with a stray int3, with
 * or without hrprof. Holding the key on for the guest's whole life means
 * hrprof's own events never toggle it.
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_DUMMY;
	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0) {
		perror("perf_hold: perf_event_open");
		return 1;
	}
	for (;;)
		pause();
}
