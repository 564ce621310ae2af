// SPDX-License-Identifier: GPL-2.0
/*
 * What the Datadog Agent says of itself: GET /info, next to the upload
 * endpoint, lists the endpoints it serves and its version (for hrprof
 * doctor).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "http.h"

int agent_info__get(const struct upload_config *cfg, unsigned int timeout_s, struct agent_info *out)
{
	static const char suffix[] = "/profiling/v1/input";
	struct http_client *c;
	struct http_result res;
	char url[1024], body[8192];
	size_t len = strlen(cfg->url);
	const char *v;
	int err;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(suffix) && !strcmp(cfg->url + len - (sizeof(suffix) - 1), suffix))
		len -= sizeof(suffix) - 1;
	snprintf(url, sizeof(url), "%.*s/info", (int)len, cfg->url);
	c = http_client__new();
	if (!c) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		return -ENOMEM;
	}
	err = http_client__get(c, url, cfg->unix_socket, timeout_s, body, sizeof(body), &res);
	http_client__free(c);
	if (err) {
		snprintf(out->error, sizeof(out->error), "%s", res.error);
		return err;
	}
	out->status = res.status;
	if (res.status != 200)
		return 0;
	v = strstr(body, "\"version\"");
	if (v && (v = strchr(v + 9, '"')))
		snprintf(out->version, sizeof(out->version), "%.*s", (int)strcspn(v + 1, "\""),
			 v + 1);
	out->profiling = strstr(body, "\"/profiling/v1/input\"") != NULL;
	return 0;
}
