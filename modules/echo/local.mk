# echo: loopback module for tests and benchmarks.
noinst_LTLIBRARIES += modules/echo/libecho_impl.la
modules_echo_libecho_impl_la_SOURCES = modules/echo/echo.c
modules_echo_libecho_impl_la_CFLAGS = $(AM_CFLAGS) $(VG_MOD_CFLAGS) $(JSONC_CFLAGS)
module_LTLIBRARIES += modules/echo/echo.la
modules_echo_echo_la_SOURCES =
modules_echo_echo_la_LIBADD = modules/echo/libecho_impl.la $(JSONC_LIBS)
modules_echo_echo_la_LDFLAGS = $(VG_MODULE_LINK)
