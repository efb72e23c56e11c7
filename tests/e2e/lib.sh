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

# ---- helpers for the tests that use node (tests/fakes/) ----

# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds;
# the last try's output is shown.
wait_for() {
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

# free_port: print a loopback TCP port that is free now.
free_port() {
	node -e 'const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => {
			console.log(s.address().port); s.close(); });'
}

# js FILE EXPR: EXPR (JavaScript; the parsed JSON of FILE is `j`, `fs` is
# node:fs and `sha(path)` the SHA-256 of a file) is true; else says why.
js() {
	node -e '
		const fs = require("fs");
		const sha = (p) => require("crypto").createHash("sha256")
		    .update(fs.readFileSync(p)).digest("hex");
		const j = JSON.parse(fs.readFileSync(process.argv[1]));
		let ok;
		try { ok = eval(process.argv[2]); } catch (e) { ok = false;
		    console.error("  " + e.message); }
		if (!ok) console.error("  " + process.argv[2].trim() +
		    "\n  is false in " + JSON.stringify(j).slice(0, 1500));
		process.exit(ok ? 0 : 1);' "$1" "$2"
}

# jget FILE EXPR: print EXPR of the parsed JSON `j` of FILE.
jget() {
	node -e '
		const fs = require("fs");
		const j = JSON.parse(fs.readFileSync(process.argv[1]));
		console.log(eval(process.argv[2]));' "$1" "$2" 2>/dev/null
}

# start_node OUTFILE SCRIPT ARGS...: a node server that prints "listening
# on PORT" (the fakes); sets STARTED_PID and STARTED_PORT (10 s at most).
start_node() {
	out=$1; shift
	node "$@" >"$out" 2>&1 &
	STARTED_PID=$!
	STARTED_PORT=
	for _ in $(seq 1 100); do
		STARTED_PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' \
		    "$out")
		[ -n "$STARTED_PORT" ] && return 0
		kill -0 "$STARTED_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$* did not start:" >&2
	cat "$out" >&2
	return 1
}

# calls_json FILE: "voicegatectl --json calls show" into FILE.
calls_json() {
	ctl --json calls show >"$1"
}

# no_calls: the daemon has no active call.
no_calls() {
	calls_json "$E2E_DIR/calls.json" &&
	    js "$E2E_DIR/calls.json" "j.calls.length === 0"
}
