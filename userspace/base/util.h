/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers the daemon's modules share, one of each: hashing, growing an
 * array, writing a JSON string, reading a sysctl or a /proc/self/status
 * field, the clocks.
 */
#ifndef HRPROF_UTIL_H
#define HRPROF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * The one hash. hash_mix folds a 64-bit word into h; hash_fin avalanches
 * the result so that its low bits can pick a slot (and, being a bijection,
 * loses nothing: u32map recovers keys from it). hash_bytes and hash_str
 * fold memory a word at a time and finish.
 */
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static inline uint64_t hash_fin(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

uint64_t hash_bytes(const void *p, size_t len);
uint64_t hash_str(const char *s);

/*
 * Ensures the array at *arrp (any element type: arrp is the address of the
 * pointer) holds at least need elements of size bytes, doubling its
 * capacity *cap from 16. Returns -ENOMEM (out of memory, or a size past
 * SIZE_MAX) or zero; on error the array is as it was.
 */
int array__reserve(void *arrp, size_t *cap, size_t need, size_t size);

/*
 * s as a JSON string literal on out, also safe inside an HTML <script>:
 * '"' and '\\' escaped, control bytes, DEL, '<', '>', '&' and U+2028/9 as
 * \\uXXXX, invalid UTF-8 as U+FFFD (one per byte).
 */
void json_str__write(FILE *out, const char *s);

/* The number in a /proc/sys file (or any file holding one), or dflt. */
long sysctl_read(const char *path, long dflt);
/* A field of /proc/PID/status (pid 0: /proc/self/status; "Seccomp:",
 * "CapEff:", "Uid:") in base, or dflt. */
unsigned long long proc_status_field(int pid, const char *name, int base, unsigned long long dflt);
/* A decimal in [lo, hi], nothing else (no sign, no suffix): 0 or -EINVAL. */
int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned int *out);
/* Becomes user (its uid, gid and groups), as ddprof's --switch_user. Returns -errno. */
int become_user(const char *user);

/* clk's time now, in nanoseconds. */
uint64_t clock_ns(clockid_t clk);

#endif
