# Benchmarks: built by plain `make` (so they never rot), never installed.
# Run them from the build tree, e.g. $(srcdir)/bench/run-bus.
VG_BENCH_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS) -I$(top_srcdir)/core
VG_BENCH_CFLAGS = $(core_libvgcore_la_CFLAGS)
VG_BENCH_LDADD = core/libvgcore.la

# ---- event bus deliveries ----
noinst_PROGRAMS += bench/bench_bus
bench_bench_bus_SOURCES = bench/bench_bus.c
bench_bench_bus_CPPFLAGS = $(VG_BENCH_CPPFLAGS)
bench_bench_bus_CFLAGS = $(VG_BENCH_CFLAGS)
bench_bench_bus_LDADD = $(VG_BENCH_LDADD)
EXTRA_DIST += bench/run-bus

# ---- WebSocket echo through the daemon: ws_load and run-ws-echo ----
noinst_PROGRAMS += bench/ws_load
bench_ws_load_SOURCES = bench/ws_load.c
bench_ws_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/sim
bench_ws_load_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_ws_load_LDADD = tools/sim/libwsc.la $(OPENSSL_LIBS) $(PTHREAD_LIBS)
TESTS += bench/ws_load-selftest.sh
EXTRA_DIST += bench/ws_load-selftest.sh bench/run-ws-echo

# ---- simulated calls and instruction counts: run-calls, run-callgrind ----
EXTRA_DIST += bench/run-calls bench/run-callgrind bench/floor

# ---- AI-side calls through realtime_openai: run-agent-calls ----
EXTRA_DIST += bench/run-agent-calls

