EXTRA_DIST += contrib/voicegate.pc.in
DISTCLEANFILES += contrib/voicegate.pc

# The out-of-tree example module: shipped as source, built by third parties
# against the installed headers (tests/unit/example_build.sh checks it).
EXTRA_DIST += \
	contrib/example/Makefile \
	contrib/example/README.md \
	contrib/example/hello.c \
	contrib/example/hello.conf.sample
