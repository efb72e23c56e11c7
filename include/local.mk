vginclude_HEADERS += \
	include/voicegate/agent.h \
	include/voicegate/bus.h \
	include/voicegate/call.h \
	include/voicegate/cli.h \
	include/voicegate/conf.h \
	include/voicegate/http.h \
	include/voicegate/log.h \
	include/voicegate/loop.h \
	include/voicegate/metrics.h \
	include/voicegate/module.h \
	include/voicegate/util.h \
	include/voicegate/voicegate.h \
	include/voicegate/ws.h
