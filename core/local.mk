# The core: built once as a convenience library that the daemon and the
# unit tests link. The daemon links it whole and exports only vg_* (see
# core/voicegate.dynlist) so that modules resolve the API against it.
noinst_LTLIBRARIES += core/libvgcore.la
core_libvgcore_la_SOURCES = \
	core/core.h \
	core/core.c \
	core/bus.c \
	core/calls.c \
	core/cli.c \
	core/conf.c \
	core/control.c \
	core/form.c \
	core/http.c \
	core/httpc.c \
	core/httpparse.c \
	core/httpparse.h \
	core/loader.c \
	core/log.c \
	core/loop.c \
	core/metrics.c \
	core/net.c \
	core/net.h \
	core/net_msg.c \
	core/service.c \
	core/settings.c \
	core/util.c \
	core/ws.c \
	core/wsproto.c \
	core/wsproto.h
core_libvgcore_la_CPPFLAGS = $(AM_CPPFLAGS) -DVG_CORE \
	-DVG_MODULE_DIR=\"$(moduledir)\" -DVG_CONF_DIR=\"$(vgconfdir)\"
core_libvgcore_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CURL_CFLAGS) \
	$(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
VG_CORE_LIBS = $(LIBEVENT_LIBS) $(CURL_LIBS) $(JSONC_LIBS) \
	$(OPENSSL_LIBS) $(DL_LIBS) $(PTHREAD_LIBS)
core_libvgcore_la_LIBADD = $(VG_CORE_LIBS)

sbin_PROGRAMS += voicegate
voicegate_SOURCES = core/main.c
voicegate_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS)
voicegate_CFLAGS = $(core_libvgcore_la_CFLAGS)
voicegate_LDADD = $(VG_CORE_LIBS)
voicegate_DEPENDENCIES = core/libvgcore.la
# Whole archive: a module may call any vg_* function the daemon itself never
# does. The dynamic list exports the API and nothing else.
VG_CORE_WHOLE = -Wl,--whole-archive,$(top_builddir)/core/.libs/libvgcore.a,--no-whole-archive
voicegate_LDFLAGS = $(AM_LDFLAGS) $(VG_CORE_WHOLE) \
	-Wl,--dynamic-list=$(top_srcdir)/core/voicegate.dynlist
EXTRA_DIST += core/voicegate.dynlist
