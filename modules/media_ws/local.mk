# media_ws: the Twilio Media Streams WebSocket endpoint.
noinst_LTLIBRARIES += modules/media_ws/libmedia_ws_impl.la
modules_media_ws_libmedia_ws_impl_la_SOURCES = \
	modules/media_ws/media_ws.c \
	modules/media_ws/media_ws.h \
	modules/media_ws/media_ws_msg.c \
	modules/media_ws/media_ws_play.c
modules_media_ws_libmedia_ws_impl_la_CPPFLAGS = $(TWILIO_COMMON_CPPFLAGS)
modules_media_ws_libmedia_ws_impl_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS) \
	$(JSONC_CFLAGS)
modules_media_ws_libmedia_ws_impl_la_LIBADD = \
	modules/twilio_common/libtwilio_common.la $(JSONC_LIBS)
module_LTLIBRARIES += modules/media_ws/media_ws.la
modules_media_ws_media_ws_la_SOURCES =
modules_media_ws_media_ws_la_LIBADD = modules/media_ws/libmedia_ws_impl.la
modules_media_ws_media_ws_la_LDFLAGS = $(VG_MODULE_LINK)

check_PROGRAMS += modules/media_ws/test_media_ws
modules_media_ws_test_media_ws_SOURCES = modules/media_ws/test_media_ws.c
modules_media_ws_test_media_ws_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/media_ws -I$(top_srcdir)/modules/twilio_common
modules_media_ws_test_media_ws_CFLAGS = $(VG_TEST_CFLAGS)
modules_media_ws_test_media_ws_LDADD = \
	modules/media_ws/libmedia_ws_impl.la $(VG_TESTLIB) \
	$(VG_TEST_LDADD)
