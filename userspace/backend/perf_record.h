/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf ring records to hrprof's: samples become struct hrprof_record, the
 * side-band records (mmap2, comm, fork, exit) and loss reports become
 * backend_events calls. Pure functions over a byte buffer: no fd, no ring.
 */
#ifndef HRPROF_PERF_RECORD_H
#define HRPROF_PERF_RECORD_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/*
 * What decoding needs: where records go, what is counted, how deep a
 * callchain may be (more is a bad record), and whether kernel frames were
 * permitted (else samples are marked HRPROF_F_KERNEL_EXCLUDED).
 */
struct perf_decoder {
	struct backend_events ev;
	struct backend_stats *stats;
	unsigned int max_stack;
	bool kernel_frames;
	bool user_stack;	   /* samples carry REGS_USER (BP, SP, IP) and STACK_USER */
	struct hrprof_record *rec; /* scratch for the sample being built */
};

/* Returns -ENOMEM, or zero with d ready for records of callchains up to max_stack. */
int perf_decoder__init(struct perf_decoder *d, const struct backend_events *ev,
		       struct backend_stats *stats, unsigned int max_stack);
void perf_decoder__fini(struct perf_decoder *d);

/*
 * Decodes one record of h->size bytes (the caller checked that many are
 * there). A record too short for its type, or a callchain longer than the
 * record or than max_stack allows, is counted in bad_records and dropped.
 * Samples must carry IP, TID, TIME, CPU, PERIOD and CALLCHAIN, in that order,
 * then with user_stack REGS_USER (BP, SP, IP) and STACK_USER: those go to
 * the sample callback as a struct user_stack (NULL when the sample has no
 * user registers or no copy).
 */
void perf_record__decode(struct perf_decoder *d, const struct perf_event_header *h);

/* A record's CLOCK_MONOTONIC time: third word of a sample, else from the
 * sample_id_all trailer (pid/tid, time, cpu); 0 when too short to hold one. */
uint64_t perf_record__time(const struct perf_event_header *h);

#endif
