/* SPDX-License-Identifier: GPL-2.0 */
/* For the tests that corrupt ELF files: where a section is, by name. */
#ifndef HRPROF_TEST_ELF_SECTION_H
#define HRPROF_TEST_ELF_SECTION_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The file range of section name, and (hdr, if not NULL) the file offset
 * of its section header. False when there is none. */
static inline bool elf_section_range(Elf *elf, const char *name, uint64_t *off, uint64_t *size,
				     uint64_t *hdr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	if (elf_getshdrstrndx(elf, &shstrndx) || !gelf_getehdr(elf, &eh))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(n, name)) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			if (hdr)
				*hdr = eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize;
			return true;
		}
	}
	return false;
}

#endif
