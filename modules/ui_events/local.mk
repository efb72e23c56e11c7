# ui_events: the web page, its JSON API and the live event feed.
noinst_LTLIBRARIES += modules/ui_events/libui_events_impl.la
modules_ui_events_libui_events_impl_la_SOURCES = \
	modules/ui_events/ui_events.c \
	modules/ui_events/ui_events_auth.c \
	modules/ui_events/ui_events_feed.c \
	modules/ui_events/ui_events_http.c \
	modules/ui_events/ui_events_www.c \
	modules/ui_events/ui_events.h
# The page is installed in $(uiwwwdir); a daemon run from the build tree
# (nothing installed there) falls back to the source folder.
modules_ui_events_libui_events_impl_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DUI_WWW_DIR=\"$(uiwwwdir)\" \
	-DUI_WWW_SRCDIR=\"$(abs_top_srcdir)/modules/ui_events/www\"
modules_ui_events_libui_events_impl_la_CFLAGS = $(AM_CFLAGS) \
	$(VG_MOD_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
modules_ui_events_libui_events_impl_la_LIBADD = $(JSONC_LIBS) $(OPENSSL_LIBS)
module_LTLIBRARIES += modules/ui_events/ui_events.la
modules_ui_events_ui_events_la_SOURCES =
modules_ui_events_ui_events_la_LIBADD = \
	modules/ui_events/libui_events_impl.la
modules_ui_events_ui_events_la_LDFLAGS = $(VG_MODULE_LINK)

# The page: no build step, installed as is.
uiwwwdir = $(pkgdatadir)/www
dist_uiwww_DATA = \
	modules/ui_events/www/index.html \
	modules/ui_events/www/app.js \
	modules/ui_events/www/style.css

# Tests beside the code: the module's library and the core, in-process.
check_PROGRAMS += modules/ui_events/test_ui_events
modules_ui_events_test_ui_events_SOURCES = \
	modules/ui_events/test_ui_events.c
modules_ui_events_test_ui_events_CPPFLAGS = $(VG_TEST_CPPFLAGS) \
	-DUI_WWW_SRCDIR=\"$(abs_top_srcdir)/modules/ui_events/www\"
modules_ui_events_test_ui_events_CFLAGS = $(VG_TEST_CFLAGS)
modules_ui_events_test_ui_events_LDADD = \
	modules/ui_events/libui_events_impl.la $(VG_TESTLIB) \
	$(VG_TEST_LDADD)
