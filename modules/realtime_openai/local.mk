# realtime_openai: each call's AI agent over the OpenAI Realtime API.
noinst_LTLIBRARIES += modules/realtime_openai/librealtime_openai_impl.la
modules_realtime_openai_librealtime_openai_impl_la_SOURCES = \
	modules/realtime_openai/realtime_openai.c \
	modules/realtime_openai/realtime_openai.h \
	modules/realtime_openai/realtime_openai_agents.c \
	modules/realtime_openai/realtime_openai_audio.c \
	modules/realtime_openai/realtime_openai_session.c
modules_realtime_openai_librealtime_openai_impl_la_CFLAGS = $(AM_CFLAGS) \
	$(VG_MOD_CFLAGS) $(JSONC_CFLAGS)
modules_realtime_openai_librealtime_openai_impl_la_LIBADD = $(JSONC_LIBS)
module_LTLIBRARIES += modules/realtime_openai/realtime_openai.la
modules_realtime_openai_realtime_openai_la_SOURCES =
modules_realtime_openai_realtime_openai_la_LIBADD = \
	modules/realtime_openai/librealtime_openai_impl.la
modules_realtime_openai_realtime_openai_la_LDFLAGS = $(VG_MODULE_LINK)

check_PROGRAMS += modules/realtime_openai/test_realtime_openai
modules_realtime_openai_test_realtime_openai_SOURCES = \
	modules/realtime_openai/test_realtime_openai.c
modules_realtime_openai_test_realtime_openai_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/realtime_openai
modules_realtime_openai_test_realtime_openai_CFLAGS = $(VG_TEST_CFLAGS)
modules_realtime_openai_test_realtime_openai_LDADD = \
	modules/realtime_openai/librealtime_openai_impl.la $(VG_TESTLIB) \
	$(VG_TEST_LDADD)
