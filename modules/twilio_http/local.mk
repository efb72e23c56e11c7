# twilio_http: Twilio webhooks, outbound calls, hang-up/transfer, health.
noinst_LTLIBRARIES += modules/twilio_http/libtwilio_http_impl.la
modules_twilio_http_libtwilio_http_impl_la_SOURCES = \
	modules/twilio_http/twilio_http.c \
	modules/twilio_http/twilio_http_twiml.c \
	modules/twilio_http/twilio_http.h
modules_twilio_http_libtwilio_http_impl_la_CPPFLAGS = $(TWILIO_COMMON_CPPFLAGS)
modules_twilio_http_libtwilio_http_impl_la_CFLAGS = $(AM_CFLAGS) \
	$(VG_MOD_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
modules_twilio_http_libtwilio_http_impl_la_LIBADD = \
	modules/twilio_common/libtwilio_common.la $(JSONC_LIBS) $(OPENSSL_LIBS)
module_LTLIBRARIES += modules/twilio_http/twilio_http.la
modules_twilio_http_twilio_http_la_SOURCES =
modules_twilio_http_twilio_http_la_LIBADD = \
	modules/twilio_http/libtwilio_http_impl.la
modules_twilio_http_twilio_http_la_LDFLAGS = $(VG_MODULE_LINK)

# Tests beside the code: the module's own library, the core, and a fake
# Twilio REST server in a thread.
check_PROGRAMS += modules/twilio_http/test_twilio_http
modules_twilio_http_test_twilio_http_SOURCES = \
	modules/twilio_http/test_twilio_http.c
modules_twilio_http_test_twilio_http_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/twilio_common
modules_twilio_http_test_twilio_http_CFLAGS = $(VG_TEST_CFLAGS)
modules_twilio_http_test_twilio_http_LDADD = \
	modules/twilio_http/libtwilio_http_impl.la $(VG_TESTLIB) \
	$(VG_TEST_LDADD)
