EXTRA_DIST += contrib/voicegate.pc.in
DISTCLEANFILES += contrib/voicegate.pc
