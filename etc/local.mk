# Sample configuration, installed in $(sysconfdir)/voicegate.
dist_vgconf_DATA += \
	etc/agents.conf \
	etc/echo.conf \
	etc/media_ws.conf \
	etc/modules.conf \
	etc/realtime_openai.conf \
	etc/twilio_http.conf \
	etc/ui_events.conf \
	etc/voicegate.conf
