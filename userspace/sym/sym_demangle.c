// SPDX-License-Identifier: GPL-2.0
/*
 * C++ (Itanium ABI) and legacy Rust name demangling through libstdc++.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sym.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Legacy Rust names end in "::h" and a 16 hex digit hash. */
static bool rust_hash_suffix(const char *s, size_t len)
{
	if (len < 19)
		return false;
	s += len - 19;
	if (strncmp(s, "::h", 3) != 0)
		return false;
	for (int i = 3; i < 19; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undoes the legacy Rust escapes ($LT$, $u20$, "..") in place; the result is
 * never longer than the input. */
static void rust_unescape(char *s)
{
	static const struct {
		const char *seq;
		char c;
	} esc[] = {
	    {"$LT$", '<'}, {"$GT$", '>'}, {"$RF$", '&'}, {"$BP$", '*'},
	    {"$SP$", '@'}, {"$C$", ','},  {"$LP$", '('}, {"$RP$", ')'},
	};
	char *out = s;
	const char *in = s;

	while (*in) {
		bool done = false;

		if (in[0] == '_' && in[1] == '$' && (out == s || out[-1] == ':')) {
			in++;
			continue;
		}
		if (in[0] == '.' && in[1] == '.') {
			*out++ = ':';
			*out++ = ':';
			in += 2;
			continue;
		}
		if (*in == '$') {
			for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
				size_t n = strlen(esc[i].seq);

				if (strncmp(in, esc[i].seq, n) == 0) {
					*out++ = esc[i].c;
					in += n;
					done = true;
					break;
				}
			}
			if (!done && in[1] == 'u' && hexval(in[2]) >= 0 && hexval(in[3]) >= 0 &&
			    in[4] == '$') {
				int c = hexval(in[2]) << 4 | hexval(in[3]);

				if (c >= 0x20 && c < 0x7f) {
					*out++ = (char)c;
					in += 5;
					done = true;
				}
			}
			if (done)
				continue;
		}
		*out++ = *in++;
	}
	*out = '\0';
}

char *sym_demangle(const char *name)
{
	int status = -1;
	char *out;
	size_t len;

	if (!name || strncmp(name, "_Z", 2) != 0)
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0 || !out) {
		free(out);
		return NULL;
	}
	len = strlen(out);
	if (rust_hash_suffix(out, len)) {
		out[len - 19] = '\0';
		rust_unescape(out);
	}
	return out;
}
