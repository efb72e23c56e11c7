dist_doc_DATA += \
	doc/configuration.md \
	doc/events.md \
	doc/modules.md
dist_doc_DATA += doc/deploy.md
