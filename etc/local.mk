# Sample configuration, installed in $(sysconfdir)/voicegate.
dist_vgconf_DATA += \
	etc/modules.conf \
	etc/voicegate.conf
# The agent presets of realtime_openai.
dist_vgconf_DATA += etc/agents.conf
