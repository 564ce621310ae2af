# The folders of userspace/ each unit test links (the Makefile links their
# archives and libraries alone, in its link order), so a test of the
# symbolizer does not need libcurl. A test missing here does not build.
USES_test_cfi := unwind proc sym base
USES_test_cfi_step := base
USES_test_cgroup := proc base
USES_test_flamegraph := report proto base
USES_test_hashtab := base
USES_test_http := export base
USES_test_loop := base
USES_test_options := options backend base
USES_test_options_ddprof := options backend base
USES_test_perf_record := backend base
USES_test_pprof := profile proto base
USES_test_proc := proc sym base
USES_test_proc_maps := proc base
USES_test_report := report profile proto base
USES_test_pprof_read := report profile proto base
USES_test_ring_merge := backend base
USES_test_spool := export base
USES_test_stack := profile proc sym base
USES_test_sym_debug := sym base
USES_test_sym_elf := sym base
USES_test_sym_kernel := sym base
USES_test_sym_perfmap := sym base
USES_test_tags := export base
USES_test_u32map := base
USES_test_export := export profile proto proc sym base
USES_test_profile := profile report proto proc sym base
USES_test_pprof_go := profile proto base
