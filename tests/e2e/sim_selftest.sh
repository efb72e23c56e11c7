#!/bin/sh
# voicegate-sim: signature vectors (PROTOCOLS.md §2.5), the μ-law encoder,
# the TwiML reader on good and bad documents, the built-in self-test
# against its fake voicegate, then real inbound calls through the daemon
# (twilio_http + media_ws + echo with audio_loopback) whose audio must come
# back complete. Loopback only; every wait is bounded.
. "$(dirname "$0")/lib.sh"

SIM="$VG_TOP_BUILDDIR/tools/voicegate-sim"
TOK=0123456789abcdef0123456789abcdef
ACC=AC00000000000000000000000000000001
T="$E2E_DIR/t"
mkdir -p "$T"

# is WANT COMMAND...: COMMAND's output is exactly WANT.
is() {
	want=$1; shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] && return 0
	echo "  expected: $want" >&2
	echo "  got:      $got" >&2
	return 1
}

# fails COMMAND...: COMMAND exits with status 1.
fails() {
	"$@" >"$T/out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && return 0
	echo "  exit $rc, output:" >&2
	cat "$T/out" >&2
	return 1
}

# ---- signatures: PROTOCOLS.md §2.5 ----
A_PARAMS="AccountSid=AC00000000000000000000000000000001 ApiVersion=2010-04-01
CallSid=CA00000000000000000000000000000002 CallStatus=ringing
Called=+15005550006 Caller=+14155550100 Direction=inbound
From=+14155550100 To=+15005550006"
# shellcheck disable=SC2086
check sign/vector_A is "eWoH6ZSlEk1sqNbGe28tyWAMv8c=" \
    env TWILIO_AUTH_TOKEN=$TOK "$SIM" \
    --sign "https://voice.example.com/twilio/voice?tenant=acme" $A_PARAMS
# shellcheck disable=SC2086
check sign/vector_A_port_variant is "fdjZbmVykmPurfq5FwCjEypCk9E=" \
    "$SIM" --auth-token $TOK \
    --sign "https://voice.example.com:443/twilio/voice?tenant=acme" $A_PARAMS
check sign/vector_C_websocket is "ttk+kVY3Kdi/BWVnuJguRoi2Bjs=" \
    "$SIM" --auth-token $TOK --sign "wss://voice.example.com/media"
check sign/vector_D_repeated is "tXwAymlB2PKimrgHx3XTb4/39ow=" \
    "$SIM" --auth-token $TOK \
    --sign "https://voice.example.com/twilio/voice?tenant=acme" \
    Digits=5678 Digits=1234 Digits=1234 Sid=CA123 SidAccount=AC123
check sign/vector_E_library is "RSOYDt4T1cUTdK1PDd93/VVr8B8=" \
    "$SIM" --auth-token 12345 \
    --sign "https://mycompany.com/myapp.php?foo=1&bar=2" \
    CallSid=CA1234567890ABCDE Caller=+14158675309 Digits=1234 \
    From=+14158675309 To=+18005551212
check sign/no_token_is_an_error sh -c \
    "env -u TWILIO_AUTH_TOKEN '$SIM' --sign http://x/ >/dev/null 2>&1; [ \$? -eq 2 ]"

# ---- μ-law (G.711); expected bytes from Python 3.11 audioop.lin2ulaw ----
check ulaw/known_values is "ff 7e 80 00 ce 4e fe 7e 90 10" \
    "$SIM" --ulaw 0 -1 32767 -32768 1000 -1000 8 -8 16000 -16000

# ---- TwiML ----
cat >"$T/good.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- what twilio_http answers, with a greeting -->
<Response>
  <Say voice="alice">Hello &amp; welcome</Say>
  <Connect action="https://voice.example.com/after">
    <Stream url="wss://voice.example.com/twilio/media-stream">
      <Parameter name="call_id" value="vgc_0123456789abcdef"/>
      <Parameter name="token" value="a&amp;b&quot;c&#x41;"></Parameter>
    </Stream>
  </Connect>
</Response>
EOF
check twiml/good_document is "url wss://voice.example.com/twilio/media-stream
says 1
param call_id=vgc_0123456789abcdef
param token=a&b\"cA" "$SIM" --parse-twiml "$T/good.xml"
printf '<Response><Connect><Stream url="wss://h/m"/></Connect></Response>' \
    >"$T/min.xml"
check twiml/minimal_no_params is "url wss://h/m
says 0" "$SIM" --parse-twiml "$T/min.xml"
n=0
while IFS='|' read -r name doc; do
	n=$((n + 1))
	printf '%s' "$doc" >"$T/bad$n.xml"
	check "twiml/rejects_$name" fails "$SIM" --parse-twiml "$T/bad$n.xml"
done <<'EOF'
empty|
not_response|<Foo><Connect><Stream url="wss://h/m"/></Connect></Foo>
no_stream|<Response><Say>hi</Say></Response>
start_not_connect|<Response><Start><Stream url="wss://h/m"/></Start></Response>
http_url|<Response><Connect><Stream url="https://h/m"/></Connect></Response>
query_string|<Response><Connect><Stream url="wss://h/m?x=1"/></Connect></Response>
bare_ampersand|<Response><Connect><Stream url="wss://h/m"><Parameter name="a" value="b&c"/></Stream></Connect></Response>
unclosed|<Response><Connect><Stream url="wss://h/m"/></Connect>
mismatched|<Response><Connect><Stream url="wss://h/m"/></Response></Connect>
verb_after_connect|<Response><Connect><Stream url="wss://h/m"/></Connect><Hangup/></Response>
unknown_attribute|<Response><Connect><Stream url="wss://h/m" foo="1"/></Connect></Response>
two_streams|<Response><Connect><Stream url="wss://h/m"/><Stream url="wss://h/n"/></Connect></Response>
parameter_without_value|<Response><Connect><Stream url="wss://h/m"><Parameter name="a"/></Stream></Connect></Response>
duplicate_attribute|<Response><Connect><Stream url="wss://h/m" url="wss://h/n"/></Connect></Response>
trailing_content|<Response><Connect><Stream url="wss://h/m"/></Connect></Response><x/>
text_in_response|<Response>hello<Connect><Stream url="wss://h/m"/></Connect></Response>
EOF

# ---- the simulator against its own fake voicegate ----
"$VG_TOP_BUILDDIR/tools/voicegate-sim" --self-test >"$T/self" 2>&1
check selftest/all_cases_pass \
    grep -q '^[0-9]* passed, 0 failed$' "$T/self" ||
    cat "$T/self"

# ---- real inbound calls through the daemon ----
if [ -f "$VG_TOP_BUILDDIR/mods/twilio_http.so" ] &&
    [ -f "$VG_TOP_BUILDDIR/mods/media_ws.so" ]; then
	export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK
	e2e_conf twilio_http media_ws echo
	cp "$VG_TOP_SRCDIR/etc/twilio_http.conf" \
	    "$VG_TOP_SRCDIR/etc/media_ws.conf" \
	    "$VG_TOP_SRCDIR/etc/echo.conf" "$E2E_DIR/etc/"
	if e2e_start; then
		PUB=http://127.0.0.1:5050
		J="$T/call.json"
		"$SIM" --url "$(url '')" --public-url "$PUB" --duration 2 \
		    --tone 440 --echo --dtmf 12# --dtmf-at 0.5 \
		    --record "$T/heard.wav" --json --timeout 5 >"$J" 2>"$T/err"
		OK1='"ok":1,"failed":0,"protocol_errors":0'
		check daemon/one_call_ok grep -q "$OK1" "$J" ||
		    { cat "$J" "$T/err"; tail -20 "$E2E_DIR/log"; }
		ECHO='"frames_sent":100,.*"frames_echoed":100,"frames_lost":0'
		check daemon/echo_complete grep -q "$ECHO" "$J"
		check daemon/recorded_heard_audio \
		    test "$(wc -c <"$T/heard.wav")" -ge 16000
		"$SIM" --url "$(url '')" --public-url "$PUB" --duration 1 \
		    --calls 20 --ramp 100 --echo --json --timeout 5 \
		    >"$T/many.json" 2>&1
		OK20='"calls":20,"ok":20,"failed":0,"protocol_errors":0'
		check daemon/twenty_calls_at_once grep -q "$OK20" \
		    "$T/many.json" ||
		    cat "$T/many.json"
		"$SIM" --url "$(url '')" --public-url "$PUB" --duration 1 \
		    --auth-token wrong-token --timeout 5 >"$T/bad" 2>&1
		check daemon/wrong_token_refused \
		    grep -q 'webhook answered 403' "$T/bad" ||
		    cat "$T/bad"
		e2e_stop
		check daemon/clean_exit test "$E2E_RC" = 0
	else
		check daemon/started false
	fi
else
	echo "twilio_http/media_ws not built: daemon calls skipped"
fi
e2e_finish
