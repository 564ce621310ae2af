# hrprof: one front door.
#
#   make            build the daemon/CLI into build/ (build/asan/ with SAN=1)
#   make deps       install every Debian package hrprof, its tests, make bench and
#                   make deb need (tools/deps.sh; each target installs what it
#                   lacks itself, with no apt-get when nothing is missing)
#   make demo       profile the bundled demo workload, write a pprof file, print the top
#   make check      unit + integration tests, normal and ASan/UBSan builds
#   make bench      overhead next to `perf record -g`, and without frame pointers next to
#                   `perf record --call-graph dwarf`; the unwinder's replay rate (not in check)
#   make bench-vm   the module's overhead and per-sample cost, in a qemu guest
#   make check-debug-kernel  the module's VM cases on a lockdep/KASAN/UBSAN 6.1
#                   kernel, built from linux-source-6.1 (once, cached)
#   make soak       an hour of faults (SOAK_SECS=N for less), judged for exactly-once
#                   delivery (not in check; SAN=1 for the ASan build)
#   make kmod       build the kernel module into build/kmod/<kver>/: for the running
#                   kernel, else every installed kernel's headers (KVERS="..." or
#                   KDIR=/path/to/headers to choose)
#   make dkms-install / dkms-remove   the module through DKMS, for the running kernel
#   make deb        Debian packages into build/deb/: hrprof_<v>_amd64.deb (daemon, man
#                   page, hrprof.service) and hrprof-dkms_<v>_all.deb, checked by lintian
#   make fuzz       every libFuzzer harness (tests/fuzz/) for FUZZ_TIME seconds each
#                   (default 300; make check runs each for 20)
#   make format     clang-format the userspace sources
#   make docs       docs/options.md and the man page, from the option table
#
# Quiet unless V=1.

BUILD_ROOT := build
ifeq ($(FUZZ),1)
# libFuzzer harnesses (tests/fuzz/): clang, every object instrumented.
O := $(BUILD_ROOT)/fuzz
CC := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
else ifeq ($(SAN),1)
O := $(BUILD_ROOT)/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
else
O := $(BUILD_ROOT)/release
SANFLAGS :=
endif

CC ?= gcc
PROTOC_C ?= protoc-c
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow \
	  -Wno-unused-parameter -D_GNU_SOURCE -DHRPROF_VERSION='"$(VERSION)"' \
	  -Iinclude -Iuserspace -I$(O)/gen $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

PROTO_SRC := userspace/proto/profile.proto
PROTO_C := $(O)/gen/profile.pb-c.c
PROTO_H := $(O)/gen/profile.pb-c.h

# The flame graph's page (userspace/report/flamegraph.html), as a C array.
FG_HTML := userspace/report/flamegraph.html
FG_HTML_C := $(O)/gen/flamegraph_html.c

# userspace/: the top (main.c, session.c) and one folder a concern
# (docs/design.md), each built into its own archive. Listed users before
# what they use, the order the linker needs; proto is the generated pprof
# schema. Each folder's libraries:
FOLDERS := session doctor report options export profile backend unwind proc sym proto base
LIBS_doctor := -lcurl
LIBS_report := -lz
LIBS_export := -lcurl -lzstd -lz -lpthread
LIBS_unwind := -ldw -lelf
LIBS_sym := -ldw -lelf -ldebuginfod -llzma -lz -lstdc++ -lpthread
LIBS_proto := -lprotobuf-c
LIBS_base := -luring -lz

TOP_OBJS := $(patsubst userspace/%.c,$(O)/obj/%.o,$(wildcard userspace/*.c))
folder_objs = $(patsubst userspace/%.c,$(O)/obj/%.o,$(wildcard userspace/$(1)/*.c))
OBJS_report = $(call folder_objs,report) $(O)/obj/report/flamegraph_html.o
OBJS_proto = $(O)/obj/proto/profile.pb-c.o
$(foreach f,$(filter-out report proto,$(FOLDERS)),$(eval OBJS_$(f) = $$(call folder_objs,$(f))))
OBJS := $(TOP_OBJS) $(foreach f,$(FOLDERS),$(OBJS_$(f)))

# archives F...: the archives of folders F, in link order; libs F...: their libraries.
archives = $(foreach f,$(filter $(1),$(FOLDERS)),$(O)/lib/lib$(f).a)
libs = $(sort $(foreach f,$(1),$(LIBS_$(f))))
ALL_ARCHIVES := $(call archives,$(FOLDERS))
ALL_LIBS := $(call libs,$(FOLDERS))

# Each unit test's folders (tests/unit/tests.mk): it links those alone.
-include tests/unit/tests.mk
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))

WORKLOAD_DIR := $(BUILD_ROOT)/workloads

.PHONY: all docs fuzz fuzz-bins deps demo check bench clean format \
	format-check workloads unit-tests kmod

.SECONDEXPANSION:
# Objects and generated sources stay (they are made through pattern rules).
.SECONDARY:

all: $(O)/hrprof

$(O)/hrprof: $(TOP_OBJS) $(ALL_ARCHIVES)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(TOP_OBJS) $(ALL_ARCHIVES) $(ALL_LIBS)

$(O)/lib/lib%.a: $$(OBJS_$$*)
	$(call msg,AR,$@)
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

$(O)/obj/%.o: userspace/%.c $(PROTO_H)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/obj/proto/profile.pb-c.o: $(PROTO_C)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(filter-out -Wextra -Wshadow,$(CFLAGS)) -c -o $@ $<

$(PROTO_C) $(PROTO_H): $(PROTO_SRC) | $(O)/gen
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) --proto_path=userspace/proto --c_out=$(O)/gen $(notdir $<)

$(FG_HTML_C): $(FG_HTML) | $(O)/gen
	$(call msg,GEN,$@)
	$(Q)od -An -v -tx1 $(FG_HTML) >$@.od
	$(Q){ echo '/* Generated from $(FG_HTML) by make: do not edit. */' && \
	  echo '#include "report/flamegraph.h"' && \
	  echo 'const unsigned char flamegraph_html[] = {' && \
	  sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' $@.od && \
	  echo '};' && \
	  echo 'const size_t flamegraph_html_len = sizeof(flamegraph_html);'; } >$@.tmp && \
	  rm -f $@.od && mv $@.tmp $@

$(O)/obj/report/flamegraph_html.o: $(FG_HTML_C)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/gen $(O)/tests:
	$(Q)mkdir -p $@

unit-tests: $(UNIT_BINS)

# The option reference, written from the option table (tools/options_doc.c):
# docs/options.md, and the man page docs/hrprof.1 from docs/hrprof.1.in.
# Both are committed; tests/lint/options_docs.sh fails when they are stale.
OPTIONS_DOC := $(O)/tools/options_doc
$(OPTIONS_DOC): tools/options_doc.c $(call archives,options backend base)
	$(call msg,TOOL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(call archives,options backend base) $(LDFLAGS) \
		$(call libs,options backend base)

docs: $(OPTIONS_DOC)
	$(call msg,GEN,docs/options.md docs/hrprof.1)
	$(Q)$(OPTIONS_DOC) md >docs/options.md.tmp && mv docs/options.md.tmp docs/options.md
	$(Q)$(OPTIONS_DOC) man docs/hrprof.1.in >docs/hrprof.1.tmp && mv docs/hrprof.1.tmp docs/hrprof.1

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD_ROOT)/fuzz/bin/%,$(FUZZ_SRCS))
FUZZ_TIME ?= 300

fuzz-bins:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_BINS)

$(BUILD_ROOT)/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(ALL_ARCHIVES)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(ALL_ARCHIVES) $(LDFLAGS) $(ALL_LIBS)

fuzz:
	$(Q)tools/deps.sh check
	$(Q)$(MAKE) --no-print-directory fuzz-bins
	$(Q)tests/fuzz/run.sh $(BUILD_ROOT)/fuzz $(FUZZ_TIME)

$(O)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $$(call archives,$$(USES_$$*)) \
		| $(O)/tests
	$(if $(USES_$*),,$(error tests/unit/tests.mk names no folders for $*))
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(call archives,$(USES_$*)) $(LDFLAGS) \
		$(call libs,$(USES_$*))

# Workloads are built with frame pointers; tests/workloads/Makefile knows the variants.
workloads:
	$(Q)$(MAKE) --no-print-directory -C tests/workloads OUT=$(abspath $(WORKLOAD_DIR)) Q=$(Q)

-include $(OBJS:.o=.d)

# Debian packages: tools/deps.sh installs those missing (apt-get runs only
# then, as root); make deps installs everything.
deps:
	$(Q)tools/deps.sh all

demo:
	$(Q)tools/deps.sh build
	$(Q)$(MAKE) --no-print-directory all workloads
	$(Q)tests/demo.sh $(O)/hrprof $(WORKLOAD_DIR)

check:
	$(Q)tools/deps.sh check
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory all unit-tests $(OPTIONS_DOC) workloads kmod
	$(Q)if t=$$(tests/vm/debug_kernel.sh path 2>/dev/null); then \
		$(MAKE) --no-print-directory kmod KDIR=$$t; fi
	$(Q)$(MAKE) --no-print-directory SAN=1 all unit-tests
	$(Q)$(MAKE) --no-print-directory fuzz-bins
	$(Q)tests/run.sh $(BUILD_ROOT)

# An hour (SOAK_SECS) of --global at 1 kHz with churn, Agent outages, 500s,
# a slow body, a full spool and two SIGKILLs; judged for exactly-once
# delivery, flat RSS and fds (tests/soak/). SAN=1: the ASan/UBSan build.
SOAK_SECS ?= 3600
soak:
	$(Q)tools/deps.sh check
	$(Q)$(MAKE) --no-print-directory all workloads
	$(Q)SOAK_SECS=$(SOAK_SECS) tests/soak/soak.sh $(O)/hrprof $(WORKLOAD_DIR) $(BUILD_ROOT)/soak$(if $(filter 1,$(SAN)),-asan)

# The module's VM cases on the debug kernel alone, building it first (about
# 12 minutes on 2 cores, cached in /var/cache/hrprof-kdebug; once cached,
# make check runs the cases on it as well).
check-debug-kernel:
	$(Q)tools/deps.sh check kdebug
	$(Q)t=$$(tests/vm/debug_kernel.sh build) && \
		$(MAKE) --no-print-directory all workloads kmod && \
		$(MAKE) --no-print-directory kmod KDIR=$$t && \
		tests/vm/run.sh $$t

bench:
	$(Q)tools/deps.sh check bench
	$(Q)$(MAKE) --no-print-directory all workloads $(O)/bench/unwind_replay $(O)/bench/cfi_compile \
		$(O)/bench/sym_lines
	$(Q)tests/bench/bench.sh $(O)/hrprof $(WORKLOAD_DIR)
	$(Q)for cg in dwarf,8192 dwarf,32768; do \
		BENCH_RATES="99 1000" BENCH_WORKLOAD=nofp/bench BENCH_PERF_CG="--call-graph $$cg" \
			tests/bench/bench.sh $(O)/hrprof $(WORKLOAD_DIR) || exit 1; \
	done
	$(Q)$(O)/bench/unwind_replay 3 32768
	$(Q)$(O)/bench/unwind_replay 3 8192
	$(Q)$(O)/bench/cfi_compile 5 $(wildcard $(CFI_BENCH_OBJECTS))
	$(Q)$(O)/bench/sym_lines 5 5000 $(wildcard $(SYM_BENCH_OBJECTS))

# Objects whose CFI compilation make bench times (those present): the C
# and C++ libraries, Debian's Python and Perl (their libraries as their own
# configurations name them), ripgrep.
LIBDIR = /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
PY_BENCH = $(shell /usr/bin/python3 -c 'import sysconfig as s; print(s.get_config_var("INSTSONAME"), s.get_config_var("VERSION"))' 2>/dev/null)
PERL_LIB = $(shell perl -MConfig -e 'print $$Config{libperl}' 2>/dev/null)
CFI_BENCH_OBJECTS = $(LIBDIR)/libc.so.6 $(LIBDIR)/libstdc++.so.6 $(LIBDIR)/$(word 1,$(PY_BENCH)) \
		    $(LIBDIR)/$(PERL_LIB) /usr/bin/python$(word 2,$(PY_BENCH)) /usr/bin/rg

# Objects whose naming make bench times: C++ (libstdc++ built with its
# DWARF, from libstdc++6-12-dbg) and C (libc, its debug file from libc6-dbg).
SYM_BENCH_OBJECTS = $(LIBDIR)/debug/libstdc++.so.6 $(LIBDIR)/libc.so.6

$(O)/bench/sym_lines: tests/bench/sym_lines.c $(call archives,sym base)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(call archives,sym base) $(LDFLAGS) $(call libs,sym base)

$(O)/bench/cfi_compile: tests/bench/cfi_compile.c $(call archives,unwind sym proc base)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(call archives,unwind sym proc base) $(LDFLAGS) \
		$(call libs,unwind sym proc base)

# The unwinder alone, on stacks this program records of itself (no frame
# pointers: the CFI tables find every frame).
$(O)/bench/unwind_replay: tests/bench/unwind_replay.c $(call archives,unwind sym proc base)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -fno-omit-frame-pointer,$(CFLAGS)) -fomit-frame-pointer -o $@ $< \
		$(call archives,unwind sym proc base) $(LDFLAGS) $(call libs,unwind sym proc base)

# The module against the perf backend and perf record, inside one qemu guest.
bench-vm:
	$(Q)tools/deps.sh check
	$(Q)$(MAKE) --no-print-directory all workloads kmod
	$(Q)tests/vm/bench_host.sh

FORMAT_FILES = $(wildcard userspace/*.c userspace/*.h userspace/*/*.c userspace/*/*.h tools/*.c include/*.h tests/unit/*.c tests/unit/*.h \
		tests/fuzz/*.c tests/fuzz/*.h \
		tests/workloads/*.c tests/vm/*.c tests/vm/*.h tests/bench/*.c)

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(Q)clang-format --dry-run -Werror $(FORMAT_FILES) || \
		{ echo "clang-format: run 'make format'"; exit 1; }

# ---- the kernel module ----

# KDIR=path builds against those headers alone (into build/kmod/<basename>);
# else KVERS, by default the running kernel when its headers are installed,
# otherwise every installed kernel's (this machine boots a kernel without
# headers: its tests build for Debian's 6.1 and 6.12).
ifdef KDIR
KVERS := $(notdir $(abspath $(KDIR)))
kdir_of = $(KDIR)
else
KVERS ?= $(if $(wildcard /lib/modules/$(shell uname -r)/build),$(shell uname -r),\
	   $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build))))
kdir_of = /lib/modules/$(1)/build
endif
# The headers the module shares with the daemon.
KMOD_INCLUDES := include/hrprof.h include/hrprof_check.h include/hrprof_unwind.h
KMOD_SRCS := Kbuild VERSION $(wildcard kmod/*.c kmod/*.h kmod/Kbuild) $(KMOD_INCLUDES)

# Each kernel gets a copy of the DKMS tree (Kbuild, kmod/, include/), so
# build outputs stay under build/ and the module builds as DKMS builds it.
kmod: $(KMOD_SRCS)
	$(Q)[ -n "$(KVERS)" ] || { echo "no kernel headers: apt-get install linux-headers-amd64"; exit 1; }
	$(Q)for v in $(KVERS); do \
		d=$(abspath $(BUILD_ROOT))/kmod/$$v; \
		mkdir -p $$d/kmod $$d/include && cp Kbuild VERSION $$d/ && cp kmod/*.c kmod/*.h kmod/Kbuild $$d/kmod/ && \
		cp $(KMOD_INCLUDES) $$d/include/ && \
		printf '  %-7s %s\n' KMOD "$$v" && \
		$(MAKE) --no-print-directory -C $(call kdir_of,$$v) M=$$d $(if $(V),V=1) modules \
			> $$d/build.log 2>&1 || { cat $$d/build.log; exit 1; }; \
		if grep -E 'warning:' $$d/build.log; then echo "kmod: warnings for $$v"; exit 1; fi; \
	done

DKMS_NAME := hrprof
DKMS_SRC := /usr/src/$(DKMS_NAME)-$(VERSION)

dkms-tree:
	$(Q)rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)/kmod $(DKMS_SRC)/include
	$(Q)cp Kbuild VERSION $(DKMS_SRC)/ && cp kmod/*.c kmod/*.h kmod/Kbuild $(DKMS_SRC)/kmod/ && \
		cp $(KMOD_INCLUDES) $(DKMS_SRC)/include/
	$(Q)sed 's/@VERSION@/$(VERSION)/' dkms/dkms.conf > $(DKMS_SRC)/dkms.conf

dkms-install: dkms-tree
	$(Q)dkms remove -m $(DKMS_NAME) -v $(VERSION) --all >/dev/null 2>&1 || true
	dkms add -m $(DKMS_NAME) -v $(VERSION)
	dkms build -m $(DKMS_NAME) -v $(VERSION)
	dkms install -m $(DKMS_NAME) -v $(VERSION)

dkms-remove:
	dkms remove -m $(DKMS_NAME) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# Debian packages, built by dpkg-buildpackage in a copy of the sources with
# dkms/debian/ as its debian/ (the changelog made from VERSION), without
# this make's variables (BUILD_ROOT=... is the copy's own there), then
# checked by lintian: any error fails.
DEB_OUT := $(BUILD_ROOT)/deb
DEB_TREE := $(DEB_OUT)/hrprof-$(VERSION)
DEB_SOURCES := Makefile VERSION Kbuild README.md include kmod userspace dkms docs

deb:
	$(Q)tools/deps.sh build deb
	$(Q)rm -rf $(DEB_OUT) && mkdir -p $(DEB_TREE)
	$(Q)cp -r $(DEB_SOURCES) $(DEB_TREE)/ && cp -r dkms/debian $(DEB_TREE)/debian
	$(Q)printf 'hrprof (%s) unstable; urgency=medium\n\n  * hrprof %s.\n\n -- %s  %s\n' \
		'$(VERSION)' '$(VERSION)' 'hrprof developers <hrprof@packages.invalid>' "$$(date -R)" \
		>$(DEB_TREE)/debian/changelog
	$(call msg,DEB,$(DEB_OUT))
	$(Q)cd $(DEB_TREE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 40 $(DEB_OUT)/build.log; echo "dpkg-buildpackage failed: $(DEB_OUT)/build.log"; exit 1; }
	$(call msg,LINTIAN,$(DEB_OUT)/hrprof_$(VERSION)_amd64.changes)
	$(Q)lintian --fail-on error $(DEB_OUT)/hrprof_$(VERSION)_amd64.changes >$(DEB_OUT)/lintian.log; \
		rc=$$?; cat $(DEB_OUT)/lintian.log; exit $$rc
	$(Q)ls $(DEB_OUT)/*.deb

.PHONY: kmod dkms-tree dkms-install dkms-remove bench-vm check-debug-kernel soak deb

clean:
	$(Q)rm -rf $(BUILD_ROOT)
