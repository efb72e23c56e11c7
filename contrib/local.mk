EXTRA_DIST += contrib/voicegate.pc.in
DISTCLEANFILES += contrib/voicegate.pc

# The out-of-tree example module: shipped as source, built by third parties
# against the installed headers (tests/unit/example_build.sh checks it).
EXTRA_DIST += \
	contrib/example/Makefile \
	contrib/example/README.md \
	contrib/example/hello.c \
	contrib/example/hello.conf.sample

# The loader opens NAME.so; libtool's .la files are of no use beside them.
install-data-hook: install-modules-drop-la
install-modules-drop-la:
	@for la in $(module_LTLIBRARIES); do \
	  rm -f "$(DESTDIR)$(moduledir)/$$(basename $$la)"; \
	done
# Without its .la, libtool's uninstall leaves NAME.so: remove it here.
uninstall-hook:
	@for la in $(module_LTLIBRARIES); do \
	  rm -f "$(DESTDIR)$(moduledir)/$$(basename $$la .la).so"; \
	done
	-rmdir "$(DESTDIR)$(moduledir)" 2>/dev/null
.PHONY: install-modules-drop-la

# Deployment examples: systemd unit, nginx site, Cloudflare Tunnel ingress
# (doc/deploy.md; tests/e2e/deploy_files.sh checks them).
EXTRA_DIST += \
	contrib/systemd/voicegate.service \
	contrib/nginx/voicegate.conf \
	contrib/cloudflared/config.yml
