# Unit tests (C) and daemon tests, all run by `make check`. Each program
# prints one "N passed, N failed" line and exits non-zero on failure.
VG_TEST_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
VG_TEST_CFLAGS = $(core_libvgcore_la_CFLAGS)
VG_TEST_LDADD = core/libvgcore.la
EXTRA_DIST += tests/vg_test.h

# Helpers the C test programs share (tests/vg_testlib.h): pumping the core
# loop, a configuration-error printer, a raw-socket HTTP client. Link it
# before $(VG_TEST_LDADD).
check_LTLIBRARIES += tests/libvgtest.la
tests_libvgtest_la_SOURCES = tests/vg_testlib.c tests/vg_testlib.h
tests_libvgtest_la_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_libvgtest_la_CFLAGS = $(VG_TEST_CFLAGS)
VG_TESTLIB = tests/libvgtest.la

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
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/replay.c
tests_fuzz_fuzz_conf_CPPFLAGS = $(VG_TEST_CPPFLAGS) -DVG_FUZZ_CORPUS=\"conf\"
tests_fuzz_fuzz_conf_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_conf_LDADD = $(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/conf

# ---- media_ws: replay of the Media Streams parser's fuzz corpus ----
check_PROGRAMS += tests/fuzz/fuzz_media_ws
tests_fuzz_fuzz_media_ws_SOURCES = tests/fuzz/fuzz_media_ws.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_media_ws_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-DVG_FUZZ_CORPUS=\"media_ws\" \
	-I$(top_srcdir)/modules/media_ws
tests_fuzz_fuzz_media_ws_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_media_ws_LDADD = modules/media_ws/libmedia_ws_impl.la \
	$(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/media_ws

# ---- twilio_http: replay of the webhook form / outbound body corpus ----
check_PROGRAMS += tests/fuzz/fuzz_twilio_form
tests_fuzz_fuzz_twilio_form_SOURCES = tests/fuzz/fuzz_twilio_form.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_twilio_form_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-DVG_FUZZ_CORPUS=\"twilio_form\" \
	-I$(top_srcdir)/modules/twilio_common -I$(top_srcdir)/modules/twilio_http
tests_fuzz_fuzz_twilio_form_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_twilio_form_LDADD = modules/twilio_http/libtwilio_http_impl.la \
	$(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/twilio_form

# ---- realtime_openai: replay of the Realtime server-event fuzz corpus ----
check_PROGRAMS += tests/fuzz/fuzz_realtime_events
tests_fuzz_fuzz_realtime_events_SOURCES = tests/fuzz/fuzz_realtime_events.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_realtime_events_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/realtime_openai \
	-DVG_FUZZ_CORPUS=\"realtime_events\"
tests_fuzz_fuzz_realtime_events_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_realtime_events_LDADD = \
	modules/realtime_openai/librealtime_openai_impl.la $(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/realtime_events

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
tests_unit_test_httpc_LDADD = $(VG_TESTLIB) $(VG_TEST_LDADD)

# ---- small helpers (core/util.c): base64 ----
check_PROGRAMS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_util_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_util_LDADD = $(VG_TEST_LDADD)

# ---- RFC 6455 framing and HTTP/1.1 heads, with their fuzz corpora ----
check_PROGRAMS += tests/unit/test_wsproto tests/unit/test_httpparse
tests_unit_test_wsproto_SOURCES = tests/unit/test_wsproto.c
tests_unit_test_wsproto_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_wsproto_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_wsproto_LDADD = $(VG_TEST_LDADD)
tests_unit_test_httpparse_SOURCES = tests/unit/test_httpparse.c
tests_unit_test_httpparse_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_httpparse_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_httpparse_LDADD = $(VG_TEST_LDADD)
check_PROGRAMS += tests/fuzz/fuzz_wsproto tests/fuzz/fuzz_httpparse
tests_fuzz_fuzz_wsproto_SOURCES = tests/fuzz/fuzz_wsproto.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_wsproto_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-DVG_FUZZ_CORPUS=\"wsproto\"
tests_fuzz_fuzz_wsproto_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_wsproto_LDADD = $(VG_TEST_LDADD)
tests_fuzz_fuzz_httpparse_SOURCES = tests/fuzz/fuzz_httpparse.c \
	tests/fuzz/replay.c
tests_fuzz_fuzz_httpparse_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-DVG_FUZZ_CORPUS=\"httpparse\"
tests_fuzz_fuzz_httpparse_CFLAGS = $(VG_TEST_CFLAGS)
tests_fuzz_fuzz_httpparse_LDADD = $(VG_TEST_LDADD)
EXTRA_DIST += tests/fuzz/corpus/wsproto tests/fuzz/corpus/httpparse

# ---- the network layer: HTTP routes, WebSocket server and client ----
check_PROGRAMS += tests/unit/test_net
tests_unit_test_net_SOURCES = tests/unit/test_net.c
tests_unit_test_net_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_net_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_net_LDADD = $(VG_TESTLIB) $(VG_TEST_LDADD)
# the listener's HTTP/1.1 and WebSocket protocol handling, both ends, over
# real sockets (VG_TEST_SLOW=1 adds the 30 s idle and 10 s connect timeouts)
check_PROGRAMS += tests/unit/test_net_proto
tests_unit_test_net_proto_SOURCES = tests/unit/test_net_proto.c
tests_unit_test_net_proto_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_net_proto_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_net_proto_LDADD = $(VG_TESTLIB) $(VG_TEST_LDADD)

# ---- loader (with test modules built beside it) ----
check_PROGRAMS += tests/unit/test_loader
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_loader_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_loader_LDADD = $(VG_CORE_LIBS)
tests_unit_test_loader_DEPENDENCIES = core/libvgcore.la
tests_unit_test_loader_LDFLAGS = $(AM_LDFLAGS) $(VG_CORE_WHOLE) \
	-Wl,--dynamic-list=$(top_srcdir)/core/voicegate.dynlist
# Test modules test_loader opens from tests/unit/mods/.libs/: shared
# objects built like real modules (hidden symbols), never installed.
VG_TESTMOD_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath /nowhere
EXTRA_DIST += tests/unit/mods/mods.h
check_LTLIBRARIES += tests/unit/mods/t_ok.la
tests_unit_mods_t_ok_la_SOURCES = tests/unit/mods/t_ok.c
tests_unit_mods_t_ok_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_ok_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_decline.la
tests_unit_mods_t_decline_la_SOURCES = tests/unit/mods/t_decline.c
tests_unit_mods_t_decline_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_decline_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_fail.la
tests_unit_mods_t_fail_la_SOURCES = tests/unit/mods/t_fail.c
tests_unit_mods_t_fail_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_fail_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_abi_major.la
tests_unit_mods_t_abi_major_la_SOURCES = tests/unit/mods/t_abi_major.c
tests_unit_mods_t_abi_major_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_abi_major_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_abi_minor.la
tests_unit_mods_t_abi_minor_la_SOURCES = tests/unit/mods/t_abi_minor.c
tests_unit_mods_t_abi_minor_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_abi_minor_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_a.la
tests_unit_mods_t_a_la_SOURCES = tests/unit/mods/t_a.c
tests_unit_mods_t_a_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_a_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_b.la
tests_unit_mods_t_b_la_SOURCES = tests/unit/mods/t_b.c
tests_unit_mods_t_b_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_b_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_c.la
tests_unit_mods_t_c_la_SOURCES = tests/unit/mods/t_c.c
tests_unit_mods_t_c_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_c_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_x.la
tests_unit_mods_t_x_la_SOURCES = tests/unit/mods/t_x.c
tests_unit_mods_t_x_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_x_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_y.la
tests_unit_mods_t_y_la_SOURCES = tests/unit/mods/t_y.c
tests_unit_mods_t_y_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_y_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_z.la
tests_unit_mods_t_z_la_SOURCES = tests/unit/mods/t_z.c
tests_unit_mods_t_z_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_z_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_needs.la
tests_unit_mods_t_needs_la_SOURCES = tests/unit/mods/t_needs.c
tests_unit_mods_t_needs_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_needs_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_leak.la
tests_unit_mods_t_leak_la_SOURCES = tests/unit/mods/t_leak.c
tests_unit_mods_t_leak_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_leak_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_rec.la
tests_unit_mods_t_rec_la_SOURCES = tests/unit/mods/t_rec.c
tests_unit_mods_t_rec_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_rec_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_prov.la
tests_unit_mods_t_prov_la_SOURCES = tests/unit/mods/t_prov.c
tests_unit_mods_t_prov_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_prov_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)
check_LTLIBRARIES += tests/unit/mods/t_user.la
tests_unit_mods_t_user_la_SOURCES = tests/unit/mods/t_user.c
tests_unit_mods_t_user_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS)
tests_unit_mods_t_user_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)

# The example out-of-tree module builds against the installed headers.
TESTS += tests/unit/example_build.sh
EXTRA_DIST += tests/unit/example_build.sh

# ---- control socket, calls, metrics ----
check_PROGRAMS += tests/unit/test_control
tests_unit_test_control_SOURCES = tests/unit/test_control.c
tests_unit_test_control_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_control_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_control_LDADD = $(VG_TEST_LDADD)
check_PROGRAMS += tests/unit/test_calls
tests_unit_test_calls_SOURCES = tests/unit/test_calls.c
tests_unit_test_calls_CPPFLAGS = $(VG_TEST_CPPFLAGS)
tests_unit_test_calls_CFLAGS = $(VG_TEST_CFLAGS)
tests_unit_test_calls_LDADD = $(VG_TEST_LDADD)

TESTS += $(check_PROGRAMS)

# ---- daemon end to end (the real binary over loopback) ----
E2E_TESTS = tests/e2e/daemon.sh
TESTS += $(E2E_TESTS)
EXTRA_DIST += tests/e2e/lib.sh $(E2E_TESTS)

# ---- fake Twilio REST API and the Node test tooling (tests/fakes/) ----
# Needs node and the modules of tests/package.json (run-tests installs them
# with `npm ci --prefix tests`); skipped only when node is missing.
TESTS += tests/e2e/fake_twilio_rest.sh
# Where they are (tests/fakes/twilio_lib.mjs reads it). Exported, so that
# the tree `make distcheck` unpacks, which has none, uses this tree's.
export VG_NODE_MODULES ?= $(abs_top_srcdir)/tests/node_modules
EXTRA_DIST += tests/e2e/fake_twilio_rest.sh tests/package.json \
	tests/package-lock.json tests/fakes/README.md \
	tests/fakes/twilio_lib.mjs tests/fakes/twilio_rest.mjs \
	tests/fakes/twilio_sign.mjs tests/fakes/check_vectors.mjs \
	tests/fakes/callback_sink.mjs

# ---- voicegate-sim: vectors, μ-law, TwiML, self-test, calls through the
# daemon ----
TESTS += tests/e2e/sim_selftest.sh
EXTRA_DIST += tests/e2e/sim_selftest.sh

# ---- Twilio end to end: the real daemon with twilio_http, media_ws and
# echo, the fake REST API, the official library's signatures and
# voicegate-sim (needs node; skipped only when it is missing). twilio_bus
# is a test module it loads beside them: "e2e publish" puts call.hangup or
# audio.clear on the bus, "e2e events" lists what the modules published.
TESTS += tests/e2e/twilio.sh
EXTRA_DIST += tests/e2e/twilio.sh
check_LTLIBRARIES += tests/e2e/twilio_bus.la
tests_e2e_twilio_bus_la_SOURCES = tests/e2e/twilio_bus.c
tests_e2e_twilio_bus_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS) \
	$(JSONC_CFLAGS)
tests_e2e_twilio_bus_la_LIBADD = $(JSONC_LIBS)
tests_e2e_twilio_bus_la_LDFLAGS = $(VG_TESTMOD_LDFLAGS)

# ---- fake OpenAI Realtime server (GA) and its test driver (tests/fakes/
# realtime*.mjs; needs node and the ws module of tests/package.json) ----
TESTS += tests/e2e/fake_realtime.sh
EXTRA_DIST += tests/e2e/fake_realtime.sh tests/fakes/realtime.mjs \
	tests/fakes/realtime_lib.mjs tests/fakes/realtime_schema.mjs \
	tests/fakes/realtime_client.mjs

# ---- deployment files (contrib/systemd, contrib/nginx, contrib/cloudflared,
# doc/deploy.md), and the guide's checklist run through the shipped nginx
# file when nginx is installed ----
TESTS += tests/e2e/deploy_files.sh
EXTRA_DIST += tests/e2e/deploy_files.sh

# ---- the web page end to end in headless Chromium (Debian's chromium,
# playwright-core from tests/package.json): login, live calls from
# voicegate-sim, transcripts and interruptions through realtime_openai and
# the fake Realtime server, placing a call through the fake Twilio REST API,
# feed reconnect. Skipped only when node or chromium is missing.
# Screenshots: tests/e2e/artifacts/ in the build tree. ----
TESTS += tests/e2e/ui_browser.sh
EXTRA_DIST += tests/e2e/ui_browser.sh tests/e2e/ui_browser.mjs
CLEANFILES += tests/e2e/artifacts/*.png tests/e2e/artifacts/*.jsonl

# ---- realtime_openai end to end (issue 4): the real daemon with
# twilio_http, media_ws, realtime_openai and the twilio_bus test module,
# the fake Realtime server (one script per call), the fake Twilio REST API
# and voicegate-sim as the caller: session.update, greeting, audio both
# ways, transcripts, barge-in, tools, errors, reconnect, end_call (needs
# node; skipped only when it is missing) ----
TESTS += tests/e2e/realtime.sh
EXTRA_DIST += tests/e2e/realtime.sh

# ---- realtime_openai over wss://: the fake Realtime server over TLS with
# a throw-away CA and certificates made by openssl at test time: verified,
# untrusted and wrong-host certificates (needs node and openssl; skipped
# when either is missing) ----
TESTS += tests/e2e/realtime_tls.sh
EXTRA_DIST += tests/e2e/realtime_tls.sh

# ---- voicegate-sim --realtime-server: the Realtime stand-in's self-test,
# the Node client against it, a call through the daemon to its demo ----
TESTS += tests/e2e/sim_realtime.sh
EXTRA_DIST += tests/e2e/sim_realtime.sh

# ---- the acceptance suite (issue 6): the prototype's success criteria
# against the daemon with every module of the sample configuration, set up
# from the environment as a user does, the fake Twilio REST API, the strict
# fake Realtime server, voicegate-sim as the caller and a UI client on the
# feed: health, 101 upgrade, a signed inbound call where the agent speaks
# first, an outbound call via the API, transcripts in order at the UI
# client, an interruption, hang-up by the caller and by the agent, zero
# violations, a clean log (needs node; skipped only when it is missing) ----
TESTS += tests/e2e/acceptance.sh
EXTRA_DIST += tests/e2e/acceptance.sh tests/e2e/acceptance_feed.mjs
