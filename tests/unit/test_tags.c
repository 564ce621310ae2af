// SPDX-License-Identifier: GPL-2.0
/*
 * Datadog tags and event.json: tag_valid's rules, the run's tags in order
 * (invalid user tags and an invalid service left out with one warning each,
 * read back from a log file), uuid_v4's form and uniqueness, RFC 3339 times
 * with nanoseconds, and event_json parsed back by python3's json module (the
 * fields the intake needs, tags with quotes, backslashes and control
 * characters escaped). Without python3 the parse-back checks are skipped.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "export/tags.h"

static char log_path[64];

/* ---- tag_valid ---- */

static void test_tag_valid(void)
{
	static const char *const good[] = {"env:prod", "a", "k:v/x.y-z_1", "a:b:c", "Z9"};
	static const char *const bad[] = {
	    "",	   ":x",   "x:", "1abc:x", "a b:c", "é", "env:pr\xc3\xa9",
	    "a,b", "a\tb", "_a", "-a",	   "/a",
	};
	char long_tag[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECKF(tag_valid(good[i]), "'%s' should be valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(!tag_valid(bad[i]), "'%s' should be invalid", bad[i]);

	memset(long_tag, 'a', sizeof(long_tag));
	long_tag[200] = 0;
	CHECKF(tag_valid(long_tag), "200 characters should be valid");
	long_tag[200] = 'a';
	long_tag[201] = 0;
	CHECKF(!tag_valid(long_tag), "201 characters should be invalid");
}

/* ---- tags_for_run, warnings in the log ---- */

static void log_reset(void)
{
	FILE *f = fopen(log_path, "w");

	if (f)
		fclose(f);
}

/* Lines in the log that contain needle. */
static int log_count(const char *needle)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_tags_for_run(void)
{
	const char *rid = "0b4e3a6c-1d2e-4f00-8a1b-123456789abc";
	struct upload_config o = {0};
	char expect[512], *t;

	o.service = "S";
	o.environment = "E";
	o.service_version = "V";
	o.tags = "a:b, bad tag ,:x,c:d";
	log_reset();
	t = tags_for_run(&o, rid);
	snprintf(expect, sizeof(expect),
		 "language:native,service:S,env:E,version:V,profiler_version:%s,runtime-id:%s,"
		 "a:b,c:d",
		 HRPROF_VERSION, rid);
	CHECK(t != NULL);
	if (t)
		CHECKF(!strcmp(t, expect), "got '%s', want '%s'", t, expect);
	free(t);
	CHECKF(log_count("warn") == 2, "%d warning lines, want 2 (one per invalid tag)",
	       log_count("warn"));
	CHECKF(log_count("bad tag") == 1, "the warning should name 'bad tag'");
	CHECKF(log_count("':x'") == 1, "the warning should name ':x'");

	/* No env, no version, no user tags: those are simply absent, no warning. */
	o.environment = NULL;
	o.service_version = NULL;
	o.tags = NULL;
	log_reset();
	t = tags_for_run(&o, rid);
	snprintf(expect, sizeof(expect),
		 "language:native,service:S,profiler_version:%s,runtime-id:%s", HRPROF_VERSION,
		 rid);
	CHECK(t && !strcmp(t, expect));
	free(t);
	CHECKF(log_count("warn") == 0, "no warning expected");

	/* An invalid service is dropped (with a warning), never sent. */
	o.service = "my service";
	o.environment = "prod";
	log_reset();
	t = tags_for_run(&o, rid);
	CHECK(t != NULL);
	if (t) {
		CHECKF(!strstr(t, "service:"), "invalid service sent: '%s'", t);
		CHECKF(!strstr(t, "my service"), "invalid service sent: '%s'", t);
		CHECKF(!strncmp(t, "language:native,env:prod,", 25), "got '%s'", t);
	}
	free(t);
	CHECKF(log_count("warn") == 1, "%d warning lines, want 1", log_count("warn"));

	/* A service too long for a tag (over 200 characters) is dropped too. */
	{
		char longsvc[260];

		memset(longsvc, 's', sizeof(longsvc) - 1);
		longsvc[sizeof(longsvc) - 1] = 0;
		o.service = longsvc;
		t = tags_for_run(&o, rid);
		CHECK(t && !strstr(t, "service:"));
		free(t);
	}

	/* User tags: empty items and whitespace around an item are ignored. */
	o.service = "S";
	o.environment = NULL;
	o.tags = ",, a:b ,\tc:d\t,,e:f";
	log_reset();
	t = tags_for_run(&o, rid);
	snprintf(expect, sizeof(expect),
		 "language:native,service:S,profiler_version:%s,runtime-id:%s,a:b,c:d,e:f",
		 HRPROF_VERSION, rid);
	CHECKF(t && !strcmp(t, expect), "tags '%s' from ',, a:b ,\\tc:d\\t,,e:f', want '%s'",
	       t ? t : "(null)", expect);
	free(t);
	CHECKF(log_count("warn") == 0, "%d warnings for surrounding whitespace", log_count("warn"));
}

/* ---- uuid_v4 ---- */

static int cmp_uuid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_uuid(void)
{
	static char ids[1000][37];
	int bad_form = 0, dup = 0;

	for (int i = 0; i < 1000; i++) {
		const char *u = ids[i];

		memset(ids[i], 'X', sizeof(ids[i]));
		uuid_v4(ids[i]);
		if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' ||
		    u[23] != '-' || u[14] != '4' || !strchr("89ab", u[19]) || !u[19]) {
			bad_form++;
			continue;
		}
		for (int k = 0; k < 36; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				continue;
			if (!strchr("0123456789abcdef", u[k]) || !u[k]) {
				bad_form++;
				break;
			}
		}
	}
	CHECKF(!bad_form, "%d of 1000 uuids not in the v4 form, e.g. '%s'", bad_form, ids[0]);
	CHECKF(strcmp(ids[0], ids[1]), "two calls gave the same uuid %s", ids[0]);
	qsort(ids, 1000, sizeof(ids[0]), cmp_uuid);
	for (int i = 1; i < 1000; i++)
		dup += !strcmp(ids[i - 1], ids[i]);
	CHECKF(!dup, "%d duplicates in 1000 uuids", dup);
}

/* ---- time_rfc3339_ns ---- */

static void test_time(void)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
	    {0, "1970-01-01T00:00:00.000000000Z"},
	    {1, "1970-01-01T00:00:00.000000001Z"},
	    {1700000000123456789ull, "2023-11-14T22:13:20.123456789Z"},
	    {1704067199999999999ull, "2023-12-31T23:59:59.999999999Z"},
	    {1704067200000000000ull, "2024-01-01T00:00:00.000000000Z"},
	    {1709208000000000050ull, "2024-02-29T12:00:00.000000050Z"},
	};
	char out[40];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		time_rfc3339_ns(cases[i].ns, out);
		CHECKF(!strcmp(out, cases[i].want), "%llu: got '%.40s', want '%s'",
		       (unsigned long long)cases[i].ns, out, cases[i].want);
	}
}

/* ---- event_json, parsed back by python3 ---- */

/* Checks the event's fields; prints tags_profiler, start and end as hex
 * (one per line) so that C compares them byte for byte. Exit 3: not valid
 * JSON, 4: a field is wrong (the reason on stderr). */
static const char pycheck[] =
    "import json,sys\n"
    "try:\n"
    "    e=json.loads(sys.stdin.buffer.read().decode('utf-8'))\n"
    "except Exception as x:\n"
    "    print('not JSON:',x,file=sys.stderr); sys.exit(3)\n"
    "def need(c,w):\n"
    "    if not c: print('bad field:',w,file=sys.stderr); sys.exit(4)\n"
    "need(type(e) is dict,'object')\n"
    "need(e.get('attachments')==['profile.pprof'],'attachments')\n"
    "need(e.get('family')=='native','family')\n"
    "need(e.get('version')=='4' and type(e.get('version')) is str,'version')\n"
    "need('endpoint_counts' not in e or e['endpoint_counts'] is None,'endpoint_counts')\n"
    "need('process_tags' not in e or e['process_tags'] is None,'process_tags')\n"
    "need(e.get('internal')=={},'internal')\n"
    "need(e.get('info')=={},'info')\n"
    "for k in ('tags_profiler','start','end'): need(type(e.get(k)) is str,k)\n"
    "for k in ('tags_profiler','start','end'): print(e[k].encode('utf-8').hex())\n";

static bool have_python;

static void hex(const char *s, char *out)
{
	for (; *s; s++, out += 2)
		sprintf(out, "%02x", (unsigned char)*s);
	*out = 0;
}

/* Runs pycheck on json; returns its exit status and fills the three lines. */
static int py_parse(const char *json, char lines[3][1024])
{
	char script[] = "/tmp/hrprof-tags-py.XXXXXX", outp[] = "/tmp/hrprof-tags-out.XXXXXX";
	char cmd[256];
	int fd, st;
	FILE *p, *f;

	fd = mkstemp(script);
	if (fd < 0)
		return -1;
	if (write(fd, pycheck, strlen(pycheck)) != (ssize_t)strlen(pycheck)) {
		close(fd);
		unlink(script);
		return -1;
	}
	close(fd);
	fd = mkstemp(outp);
	if (fd < 0) {
		unlink(script);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 %s > %s", script, outp);
	p = popen(cmd, "w");
	if (!p) {
		unlink(script);
		unlink(outp);
		return -1;
	}
	fputs(json, p);
	st = pclose(p);
	for (int i = 0; i < 3; i++)
		lines[i][0] = 0;
	f = fopen(outp, "r");
	for (int i = 0; f && i < 3 && fgets(lines[i], 1024, f); i++)
		lines[i][strcspn(lines[i], "\n")] = 0;
	if (f)
		fclose(f);
	unlink(script);
	unlink(outp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_event(uint64_t start, uint64_t end, const char *tags)
{
	char lines[3][1024], want[1024], ts[40];
	char *j = event_json(start, end, tags);
	int rc;

	CHECK(j != NULL);
	if (!j)
		return;
	/* Checks that need no parser. */
	CHECKF(j[0] == '{' && j[strlen(j) - 1] == '}', "not an object: %s", j);
	CHECKF(strstr(j, "\"version\":\"4\""), "version must be the string \"4\": %s", j);
	CHECKF(!strchr(j, '\n'), "raw newline in %s", j);
	for (const char *c = j; *c; c++)
		CHECKF((unsigned char)*c >= 0x20, "raw control character 0x%02x in the JSON",
		       (unsigned char)*c);
	if (!have_python) {
		free(j);
		return;
	}
	rc = py_parse(j, lines);
	CHECKF(rc == 0, "python3 check failed (%d) on %s", rc, j);
	if (!rc) {
		hex(tags, want);
		CHECKF(!strcmp(lines[0], want), "tags_profiler did not round-trip: %s", j);
		time_rfc3339_ns(start, ts);
		hex(ts, want);
		CHECKF(!strcmp(lines[1], want), "start is not %s: %s", ts, j);
		time_rfc3339_ns(end, ts);
		hex(ts, want);
		CHECKF(!strcmp(lines[2], want), "end is not %s: %s", ts, j);
	}
	free(j);
}

/* An upload's tags: the run's, then the period's, and the machine's arch. */
static void test_tags_for_upload(void)
{
	struct utsname u;
	char want[256];
	char *t;

	CHECK(!uname(&u));
	t = tags_for_upload("service:svc", 7, true, "kmod");
	snprintf(want, sizeof(want),
		 "service:svc,profile_seq:7,include_kernel:true,cpu_arch:%s,backend:kmod",
		 !strcmp(u.machine, "x86_64")	 ? "amd64"
		 : !strcmp(u.machine, "aarch64") ? "arm64"
						 : u.machine);
	CHECKF(t && !strcmp(t, want), "'%s', want '%s'", t ? t : "(null)", want);
	free(t);
	t = tags_for_upload("", 0, false, "perf");
	CHECK(t && strstr(t, ",include_kernel:false,") && strstr(t, cpu_arch()));
	free(t);
	CHECK(tag_valid("cpu_arch:amd64") && strcmp(cpu_arch(), "") && !strchr(cpu_arch(), ','));
}

static void test_event_json(void)
{
	have_python = !system("python3 -c 'import json' >/dev/null 2>&1");
	if (!have_python)
		printf("test_tags: python3 not found, JSON parse-back checks skipped\n");

	check_event(1700000000123456789ull, 1700000059000000001ull,
		    "language:native,service:svc,env:prod,version:1.2");
	check_event(0, 0, "");
	/* Escapes: quote, backslash, control characters, a slash, UTF-8. */
	check_event(1, 2,
		    "a\"b\\c\x01"
		    "d\te\nf\rg\x1fh/i\xc3\xa9j\"\"\\\\");
	{
		char *j = event_json(1, 2, "q\"b\\c\x01");

		CHECK(j && strstr(j, "\"q\\\"b\\\\c\\u0001\""));
		free(j);
	}
}

int main(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/hrprof-tags-log.XXXXXX");
	fd = mkstemp(log_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	log_set_level(LOG_WARN);
	if (log_set_mode(log_path)) {
		printf("log_set_mode(%s) failed\n", log_path);
		unlink(log_path);
		return 1;
	}

	test_tag_valid();
	test_tags_for_run();
	test_uuid();
	test_time();
	test_event_json();
	test_tags_for_upload();

	log_set_mode("stderr");
	unlink(log_path);
	return check_exit("test_tags");
}
