dist_doc_DATA += \
	doc/configuration.md \
	doc/events.md \
	doc/modules.md \
	doc/performance.md \
	doc/ui-events.md
dist_doc_DATA += doc/deploy.md
