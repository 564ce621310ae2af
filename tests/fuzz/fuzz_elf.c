// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF symbolizer on any file: opening it (headers, sections, build id,
 * MiniDebugInfo), its symbols, lines and inlined functions at addresses taken
 * from the input and around its symbols.
 */
#include "fuzz.h"
#include "sym/sym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_frame frames[SYM_FRAMES_MAX];
	struct sym_cache *c;
	struct sym_elf *e;
	struct sym_info info;
	char path[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	c = sym_cache__new(2);
	if (c && sym_cache__set_debug_dir(c, "/nonexistent") == 0 &&
	    (e = sym_cache__elf(c, path, 0, 0))) {
		uint64_t vaddr;

		FUZZ_CHECK(strlen(sym_elf__build_id(e)) % 2 == 0);
		for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
			uint64_t a;
			size_t n;

			memcpy(&a, data + i, 8);
			for (int d = 0; d < 2; d++, a = a % (1u << 20)) {
				if (sym_elf__lookup(e, a, &info))
					FUZZ_CHECK(info.name && info.start <= a);
				n = sym_elf__frames(e, a, true, frames, SYM_FRAMES_MAX);
				FUZZ_CHECK(n <= SYM_FRAMES_MAX);
				for (size_t k = 0; k < n; k++)
					FUZZ_CHECK(frames[k].name);
				if (n)
					FUZZ_CHECK(sym_elf__frames(e, a, false, frames, 1) == 1);
			}
			sym_elf__offset_to_vaddr(e, a, &vaddr);
		}
	}
	sym_cache__free(c);
	close(fd);
	return 0;
}
