/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One profile upload over HTTP (libcurl): the multipart body the Datadog
 * Agent and intake take, an "event" part (event.json) then the
 * "profile.pprof" attachment. And a plain GET, for hrprof doctor.
 */
#ifndef HRPROF_HTTP_H
#define HRPROF_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_client;

struct http_target {
	const char *url;	  /* the full endpoint */
	const char *unix_socket;  /* or NULL */
	const char *api_key;	  /* agentless: sent as DD-API-KEY; else NULL */
	const char *container_id; /* or NULL */
	unsigned int timeout_s;
};

struct http_result {
	long status;	 /* HTTP status, or 0 when no answer came */
	int curl_code;	 /* CURLcode */
	char error[256]; /* why, when status is 0 */
	double seconds;	 /* how long it took */
};

/* Returns NULL only when out of memory. Not thread-safe: one per thread. */
struct http_client *http_client__new(void);
void http_client__free(struct http_client *c);

/* POSTs one profile. Returns 0 when an answer came (any status), or -EIO
 * when none did (res->error says why). */
int http_client__post(struct http_client *c, const struct http_target *t, const char *event_json,
		      const uint8_t *pprof, size_t len, struct http_result *res);

/* GETs url (through unix_socket when not NULL), the answer's first
 * bodylen - 1 bytes into body, NUL-terminated: for hrprof doctor's look
 * at the Agent's /info. Returns 0 when an answer came, or -EIO. */
int http_client__get(struct http_client *c, const char *url, const char *unix_socket,
		     unsigned int timeout_s, char *body, size_t bodylen, struct http_result *res);

#endif
