#!/bin/sh
# voicegate-sim --realtime-server, the OpenAI Realtime stand-in: its C
# self-test (echo: session, byte-exact audio, response.create, truncate,
# cancel, items, bad frames; the demo script's order, end_call included),
# option checks, the Node test client against --echo when node is there,
# and, when realtime_openai is built, one inbound call through the daemon
# (twilio_http + media_ws + realtime_openai) to --script demo: the caller
# hears the greeting and the agent's end_call ends the call. Loopback
# only; every wait is bounded.
. "$(dirname "$0")/lib.sh"

SIM="$VG_TOP_BUILDDIR/tools/voicegate-sim"
FAKES="$VG_TOP_SRCDIR/tests/fakes"
TOK=0123456789abcdef0123456789abcdef
ACC=AC00000000000000000000000000000001
T="$E2E_DIR/t"
RT_PID=
REST_PID=
mkdir -p "$T" "$E2E_DIR/mods"

cleanup() {
	for p in $RT_PID $REST_PID; do kill -TERM "$p" 2>/dev/null; done
	e2e_cleanup
}
trap cleanup EXIT

# port_of FILE: the port a "listening on PORT" line in FILE names.
port_of() {
	sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$1" | head -n 1
}

# rt_start OUT ARGS...: start the stand-in; sets RT_PID and RT_PORT.
rt_start() {
	out=$1; shift
	"$SIM" --realtime-server --listen 127.0.0.1:0 --lifetime 120 "$@" \
	    >"$out" 2>&1 &
	RT_PID=$!
	RT_PORT=
	wait_for 5 test -n "$(port_of "$out")"
	RT_PORT=$(port_of "$out")
	[ -n "$RT_PORT" ]
}

rt_stop() {
	kill -TERM "$RT_PID" 2>/dev/null
	wait "$RT_PID" 2>/dev/null
	RT_PID=
}

# ---- the C self-test ----
"$SIM" --realtime-self-test >"$T/self" 2>&1
rc=$?
sed 's/^/  /' "$T/self"
check "self_test/exit_0" test "$rc" -eq 0
check "self_test/all_checks_passed" \
    grep -qE '^[1-9][0-9]* passed, 0 failed$' "$T/self"
check "self_test/demo_conversation_printed" sh -c "
    grep -q '^agent: Hello, this is the transit line' '$T/self' &&
    grep -q '^caller: I need a ticket' '$T/self' &&
    grep -qE '^agent: \[interrupted at [0-9.]+ s\]$' '$T/self' &&
    grep -q '^tool: end_call {}$' '$T/self'"

# ---- options ----
"$SIM" --realtime-server >"$T/o1" 2>&1
check "options/echo_or_script_required" test $? -eq 2
"$SIM" --realtime-server --echo --script demo >"$T/o2" 2>&1
check "options/not_both" test $? -eq 2
printf '[{"do": [{"fly": 1}]}]' >"$T/bad.json"
"$SIM" --realtime-server --script "$T/bad.json" >"$T/o3" 2>&1
check "options/bad_script_refused" sh -c "test $? -eq 2 &&
    grep -q 'unknown action fly' '$T/o3'"
check "options/listens_and_prints_port" rt_start "$T/rt0" --echo \
    --max-sessions 1
rt_stop

# ---- the Node test client against --echo ----
if command -v node >/dev/null 2>&1 && [ -f "$FAKES/realtime_client.mjs" ] &&
    rt_start "$T/rt1" --echo; then
	cat >"$T/events.json" <<'EOF'
[{"type": "session.update", "session": {"type": "realtime",
  "audio": {"input": {"format": {"type": "audio/pcmu"}},
	    "output": {"format": {"type": "audio/pcmu"}}}}},
 {"_wait": "session.updated"},
 {"_append_ms": 100, "chunk_ms": 20, "byte": 85},
 {"_wait": "response.output_audio.delta", "n": 5},
 {"type": "response.cancel"},
 {"_wait": "response.done"},
 {"_close": 1000}]
EOF
	node "$FAKES/realtime_client.mjs" --key "$TOK" --timeout-ms 5000 \
	    --url "ws://127.0.0.1:$RT_PORT/v1/realtime?model=gpt-realtime" \
	    "$T/events.json" >"$T/client" 2>"$T/client.err"
	check "node/client_ok" test $? -eq 0
	check "node/session_created_first" sh -c \
	    "head -n 1 '$T/client' | grep -q '\"type\":\"session.created\"'"
	check "node/pcmu_confirmed" grep -q \
	    '"type":"session.updated".*"output":{"format":{"type":"audio/pcmu"}' \
	    "$T/client"
	# 20 ms of 0x55 is "VVVV..." in base64: each delta is what was sent.
	check "node/five_deltas_echoed" test "$(grep -c \
	    '"type":"response.output_audio.delta".*"delta":"\(VVVV\)\{53\}VQ=="' \
	    "$T/client")" -eq 5
	check "node/cancelled" grep -q \
	    '"type":"response.done".*"status":"cancelled"' "$T/client"
	check "node/key_never_printed" sh -c "! grep -q '$TOK' '$T/rt1'"
	rt_stop
else
	echo "node (or the Realtime test client) is missing: Node checks skipped"
fi

# ---- one call through the daemon to the scripted agent ----
if [ ! -f "$VG_TOP_BUILDDIR/mods/realtime_openai.so" ]; then
	echo "realtime_openai is not built: daemon checks skipped"
	e2e_finish
	exit $?
fi
# Where twilio_http sends the hang-up: the fake REST API when node is
# there (an unknown inbound CallSid: 404, "already ended", the call
# completes), else a closed port (the hang-up fails; logged).
REST_URL=http://127.0.0.1:9
if command -v node >/dev/null 2>&1 && [ -d "${VG_NODE_MODULES:-/nonexistent}/twilio" ]; then
	node "$FAKES/twilio_rest.mjs" --port 0 --account "$ACC" --token "$TOK" \
	    --max-lifetime 120 >"$T/rest.out" 2>&1 &
	REST_PID=$!
	wait_for 5 test -n "$(port_of "$T/rest.out")"
	[ -n "$(port_of "$T/rest.out")" ] &&
	    REST_URL="http://127.0.0.1:$(port_of "$T/rest.out")"
fi
if ! rt_start "$T/agent" --script demo; then
	check "daemon/stand_in_starts" false
	e2e_finish
	exit 1
fi
export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK \
    TWILIO_FROM_NUMBER=+15005550006 TWILIO_API_BASE_URL=$REST_URL \
    OPENAI_API_KEY=test-key \
    OPENAI_REALTIME_URL="ws://127.0.0.1:$RT_PORT/v1/realtime"
e2e_conf twilio_http media_ws realtime_openai
cp "$VG_TOP_SRCDIR/etc/media_ws.conf" \
    "$VG_TOP_SRCDIR/etc/twilio_http.conf" \
    "$VG_TOP_SRCDIR/etc/realtime_openai.conf" \
    "$VG_TOP_SRCDIR/etc/agents.conf" "$E2E_DIR/etc/"
if ! e2e_start; then
	check "daemon/starts" false
	e2e_finish
	exit 1
fi
# A 20 s call; the agent should end it well before.
"$SIM" --url "$(url '')" --public-url http://127.0.0.1:5050 --json \
    --timeout 5 --duration 20 --tone 300 --drain 2 \
    --record "$T/heard.raw" >"$T/call" 2>"$T/call.err"
check "daemon/call_completes" grep -q '"ok":1,"failed":0' "$T/call"
sed 's/^/  /' "$T/agent"
check "daemon/greeting_heard" sh -c "
    [ \$(wc -c <'$T/heard.raw') -ge 16000 ] &&
    grep -q '^agent: Hello, this is the transit line' '$T/agent'"
check "daemon/caller_turn_and_interruption" sh -c "
    grep -q '^caller: I need a ticket' '$T/agent' &&
    grep -qE '^agent: \[interrupted at [0-9.]+ s\]$' '$T/agent'"
check "daemon/end_call_called_and_answered" sh -c "
    grep -q '^tool: end_call {}$' '$T/agent' &&
    grep -q '^tool: end_call -> ' '$T/agent'"
check "daemon/no_extra_goodbye_asked" sh -c \
    "! grep -q '^agent: Hello from voicegate-sim' '$T/agent'"
check "daemon/hangup_by_the_agent" wait_for 3 log_has "hang-up"
if [ "$REST_URL" != http://127.0.0.1:9 ]; then
	check "daemon/call_ended_before_its_audio" grep -qE \
	    '"frames_sent":([0-9]{1,2}|[1-8][0-9]{2}),' "$T/call"
fi
check "daemon/key_never_logged" sh -c "! grep -q test-key '$E2E_DIR/log'"
e2e_stop
check "daemon/exits_0" test "$E2E_RC" = 0
rt_stop
e2e_finish
