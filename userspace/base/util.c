// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers the daemon's modules share (util.h), one of each.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

uint64_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = hash_mix(h, w);
	}
	if (len) {
		w = 0;
		memcpy(&w, s, len);
		h = hash_mix(h, w);
	}
	return hash_fin(h);
}

uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

int array__reserve(void *arrp, size_t *cap, size_t need, size_t size)
{
	void *arr, *n;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	memcpy(&arr, arrp, sizeof(arr));
	n = reallocarray(arr, ncap, size);
	if (!n)
		return -ENOMEM;
	memcpy(arrp, &n, sizeof(n));
	*cap = ncap;
	return 0;
}

void json_str__write(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		unsigned char c = *p;
		uint32_t cp, min;
		size_t n, k;

		if (c < 0x80) {
			if (c == '"' || c == '\\')
				fprintf(out, "\\%c", c);
			else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		/* A NUL is no continuation byte: the loop stops at the end. */
		for (k = 1; k <= n && (p[k] & 0xc0) == 0x80; k++)
			cp = cp << 6 | (p[k] & 0x3f);
		if (k <= n || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029)
			fprintf(out, "\\u%04" PRIx32, cp);
		else
			fwrite(p, 1, n + 1, out);
		p += n + 1;
	}
	fputc('"', out);
}

long sysctl_read(const char *path, long dflt)
{
	long v = dflt;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

unsigned long long proc_status_field(int pid, const char *name, int base, unsigned long long dflt)
{
	char line[256], path[32] = "/proc/self/status";
	size_t n = strlen(name);
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return dflt;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n)) {
			dflt = strtoull(line + n, NULL, base);
			break;
		}
	}
	fclose(f);
	return dflt;
}

uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parses a decimal in [lo, hi]. Returns -EINVAL on anything else. */
int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int become_user(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return errno ? -errno : -ENOENT;
	if (initgroups(pw->pw_name, pw->pw_gid) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
		return -errno;
	return 0;
}
