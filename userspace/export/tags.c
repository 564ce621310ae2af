// SPDX-License-Identifier: GPL-2.0
/*
 * Datadog tags (tags.h): checked as Datadog checks them, the run's and
 * each upload's, and the upload's event.json.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "tags.h"
#include "base/util.h"

#define TAG_MAX 200

bool tag_valid(const char *tag)
{
	size_t len = strlen(tag);

	if (!len || len > TAG_MAX || !isalpha((unsigned char)tag[0]) || tag[len - 1] == ':')
		return false;
	for (const char *c = tag; *c; c++) {
		if (!isalnum((unsigned char)*c) && !strchr("_:./-", *c))
			return false;
	}
	return true;
}

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (array__reserve(&b->s, &b->cap, b->len + n + 1, 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

/* Adds "key:value" (or a whole tag when key is NULL) if valid. */
static void add_tag(struct strbuf *b, const char *key, const char *value, size_t vlen)
{
	char tag[TAG_MAX + 64];
	int n;

	if (key)
		n = snprintf(tag, sizeof(tag), "%s:%.*s", key, (int)vlen, value);
	else
		n = snprintf(tag, sizeof(tag), "%.*s", (int)vlen, value);
	if (n < 0 || (size_t)n >= sizeof(tag) || !tag_valid(tag)) {
		log_warn("tag '%.*s%s%.*s' is not a valid Datadog tag: not sent", key ? 40 : 0,
			 key ? key : "", key ? ":" : "", (int)(vlen > 80 ? 80 : vlen), value);
		return;
	}
	if (b->len)
		strbuf_add(b, ",", 1);
	strbuf_add(b, tag, (size_t)n);
}

char *tags_for_run(const struct upload_config *o, const char *runtime_id)
{
	struct strbuf b = {0};

	add_tag(&b, "language", "native", 6);
	add_tag(&b, "service", o->service, strlen(o->service));
	if (o->environment)
		add_tag(&b, "env", o->environment, strlen(o->environment));
	if (o->service_version)
		add_tag(&b, "version", o->service_version, strlen(o->service_version));
	add_tag(&b, "profiler_version", HRPROF_VERSION, strlen(HRPROF_VERSION));
	add_tag(&b, "runtime-id", runtime_id, strlen(runtime_id));
	for (const char *t = o->tags; t && *t;) {
		size_t n = strcspn(t, ",");

		size_t len = n;

		while (len && isspace((unsigned char)*t)) {
			t++;
			len--;
			n--;
		}
		while (len && isspace((unsigned char)t[len - 1]))
			len--;
		if (len)
			add_tag(&b, NULL, t, len);
		t += n;
		if (*t == ',')
			t++;
	}
	if (b.oom || !b.s) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

const char *cpu_arch(void)
{
	static const struct {
		const char *machine, *arch;
	} names[] = {{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"}};
	static char arch[sizeof(((struct utsname *)0)->machine)];
	struct utsname u;

	if (arch[0])
		return arch;
	if (uname(&u))
		return "unknown";
	snprintf(arch, sizeof(arch), "%s", u.machine);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(u.machine, names[i].machine))
			snprintf(arch, sizeof(arch), "%s", names[i].arch);
	}
	return arch;
}

char *tags_for_upload(const char *run_tags, uint64_t seq, bool kernel_frames, const char *backend)
{
	char *tags;

	if (asprintf(&tags, "%s,profile_seq:%" PRIu64 ",include_kernel:%s,cpu_arch:%s,backend:%s",
		     run_tags, seq, kernel_frames ? "true" : "false", cpu_arch(), backend) < 0)
		return NULL;
	return tags;
}

void uuid_v4(char out[37])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0) {
			/* No entropy source: time and pid still make it unique per run. */
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			for (size_t i = got; i < sizeof(r); i++)
				r[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^
						       (getpid() >> (i % 4)) ^ i);
			break;
		}
		got += (size_t)n;
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

void time_rfc3339_ns(uint64_t ns, char out[40])
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	char date[24];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%09lluZ", date, (unsigned long long)(ns % 1000000000));
}

char *event_json(uint64_t start_ns, uint64_t end_ns, const char *tags)
{
	char start[40], end[40], *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int err;

	if (!f)
		return NULL;
	time_rfc3339_ns(start_ns, start);
	time_rfc3339_ns(end_ns, end);
	fputs("{\"attachments\":[\"profile.pprof\"],\"start\":", f);
	json_str__write(f, start);
	fputs(",\"end\":", f);
	json_str__write(f, end);
	fputs(",\"family\":\"native\",\"version\":\"4\",\"tags_profiler\":", f);
	json_str__write(f, tags);
	fputs(",\"endpoint_counts\":null,\"process_tags\":null,\"internal\":{},\"info\":{}}", f);
	err = ferror(f);
	if (fclose(f) || err) {
		free(s);
		return NULL;
	}
	return s;
}
