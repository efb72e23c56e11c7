#!/bin/sh
# Self-test of the strict fake OpenAI Realtime server (tests/fakes/
# realtime.mjs) with its test driver (realtime_client.mjs): upgrade checks,
# GA schema checks and violations, responses, truncation, cancel, and the
# scripted behaviours. Everything on loopback, ephemeral ports.
# Skipped (exit 77) only when node is missing.
if ! command -v node >/dev/null 2>&1; then
	echo "node is not installed: skipped (contrib/dev/install-deps --test)"
	echo "0 passed, 0 failed"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

FAKES="$VG_TOP_SRCDIR/tests/fakes"
KEY=sk-test-0123456789abcdef
FAKE_PID=

cleanup() {
	[ -n "$FAKE_PID" ] && kill -TERM "$FAKE_PID" 2>/dev/null
	e2e_cleanup
}
trap cleanup EXIT

# Default script of the fake (--script): greet on session.updated.
cat >"$E2E_DIR/default.json" <<'EOF'
[{"on": "session.updated",
  "do": [{"respond": {"text": "Hello, how can I help?", "audio_ms": 300}}]}]
EOF
node "$FAKES/realtime.mjs" --port 0 --api-key "$KEY" --max-lifetime 300 \
    --script "$E2E_DIR/default.json" >"$E2E_DIR/fake.out" 2>&1 &
FAKE_PID=$!
PORT=
for _ in $(seq 1 100); do
	PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$E2E_DIR/fake.out")
	[ -n "$PORT" ] && break
	kill -0 "$FAKE_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$PORT" ]; then
	cat "$E2E_DIR/fake.out"
	check "fake/starts" false
	e2e_finish
	exit 1
fi
check "fake/prints_port" test "$PORT" -gt 0
WS="ws://127.0.0.1:$PORT/v1/realtime?model=gpt-realtime"
CTL="http://127.0.0.1:$PORT"

# run NAME [CLIENT-ARGS...] < EVENTS.json: the driver's output (one server
# event a line) in $E2E_DIR/NAME.out, its exit status in RC.
run() {
	name=$1; shift
	node "$FAKES/realtime_client.mjs" --timeout-ms 5000 "$@" - \
	    >"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err"
	RC=$?
	OUT="$E2E_DIR/$name.out"
}
# run1 NAME EVENTS-JSON [CLIENT-ARGS...]: run with a one-line event list.
run1() {
	n1=$1; printf '%s\n' "$2" >"$E2E_DIR/$1.json"; shift 2
	run "$n1" "$@" <"$E2E_DIR/$n1.json"
}
# ev FILE EXPR: EXPR (JavaScript) is true; `e` is the list of events of
# FILE, `t` their types, `of(type)` those of a type.
ev() {
	node -e '
		const e = require("fs").readFileSync(process.argv[1], "utf8")
		    .split("\n").filter((l) => l).map((l) => JSON.parse(l));
		const t = e.map((x) => x.type);
		const of = (ty) => e.filter((x) => x.type === ty);
		let ok;
		try { ok = eval(process.argv[2]); } catch (x) { ok = false;
		    console.error("  " + x); }
		if (!ok) console.error("  " + process.argv[2] + " is false in " +
		    JSON.stringify(t));
		process.exit(ok ? 0 : 1);' "$1" "$2"
}
# log EXPR: EXPR is true of GET /_fake/log (`j`; `c` = its last
# connection, `v` = that connection's violation kinds).
log() {
	curl -s -m 10 -o "$E2E_DIR/log.json" "$CTL/_fake/log"
	node -e '
		const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
		const c = j.connections[j.connections.length - 1];
		const v = c ? c.violations.map((x) => x.kind) : [];
		let ok;
		try { ok = eval(process.argv[2]); } catch (x) { ok = false;
		    console.error("  " + x); }
		if (!ok) console.error("  " + process.argv[2] + " is false in " +
		    JSON.stringify(c ?? j).slice(0, 1500));
		process.exit(ok ? 0 : 1);' "$E2E_DIR/log.json" "$1"
}
script() {
	code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data "$1" "$CTL/_fake/script")
	test "$code" = 200
}
SU='{"type": "session.update", "event_id": "cli_su", "session": {
 "type": "realtime", "model": "gpt-realtime",
 "instructions": "You are a concise phone assistant.",
 "output_modalities": ["audio"],
 "audio": {"input": {"format": {"type": "audio/pcmu"},
   "noise_reduction": {"type": "near_field"},
   "transcription": {"model": "gpt-4o-mini-transcribe", "language": "en"},
   "turn_detection": {"type": "server_vad", "threshold": 0.5,
     "prefix_padding_ms": 300, "silence_duration_ms": 500,
     "create_response": true, "interrupt_response": true}},
  "output": {"format": {"type": "audio/pcmu"}, "voice": "marin",
   "speed": 1.0}},
 "tools": [{"type": "function", "name": "end_call",
   "description": "Hang up.", "parameters": {"type": "object",
   "properties": {}}}],
 "tool_choice": "auto", "max_output_tokens": "inf"}}'

# ---- upgrade checks (§5.1) ----
run1 noauth '[]' --url "$WS"
check "upgrade/no_bearer_401" ev "$OUT" \
    "e[0]._unexpected_response === 401 &&
    JSON.parse(e[0].body).error.code === 'missing_api_key'"
run1 badkey '[]' --url "$WS" --key sk-wrong
check "upgrade/wrong_key_401" ev "$OUT" "e[0]._unexpected_response === 401"
run1 nomodel '[]' --url "ws://127.0.0.1:$PORT/v1/realtime" --key "$KEY"
check "upgrade/no_model_400" ev "$OUT" "e[0]._unexpected_response === 400 &&
    JSON.parse(e[0].body).error.code === 'missing_required_parameter'"
run1 badpath '[]' --url "ws://127.0.0.1:$PORT/v1/chat?model=x" \
    --key "$KEY"
check "upgrade/other_path_404" ev "$OUT" "e[0]._unexpected_response === 404"
check "log/refused_upgrades_recorded" log "j.connections.length === 4 &&
    j.connections.every((x) => x.refused) &&
    j.violations.filter((x) => x.kind === 'upgrade_refused').length === 4"
run1 beta '[{"_wait": "session.created"}]' --url "$WS" --key "$KEY" \
    --header 'OpenAI-Beta: realtime=v1'
check "upgrade/beta_header_refused_4000" ev "$OUT" "
    e[0].type === 'error' && e[0].error.code === 'beta_api_shape_disabled' &&
    !t.includes('session.created') &&
    e.some((x) => x._closed && x._closed.code === 4000)"
check "log/beta_header_violation" log "v.includes('beta_header')"
script '[]'
run1 root '[{"_wait": "session.created"}]' \
    --url "ws://127.0.0.1:$PORT/?model=gpt-realtime" --key "$KEY"
check "upgrade/root_path_accepted" ev "$OUT" "t[0] === 'session.created'"

# ---- schema and session (§5.3, §5.4, §8); no script on this one ----
script '[]'
run schema --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"},
 {"_append_ms": 40},
 $SU,
 {"_wait": "session.updated"},
 {"type": "session.update", "event_id": "b1", "session": {"type": "realtime",
  "modalities": ["text", "audio"], "temperature": 0.8}},
 {"_wait": "error"},
 {"type": "session.update", "event_id": "b2", "session": {"type": "realtime",
  "input_audio_format": "g711_ulaw"}},
 {"_wait": "error"},
 {"type": "session.update", "event_id": "b3", "session": {
  "instructions": "x"}},
 {"_wait": "error"},
 {"type": "session.update", "event_id": "b4", "session": {"type": "realtime",
  "audio": {"output": {"format": "g711_ulaw"}}}},
 {"_wait": "error"},
 {"type": "input_audio_buffer.append", "event_id": "b5", "audio": "//8=",
  "extra": 1},
 {"_wait": "error"},
 {"type": "response.audio.delta", "event_id": "b6"},
 {"_wait": "error"},
 {"_raw": "not json"},
 {"_wait": "error"},
 {"type": "session.update", "event_id": "b7", "session": {"type": "realtime",
  "audio": {"output": {"voice": "fable"}}}},
 {"_wait": "error"},
 {"type": "input_audio_buffer.commit", "event_id": "b8"},
 {"_wait": "error"},
 {"type": "conversation.item.create", "event_id": "b9", "item": {
  "type": "function_call_output", "call_id": "call_nope", "output": "{}"}},
 {"_wait": "error"},
 {"type": "conversation.item.create", "event_id": "b10", "item": {
  "type": "function_call_output", "call_id": "call_nope",
  "output": {"ok": true}}},
 {"_wait": "error"},
 {"type": "conversation.item.create", "event_id": "u1", "item": {
  "type": "message", "role": "user",
  "content": [{"type": "input_text", "text": "Greet the caller."}]}},
 {"_wait": "conversation.item.done"},
 {"_append_ms": 200},
 {"type": "input_audio_buffer.commit", "event_id": "c1"},
 {"_wait": "input_audio_buffer.committed"}
]
EOF
check "schema/driver_ok" test "$RC" -eq 0
check "session/created_first" ev "$OUT" "t[0] === 'session.created' &&
    e[0].session.audio.input.format.type === 'audio/pcm' &&
    e[0].session.object === 'realtime.session'"
check "session/updated_full_effective_config" ev "$OUT" "
    const s = of('session.updated')[0].session;
    s.audio.input.format.type === 'audio/pcmu' &&
    s.audio.output.format.type === 'audio/pcmu' &&
    s.audio.output.voice === 'marin' && s.tools[0].name === 'end_call' &&
    s.audio.input.turn_detection.idle_timeout_ms === null &&
    s.instructions === 'You are a concise phone assistant.' &&
    s.tracing === null && typeof s.expires_at === 'number' &&
    of('session.updated').length === 1"
errs='const er = (id) => of("error").find((x) => x.error.event_id === id);'
check "schema/beta_fields_unknown_parameter" ev "$OUT" "$errs
    er('b1').error.code === 'unknown_parameter' &&
    er('b1').error.param === 'session.modalities' &&
    er('b1').error.type === 'invalid_request_error' &&
    er('b2').error.param === 'session.input_audio_format'"
check "schema/missing_session_type" ev "$OUT" "$errs
    er('b3').error.code === 'missing_required_parameter' &&
    er('b3').error.param === 'session.type'"
check "schema/format_string_wrong_type" ev "$OUT" "$errs
    er('b4').error.code === 'invalid_type' &&
    er('b4').error.param === 'session.audio.output.format'"
check "schema/unknown_field" ev "$OUT" "$errs
    er('b5').error.code === 'unknown_parameter' &&
    er('b5').error.param === 'extra'"
check "schema/unknown_event_type" ev "$OUT" "$errs
    er('b6').error.code === 'invalid_value' && er('b6').error.param === 'type'"
check "schema/invalid_json" ev "$OUT" "
    of('error').some((x) => x.error.code === 'invalid_json')"
check "schema/not_a_realtime_voice" ev "$OUT" "$errs
    er('b7').error.code === 'invalid_value' &&
    er('b7').error.param === 'session.audio.output.voice'"
check "buffer/commit_under_100ms" ev "$OUT" "$errs
    er('b8').error.code === 'input_audio_buffer_commit_empty'"
check "items/output_for_unknown_call" ev "$OUT" "$errs
    er('b9').error.param === 'item.call_id'"
check "items/output_must_be_string" ev "$OUT" "$errs
    er('b10').error.code === 'invalid_type' &&
    er('b10').error.param === 'item.output'"
check "items/create_added_then_done" ev "$OUT" "
    const i = t.indexOf('conversation.item.added');
    i > 0 && t[i + 1] === 'conversation.item.done' &&
    !t.includes('conversation.item.created') &&
    e[i].item.content[0].text === 'Greet the caller.'"
check "buffer/commit_200ms" ev "$OUT" "
    const c = of('input_audio_buffer.committed')[0];
    c && c.item_id.startsWith('item_')"
check "log/violations_recorded" log "
    v.includes('audio_before_session_update') &&
    v.filter((k) => k === 'beta_shape').length === 2 &&
    v.filter((k) => k === 'schema').length >= 6 &&
    c.violations.find((x) => x.event_id === 'b1').ga === 'output_modalities'"
check "log/audio_counted_not_stored" log "
    c.audio_in.bytes === 320 + 1600 && c.audio_in.before_session_update === 2 &&
    c.received.filter((x) => x.type === 'input_audio_buffer.append')
	.every((x) => x.audio === undefined && x.audio_bytes > 0)"
check "log/client_events_recorded" log "
    c.received.find((x) => x.event_id === 'cli_su').session.tools.length === 1"
check "log/key_redacted" sh -c '! grep -q "$1" "$2"' - "$KEY" \
    "$E2E_DIR/log.json"

# ---- a response, truncation both ways, cancel (§5.5, §6.7) ----
script '[]'
run resp --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"},
 $SU,
 {"_wait": "session.updated"},
 {"type": "response.create", "event_id": "r1"},
 {"_wait": "response.created"},
 {"type": "response.create", "event_id": "r2"},
 {"_wait": "response.done"},
 {"type": "conversation.item.truncate", "event_id": "t1",
  "item_id": "\${response.output_item.added:item.id}", "content_index": 0,
  "audio_end_ms": 1001},
 {"_wait": "error", "n": 2},
 {"type": "conversation.item.truncate", "event_id": "t2",
  "item_id": "\${response.output_item.added:item.id}", "content_index": 0,
  "audio_end_ms": -11},
 {"_wait": "error"},
 {"type": "conversation.item.truncate", "event_id": "t3",
  "item_id": "\${response.output_item.added:item.id}", "content_index": 0,
  "audio_end_ms": 1000},
 {"_wait": "conversation.item.truncated"},
 {"type": "conversation.item.truncate", "event_id": "t4",
  "item_id": "\${response.output_item.added:item.id}", "content_index": 0,
  "audio_end_ms": 600},
 {"_wait": "conversation.item.truncated"},
 {"type": "conversation.item.truncate", "event_id": "t5",
  "item_id": "\${response.output_item.added:item.id}", "content_index": 0,
  "audio_end_ms": 601},
 {"_wait": "error"},
 {"type": "response.cancel", "event_id": "x1"},
 {"_wait": "error"},
 {"type": "response.create", "event_id": "r3"},
 {"_wait": "response.output_audio.delta", "n": 12},
 {"type": "response.cancel", "event_id": "x2"},
 {"_wait": "response.done"}
]
EOF
check "resp/driver_ok" test "$RC" -eq 0
check "resp/event_order" ev "$OUT" "
    const d = t.indexOf('response.done');
    const r = t.slice(t.indexOf('response.created'), d + 1);
    r[0] === 'response.created' &&
    r.indexOf('response.output_item.added') <
	r.indexOf('response.output_audio.delta') &&
    r.indexOf('response.content_part.added') <
	r.indexOf('response.output_audio.delta') &&
    ['response.output_audio.done', 'response.output_audio_transcript.done',
     'response.content_part.done', 'response.output_item.done',
     'conversation.item.done'].every((x) => r.indexOf(x) > 0 &&
	r.indexOf(x) < r.length - 1) && r.includes('rate_limits.updated')"
check "resp/audio_1000ms_pcmu_in_chunks" ev "$OUT" "
    const id = of('response.created')[0].response.id;
    const d = of('response.output_audio.delta').filter((x) =>
	x.response_id === id);
    d.length === 10 && d.reduce((a, x) =>
	a + Buffer.from(x.delta, 'base64').length, 0) === 8000"
check "resp/transcript_delta_and_done" ev "$OUT" "
    const id = of('response.created')[0].response.id;
    of('response.output_audio_transcript.delta').filter((x) =>
	x.response_id === id).map((x) => x.delta).join('') ===
    of('response.output_audio_transcript.done')[0].transcript &&
    of('response.output_audio_transcript.done')[0].transcript.length > 0"
check "resp/done_completed_with_usage" ev "$OUT" "
    const r = of('response.done')[0].response;
    r.status === 'completed' && r.usage.total_tokens > 0 &&
    r.usage.output_token_details.audio_tokens > 0 &&
    r.output[0].content[0].type === 'output_audio' &&
    r.audio.output.format.type === 'audio/pcmu'"
check "resp/one_active_response" ev "$OUT" "$errs
    er('r2').error.code === 'conversation_already_has_active_response'"
check "truncate/already_shorter" ev "$OUT" "$errs
    /^Audio content of 1000ms is already shorter than 1001ms$/
	.test(er('t1').error.message)"
check "truncate/negative_integer_below_min_value" ev "$OUT" "$errs
    er('t2').error.code === 'integer_below_min_value' &&
    er('t2').error.param === 'audio_end_ms'"
check "truncate/valid_truncated" ev "$OUT" "
    const tr = of('conversation.item.truncated');
    tr.length === 2 && tr[0].audio_end_ms === 1000 &&
    tr[1].audio_end_ms === 600 && tr[0].content_index === 0"
check "truncate/shortened_item_checked" ev "$OUT" "$errs
    /600ms is already shorter than 601ms/.test(er('t5').error.message)"
check "cancel/nothing_active_benign" ev "$OUT" "$errs
    er('x1').error.code === 'response_cancel_not_active'"
check "cancel/active_cancelled" ev "$OUT" "
    const r = of('response.done')[1].response;
    r.status === 'cancelled' &&
    r.status_details.reason === 'client_cancelled' &&
    r.output[0].status === 'incomplete'"
check "log/benign_not_a_violation" log "
    !c.violations.some((x) => x.code === 'response_cancel_not_active') &&
    c.errors.some((x) => x.code === 'response_cancel_not_active') &&
    v.includes('truncate_too_long') &&
    c.truncations.filter((x) => x.ok).length === 2 &&
    c.responses[0].items[0].audio_bytes === 8000 &&
    /^[0-9a-f]{64}$/.test(c.responses[0].items[0].audio_sha256)"

# ---- default --script: greeting on session.updated ----
run greet --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"}, $SU, {"_wait": "response.done"}]
EOF
check "script/default_greets" ev "$OUT" "
    of('response.done')[0].response.status === 'completed' &&
    of('response.output_audio_transcript.done')[0].transcript ===
	'Hello, how can I help?' &&
    of('response.output_audio.delta').length === 3 &&
    t.indexOf('session.updated') < t.indexOf('response.created')"
check "log/no_violation_for_good_client" log "c.violations.length === 0 &&
    c.steps_done === 1"

# ---- scripted barge-in: speech_started mid-response (§6.7) ----
script '[{"on": "session.updated", "do": [{"respond": {
  "text": "One two three four five six.", "audio_ms": 3000,
  "interval_ms": 30}}]},
 {"after_ms": 150, "do": [{"speech_started": {"leak_chunks": 2}}]},
 {"on": "response.done", "do": ["speech_stopped",
  {"transcribe_caller": "I want a ticket"}]}]'
run barge --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"}, $SU, {"_append_ms": 500},
 {"_wait": "conversation.item.input_audio_transcription.completed"}]
EOF
check "barge/speech_started_mid_response" ev "$OUT" "
    const s = t.indexOf('input_audio_buffer.speech_started');
    s > t.indexOf('response.output_audio.delta') &&
    s < t.indexOf('response.done') && e[s].item_id.startsWith('item_') &&
    typeof e[s].audio_start_ms === 'number'"
check "barge/cancelled_turn_detected_few_leaks" ev "$OUT" "
    const s = t.indexOf('input_audio_buffer.speech_started');
    const leaks = t.slice(s).filter((x) =>
	x === 'response.output_audio.delta').length;
    const r = of('response.done')[0].response;
    r.status === 'cancelled' && r.status_details.reason === 'turn_detected' &&
    leaks >= 1 && leaks <= 2 && of('response.output_audio.delta').length < 30"
check "barge/turn_then_transcript" ev "$OUT" "
    const st = of('input_audio_buffer.speech_started')[0];
    const sp = of('input_audio_buffer.speech_stopped')[0];
    const tc = of('conversation.item.input_audio_transcription.completed')[0];
    sp.item_id === st.item_id && tc.item_id === st.item_id &&
    tc.transcript === 'I want a ticket' &&
    of('conversation.item.input_audio_transcription.delta').map((x) =>
	x.delta).join('') === 'I want a ticket' &&
    t.includes('input_audio_buffer.committed')"

# ---- scripted tool call (§7) ----
script '[{"on": "response.create", "do": [{"call_tool": {"name": "end_call",
  "arguments": {"reason": "done"}}}]},
 {"on": "conversation.item.create",
  "do": [{"respond": {"text": "Bye.", "audio_ms": 200}}]}]'
run tool --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"}, $SU, {"_wait": "session.updated"},
 {"type": "response.create"},
 {"_wait": "response.done"},
 {"type": "conversation.item.create", "item": {"type": "function_call_output",
  "call_id": "\${response.function_call_arguments.done:call_id}",
  "output": "{\"ok\":true}"}},
 {"_wait": "response.done"}
]
EOF
check "tool/function_call_round" ev "$OUT" "
    const a = of('response.output_item.added')[0].item;
    const d = of('response.function_call_arguments.done')[0];
    const r = of('response.done')[0].response;
    a.type === 'function_call' && a.name === 'end_call' &&
    a.status === 'in_progress' && d.name === 'end_call' &&
    JSON.parse(d.arguments).reason === 'done' &&
    of('response.function_call_arguments.delta').map((x) => x.delta)
	.join('') === d.arguments &&
    r.output[0].type === 'function_call' &&
    r.output[0].call_id === d.call_id && d.call_id.startsWith('call_')"
check "tool/output_accepted" ev "$OUT" "
    of('conversation.item.added').some((x) =>
	x.item.type === 'function_call_output' &&
	x.item.output === '{\"ok\":true}') &&
    of('response.done')[1].response.status === 'completed'"
check "log/tool_call_answered" log "c.tool_calls.length === 1 &&
    c.tool_calls[0].output === '{\"ok\":true}' && c.violations.length === 0"

# ---- scripted error, drop, session expiry, audio trigger ----
script '[{"after_audio_ms": 100, "do": [{"error": {"code": "server_error",
  "type": "server_error", "message": "The server had an error."}}]},
 {"after_ms": 50, "do": ["drop"]}]'
run drop --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"}, $SU, {"_wait": "session.updated"},
 {"_append_ms": 60}, {"_sleep_ms": 100}, {"_append_ms": 60},
 {"_wait": "error"}, {"_sleep_ms": 2000}]
EOF
check "script/error_after_audio" ev "$OUT" "
    of('error')[0].error.code === 'server_error' &&
    of('error')[0].error.type === 'server_error'"
check "script/drop_abrupt" ev "$OUT" "
    e.some((x) => x._closed && x._closed.code === 1006)"
script '[{"on": "session.created",
  "do": [{"send": {"type": "response.audio.delta", "delta": "//8="}}]},
 {"on": "session.updated", "do": [{"expire_session": true}]}]'
run expire --url "$WS" --key "$KEY" <<EOF
[{"_wait": "session.created"}, $SU, {"_wait": "error"}, {"_sleep_ms": 2000}]
EOF
check "script/on_session_created_send_raw" ev "$OUT" "
    t[0] === 'session.created' && t[1] === 'response.audio.delta' &&
    e[1].delta === '//8=' && e[1].event_id.startsWith('event_')"
check "script/session_expired_1001" ev "$OUT" "
    of('error')[0].error.code === 'session_expired' &&
    e.some((x) => x._closed && x._closed.code === 1001)"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --data \
    '[{"do": ["dance"]}]' "$CTL/_fake/script")
check "script/bad_script_400" test "$code" = 400

# ---- control endpoints ----
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "$CTL/_fake/reset")
check "reset/200" test "$code" = 200
check "reset/clears" log "j.connections.length === 0 &&
    j.violations.length === 0"

kill -TERM "$FAKE_PID"
for _ in $(seq 1 50); do
	kill -0 "$FAKE_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$FAKE_PID"
check "fake/sigterm_exits_0" test $? -eq 0
FAKE_PID=

[ "$E2E_FAILED" -eq 0 ] || sed 's/^/  fake: /' "$E2E_DIR/fake.out"
e2e_finish
