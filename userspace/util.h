/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers the daemon's modules share, one of each: hashing, reading a
 * sysctl, the clocks.
 */
#ifndef HRPROF_UTIL_H
#define HRPROF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 64-bit FNV-1a with a final avalanche: the low bits are usable as a slot. */
uint64_t hash_bytes(const void *p, size_t len);
uint64_t hash_str(const char *s);

/* The number in a /proc/sys file (or any file holding one), or dflt. */
long sysctl_read(const char *path, long dflt);

/* clk's time now, in nanoseconds. */
uint64_t clock_ns(clockid_t clk);

#endif
