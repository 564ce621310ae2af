// SPDX-License-Identifier: GPL-2.0
/*
 * Holds perf events open until killed, so that the kernel never patches its
 * own code live (text_poke with int3) while the tests run: under qemu's
 * multi-threaded emulation that patching now and then crashes a 6.12 guest
 * with a stray int3, or hangs a 6.1 one in a soft lockup, with or without
 * hrprof.
 *  - a task-bound dummy event: the perf_sched_events static key stays on, so
 *    hrprof's own events never toggle it;
 *  - a disabled event on each tracepoint the module probes (sched_switch,
 *    sched_process_fork, sched_process_exit): their static keys stay on, so
 *    insmod/rmmod only add and remove the module's probe.
 */
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int hold(__u32 type, __u64 config, int pid, int cpu, int disabled)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = config;
	attr.disabled = disabled;
	return (int)syscall(SYS_perf_event_open, &attr, pid, cpu, -1, 0);
}

int main(void)
{
	static const char *const tps[] = {"sched_switch", "sched_process_fork",
					  "sched_process_exit"};
	unsigned long long id;
	char path[128];
	FILE *f;

	if (hold(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY, 0, -1, 0) < 0) {
		perror("perf_hold: perf_event_open");
		return 1;
	}
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/sched/%s/id", tps[i]);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%llu", &id) != 1) {
			fprintf(stderr, "perf_hold: cannot read %s\n", path);
			return 1;
		}
		fclose(f);
		if (hold(PERF_TYPE_TRACEPOINT, id, -1, 0, 1) < 0) {
			perror("perf_hold: perf_event_open (tracepoint)");
			return 1;
		}
	}
	for (;;)
		pause();
}
