// SPDX-License-Identifier: GPL-2.0
/*
 * One upload (http_client__post) against a small HTTP server in a thread of
 * this test: it accepts one connection, reads the request until its
 * Content-Length is satisfied, keeps the raw bytes and answers a chosen
 * status (or nothing). The request is checked strictly: POST to the path,
 * multipart/form-data with a boundary, a Content-Length equal to the body,
 * no chunked encoding, no Expect, the DD-EVP-ORIGIN headers and the
 * User-Agent, DD-API-KEY and Datadog-Container-ID only when set; the body's
 * "event" part first (event.json, application/json, the exact JSON) and then
 * "profile.pprof" with the exact bytes (NUL and 0xff included). Also: the
 * status comes back (200, 404, 503), a closed port and a server that never
 * answers give -EIO with an error (the latter after about timeout_s), and a
 * unix socket target.
 *
 * Exit: 0 pass, 1 a check failed.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "export/http.h"

/* ---- the server ---- */

struct server {
	int lfd;
	int port;	    /* TCP, or 0 for the unix socket */
	int status;	    /* 0: read the request, answer nothing */
	unsigned char *req; /* raw request bytes */
	size_t len;
	pthread_t thread;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const unsigned char *find(const unsigned char *hay, size_t n, const char *needle,
				 size_t nlen)
{
	return nlen <= n ? memmem(hay, n, needle, nlen) : NULL;
}

/* The value of header name in the head (NUL-terminated copy), or NULL. */
static char *header(const char *head, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2, *e = strstr(s, "\r\n");

		if (!e || e == s)
			return NULL;
		if (!strncasecmp(s, name, nlen) && s[nlen] == ':') {
			s += nlen + 1;
			while (*s == ' ')
				s++;
			snprintf(out, size, "%.*s", (int)(e - s), s);
			return out;
		}
	}
	return NULL;
}

static void *serve(void *arg)
{
	struct server *sv = arg;
	struct timeval tv = {.tv_sec = 4};
	size_t cap = 1 << 16, want = 0;
	int fd;

	fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sv->req = malloc(cap + 1);
	while (sv->req) {
		ssize_t n;

		if (sv->len == cap) {
			unsigned char *p = realloc(sv->req, (cap *= 2) + 1);

			if (!p)
				break;
			sv->req = p;
		}
		n = recv(fd, sv->req + sv->len, cap - sv->len, 0);
		if (n <= 0)
			break;
		sv->len += (size_t)n;
		sv->req[sv->len] = 0;
		if (!want) {
			const unsigned char *end = find(sv->req, sv->len, "\r\n\r\n", 4);
			char cl[32];

			if (end) {
				/* No Content-Length: read until the client stops. */
				want = header((char *)sv->req, "Content-Length", cl, sizeof(cl))
					   ? (size_t)(end + 4 - sv->req) + strtoull(cl, NULL, 10)
					   : SIZE_MAX;
			}
		}
		if (want && sv->len >= want)
			break;
	}
	if (sv->status) {
		char resp[256];
		int n = snprintf(resp, sizeof(resp),
				 "HTTP/1.1 %d Test\r\nContent-Type: application/json\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
				 sv->status);

		if (send(fd, resp, (size_t)n, MSG_NOSIGNAL) != n)
			perror("send");
	} else {
		char b[256];

		/* Never answer: wait until the client gives up (or 4 s). */
		while (recv(fd, b, sizeof(b), 0) > 0)
			;
	}
	close(fd);
	return NULL;
}

static int server_start_tcp(struct server *sv, int status)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->status = status;
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 4) ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &alen))
		return -errno;
	sv->port = ntohs(a.sin_port);
	return pthread_create(&sv->thread, NULL, serve, sv) ? -EAGAIN : 0;
}

static int server_start_unix(struct server *sv, const char *path, int status)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	memset(sv, 0, sizeof(*sv));
	sv->status = status;
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	sv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(sv->lfd, 4))
		return -errno;
	return pthread_create(&sv->thread, NULL, serve, sv) ? -EAGAIN : 0;
}

static void server_stop(struct server *sv)
{
	/* Unblocks an accept that never came. */
	shutdown(sv->lfd, SHUT_RDWR);
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
	free(sv->req);
	sv->req = NULL;
}

/* ---- checking one request ---- */

struct expect {
	const char *path; /* request target */
	const char *host; /* Host header, or NULL to skip */
	const char *api_key;
	const char *container_id;
	const char *json;
	const uint8_t *blob;
	size_t len;
};

/* One multipart part: its headers (NUL-terminated copy) and data. */
struct part {
	char head[512];
	const unsigned char *data;
	size_t len;
};

static void check_request(const struct server *sv, const struct expect *x)
{
	char head[8192], v[512], boundary[128], delim[140], line[256];
	const unsigned char *req = sv->req, *body, *end, *p;
	struct part parts[3];
	size_t hlen, blen, dlen;
	int nparts = 0;

	CHECKF(req && sv->len, "no request came");
	if (!req || !sv->len)
		return;
	end = find(req, sv->len, "\r\n\r\n", 4);
	CHECKF(end, "no end of headers in %zu bytes", sv->len);
	if (!end)
		return;
	hlen = (size_t)(end - req) + 4;
	CHECK(hlen < sizeof(head));
	if (hlen >= sizeof(head))
		return;
	memcpy(head, req, hlen);
	head[hlen] = 0;
	body = req + hlen;
	blen = sv->len - hlen;

	snprintf(line, sizeof(line), "POST %s HTTP/1.1\r\n", x->path);
	CHECKF(!strncmp(head, line, strlen(line)), "request line: %.*s", (int)strcspn(head, "\r"),
	       head);
	if (x->host)
		CHECKF(header(head, "Host", v, sizeof(v)) && !strcmp(v, x->host), "Host: %s",
		       header(head, "Host", v, sizeof(v)) ? v : "(none)");

	CHECKF(header(head, "Content-Type", v, sizeof(v)) &&
		   !strncmp(v, "multipart/form-data; boundary=", 30) && v[30],
	       "Content-Type: %s", header(head, "Content-Type", v, sizeof(v)) ? v : "(none)");
	boundary[0] = 0;
	if (header(head, "Content-Type", v, sizeof(v)) && strlen(v) > 30)
		snprintf(boundary, sizeof(boundary), "%.100s", v + 30);
	CHECKF(header(head, "Content-Length", v, sizeof(v)), "no Content-Length");
	if (header(head, "Content-Length", v, sizeof(v)))
		CHECKF(strtoull(v, NULL, 10) == blen, "Content-Length %s, body %zu bytes", v, blen);
	CHECKF(!header(head, "Transfer-Encoding", v, sizeof(v)), "Transfer-Encoding: %s", v);
	CHECKF(!header(head, "Expect", v, sizeof(v)), "Expect: %s", v);
	CHECKF(header(head, "DD-EVP-ORIGIN", v, sizeof(v)) && !strcmp(v, "hrprof"),
	       "DD-EVP-ORIGIN wrong or missing");
	CHECKF(header(head, "DD-EVP-ORIGIN-VERSION", v, sizeof(v)) && !strcmp(v, HRPROF_VERSION),
	       "DD-EVP-ORIGIN-VERSION wrong or missing");
	CHECKF(header(head, "User-Agent", v, sizeof(v)) && !strncmp(v, "hrprof/", 7),
	       "User-Agent wrong or missing");
	CHECKF(header(head, "Connection", v, sizeof(v)) && !strcasecmp(v, "close"),
	       "Connection: close missing");
	if (x->api_key)
		CHECKF(header(head, "DD-API-KEY", v, sizeof(v)) && !strcmp(v, x->api_key),
		       "DD-API-KEY wrong or missing");
	else
		CHECKF(!header(head, "DD-API-KEY", v, sizeof(v)), "DD-API-KEY sent without a key");
	if (x->container_id)
		CHECKF(header(head, "Datadog-Container-ID", v, sizeof(v)) &&
			   !strcmp(v, x->container_id),
		       "Datadog-Container-ID wrong or missing");
	else
		CHECKF(!header(head, "Datadog-Container-ID", v, sizeof(v)),
		       "Datadog-Container-ID sent without one");
	if (!boundary[0])
		return;

	/* The body, strictly: "--B\r\n" head "\r\n\r\n" data "\r\n--B" ... "--\r\n". */
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	CHECKF(blen >= dlen + 2 && !memcmp(body, delim, dlen) && !memcmp(body + dlen, "\r\n", 2),
	       "the body does not start with the boundary");
	if (blen < dlen + 2 || memcmp(body, delim, dlen))
		return;
	p = body + dlen + 2;
	while (nparts < 3) {
		const unsigned char *he = find(p, (size_t)(body + blen - p), "\r\n\r\n", 4), *de;

		CHECKF(he, "part %d has no end of headers", nparts);
		if (!he || (size_t)(he - p) >= sizeof(parts[0].head))
			return;
		memcpy(parts[nparts].head, "\r\n", 2); /* so that header() sees line starts */
		memcpy(parts[nparts].head + 2, p, (size_t)(he - p) + 4);
		parts[nparts].head[(he - p) + 6] = 0;
		parts[nparts].data = he + 4;
		snprintf(line, sizeof(line), "\r\n%s", delim);
		de = find(he + 4, (size_t)(body + blen - (he + 4)), line, strlen(line));
		CHECKF(de, "part %d has no closing boundary", nparts);
		if (!de)
			return;
		parts[nparts].len = (size_t)(de - (he + 4));
		nparts++;
		p = de + strlen(line);
		if ((size_t)(body + blen - p) >= 4 && !memcmp(p, "--\r\n", 4)) {
			CHECKF(p + 4 == body + blen, "%zu bytes after the closing boundary",
			       (size_t)(body + blen - (p + 4)));
			break;
		}
		CHECKF((size_t)(body + blen - p) >= 2 && !memcmp(p, "\r\n", 2),
		       "no CRLF after a boundary");
		p += 2;
	}
	CHECKF(nparts == 2, "%d parts, want 2", nparts);
	if (nparts < 1)
		return;

	CHECKF(header(parts[0].head, "Content-Disposition", v, sizeof(v)) &&
		   !strcmp(v, "form-data; name=\"event\"; filename=\"event.json\""),
	       "event part: %s", parts[0].head + 2);
	CHECKF(header(parts[0].head, "Content-Type", v, sizeof(v)) &&
		   !strcmp(v, "application/json"),
	       "event part's Content-Type: %s", parts[0].head + 2);
	CHECKF(parts[0].len == strlen(x->json) && !memcmp(parts[0].data, x->json, parts[0].len),
	       "event JSON differs: %.*s", (int)parts[0].len, parts[0].data);
	if (nparts < 2)
		return;
	CHECKF(header(parts[1].head, "Content-Disposition", v, sizeof(v)) &&
		   !strcmp(v, "form-data; name=\"profile.pprof\"; filename=\"profile.pprof\""),
	       "profile part: %s", parts[1].head + 2);
	if (header(parts[1].head, "Content-Type", v, sizeof(v)))
		CHECKF(!strcmp(v, "application/octet-stream"), "profile part's Content-Type: %s",
		       v);
	CHECKF(parts[1].len == x->len && !memcmp(parts[1].data, x->blob, x->len),
	       "profile bytes differ: %zu bytes, want %zu", parts[1].len, x->len);
}

/* ---- the cases ---- */

static const char json[] =
    "{\"attachments\":[\"profile.pprof\"],\"start\":\"2026-01-15T12:00:00.000000000Z\","
    "\"end\":\"2026-01-15T12:00:59.000000000Z\",\"family\":\"native\",\"version\":\"4\","
    "\"tags_profiler\":\"language:native,service:svc\",\"endpoint_counts\":null,"
    "\"process_tags\":null,\"internal\":{},\"info\":{}}";

static uint8_t *make_blob(size_t len)
{
	uint8_t *b = malloc(len);

	for (size_t i = 0; b && i < len; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 8));
	if (b && len >= 16) {
		static const uint8_t head[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff, 0x00, 0x00,
					       '\r', '\n', '-',	 '-',  0xff, 0xff, 0x00, 0x0a};

		memcpy(b, head, sizeof(head));
		b[len - 1] = 0;
	}
	return b;
}

/* Posts and checks only the status. */
static void post_tcp(struct http_client *c, int status, const char *api_key,
		     const char *container_id, size_t len)
{
	struct server sv;
	struct http_result res;
	char url[128];
	uint8_t *blob = make_blob(len);
	int err;

	if (!blob || server_start_tcp(&sv, status)) {
		CHECK(!"server start");
		free(blob);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/profiling/v1/input", sv.port);
	struct http_target t = {
	    .url = url, .api_key = api_key, .container_id = container_id, .timeout_s = 5};
	err = http_client__post(c, &t, json, blob, len, &res);
	CHECKF(!err, "post to %s: %d (%s)", url, err, res.error);
	CHECKF(res.status == status, "status %ld, want %d", res.status, status);
	server_stop(&sv);
	free(blob);
}

/* Posts, keeps the server's bytes, then checks them. */
static void post_and_check(struct http_client *c, int status, const char *api_key,
			   const char *container_id, size_t len)
{
	struct server sv;
	struct http_result res;
	char url[128];
	uint8_t *blob = make_blob(len);
	int err;

	if (!blob || server_start_tcp(&sv, status)) {
		CHECK(!"server start");
		free(blob);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/profiling/v1/input", sv.port);
	struct http_target t = {
	    .url = url, .api_key = api_key, .container_id = container_id, .timeout_s = 5};
	err = http_client__post(c, &t, json, blob, len, &res);
	CHECKF(!err, "post to %s: %d (%s)", url, err, res.error);
	CHECKF(res.status == status, "status %ld, want %d", res.status, status);
	shutdown(sv.lfd, SHUT_RDWR);
	pthread_join(sv.thread, NULL);
	close(sv.lfd);
	{
		char host[64];
		struct expect x = {.path = "/profiling/v1/input",
				   .host = host,
				   .api_key = api_key,
				   .container_id = container_id,
				   .json = json,
				   .blob = blob,
				   .len = len};

		snprintf(host, sizeof(host), "127.0.0.1:%d", sv.port);
		check_request(&sv, &x);
	}
	free(sv.req);
	free(blob);
}

static void test_statuses(struct http_client *c)
{
	const char *cid = "3f5b1c0e9a7d4b2c8e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f";

	post_and_check(c, 200, NULL, NULL, 4096);
	/* The same client again: a key and a container id, then neither (reset). */
	post_and_check(c, 404, "0123456789abcdef0123456789abcdef", cid, 100);
	post_and_check(c, 503, NULL, NULL, 1);
	post_and_check(c, 202, NULL, cid, 0);
	/* Over 1 MiB: where libcurl would otherwise send Expect: 100-continue. */
	post_and_check(c, 200, NULL, NULL, (2u << 20) + 3);
	post_tcp(c, 413, NULL, NULL, 10);
}

static void test_closed_port(struct http_client *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct http_result res;
	char url[128];
	uint8_t b = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), err;

	/* A port that was just free: nothing listens there. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		CHECK(!"socket");
		return;
	}
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/profiling/v1/input", ntohs(a.sin_port));
	struct http_target t = {.url = url, .timeout_s = 2};
	memset(&res, 0x55, sizeof(res));
	err = http_client__post(c, &t, json, &b, 1, &res);
	CHECKF(err == -EIO, "closed port: %d, want -EIO", err);
	CHECKF(res.status == 0, "status %ld", res.status);
	CHECKF(res.curl_code != 0, "curl_code 0");
	CHECKF(memchr(res.error, 0, sizeof(res.error)) && res.error[0], "no error text");

	/* A URL curl refuses (not http or https). */
	t.url = "ftp://127.0.0.1/x";
	err = http_client__post(c, &t, json, &b, 1, &res);
	CHECKF(err == -EIO && res.status == 0 && res.error[0], "ftp URL: %d '%s'", err, res.error);
}

static void test_no_answer(struct http_client *c)
{
	struct server sv;
	struct http_result res;
	char url[128];
	double t0, took;
	uint8_t b[64] = {0};
	int err;

	if (server_start_tcp(&sv, 0)) {
		CHECK(!"server start");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/profiling/v1/input", sv.port);
	struct http_target t = {.url = url, .timeout_s = 1};
	t0 = now_s();
	err = http_client__post(c, &t, json, b, sizeof(b), &res);
	took = now_s() - t0;
	CHECKF(err == -EIO, "no answer: %d, want -EIO", err);
	CHECKF(res.status == 0, "status %ld", res.status);
	CHECKF(res.error[0], "no error text");
	CHECKF(took >= 0.8 && took < 2.5, "returned after %.2f s with a 1 s timeout", took);
	CHECKF(res.seconds > 0.5 && res.seconds < 2.5, "res.seconds %.2f", res.seconds);
	server_stop(&sv);
}

static void test_unix_socket(struct http_client *c, const char *dir)
{
	struct server sv;
	struct http_result res;
	char path[128];
	uint8_t *blob = make_blob(3000);
	int err;

	snprintf(path, sizeof(path), "%s/apm.socket", dir);
	if (!blob || server_start_unix(&sv, path, 200)) {
		CHECK(!"unix server start");
		free(blob);
		return;
	}
	struct http_target t = {
	    .url = "http://localhost/profiling/v1/input", .unix_socket = path, .timeout_s = 5};
	err = http_client__post(c, &t, json, blob, 3000, &res);
	CHECKF(!err && res.status == 200, "unix socket post: %d, status %ld (%s)", err, res.status,
	       res.error);
	shutdown(sv.lfd, SHUT_RDWR);
	pthread_join(sv.thread, NULL);
	close(sv.lfd);
	{
		struct expect x = {.path = "/profiling/v1/input",
				   .host = "localhost",
				   .json = json,
				   .blob = blob,
				   .len = 3000};

		check_request(&sv, &x);
	}
	free(sv.req);
	free(blob);
	unlink(path);

	/* The same client to TCP afterwards: the socket path is not kept. */
	post_and_check(c, 200, NULL, NULL, 10);

	/* A socket path where nothing listens. */
	t.unix_socket = path;
	err = http_client__post(c, &t, json, (const uint8_t *)"x", 1, &res);
	CHECKF(err == -EIO && res.status == 0 && res.error[0], "missing socket: %d '%s'", err,
	       res.error);
}

int main(void)
{
	struct http_client *c;
	char dir[] = "/tmp/hrprof-http-test.XXXXXX";

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		printf("curl_global_init failed\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	c = http_client__new();
	CHECK(c != NULL);
	if (c) {
		test_statuses(c);
		test_closed_port(c);
		test_no_answer(c);
		test_unix_socket(c, dir);
		http_client__free(c);
	}
	rmdir(dir);
	curl_global_cleanup();
	return check_exit("test_http");
}
