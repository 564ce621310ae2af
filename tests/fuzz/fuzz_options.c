// SPDX-License-Identifier: GPL-2.0
/*
 * The command line, ddprof's config file and tags: the input is NUL-separated
 * words (argv), then, after an empty word, a config file's text. What is
 * accepted gives tags that pass their own check and an event.json.
 * Run in a directory of its own; words naming absolute paths or ".." are
 * not tried (options create directories and log files).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "options/options.h"
#include "export/tags.h"

#define WORDS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cwd[64];
	char *buf, *argv[WORDS_MAX + 4], cfg_path[64];
	struct options o = {0};
	size_t off = 0;
	int argc = 0, cfg_fd = -1, saved_err, null_fd;

	fuzz_quiet();
	if (!cwd[0]) {
		snprintf(cwd, sizeof(cwd), "/tmp/hrprof-fuzz-options-%d", getpid());
		mkdir(cwd, 0700);
		if (chdir(cwd))
			abort();
	}
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = "hrprof";
	while (off < size && argc < WORDS_MAX) {
		char *w = buf + off;
		size_t len = strlen(w);

		if (!len) {
			off++;
			break;
		}
		if (w[0] == '/' || strstr(w, "..") || strchr(w, '=') == w)
			goto out;
		argv[argc++] = w;
		off += len + 1;
	}
	if (off < size) { /* the rest: a config file */
		cfg_fd =
		    fuzz_file((const uint8_t *)buf + off, size - off, cfg_path, sizeof(cfg_path));
		if (cfg_fd >= 0 && argc + 2 <= WORDS_MAX + 2) {
			argv[argc++] = "--config";
			argv[argc++] = cfg_path;
		}
	}
	argv[argc] = NULL;

	/* options print one line on stderr for each bad input */
	fflush(stderr);
	saved_err = dup(2);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd >= 0)
		dup2(null_fd, 2);
	if (options_parse(&o, argc, argv) == 0 && !o.show_help && !o.show_version &&
	    !o.show_event_help) {
		struct upload_config run = {.service = o.service,
					    .environment = o.environment,
					    .service_version = o.service_version,
					    .tags = o.tags};
		char *tags = tags_for_run(&run, "00000000-0000-4000-8000-000000000000");

		if (tags) {
			char *up = tags_for_upload(tags, 1, true, "perf"), *json;

			if (up) {
				json = event_json(1, 2, up);
				FUZZ_CHECK(json);
				free(json);
				free(up);
			}
			free(tags);
		}
	}
	options_free(&o);
	log_set_mode("stderr");
	log_set_level(LOG_OFF);
	fflush(stderr);
	if (saved_err >= 0) {
		dup2(saved_err, 2);
		close(saved_err);
	}
	if (null_fd >= 0)
		close(null_fd);
out:
	if (cfg_fd >= 0)
		close(cfg_fd);
	free(buf);
	return 0;
}
