# Sample configuration, installed in $(sysconfdir)/voicegate.
dist_vgconf_DATA += \
	etc/modules.conf \
	etc/voicegate.conf
