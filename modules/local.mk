# One fragment per module folder.
include $(srcdir)/modules/echo/local.mk
include $(srcdir)/modules/twilio_common/local.mk
include $(srcdir)/modules/media_ws/local.mk
include $(srcdir)/modules/twilio_http/local.mk
include $(srcdir)/modules/ui_events/local.mk
include $(srcdir)/modules/realtime_openai/local.mk
