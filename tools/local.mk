# voicegatectl: talks to the daemon over its control socket. Linked with the
# core library for the configuration parser and settings.
bin_PROGRAMS += tools/voicegatectl
tools_voicegatectl_SOURCES = tools/voicegatectl.c
tools_voicegatectl_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS) -I$(top_srcdir)/core
tools_voicegatectl_CFLAGS = $(core_libvgcore_la_CFLAGS)
tools_voicegatectl_LDADD = core/libvgcore.la

# wsc: a raw-socket WebSocket framing kit (buffers, frames, handshake keys)
# shared by voicegate-sim and bench/ws_load. OpenSSL only, no core library.
noinst_LTLIBRARIES += tools/sim/libwsc.la
tools_sim_libwsc_la_SOURCES = tools/sim/wsc.c tools/sim/wsc.h
tools_sim_libwsc_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_sim_libwsc_la_LIBADD = $(OPENSSL_LIBS)

# voicegate-sim: simulated Twilio calls against a running voicegate (one
# thread, epoll), and --realtime-server, a stand-in for the OpenAI Realtime
# API (sim_rt*.c). Standalone: OpenSSL, json-c and libwsc, no core library.
bin_PROGRAMS += tools/voicegate-sim
tools_voicegate_sim_SOURCES = tools/sim/voicegate-sim.c tools/sim/sim.h \
	tools/sim/sim_run.c tools/sim/sim_sign.c tools/sim/sim_audio.c \
	tools/sim/sim_twiml.c tools/sim/sim_json.c tools/sim/sim_fake.c \
	tools/sim/sim_rt.c tools/sim/sim_rt.h tools/sim/sim_rt_script.c \
	tools/sim/sim_rt_test.c
tools_voicegate_sim_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS)
tools_voicegate_sim_LDADD = tools/sim/libwsc.la $(OPENSSL_LIBS) $(JSONC_LIBS) \
	$(PTHREAD_LIBS) -lm
dist_doc_DATA += doc/simulator.md
