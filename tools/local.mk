# voicegatectl: talks to the daemon over its control socket. Linked with the
# core library for the configuration parser and settings.
bin_PROGRAMS += tools/voicegatectl
tools_voicegatectl_SOURCES = tools/voicegatectl.c
tools_voicegatectl_CPPFLAGS = $(core_libvgcore_la_CPPFLAGS) -I$(top_srcdir)/core
tools_voicegatectl_CFLAGS = $(core_libvgcore_la_CFLAGS)
tools_voicegatectl_LDADD = core/libvgcore.la
