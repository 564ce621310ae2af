// SPDX-License-Identifier: GPL-2.0
/*
 * Opening ELF files for the symbolizer: bounded, untrusted (headers must
 * fit the file), with their build id and the sections that matter.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym_elf.h"

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

/* A truncated file has headers that point past its end (libelf then just
 * reports no sections). */
bool elf_headers_fit(Elf *elf, const GElf_Ehdr *eh, uint64_t size)
{
	uint64_t phnum = eh->e_phnum, shnum = eh->e_shnum;

	if (phnum == PN_XNUM) {
		size_t n;

		if (elf_getphdrnum(elf, &n) < 0)
			return false;
		phnum = n;
	}
	if (eh->e_phoff && phnum &&
	    (eh->e_phoff > size || phnum * eh->e_phentsize > size - eh->e_phoff))
		return false;
	if (eh->e_shoff && !shnum)
		shnum = 1; /* the count is in section 0 */
	if (eh->e_shoff && (eh->e_shoff > size || shnum * eh->e_shentsize > size - eh->e_shoff))
		return false;
	return true;
}

int elf_file__open(struct elf_file *f, const char *path)
{
	GElf_Ehdr ehdr;

	f->elf = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &f->st) < 0 || !S_ISREG(f->st.st_mode) ||
	    f->st.st_size < (off_t)sizeof(Elf32_Ehdr))
		goto bad;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &ehdr) ||
	    !elf_headers_fit(f->elf, &ehdr, f->st.st_size))
		goto bad;
	return 0;
bad:
	elf_file__close(f);
	return -ENOEXEC;
}

/* Keeps the Elf for libdw but gives up the descriptor: the mapped image is
 * all libelf needs, and cached files must not hold descriptors. */
Elf *elf_file__keep(struct elf_file *f)
{
	Elf *elf = f->elf;

	elf_cntl(elf, ELF_C_FDDONE);
	close(f->fd);
	f->fd = -1;
	f->elf = NULL;
	return elf;
}

void bytes_hex(const void *bytes, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *id = bytes;

	out[0] = '\0';
	if (!n || n > BUILD_ID_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * n] = '\0';
}

void build_id_hex(Elf *elf, char *out)
{
	const void *p;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &p);

	bytes_hex(p, n > 0 ? (size_t)n : 0, out);
}

void elf_sections__scan(Elf *elf, struct elf_sections *s)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool names = elf_getshdrstrndx(elf, &shstrndx) == 0;

	memset(s, 0, sizeof(*s));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !s->symtab) {
			s->symtab = scn;
		} else if (sh.sh_type == SHT_DYNSYM && !s->dynsym) {
			s->dynsym = scn;
		} else if (sh.sh_type == SHT_PROGBITS && sh.sh_size && names) {
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
				s->dwarf = true;
			else if (name && !strcmp(name, ".gnu_debugdata"))
				s->debugdata = scn;
		}
	}
}

bool sym_elf__libelf_ok(void)
{
	pthread_once(&libelf_once, libelf_init);
	return libelf_ok;
}
