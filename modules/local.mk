# One fragment per module folder.
include $(srcdir)/modules/echo/local.mk
