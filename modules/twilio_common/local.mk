# twilio_common: Twilio helpers (signatures, E.164, TwiML escaping, stream
# URL) linked into twilio_http and media_ws. A module using it adds
# $(TWILIO_COMMON_CPPFLAGS) to its CPPFLAGS and
# modules/twilio_common/libtwilio_common.la to its LIBADD.
TWILIO_COMMON_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/modules/twilio_common
noinst_LTLIBRARIES += modules/twilio_common/libtwilio_common.la
modules_twilio_common_libtwilio_common_la_SOURCES = \
	modules/twilio_common/twilio_sig.c \
	modules/twilio_common/twilio_sig.h \
	modules/twilio_common/twilio_text.c \
	modules/twilio_common/twilio_text.h
modules_twilio_common_libtwilio_common_la_CFLAGS = $(AM_CFLAGS) \
	$(VG_MOD_CFLAGS) $(OPENSSL_CFLAGS)
modules_twilio_common_libtwilio_common_la_LIBADD = $(OPENSSL_LIBS)

check_PROGRAMS += modules/twilio_common/test_twilio_common
modules_twilio_common_test_twilio_common_SOURCES = \
	modules/twilio_common/test_twilio_common.c
modules_twilio_common_test_twilio_common_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/twilio_common
modules_twilio_common_test_twilio_common_CFLAGS = $(VG_TEST_CFLAGS)
modules_twilio_common_test_twilio_common_LDADD = \
	modules/twilio_common/libtwilio_common.la $(VG_TEST_LDADD)
