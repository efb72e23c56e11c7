# Unit tests (C) and daemon tests, all run by `make check`. Each program
# prints one "N passed, N failed" line and exits non-zero on failure.
VG_TEST_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
VG_TEST_CFLAGS = $(core_libvgcore_la_CFLAGS)
VG_TEST_LDADD = core/libvgcore.la
EXTRA_DIST += tests/vg_test.h

# Environment for every test: where the build tree is.
AM_TESTS_ENVIRONMENT = \
	VG_TOP_SRCDIR='$(abs_top_srcdir)'; export VG_TOP_SRCDIR; \
	VG_TOP_BUILDDIR='$(abs_top_builddir)'; export VG_TOP_BUILDDIR;

# ---- every public header compiles alone ----
check_PROGRAMS += tests/unit/test_headers
tests_unit_test_headers_SOURCES = tests/unit/test_headers.c
tests_unit_test_headers_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_headers_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_headers_LDADD = $(VG_TEST_LDADD)

# ---- configuration parser ----
check_PROGRAMS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_conf_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_conf_LDADD = $(VG_TEST_LDADD)
EXTRA_DIST += tests/unit/conf
# Replay of the parser's fuzz corpus (tests/fuzz/fuzz_conf.c says how to
# build the same harness for libFuzzer).
check_PROGRAMS += tests/fuzz/fuzz_conf
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c
tests_fuzz_fuzz_conf_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_fuzz_fuzz_conf_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_conf_LDADD = $(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/conf

# ---- event bus ----
check_PROGRAMS += tests/unit/test_bus
tests_unit_test_bus_SOURCES = tests/unit/test_bus.c
tests_unit_test_bus_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_bus_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_bus_LDADD = $(VG_TEST_LDADD)

# ---- timers, fd watches, workers, HTTP client ----
check_PROGRAMS += tests/unit/test_loop tests/unit/test_httpc
tests_unit_test_loop_SOURCES = tests/unit/test_loop.c
tests_unit_test_loop_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_loop_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_loop_LDADD = $(VG_TEST_LDADD)
tests_unit_test_httpc_SOURCES = tests/unit/test_httpc.c
tests_unit_test_httpc_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_httpc_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_httpc_LDADD = $(VG_TEST_LDADD)

# ---- net thread: HTTP routes, WebSocket server and client ----
check_PROGRAMS += tests/unit/test_net
tests_unit_test_net_SOURCES = tests/unit/test_net.c
tests_unit_test_net_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_net_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_net_LDADD = $(VG_TEST_LDADD)

# ---- loader (with test modules built beside it) ----
check_PROGRAMS += tests/unit/test_loader
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_loader_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_loader_LDADD = $(VG_CORE_LIBS)
tests_unit_test_loader_DEPENDENCIES = core/libvgcore.la
tests_unit_test_loader_LDFLAGS = $(AM_LDFLAGS) $(VG_CORE_WHOLE) \
	-Wl,--dynamic-list=$(top_srcdir)/core/voicegate.dynlist

# ---- control socket, calls, metrics ----
check_PROGRAMS += tests/unit/test_control
tests_unit_test_control_SOURCES = tests/unit/test_control.c
tests_unit_test_control_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_control_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_control_LDADD = $(VG_TEST_LDADD)

TESTS += $(check_PROGRAMS)

# ---- daemon end to end (the real binary over loopback) ----
E2E_TESTS = tests/e2e/daemon.sh
TESTS += $(E2E_TESTS)
EXTRA_DIST += tests/e2e/lib.sh $(E2E_TESTS)
