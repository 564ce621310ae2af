// SPDX-License-Identifier: GPL-2.0
/*
 * Separate debug files: by build id under the debug directory
 * (.build-id/xx/rest.debug), else by .gnu_debuglink (next to the file, in
 * its .debug/, under the debug directory), with the link's CRC checked.
 * And MiniDebugInfo (.gnu_debugdata: an xz-compressed ELF file holding the
 * symbols a stripped file left out, as Fedora ships), through liblzma.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"
#include "sym_elf.h"

struct debug_search {
	const char *debug_dir;
	const struct elf_file *main;
	const char *build_id;
	const char *link; /* .gnu_debuglink name, or NULL */
	GElf_Word crc;
	char root[PATH_MAX]; /* "/proc/<pid>/root", or "" */
	char dir[PATH_MAX];  /* the file's directory below root */
};

static bool file_crc32(int fd, off_t size, GElf_Word *out)
{
	size_t bufsz = 1 << 16;
	unsigned char *buf = malloc(bufsz);
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;

	if (!buf)
		return false;
	while (off < size) {
		size_t want = size - off < (off_t)bufsz ? (size_t)(size - off) : bufsz;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	free(buf);
	*out = (GElf_Word)crc;
	return off == size;
}

static bool debug_try(const struct debug_search *s, const char *path, bool check_crc,
		      struct elf_file *out, struct elf_sections *sec)
{
	char id[2 * BUILD_ID_MAX + 1];
	GElf_Word crc;

	if (elf_file__open(out, path) < 0)
		return false;
	if (out->st.st_dev == s->main->st.st_dev && out->st.st_ino == s->main->st.st_ino)
		goto no;
	if (check_crc && (!file_crc32(out->fd, out->st.st_size, &crc) || crc != s->crc))
		goto no;
	build_id_hex(out->elf, id);
	if (s->build_id[0] && id[0] && strcmp(id, s->build_id) != 0)
		goto no;
	elf_sections__scan(out->elf, sec);
	if (!sec->symtab && !sec->dwarf)
		goto no;
	log_debug("sym: debug file %s", path);
	return true;
no:
	elf_file__close(out);
	return false;
}

static bool debug_find_in(const struct debug_search *s, const char *root, struct elf_file *out,
			  struct elf_sections *sec)
{
	const char *ddir = s->debug_dir;
	char path[PATH_MAX];
	int n;

	if (strlen(s->build_id) > 2) {
		n = snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", root, ddir,
			     s->build_id, s->build_id + 2);
		if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, false, out, sec))
			return true;
	}
	if (!s->link)
		return false;
	n = snprintf(path, sizeof(path), "%s%s/%s", root, s->dir, s->link);
	if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec))
		return true;
	n = snprintf(path, sizeof(path), "%s%s/.debug/%s", root, s->dir, s->link);
	if (n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec))
		return true;
	if (s->dir[0] != '/')
		return false;
	n = snprintf(path, sizeof(path), "%s%s%s/%s", root, ddir, s->dir, s->link);
	return n > 0 && (size_t)n < sizeof(path) && debug_try(s, path, true, out, sec);
}

bool debug_find(const char *debug_dir, const char *path, const struct elf_file *main,
		const char *build_id, struct elf_file *out, struct elf_sections *sec)
{
	struct debug_search *s = calloc(1, sizeof(*s));
	const char *inner = path, *slash;
	bool found = false;

	if (!s)
		return false;
	s->debug_dir = debug_dir;
	s->main = main;
	s->build_id = build_id;
	s->link = dwelf_elf_gnu_debuglink(main->elf, &s->crc);
	if (s->link && (!*s->link || strchr(s->link, '/')))
		s->link = NULL;
	if (!strncmp(path, "/proc/", 6)) {
		const char *p = strchr(path + 6, '/');

		if (p && p > path + 6 && !strncmp(p, "/root/", 6) &&
		    (size_t)(p + 5 - path) < PATH_MAX) {
			memcpy(s->root, path, p + 5 - path);
			inner = p + 5;
		}
	}
	slash = strrchr(inner, '/');
	if (!slash)
		strcpy(s->dir, ".");
	else if ((size_t)(slash - inner) < sizeof(s->dir))
		memcpy(s->dir, inner, slash - inner);
	else
		s->link = NULL;

	if (s->root[0])
		found = debug_find_in(s, s->root, out, sec);
	if (!found)
		found = debug_find_in(s, "", out, sec);
	free(s);
	return found;
}

/* ---- debuginfod ---- */

bool debug_fetch(struct sym_fetcher *fetcher, uint64_t deadline_ns, const struct elf_file *main,
		 const char *build_id, struct elf_file *out, struct elf_sections *sec,
		 bool *pending)
{
	struct debug_search s = {.main = main, .build_id = build_id};
	int state;
	char *path;
	bool found;

	state = sym_fetcher__get(fetcher, build_id, deadline_ns, &path);
	*pending = state == SYM_FETCH_PENDING;
	if (state != SYM_FETCH_DONE)
		return false;
	/* the same checks as a local one: its build id, something in it */
	found = debug_try(&s, path, false, out, sec);
	if (!found)
		log_warn("sym: debuginfod's %s is not the debug file of %s", path, build_id);
	free(path);
	return found;
}

/* ---- MiniDebugInfo ---- */

#define MINIDEBUG_MAX (256u << 20) /* bytes decompressed, at most */

Elf *minidebug_open(Elf_Scn *scn, void **buf)
{
	Elf_Data *in = elf_rawdata(scn, NULL);
	lzma_stream strm = LZMA_STREAM_INIT;
	size_t cap = 0, len = 0;
	lzma_ret ret = LZMA_OK;
	uint8_t *out = NULL;
	GElf_Ehdr eh;
	Elf *elf;

	*buf = NULL;
	if (!in || !in->d_buf || !in->d_size ||
	    lzma_stream_decoder(&strm, MINIDEBUG_MAX, 0) != LZMA_OK)
		return NULL;
	strm.next_in = in->d_buf;
	strm.avail_in = in->d_size;
	while (ret == LZMA_OK) {
		if (len == cap) {
			size_t n = cap ? cap * 2 : in->d_size * 4 + 4096;
			uint8_t *p;

			if (n > MINIDEBUG_MAX)
				n = MINIDEBUG_MAX;
			if (n <= cap || !(p = realloc(out, n)))
				break;
			out = p;
			cap = n;
		}
		strm.next_out = out + len;
		strm.avail_out = cap - len;
		ret = lzma_code(&strm, LZMA_FINISH);
		len = cap - strm.avail_out;
	}
	lzma_end(&strm);
	if (ret != LZMA_STREAM_END) {
		log_debug("sym: .gnu_debugdata cannot be decompressed (xz error %d)", (int)ret);
		free(out);
		return NULL;
	}
	elf = elf_memory((char *)out, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    !elf_headers_fit(elf, &eh, len)) {
		log_debug("sym: .gnu_debugdata is not ELF");
		if (elf)
			elf_end(elf);
		free(out);
		return NULL;
	}
	*buf = out;
	return elf;
}
