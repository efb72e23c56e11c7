#!/bin/sh
# Twilio end to end, against the real daemon (twilio_http + media_ws + echo,
# their sample configurations): health, the media endpoint's upgrade,
# webhooks signed by the official twilio library (TwiML read as XML, bad
# signature, replay), full inbound calls through voicegate-sim (echoed audio,
# marks, DTMF, clear), outbound calls through the fake Twilio REST API
# (exact request, refusals, Twilio errors passed through, timeout, signed
# status callbacks, the media leg, hang-up) and "voicegatectl call". The
# test module twilio_bus publishes call.hangup / audio.clear as another
# module would and lists what the modules published.
#
# Two daemons: one behind a "proxy" (public_url https://voice.example.com,
# so the TwiML must say wss://), one whose public_url is its own loopback
# address so that the fake's status callbacks reach it. Loopback only,
# bounded waits. Skipped (exit 77) only when node is missing.
if ! command -v node >/dev/null 2>&1; then
	echo "node is not installed: skipped (contrib/dev/install-deps --test)"
	echo "0 passed, 0 failed"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

FAKES="$VG_TOP_SRCDIR/tests/fakes"
SIM="$VG_TOP_BUILDDIR/tools/voicegate-sim"
ACC=AC00000000000000000000000000000001
TOK=e2e0auth0token0must0not0be0logged
KEY=e2e-api-key-must-not-be-logged-either
FROM=+15005550006
PROXY=https://voice.example.com
T="$E2E_DIR/t"
B="$T/body"
H="$T/headers"
LOGS=
FAKE_PID=
SIM_PID=
mkdir -p "$T" "$E2E_DIR/mods"

cleanup() {
	for p in $FAKE_PID $SIM_PID; do kill -TERM "$p" 2>/dev/null; done
	e2e_cleanup
}
trap cleanup EXIT

export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK \
    TWILIO_FROM_NUMBER=$FROM VOICEGATE_API_KEY=$KEY

# ---- helpers ----

# daemon PUBLIC_URL LISTEN: configure (sample files) and start a daemon;
# sets E2E_PORT and PUB. The module folder holds the build's three modules
# and the test module twilio_bus.
daemon() {
	PUB=$1
	e2e_conf twilio_http media_ws echo twilio_bus
	sed -i "s|^listen = .*|listen = $2|;
	    s|^public_url = .*|public_url = $1|;
	    s|^log_level = .*|log_level = debug|" "$E2E_DIR/etc/voicegate.conf"
	cp "$VG_TOP_SRCDIR/etc/media_ws.conf" \
	    "$VG_TOP_SRCDIR/etc/echo.conf" "$E2E_DIR/etc/"
	# The sample, with a short REST timeout for the 504 case.
	sed 's/^request_timeout = .*/request_timeout = 1/' \
	    "$VG_TOP_SRCDIR/etc/twilio_http.conf" \
	    >"$E2E_DIR/etc/twilio_http.conf"
	for m in twilio_http media_ws echo; do
		ln -sf "$VG_TOP_BUILDDIR/mods/$m.so" "$E2E_DIR/mods/$m.so"
	done
	ln -sf "$VG_TOP_BUILDDIR/tests/e2e/.libs/twilio_bus.so" \
	    "$E2E_DIR/mods/twilio_bus.so"
	n=$(($(echo "$LOGS" | wc -w) + 1))
	LOG="$E2E_DIR/log$n"
	LOGS="$LOGS $LOG"
	"$VOICEGATE" -c "$E2E_DIR/etc" -f -M "$E2E_DIR/mods" 2>"$LOG" &
	E2E_PID=$!
	for _ in $(seq 1 100); do
		E2E_PORT=$(sed -n \
		    's/.*voicegate ready on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
		    "$LOG" | head -n 1)
		[ -n "$E2E_PORT" ] && return 0
		kill -0 "$E2E_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not become ready; its log:" >&2
	cat "$LOG" >&2
	return 1
}

# stop_daemon: SIGTERM, checked.
stop_daemon() {
	e2e_stop
	check "$1/daemon_exits_0" test "$E2E_RC" = 0
	check "$1/modules_unload_cleanly" \
	    sh -c '! grep -q "registrations behind" "$1"' - "$LOG"
}

# sign URL NAME=VALUE...: X-Twilio-Signature by the official library.
sign() {
	u=$1; shift
	node "$FAKES/twilio_sign.mjs" --token "$TOK" --url "$u" "$@"
}

# post_form PATH SIG NAME=VALUE...: POST the form to the daemon with that
# signature; body in $B, headers in $H, status in $CODE.
post_form() {
	p=$1; s=$2; shift 2
	n=$#
	for a; do set -- "$@" --data-urlencode "$a"; done
	shift "$n"
	CODE=$(curl -s -m 5 -o "$B" -D "$H" -w '%{http_code}' \
	    -H "X-Twilio-Signature: $s" "$@" "$(url "$p")")
}

# hook PATH NAME=VALUE...: sign over the public URL and post; the
# signature is kept in $SIG.
hook() {
	p=$1; shift
	SIG=$(sign "$PUB$p" "$@")
	post_form "$p" "$SIG" "$@"
}

# api BODY [CURL-ARGS...]: POST /twilio/outbound-call with the API key.
api() {
	d=$1; shift
	CODE=$(curl -s -m 5 -o "$B" -w '%{http_code}' \
	    -H "Authorization: Bearer $KEY" \
	    -H 'Content-Type: application/json' "$@" --data "$d" \
	    "$(url /twilio/outbound-call)")
}

# fake METHOD PATH [JSON]: a control request to the fake; body in $B.
fake() {
	if [ $# -gt 2 ]; then
		CODE=$(curl -s -m 10 -o "$B" -w '%{http_code}' -X "$1" \
		    -H 'Content-Type: application/json' --data "$3" \
		    "http://127.0.0.1:$FAKE_PORT$2")
	else
		CODE=$(curl -s -m 10 -o "$B" -w '%{http_code}' -X "$1" \
		    "http://127.0.0.1:$FAKE_PORT$2")
	fi
}

# fake_requests: how many API requests the fake has seen.
fake_requests() {
	curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/requests" >"$T/req"
	jget "$T/req" "j.length"
}

# ctl_quiet ARGS...: voicegatectl, its output shown only on failure.
ctl_quiet() {
	ctl "$@" >"$T/ctl.quiet" 2>&1 && return 0
	cat "$T/ctl.quiet" >&2
	return 1
}

# call_state ID STATE: the daemon shows call ID in STATE.
call_state() {
	calls_json "$T/calls" && node -e '
		const fs = require("fs");
		const j = JSON.parse(fs.readFileSync(process.argv[1]));
		const c = j.calls.find((c) => c.id === process.argv[2]);
		process.exit(c && c.state === process.argv[3] ? 0 : 1);' \
	    "$T/calls" "$1" "$2"
}

# events_has PATTERN: "e2e events" (twilio_bus) has a line matching the
# extended regular expression PATTERN.
events_has() {
	ctl e2e events >"$T/events" && grep -qE -- "$1" "$T/events"
}

# sim ARGS...: voicegate-sim against the daemon; JSON report in $T/sim.
sim() {
	"$SIM" --url "$(url '')" --public-url "$PUB" --json --timeout 5 "$@" \
	    >"$T/sim" 2>"$T/sim.err"
}

# sim_ok: the last simulator run went well (else shows why).
sim_ok() {
	grep -q '"ok":1,"failed":0,"protocol_errors":0' "$T/sim" && return 0
	cat "$T/sim" "$T/sim.err" >&2
	return 1
}

# xml_ok FILE: FILE is well-formed XML (xmllint when there is one; the
# simulator's strict TwiML reader checks it in any case).
xml_ok() {
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1" || return 1
	fi
	"$SIM" --parse-twiml "$1" >"$1.parsed"
}

# ---- the fake Twilio REST API ----
node "$FAKES/twilio_rest.mjs" --port 0 --account "$ACC" --token "$TOK" \
    --state-file "$T/fake-state.json" --max-lifetime 120 \
    >"$T/fake.out" 2>&1 &
FAKE_PID=$!
FAKE_PORT=
for _ in $(seq 1 100); do
	FAKE_PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' \
	    "$T/fake.out")
	[ -n "$FAKE_PORT" ] && break
	kill -0 "$FAKE_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$FAKE_PORT" ]; then
	cat "$T/fake.out" >&2
	check "fake/starts" false
	e2e_finish
	exit 1
fi
export TWILIO_API_BASE_URL="http://127.0.0.1:$FAKE_PORT"

# =====================================================================
# Part 1: inbound, behind a proxy (public_url https://voice.example.com).
# =====================================================================
if ! daemon "$PROXY" 127.0.0.1:0; then
	check "inbound/daemon_starts" false
	e2e_finish
	exit 1
fi

# ---- health ----
CODE=$(curl -s -m 5 -o "$B" -w '%{http_code}' "$(url /twilio/health)")
check "health/200" test "$CODE" = 200
check "health/status_ok" js "$B" "j.status === 'ok' &&
    j.active_calls === 0 && j.validate_signatures === true &&
    j.outbound_api === true"

# ---- the media endpoint without and with an upgrade ----
CODE=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
    "$(url /twilio/media-stream)")
check "media/plain_get_refused_4xx" test "$CODE" -ge 400 -a "$CODE" -lt 500
WSSIG=$(sign "wss://voice.example.com/twilio/media-stream")
# A good upgrade: curl stops waiting after 1 s, the status is 101.
CODE=$(curl -s -m 1 -o /dev/null -w '%{http_code}' \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    -H "X-Twilio-Signature: $WSSIG" "$(url /twilio/media-stream)")
check "media/signed_upgrade_101" test "$CODE" = 101
CODE=$(curl -s -m 1 -o /dev/null -w '%{http_code}' \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    -H "X-Twilio-Signature: $(sign "$PUB/twilio/media-stream")" \
    "$(url /twilio/media-stream)")
# Signed over the wrong URL: the socket is closed at once (1008), logged.
check "media/upgrade_signed_over_https_closed" \
    wait_for 2 grep -q "media stream from .* refused: bad X-Twilio-Signature" \
    "$LOG"
check "media/daemon_alive" curl -sf -m 5 -o /dev/null "$(url /healthz)"

# ---- a webhook signed by the official library ----
SID1=CA0123456789abcdef0123456789abcd01
set -- AccountSid=$ACC ApiVersion=2010-04-01 CallSid=$SID1 \
    CallStatus=ringing Called=+15005550006 Caller=+14155550100 \
    Direction=inbound From=+14155550100 To=+15005550006 FromCity= \
    'CallerName=Jane & Joe = "A+B" 100%' StirVerstat=TN-Validation-Passed-A
hook /twilio/incoming-call "$@"
check "webhook/signed_accepted_200" test "$CODE" = 200
check "webhook/text_xml" grep -qi '^Content-Type: text/xml' "$H"
cp "$B" "$T/twiml1.xml"
check "webhook/twiml_is_xml" xml_ok "$T/twiml1.xml"
check "webhook/stream_url_wss" \
    grep -qx 'url wss://voice.example.com/twilio/media-stream' \
    "$T/twiml1.xml.parsed"
check "webhook/no_greeting_by_default" grep -qx 'says 0' "$T/twiml1.xml.parsed"
CID1=$(sed -n 's/^param call_id=//p' "$T/twiml1.xml.parsed")
check "webhook/call_id_parameter" test -n "$CID1"
check "webhook/token_parameter" \
    grep -qE '^param token=[0-9a-f]{16,}$' "$T/twiml1.xml.parsed"
check "webhook/exactly_two_parameters" \
    test "$(grep -c '^param ' "$T/twiml1.xml.parsed")" -eq 2
check "webhook/call_registered_in_progress" call_state "$CID1" in-progress
calls_json "$T/calls"
check "webhook/call_from_to_direction" js "$T/calls" "
    const c = j.calls.find((c) => c.id === '$CID1');
    c.direction === 'inbound' && c.from === '+14155550100' &&
    c.to === '+15005550006'"
# The same request again: a replay.
post_form /twilio/incoming-call "$SIG" "$@"
check "webhook/replay_403" test "$CODE" = 403
check "webhook/replay_logged" grep -q "refused: replayed" "$LOG"
# Signed with another token, or over the wrong URL, or not at all.
set -- AccountSid=$ACC ApiVersion=2010-04-01 \
    CallSid=CA0123456789abcdef0123456789abcd02 CallStatus=ringing \
    Direction=inbound From=+14155550100 To=+15005550006
post_form /twilio/incoming-call "$(node "$FAKES/twilio_sign.mjs" \
    --token wrong-token --url "$PUB/twilio/incoming-call" "$@")" "$@"
check "webhook/bad_signature_403" test "$CODE" = 403
post_form /twilio/incoming-call \
    "$(sign "http://127.0.0.1:$E2E_PORT/twilio/incoming-call" "$@")" "$@"
check "webhook/signed_over_internal_url_403" test "$CODE" = 403
CODE=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-urlencode \
    "CallSid=CA0123456789abcdef0123456789abcd03" \
    "$(url /twilio/incoming-call)")
check "webhook/unsigned_403" test "$CODE" = 403
calls_json "$T/calls"
check "webhook/refusals_made_no_call" js "$T/calls" "j.calls.length === 1"
# Twilio reports that first call over (it never streamed): signed status.
hook /twilio/call-status AccountSid=$ACC ApiVersion=2010-04-01 \
    CallSid=$SID1 CallStatus=completed CallDuration=3 \
    CallbackSource=call-progress-events Direction=inbound \
    From=+14155550100 To=+15005550006 SequenceNumber=0 \
    'Timestamp=Mon, 01 Sep 2025 12:00:05 +0000'
check "status/completed_200" test "$CODE" = 200
check "status/call_ended" wait_for 2 no_calls

# ---- a full inbound call: echo, marks, DTMF, clean end ----
sim --duration 2 --tone 440 --echo --dtmf '12#' --dtmf-at 0.5 \
    --record "$T/heard.raw"
check "inbound/call_ok" sim_ok
check "inbound/echo_byte_complete" js "$T/sim" "
    const c = j.per_call[0];
    c.frames_sent === 100 && c.frames_echoed === 100 &&
    c.frames_lost === 0 && c.garbled_bytes === 0 &&
    c.audio_bytes === 100 * 160"
check "inbound/heard_all_audio" \
    test "$(wc -c <"$T/heard.raw")" -eq 16000
check "inbound/marks_answered" js "$T/sim" "
    const c = j.per_call[0];
    c.marks > 0 && c.marks_echoed === c.marks"
SSID=$(jget "$T/sim" "j.per_call[0].call_sid")
ctl e2e events >"$T/events"
CID2=$(grep -E "^media.started [^ ]+ .*\"call_sid\":\"$SSID\"" "$T/events" |
    cut -d' ' -f2)
check "inbound/media_started_on_bus" test -n "$CID2"
check "inbound/start_parameters_without_token" grep -qE \
    "^media.started $CID2 .*\"parameters\":\{\"call_id\":\"$CID2\"\}" \
    "$T/events"
check "inbound/dtmf_published_in_order" sh -c "
    grep '^call.dtmf $CID2 ' '$T/events' | sed 's/.*\"digit\":\"\(.\)\".*/\1/' |
    tr -d '\n' | grep -qx '12#'"
# Timeline marks every 100 ms of the 2 s heard: audio.played reaches ~2 s.
check "inbound/marks_tell_what_was_played" test "$(sed -n \
    "s/^audio.played $CID2 {\"played_ms\":\([0-9]*\)}\$/\1/p" \
    "$T/events" | sort -n | tail -n 1)" -ge 1900
check "inbound/calls_empty_after_stop" wait_for 2 no_calls
check "inbound/media_stopped" grep -q "^media.stopped $CID2 " "$T/events"

# ---- clear: an agent's long answer, a mark, then audio.clear ----
sim --duration 3 --tone 300 --drain 0.5 --record "$T/heard2.raw" &
SIM_PID=$!
# streaming_call: the id of the (only) active call, once streaming.
streaming_call() {
	calls_json "$T/calls" &&
	    CID3=$(jget "$T/calls" "j.calls.length === 1 &&
		j.calls[0].state === 'in-progress' ? j.calls[0].id : ''") &&
	    [ -n "$CID3" ] && events_has "^media.started $CID3 "
}
if wait_for 5 streaming_call; then
	sleep 0.5
	check "clear/say_published" ctl_quiet e2e say "$CID3" 4000
	check "clear/mark_published" ctl_quiet e2e publish audio.mark "$CID3" \
	    '{"name": "e2e-after-answer"}'
	sleep 0.3
	check "clear/clear_published" ctl_quiet e2e publish audio.clear "$CID3"
else
	check "clear/call_streaming" false
fi
wait "$SIM_PID"
SIM_PID=
check "clear/call_ok" sim_ok
check "clear/caller_got_one_clear" js "$T/sim" "j.per_call[0].clears === 1"
# 4 s of answer came, far less was heard: the clear dropped the rest.
check "clear/answer_received" js "$T/sim" "
    j.per_call[0].audio_bytes >= 32000"
check "clear/flushed_audio_not_heard" test "$(wc -c <"$T/heard2.raw")" \
    -lt "$(($(jget "$T/sim" j.per_call[0].audio_bytes) - 16000))"
check "clear/mark_reported_flushed" wait_for 2 events_has \
    "^audio.marked $CID3 .*\"name\":\"e2e-after-answer\",\"played\":false"
check "clear/calls_empty" wait_for 2 no_calls

# ---- twenty calls at once, echoed ----
"$SIM" --url "$(url '')" --public-url "$PUB" --json --timeout 5 \
    --duration 1 --calls 20 --echo >"$T/many" 2>&1
check "inbound/twenty_calls_echoed" grep -q \
    '"calls":20,"ok":20,"failed":0,"protocol_errors":0' "$T/many"
check "inbound/calls_empty_after_twenty" wait_for 2 no_calls

stop_daemon inbound

# =====================================================================
# Part 2: outbound, public_url = this daemon's own address, so that the
# fake's status callbacks reach it.
# =====================================================================
started=
for _ in 1 2 3; do
	P=$(free_port)
	if daemon "http://127.0.0.1:$P" "127.0.0.1:$P"; then
		started=1
		break
	fi
	LOGS=${LOGS% "$LOG"}	# the port was taken meanwhile: try another
done
if [ -z "$started" ]; then
	check "outbound/daemon_starts" false
	e2e_finish
	exit 1
fi
CALLS_PATH="/2010-04-01/Accounts/$ACC/Calls.json"
STREAM="ws://127.0.0.1:$E2E_PORT/twilio/media-stream"

# ---- a call placed through the API ----
api '{"to": "+14155550100",
    "task": {"type": "survey", "prompt": "Ask one question."}}'
check "outbound/201" test "$CODE" = 201
check "outbound/answer_call_id_call_sid" js "$B" "
    typeof j.call_id === 'string' && j.call_id.length > 0 &&
    /^CA[0-9a-f]{32}\$/.test(j.call_sid)"
OCID=$(jget "$B" j.call_id)
OSID=$(jget "$B" j.call_sid)
curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/requests" >"$T/req"
check "outbound/fake_got_one_create" js "$T/req" "
    j.length === 1 && j[0].method === 'POST' &&
    j[0].path === '$CALLS_PATH' && j[0].call_sid === '$OSID' &&
    j[0].response.status === 201"
check "outbound/basic_auth_account_token" js "$T/req" "
    j[0].auth_user === '$ACC' && j[0].auth_ok === true"
check "outbound/form_fields_exact" js "$T/req" "
    const names = j[0].params.map((p) => p[0]);
    JSON.stringify(names) === JSON.stringify(['To', 'From', 'Twiml',
	'StatusCallback', 'StatusCallbackEvent', 'StatusCallbackEvent',
	'StatusCallbackEvent', 'StatusCallbackEvent',
	'StatusCallbackMethod'])"
check "outbound/to_from" js "$T/req" "
    const p = j[0].params;
    p[0][1] === '+14155550100' && p[1][1] === '$FROM'"
check "outbound/status_callback" js "$T/req" "
    const p = Object.fromEntries(j[0].params);
    p.StatusCallback === 'http://127.0.0.1:$E2E_PORT/twilio/call-status' &&
    p.StatusCallbackMethod === 'POST'"
check "outbound/status_callback_events" js "$T/req" "
    j[0].params.filter((p) => p[0] === 'StatusCallbackEvent')
	.map((p) => p[1]).join() === 'initiated,ringing,answered,completed'"
jget "$T/req" "Object.fromEntries(j[0].params).Twiml" >"$T/twiml2.xml"
check "outbound/twiml_is_xml" xml_ok "$T/twiml2.xml"
check "outbound/twiml_stream_url" grep -qx "url $STREAM" "$T/twiml2.xml.parsed"
check "outbound/twiml_call_id" \
    grep -qx "param call_id=$OCID" "$T/twiml2.xml.parsed"
check "outbound/twiml_token" \
    grep -qE '^param token=[0-9a-f]{16,}$' "$T/twiml2.xml.parsed"
check "outbound/initiated_callback_delivered" wait_for 3 sh -c "
    curl -s -m 5 http://127.0.0.1:$FAKE_PORT/_fake/callbacks |
    grep -q '\"kind\":\"status:initiated\".*\"status\":200'"
check "outbound/calls_show_queued" wait_for 2 call_state "$OCID" queued
calls_json "$T/calls"
check "outbound/calls_show_outbound_to" js "$T/calls" "
    const c = j.calls.find((c) => c.id === '$OCID');
    c.direction === 'outbound' && c.to === '+14155550100' &&
    c.from === '$FROM'"

# ---- refusals that must not reach Twilio ----
before=$(fake_requests)
api '{"to": "+1415555"}'
check "outbound/invalid_number_400" test "$CODE" = 400
api '{"to": "4155550100"}'
check "outbound/not_e164_400" test "$CODE" = 400
api '{"to": "+14155550100", "from": "not-a-number"}'
check "outbound/invalid_from_400" test "$CODE" = 400
api '{"to": "+14155550100"}' -H 'Authorization: Bearer wrong-key'
check "outbound/bad_key_401" test "$CODE" = 401
CODE=$(curl -s -m 5 -o "$B" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data '{"to": "+14155550100"}' \
    "$(url /twilio/outbound-call)")
check "outbound/no_key_401" test "$CODE" = 401
check "outbound/refusals_reached_no_one" test "$(fake_requests)" = "$before"

# ---- Twilio's errors passed through; a Twilio that does not answer ----
fake POST /_fake/script \
    '{"fail_next": {"status": 400, "code": 21215,
    "message": "Account not authorized to call +14155550100"}}'
api '{"to": "+14155550100"}'
check "outbound/twilio_error_status_400" test "$CODE" = 400
check "outbound/twilio_error_code_message" js "$B" "j.code === 21215 &&
    j.error === 'Account not authorized to call +14155550100'"
fake POST /_fake/script \
    '{"fail_next": {"status": 503, "code": 20503,
    "message": "Service unavailable"}}'
api '{"to": "+14155550100"}'
check "outbound/twilio_5xx_passed_through" test "$CODE" = 503
fake POST /_fake/script '{"delay_ms": 2500}'
t0=$(date +%s%N)
api '{"to": "+14155550101"}'
t1=$(date +%s%N)
check "outbound/timeout_504" test "$CODE" = 504
fake POST /_fake/script '{"delay_ms": 0}'
check "outbound/timeout_after_request_timeout" \
    test $(( (t1 - t0) / 1000000 )) -ge 900 -a \
    $(( (t1 - t0) / 1000000 )) -lt 2400
curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/requests" >"$T/req"
check "outbound/timeout_not_retried" js "$T/req" "
    j.filter((r) => Object.fromEntries(r.params).To ===
    '+14155550101').length === 1"
# The failed ones are failed calls, gone from the registry.
check "outbound/failed_calls_not_active" wait_for 3 sh -c \
    "'$VOICEGATECTL' -s '$E2E_DIR/ctl.sock' --json calls show |
    node -e 'let s=\"\";process.stdin.on(\"data\",(d)=>s+=d).on(\"end\",()=>
	process.exit(JSON.parse(s).calls.length === 1 ? 0 : 1))'"

# ---- the callee answers: signed status callbacks, then the media leg ----
fake POST "/_fake/answer/$OSID" '{}'
check "answer/200" test "$CODE" = 200
cp "$B" "$T/answer.json"
check "answer/callbacks_accepted" js "$T/answer.json" "
    j.callbacks.length === 2 && j.callbacks.every((c) => c.status === 200)"
check "answer/calls_show_in_progress" wait_for 2 \
    call_state "$OCID" in-progress
jget "$T/answer.json" "j.twiml" >"$T/twiml3.xml"
sim --twiml "$T/twiml3.xml" --call-sid "$OSID" --duration 4 --tone 500 \
    --drain 5 &
SIM_PID=$!
if wait_for 5 events_has "^media.started $OCID "; then
	check "leg/stream_bound_to_call" true
	sleep 1.5	# a conversation with echo
	check "leg/hangup_published" ctl_quiet e2e publish call.hangup "$OCID"
else
	check "leg/stream_bound_to_call" false
fi
wait "$SIM_PID"
SIM_PID=
check "leg/call_ok" sim_ok
check "leg/echo_heard" js "$T/sim" "j.per_call[0].audio_bytes >= 8000"
curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/requests" >"$T/req"
check "hangup/reached_fake_status_completed" js "$T/req" "
    const r = j.filter((r) => r.path ===
	'/2010-04-01/Accounts/$ACC/Calls/$OSID.json');
    r.length === 1 && r[0].method === 'POST' && r[0].auth_ok &&
    JSON.stringify(r[0].params) === '[[\"Status\",\"completed\"]]' &&
    r[0].response.status === 200"
curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/callbacks" >"$T/cb"
check "hangup/completed_callback_accepted" js "$T/cb" "
    const c = j.filter((c) => c.kind === 'status:completed' &&
	Object.fromEntries(c.params).CallSid === '$OSID');
    c.length === 1 && c[0].status === 200"
check "hangup/stream_closed_by_daemon" js "$T/sim" "
    j.per_call[0].frames_sent < 200"
check "hangup/calls_empty" wait_for 2 no_calls

# ---- voicegatectl call: the same path, and a full echoed leg ----
ctl call +15551230001 >"$T/ctl.out" 2>&1
check "ctl/call_placed" grep -qE '^call .+ placed: CallSid CA[0-9a-f]{32}$' \
    "$T/ctl.out"
CSID=$(sed -n 's/.* CallSid \(CA[0-9a-f]*\)$/\1/p' "$T/ctl.out")
curl -s -m 5 "http://127.0.0.1:$FAKE_PORT/_fake/requests" >"$T/req"
check "ctl/fake_recorded_it" js "$T/req" "
    const r = j[j.length - 1], p = Object.fromEntries(r.params);
    r.call_sid === '$CSID' && p.To === '+15551230001' &&
    p.From === '$FROM' && p.Twiml.includes('$STREAM') &&
    r.params.filter((q) => q[0] === 'StatusCallbackEvent').length === 4"
ctl call 5551230001 >/dev/null 2>&1
check "ctl/bad_number_refused" test $? -ne 0
fake POST "/_fake/answer/$CSID" '{}'
jget "$B" "j.twiml" >"$T/twiml4.xml"
sim --twiml "$T/twiml4.xml" --call-sid "$CSID" --duration 1 --echo
check "ctl/leg_echo_byte_complete" sim_ok &&
    check "ctl/leg_frames" js "$T/sim" "j.per_call[0].frames_echoed === 50"
check "ctl/calls_empty_after_leg" wait_for 2 no_calls
fake POST "/_fake/end/$CSID" '{}'
check "ctl/late_completed_callback_accepted" js "$B" "
    j.callbacks.length === 1 && j.callbacks[0].status === 200"

stop_daemon outbound

# ---- the logs: no ERROR, no secret ----
for L in $LOGS; do
	n=$(basename "$L")
	check "log/$n/no_error_line" sh -c '! grep " ERROR " "$1"' - "$L"
	check "log/$n/no_auth_token" sh -c '! grep -qF "$1" "$2"' - "$TOK" "$L"
	check "log/$n/no_api_key" sh -c '! grep -qF "$1" "$2"' - "$KEY" "$L"
done
check "fake/no_secret_recorded" sh -c '! grep -qF "$1" "$2"' - "$TOK" \
    "$T/fake-state.json"

if [ "$E2E_FAILED" -ne 0 ]; then
	for L in $LOGS; do
		echo "---- $L (last 40 lines)"
		tail -n 40 "$L"
	done
	echo "---- fake"
	tail -n 20 "$T/fake.out"
fi
e2e_finish
