// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP with libcurl (http.h): the intake's multipart upload, and a GET
 * for the Agent's /info.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct http_client {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE]; /* curl writes here during a transfer */
};

struct http_client *http_client__new(void)
{
	struct http_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return NULL;
	}
	return c;
}

void http_client__free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

/*
 * What every request sets (the URL, the socket, the timeouts, the protocols)
 * after the caller's own options, then the transfer, into res. Returns 0
 * when an answer came (any status), or -EIO when none did.
 */
static int http_client__perform(struct http_client *c, const char *url, const char *unix_socket,
				unsigned int timeout_s, struct http_result *res)
{
	CURLcode rc;

	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (unix_socket)
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "hrprof/" HRPROF_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	c->errbuf[0] = 0;
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");

	rc = curl_easy_perform(c->curl);
	res->curl_code = (int)rc;
	curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME, &res->seconds);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->status);
	else
		snprintf(res->error, sizeof(res->error), "%s",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	return rc == CURLE_OK ? 0 : -EIO;
}

/* The Agent's answer body is not needed. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

int http_client__post(struct http_client *c, const struct http_target *t, const char *event_json,
		      const uint8_t *pprof, size_t len, struct http_result *res)
{
	char line[512];
	struct curl_slist *headers = NULL, *h;
	curl_mimepart *part;
	curl_mime *mime;
	int err;

	memset(res, 0, sizeof(*res));
	curl_easy_reset(c->curl);
	mime = curl_mime_init(c->curl);
	if (!mime)
		return -ENOMEM;
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "event");
	curl_mime_filename(part, "event.json");
	curl_mime_type(part, "application/json");
	curl_mime_data(part, event_json, CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "profile.pprof");
	curl_mime_filename(part, "profile.pprof");
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data(part, (const char *)pprof, len);

	h = curl_slist_append(headers, "DD-EVP-ORIGIN: hrprof");
	headers = h ? h : headers;
	h = curl_slist_append(headers, "DD-EVP-ORIGIN-VERSION: " HRPROF_VERSION);
	headers = h ? h : headers;
	h = curl_slist_append(headers, "Expect:");
	headers = h ? h : headers;
	h = curl_slist_append(headers, "Connection: close");
	headers = h ? h : headers;
	if (t->api_key) {
		snprintf(line, sizeof(line), "DD-API-KEY: %s", t->api_key);
		h = curl_slist_append(headers, line);
		headers = h ? h : headers;
		memset(line, 0, sizeof(line));
	}
	if (t->container_id) {
		snprintf(line, sizeof(line), "Datadog-Container-ID: %s", t->container_id);
		h = curl_slist_append(headers, line);
		headers = h ? h : headers;
	}

	curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, discard);
	err = http_client__perform(c, t->url, t->unix_socket, t->timeout_s, res);
	curl_slist_free_all(headers);
	curl_mime_free(mime);
	return err;
}

struct http_body {
	char *buf;
	size_t len, cap; /* cap includes the NUL */
};

/* Keeps what fits of the answer; the rest is read and dropped. */
static size_t keep(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_body *b = arg;
	size_t n = size * nmemb, room = b->cap - 1 - b->len;

	memcpy(b->buf + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->buf[b->len] = 0;
	return size * nmemb;
}

int http_client__get(struct http_client *c, const char *url, const char *unix_socket,
		     unsigned int timeout_s, char *body, size_t bodylen, struct http_result *res)
{
	struct http_body b = {.buf = body, .cap = bodylen};

	memset(res, 0, sizeof(*res));
	if (!bodylen)
		return -EINVAL;
	body[0] = 0;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	return http_client__perform(c, url, unix_socket, timeout_s, res);
}
