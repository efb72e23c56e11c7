#!/bin/sh
# The web page end to end in headless Chromium (Debian's chromium, driven by
# playwright-core from tests/package.json): the real daemon with
# twilio_http, media_ws, ui_events and echo, plus realtime_openai against
# the fake Realtime server when that module is built; the fake Twilio REST
# API; simulated inbound calls from voicegate-sim. The browser part is
# tests/e2e/ui_browser.mjs; screenshots go to
# $VG_TOP_BUILDDIR/tests/e2e/artifacts/. Loopback only, bounded waits.
# Skipped (exit 77) only when node or chromium is missing.
if ! command -v node >/dev/null 2>&1; then
	echo "node is not installed: skipped (contrib/dev/install-deps --test)"
	echo "0 passed, 0 failed"
	exit 77
fi
CHROMIUM=${VG_CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
	for c in /usr/bin/chromium /usr/bin/chromium-browser; do
		[ -x "$c" ] && CHROMIUM=$c && break
	done
fi
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	echo "chromium is not installed: skipped" \
	    "(contrib/dev/install-deps --test)"
	echo "0 passed, 0 failed"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

FAKES="$VG_TOP_SRCDIR/tests/fakes"
SIM="$VG_TOP_BUILDDIR/tools/voicegate-sim"
ACC=AC00000000000000000000000000000001
TOK=uib0auth0token0must0not0be0logged
KEY=uib-api-key-must-not-be-logged-either
OAKEY=sk-uib-openai-key-must-not-be-logged
FROM=+15005550006
ART="$VG_TOP_BUILDDIR/tests/e2e/artifacts"
T="$E2E_DIR/t"
DCTL="$E2E_DIR/daemonctl"
FAKE_PID=
RT_PID=
mkdir -p "$T" "$E2E_DIR/mods" "$ART"
rm -f "$ART"/ui_browser-*.png

cleanup() {
	for p in $FAKE_PID $RT_PID; do kill -TERM "$p" 2>/dev/null; done
	if [ -f "$E2E_DIR/daemon.pid" ]; then
		kill -KILL "$(cat "$E2E_DIR/daemon.pid")" 2>/dev/null
	fi
	e2e_cleanup
}
trap cleanup EXIT

export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK \
    TWILIO_FROM_NUMBER=$FROM VOICEGATE_API_KEY=$KEY OPENAI_API_KEY=$OAKEY

# ---- the fakes ----
if ! start_node "$T/fake_twilio.out" "$FAKES/twilio_rest.mjs" --port 0 \
    --account "$ACC" --token "$TOK" --max-lifetime 300; then
	check "fakes/twilio_rest_starts" false
	e2e_finish
	exit 1
fi
FAKE_PID=$STARTED_PID
FAKE_PORT=$STARTED_PORT
export TWILIO_API_BASE_URL="http://127.0.0.1:$FAKE_PORT"

REALTIME=0
RT_PORT=
if [ -f "$VG_TOP_BUILDDIR/mods/realtime_openai.so" ]; then
	if start_node "$T/fake_rt.out" "$FAKES/realtime.mjs" --port 0 \
	    --api-key "$OAKEY" --max-lifetime 300; then
		RT_PID=$STARTED_PID
		RT_PORT=$STARTED_PORT
		REALTIME=1
		export OPENAI_REALTIME_URL="ws://127.0.0.1:$RT_PORT/v1/realtime"
	else
		echo "the fake Realtime server did not start: without realtime"
	fi
else
	echo "realtime_openai is not built: transcript checks skipped"
fi

# ---- the daemon: a fixed loopback port, so that the page finds it again
# after a restart, and public_url on it, so that the fake's status
# callbacks reach it ----
PORT=$(node -e 'const s = require("net").createServer();
	s.listen(0, "127.0.0.1", () => {
		console.log(s.address().port); s.close(); });')
BASE="http://127.0.0.1:$PORT"

# configure REALTIME(0|1): the configuration folder for these modules.
configure() {
	if [ "$1" = 1 ]; then
		e2e_conf twilio_http media_ws ui_events echo realtime_openai
		cp "$VG_TOP_SRCDIR/etc/agents.conf" "$E2E_DIR/etc/"
		cp "$VG_TOP_SRCDIR/etc/realtime_openai.conf" \
		    "$E2E_DIR/etc/"
		# the agent answers; echo keeps its routes only
		loop=no
	else
		e2e_conf twilio_http media_ws ui_events echo
		loop=yes
	fi
	sed -i "s|^listen = .*|listen = 127.0.0.1:$PORT|;
	    s|^public_url = .*|public_url = $BASE|" \
	    "$E2E_DIR/etc/voicegate.conf"
	cp "$VG_TOP_SRCDIR/etc/twilio_http.conf" \
	    "$VG_TOP_SRCDIR/etc/media_ws.conf" "$E2E_DIR/etc/"
	sed "s|^audio_loopback = .*|audio_loopback = $loop|" \
	    "$VG_TOP_SRCDIR/etc/echo.conf" >"$E2E_DIR/etc/echo.conf"
	sed "s|^www_dir =.*|www_dir = $VG_TOP_SRCDIR/modules/ui_events/www|" \
	    "$VG_TOP_SRCDIR/etc/ui_events.conf" \
	    >"$E2E_DIR/etc/ui_events.conf"
}

# daemonctl start|stop: used here and by the browser script to restart the
# daemon on the same port. Each start logs to a new file log.N; the pid is
# in daemon.pid.
cat >"$DCTL" <<EOF
#!/bin/sh
D='$E2E_DIR'
case "\$1" in
start)
	n=\$(ls "\$D" | grep -c '^log\.[0-9]*\$')
	log="\$D/log.\$((n + 1))"
	'$VOICEGATE' -c "\$D/etc" -f -M '$VG_TOP_BUILDDIR/mods' 2>"\$log" &
	echo \$! >"\$D/daemon.pid"
	for _ in \$(seq 1 100); do
		grep -q 'voicegate ready on' "\$log" && exit 0
		kill -0 "\$(cat "\$D/daemon.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not become ready; its log:" >&2
	cat "\$log" >&2
	exit 1 ;;
stop)
	[ -f "\$D/daemon.pid" ] || exit 0
	pid=\$(cat "\$D/daemon.pid")
	kill -TERM "\$pid" 2>/dev/null
	for _ in \$(seq 1 100); do
		if ! kill -0 "\$pid" 2>/dev/null; then
			rm -f "\$D/daemon.pid"
			exit 0
		fi
		sleep 0.1
	done
	kill -KILL "\$pid"
	rm -f "\$D/daemon.pid"
	echo "daemon did not stop within 10 s" >&2
	exit 1 ;;
esac
exit 2
EOF
chmod +x "$DCTL"

# loaded MODULE: voicegatectl lists MODULE as running.
loaded() {
	ctl module show 2>/dev/null | grep -q "^$1 .*running"
}

configure "$REALTIME"
if ! "$DCTL" start; then
	check "daemon/starts" false
	e2e_finish
	exit 1
fi
if [ "$REALTIME" = 1 ] && ! loaded realtime_openai; then
	echo "realtime_openai did not load; its log:"
	grep -i realtime "$E2E_DIR"/log.* | head -5
	echo "without it: transcript checks skipped"
	"$DCTL" stop
	REALTIME=0
	configure 0
	"$DCTL" start || { check "daemon/starts" false; e2e_finish; exit 1; }
fi
check "daemon/ui_events_loaded" loaded ui_events

# ---- the browser ----
UIB_BASE=$BASE UIB_KEY=$KEY UIB_CHROMIUM=$CHROMIUM UIB_ARTIFACTS=$ART \
UIB_FAKE_TWILIO="http://127.0.0.1:$FAKE_PORT" UIB_ACCOUNT=$ACC UIB_FROM=$FROM \
UIB_FAKE_RT=${RT_PORT:+http://127.0.0.1:$RT_PORT} UIB_REALTIME=$REALTIME \
UIB_SIM=$SIM UIB_DAEMONCTL=$DCTL UIB_TMP=$T \
    timeout 120 node "$VG_TOP_SRCDIR/tests/e2e/ui_browser.mjs" \
    >"$T/browser.out" 2>&1
rc=$?
cat "$T/browser.out"
n=$(grep -c '^ok ' "$T/browser.out")
E2E_PASSED=$((E2E_PASSED + n))
n=$(grep -c '^FAIL ' "$T/browser.out")
E2E_FAILED=$((E2E_FAILED + n))
check "browser/script_completed" test "$rc" = 0

# ---- what the daemon and the fakes saw ----
"$DCTL" stop
last_log=$(ls "$E2E_DIR"/log.* | sort -t. -k2 -n | tail -n 1)
check "daemon/stops_cleanly" \
    sh -c 'tail -n 3 "$1" | grep -q "voicegate stopped"' - "$last_log"
check "log/no_secret" sh -c '! grep -q -e "$1" -e "$2" -e "$3" "$4"/log.*' \
    - "$KEY" "$TOK" "$OAKEY" "$E2E_DIR"
check "log/no_error_line" sh -c '! grep " ERROR " "$1"/log.*' - "$E2E_DIR"
check "log/wrong_login_logged" \
    grep -q 'login from 127.0.0.1.*: wrong key' "$E2E_DIR/log.1"
if [ "$REALTIME" = 1 ]; then
	curl -s -m 5 "http://127.0.0.1:$RT_PORT/_fake/log" >"$T/rt.json"
	check "realtime/no_violations" node -e '
		const fs = require("fs");
		const j = JSON.parse(fs.readFileSync(process.argv[1]));
		if (j.violations.length) console.error(JSON.stringify(
		    j.violations).slice(0, 800));
		process.exit(j.violations.length ? 1 : 0);' "$T/rt.json"
fi
if [ "$E2E_FAILED" -gt 0 ]; then
	for f in "$E2E_DIR"/log.*; do
		echo "---- $f (last 40 lines)"
		tail -n 40 "$f"
	done
fi
echo "screenshots: $ART"
e2e_finish
