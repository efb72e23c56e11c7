# Shared helpers for the daemon tests: start the real daemon from the build
# tree on an ephemeral loopback port with a throw-away configuration, and
# count checks. Source it; call e2e_finish at the end.

set -u
: "${VG_TOP_BUILDDIR:?run through make check}"
: "${VG_TOP_SRCDIR:?run through make check}"

E2E_PASSED=0
E2E_FAILED=0
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vg-e2e.XXXXXX")
E2E_PID=
VOICEGATE="$VG_TOP_BUILDDIR/voicegate"
VOICEGATECTL="$VG_TOP_BUILDDIR/tools/voicegatectl"

e2e_cleanup() {
	if [ -n "$E2E_PID" ] && kill -0 "$E2E_PID" 2>/dev/null; then
		kill -KILL "$E2E_PID" 2>/dev/null
	fi
	rm -rf "$E2E_DIR"
}
trap e2e_cleanup EXIT

# check NAME CONDITION...: run the condition, count and print the result.
check() {
	name=$1; shift
	if "$@"; then
		echo "ok   $name"
		E2E_PASSED=$((E2E_PASSED + 1))
	else
		echo "FAIL $name"
		E2E_FAILED=$((E2E_FAILED + 1))
	fi
}

# e2e_conf [MODULES...]: write a configuration folder $E2E_DIR/etc whose
# modules.conf loads exactly MODULES.
e2e_conf() {
	mkdir -p "$E2E_DIR/etc"
	cat >"$E2E_DIR/etc/voicegate.conf" <<CONF
[general]
listen = 127.0.0.1:0
public_url = http://127.0.0.1:5050
log_level = info
control_socket = $E2E_DIR/ctl.sock
shutdown_grace = 5
max_body = 64k
CONF
	{
		echo "[modules]"
		echo "autoload = no"
		for m in "$@"; do echo "load => $m.so"; done
	} >"$E2E_DIR/etc/modules.conf"
}

# e2e_start: start the daemon on $E2E_DIR/etc, wait until it is ready and
# set E2E_PORT. Its log is $E2E_DIR/log.
e2e_start() {
	: >"$E2E_DIR/log"
	"$VOICEGATE" -c "$E2E_DIR/etc" -f -M "$VG_TOP_BUILDDIR/mods" \
	    2>"$E2E_DIR/log" &
	E2E_PID=$!
	E2E_PORT=
	for _ in $(seq 1 100); do
		E2E_PORT=$(sed -n 's/.*voicegate ready on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
		    "$E2E_DIR/log" | head -n 1)
		[ -n "$E2E_PORT" ] && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not become ready; its log:" >&2
	cat "$E2E_DIR/log" >&2
	return 1
}

# e2e_stop: SIGTERM the daemon and wait (at most 10 s); sets E2E_RC.
e2e_stop() {
	kill -TERM "$E2E_PID"
	for _ in $(seq 1 100); do
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$E2E_PID" 2>/dev/null; then
		E2E_RC=timeout
		kill -KILL "$E2E_PID"
	else
		wait "$E2E_PID"
		E2E_RC=$?
	fi
	E2E_PID=
}

# ctl ARGS...: voicegatectl against the test daemon.
ctl() {
	"$VOICEGATECTL" -s "$E2E_DIR/ctl.sock" "$@"
}

# url PATH: the daemon's URL for PATH.
url() {
	echo "http://127.0.0.1:$E2E_PORT$1"
}

# log_has TEXT: the daemon's log contains TEXT.
log_has() {
	grep -qF -- "$1" "$E2E_DIR/log"
}

e2e_finish() {
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ]
}
