#!/bin/sh
# Self-test of the fake Twilio REST API (tests/fakes/twilio_rest.mjs), the
# signing CLI and the official twilio library's agreement with the
# PROTOCOLS.md §2.5 vectors. Everything on loopback, ephemeral ports.
# Skipped (exit 77) only when node is missing.
if ! command -v node >/dev/null 2>&1; then
	echo "node is not installed: skipped (contrib/dev/install-deps --test)"
	echo "0 passed, 0 failed"
	exit 77
fi
. "$(dirname "$0")/lib.sh"

FAKES="$VG_TOP_SRCDIR/tests/fakes"
ACC=AC00000000000000000000000000000001
TOK=0123456789abcdef0123456789abcdef
FAKE_PID=
SINK_PID=

cleanup() {
	for p in $FAKE_PID $SINK_PID; do kill -TERM "$p" 2>/dev/null; done
	e2e_cleanup
}
trap cleanup EXIT

# api METHOD PATH [CURL-ARGS...]: a request to the fake with the right
# credentials; the body goes to $B, the status to $CODE.
B="$E2E_DIR/body.json"
api() {
	m=$1; p=$2; shift 2
	CODE=$(curl -s -m 10 -X "$m" -u "$ACC:$TOK" -o "$B" \
	    -w '%{http_code}' "$@" "http://127.0.0.1:$FAKE_PORT$p")
}
CALLS="/2010-04-01/Accounts/$ACC/Calls.json"
call_path() {
	echo "/2010-04-01/Accounts/$ACC/Calls/$1.json"
}
ctl_post() {
	curl -s -m 10 -o "$B" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data "$2" "http://127.0.0.1:$FAKE_PORT$1"
}
# err_is STATUS CODE: the last answer is Twilio's error body for them.
err_is() {
	test "$CODE" = "$1" && js "$B" "j.status === $1 && j.code === $2 &&
	    typeof j.message === 'string' && j.message.length > 0 &&
	    j.more_info === 'https://www.twilio.com/docs/errors/$2' &&
	    Object.keys(j).sort().join() === 'code,message,more_info,status'"
}

# ---- the official library is there and agrees with PROTOCOLS.md ----
node "$FAKES/check_vectors.mjs" >"$E2E_DIR/vectors.out" 2>&1
rc=$?
sed 's/^/  vectors: /' "$E2E_DIR/vectors.out"
check "vectors/official_library_reproduces_2.5" test $rc -eq 0
out=$(node "$FAKES/twilio_sign.mjs" --token 12345 \
    --url 'https://mycompany.com/myapp.php?foo=1&bar=2' \
    CallSid=CA1234567890ABCDE Caller=+14158675309 Digits=1234 \
    From=+14158675309 To=+18005551212)
check "sign/cli_vector_E" test "$out" = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
out=$(node "$FAKES/twilio_sign.mjs" --token "$TOK" \
    --url 'https://voice.example.com/twilio/voice?tenant=acme' \
    Digits=5678 Digits=1234 Digits=1234 Sid=CA123 SidAccount=AC123)
check "sign/cli_repeated_param_vector_D" \
    test "$out" = "tXwAymlB2PKimrgHx3XTb4/39ow="
check "sign/cli_check_accepts_port_variant" node "$FAKES/twilio_sign.mjs" \
    --token "$TOK" --check 'fdjZbmVykmPurfq5FwCjEypCk9E=' \
    --url 'https://voice.example.com/twilio/voice?tenant=acme' \
    AccountSid=AC00000000000000000000000000000001 ApiVersion=2010-04-01 \
    CallSid=CA00000000000000000000000000000002 CallStatus=ringing \
    Called=+15005550006 Caller=+14155550100 Direction=inbound \
    From=+14155550100 To=+15005550006 >/dev/null
node "$FAKES/twilio_sign.mjs" --token "$TOK" --check 'bm90IGl0' \
    --url 'https://voice.example.com/x' >/dev/null
check "sign/cli_check_rejects" test $? -eq 1
node "$FAKES/twilio_sign.mjs" --url x >/dev/null 2>&1
check "sign/cli_usage_exit_2" test $? -eq 2

# ---- the fake and a sink for its callbacks ----
start_node "$E2E_DIR/sink.out" "$FAKES/callback_sink.mjs" --token "$TOK" \
    --reply '<Response><Connect><Stream url="wss://127.0.0.1/s"/></Connect></Response>' ||
    { check "sink/starts" false; e2e_finish; exit 1; }
SINK_PID=$STARTED_PID SINK_PORT=$STARTED_PORT
SINK="http://127.0.0.1:$SINK_PORT"
STATE="$E2E_DIR/state.json"
start_node "$E2E_DIR/fake.out" "$FAKES/twilio_rest.mjs" --port 0 \
    --account "$ACC" --token "$TOK" --state-file "$STATE" \
    --max-lifetime 300 ||
    { check "fake/starts" false; e2e_finish; exit 1; }
FAKE_PID=$STARTED_PID FAKE_PORT=$STARTED_PORT
check "fake/prints_port" test "$FAKE_PORT" -gt 0

TWIML='<Response><Connect><Stream url="wss://127.0.0.1/media-stream"><Parameter name="t" value="1"/></Stream></Connect></Response>'

# ---- create ----
api POST "$CALLS" --data-urlencode To=+14155550100 \
    --data-urlencode From=+15005550006 --data-urlencode "Twiml=$TWIML" \
    --data-urlencode "StatusCallback=$SINK/call-status?x=1" \
    -d StatusCallbackEvent=initiated -d StatusCallbackEvent=ringing \
    -d StatusCallbackEvent=answered -d StatusCallbackEvent=completed \
    -d Timeout=30
check "create/201" test "$CODE" = 201
check "create/call_json_shape" js "$B" "
    /^CA[0-9a-f]{32}\$/.test(j.sid) && j.account_sid === '$ACC' &&
    j.status === 'queued' && j.to === '+14155550100' &&
    j.from === '+15005550006' && j.to_formatted === '(415) 555-0100' &&
    j.direction === 'outbound-api' && j.api_version === '2010-04-01' &&
    j.duration === null && j.price === null && j.start_time === null &&
    j.queue_time === '0' && /^PN[0-9a-f]{32}\$/.test(j.phone_number_sid) &&
    /^[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000\$/
	.test(j.date_created) &&
    j.uri === '/2010-04-01/Accounts/$ACC/Calls/' + j.sid + '.json' &&
    j.subresource_uris.streams.endsWith(j.sid + '/Streams.json') &&
    Object.keys(j).join() === 'sid,account_sid,parent_call_sid,to,' +
    'to_formatted,from,from_formatted,phone_number_sid,status,start_time,' +
    'end_time,duration,price,price_unit,direction,answered_by,api_version,' +
    'forwarded_from,group_sid,caller_name,queue_time,trunk_sid,' +
    'date_created,date_updated,uri,subresource_uris'"
SID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).sid)' "$B")
api GET "$(call_path "$SID")"
check "fetch/200_same_call" test "$CODE" = 200
check "fetch/body" js "$B" "j.sid === '$SID' && j.status === 'queued'"

# ---- create: refusals ----
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    -u "$ACC:wrong-token" --data-urlencode "Twiml=$TWIML"
check "auth/bad_token_401_20003" err_is 401 20003
check "auth/message_authenticate" js "$B" "j.message === 'Authenticate'"
CODE=$(curl -s -m 10 -o "$B" -w '%{http_code}' -D "$E2E_DIR/hdr" \
    -d To=%2B14155550100 "http://127.0.0.1:$FAKE_PORT$CALLS")
check "auth/missing_401_20003" err_is 401 20003
check "auth/www_authenticate" grep -qi '^WWW-Authenticate: Basic' \
    "$E2E_DIR/hdr"
api POST "/2010-04-01/Accounts/AC0000000000000000000000000000000f/Calls.json" \
    -d To=%2B14155550100 -d From=%2B15005550006 -d Url=http://127.0.0.1/x
check "auth/other_account_401" err_is 401 20003
api POST "$CALLS" -d From=%2B15005550006 --data-urlencode "Twiml=$TWIML"
check "create/missing_to_400_21201" err_is 400 21201
api POST "$CALLS" -d To=%2B14155550100 --data-urlencode "Twiml=$TWIML"
check "create/missing_from_400_21213" err_is 400 21213
api POST "$CALLS" -d To=%2B1415555 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML"
check "create/bad_e164_to_400_21211" err_is 400 21211
check "create/21211_message_names_number" \
    js "$B" "j.message.includes('+1415555')"
api POST "$CALLS" -d 'To=+14155550100' -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML"
check "create/unencoded_plus_is_a_space_400_21211" err_is 400 21211
api POST "$CALLS" -d To=%2B14155550100 -d From=15005550006 \
    --data-urlencode "Twiml=$TWIML"
check "create/bad_e164_from_400_21212" err_is 400 21212
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML" -d Bogus=1
check "create/unknown_param_400" err_is 400 20001
check "create/unknown_param_named" js "$B" "j.message.includes('Bogus')"
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006
check "create/no_instructions_400_21205" err_is 400 21205
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML" -d Url=http://127.0.0.1/x
check "create/url_and_twiml_400" err_is 400 20001
api POST "$CALLS" -d To=%2B14155550100 -d To=%2B14155550101 \
    -d From=%2B15005550006 --data-urlencode "Twiml=$TWIML"
check "create/repeated_to_400" err_is 400 20001
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML" -d StatusCallbackEvent=hungup \
    -d StatusCallback=http://127.0.0.1/cs
check "create/bad_status_event_400" test "$CODE" = 400
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML" -d Timeout=601
check "create/timeout_over_600_400" test "$CODE" = 400
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode 'Twiml=<Response><Say>unterminated'
check "create/bad_twiml_400" test "$CODE" = 400
api POST "$CALLS" -H 'Content-Type: application/json' \
    --data '{"To":"+14155550100","From":"+15005550006","Url":"http://127.0.0.1/x"}'
check "create/json_body_400" err_is 400 20001
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
    --data-urlencode "Twiml=$TWIML"
check "create/form_with_charset_201" test "$CODE" = 201
api GET "$CALLS"
check "list/not_implemented_405" err_is 405 20004
api GET "/2010-04-01/Accounts/$ACC/Messages.json"
check "unknown_resource_404_20404" err_is 404 20404

# ---- answer: signed status callbacks in order ----
CODE=$(ctl_post "/_fake/answer/$SID" '{}')
check "answer/200" test "$CODE" = 200
check "answer/in_progress_with_twiml" js "$B" "
    j.call.status === 'in-progress' && j.call.start_time !== null &&
    j.twiml.includes('<Connect><Stream') && j.callbacks.length === 2 &&
    j.callbacks.every((c) => c.status === 200)"
curl -s -m 10 -o "$E2E_DIR/sink.json" "$SINK/_sink/requests"
check "callbacks/initiated_ringing_answered" js "$E2E_DIR/sink.json" "
    j.map((r) => Object.fromEntries(r.params).CallStatus).join() ===
    'initiated,ringing,in-progress'"
check "callbacks/signed_as_twilio_signs" js "$E2E_DIR/sink.json" "
    j.length === 3 && j.every((r) => r.valid)"
check "callbacks/params" js "$E2E_DIR/sink.json" "j.every((r, i) => {
    const p = Object.fromEntries(r.params);
    return r.method === 'POST' && r.url === '$SINK/call-status?x=1' &&
	p.CallSid === '$SID' && p.AccountSid === '$ACC' &&
	p.SequenceNumber === String(i) && p.Direction === 'outbound-api' &&
	p.CallbackSource === 'call-progress-events' &&
	p.To === '+14155550100' && p.From === '+15005550006' &&
	/\\+0000\$/.test(p.Timestamp) &&
	r.content_type.startsWith('application/x-www-form-urlencoded'); })"
CODE=$(ctl_post "/_fake/answer/$SID" '{}')
check "answer/twice_409" test "$CODE" = 409

# ---- update ----
api POST "$(call_path "$SID")" -d Status=hungup
check "update/bad_status_400" test "$CODE" = 400
api POST "$(call_path "$SID")" -d Status=completed -d Foo=bar
check "update/unknown_param_400" err_is 400 20001
api POST "$(call_path "$SID")" --data-urlencode "Twiml=$TWIML"
check "update/redirect_twiml_200" test "$CODE" = 200
api POST "$(call_path "$SID")" -d Status=completed
check "update/completed_200" test "$CODE" = 200
check "update/completed_body" js "$B" "j.sid === '$SID' &&
    j.status === 'completed' && j.end_time !== null &&
    typeof j.duration === 'string'"
for _ in $(seq 1 50); do
	curl -s -m 10 -o "$E2E_DIR/sink.json" "$SINK/_sink/requests"
	js "$E2E_DIR/sink.json" "j.length >= 4" 2>/dev/null && break
	sleep 0.1
done
check "callbacks/completed_after_hangup" js "$E2E_DIR/sink.json" "
    const p = Object.fromEntries(j[3].params);
    j.length === 4 && j[3].valid && p.CallStatus === 'completed' &&
    p.SequenceNumber === '3' && /^[0-9]+\$/.test(p.CallDuration)"
api POST "$(call_path "$SID")" -d Status=completed
check "update/ended_call_400_21220" err_is 400 21220
api GET "$(call_path CAfedcba9876543210fedcba9876543210)"
check "fetch/unknown_sid_404_20404" err_is 404 20404
api POST "$(call_path CAfedcba9876543210fedcba9876543210)" -d Status=completed
check "update/unknown_sid_404_20404" err_is 404 20404

# ---- a queued call canceled; a Url call fetches its TwiML, signed ----
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Url=$SINK/twiml/outbound?call=7"
SID2=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).sid)' "$B")
api POST "$(call_path "$SID2")" -d Status=canceled
check "update/cancel_queued" js "$B" "j.status === 'canceled'"
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Url=$SINK/twiml/outbound?call=8" -d Method=POST
SID3=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).sid)' "$B")
CODE=$(ctl_post "/_fake/answer/$SID3" '{}')
check "answer/url_fetched" js "$B" "j.twiml_request.status === 200 &&
    j.twiml.includes('wss://127.0.0.1/s') && j.callbacks.length === 0"
curl -s -m 10 -o "$E2E_DIR/sink.json" "$SINK/_sink/requests"
check "answer/url_request_signed_voice_params" js "$E2E_DIR/sink.json" "
    const r = j[j.length - 1], p = Object.fromEntries(r.params);
    r.valid && r.url === '$SINK/twiml/outbound?call=8' &&
    p.CallSid === '$SID3' && p.CallStatus === 'in-progress' &&
    p.Direction === 'outbound-api' && p.Called === '+14155550100'"
CODE=$(ctl_post "/_fake/end/$SID3" '{"status":"busy"}')
check "end/in_progress_cannot_be_busy" test "$CODE" = 400
CODE=$(ctl_post "/_fake/end/$SID3" '{}')
check "end/completed" js "$B" "j.call.status === 'completed'"

# ---- GET callbacks, delivered out of order, with AMD ----
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML" -d MachineDetection=Enable \
    --data-urlencode "StatusCallback=$SINK/get-status" \
    -d StatusCallbackMethod=GET -d StatusCallbackEvent=ringing \
    -d StatusCallbackEvent=answered
SID4=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).sid)' "$B")
ctl_post /_fake/script '{"callback_order":"reverse"}' >/dev/null
CODE=$(ctl_post "/_fake/answer/$SID4" '{"answered_by":"human"}')
check "answer/answered_by" js "$B" "j.call.answered_by === 'human'"
ctl_post /_fake/script '{"callback_order":"normal"}' >/dev/null
curl -s -m 10 -o "$E2E_DIR/sink.json" "$SINK/_sink/requests"
check "callbacks/get_signed_over_query" js "$E2E_DIR/sink.json" "
    const g = j.filter((r) => r.url.startsWith('$SINK/get-status?'));
    g.length === 2 && g.every((r) => r.method === 'GET' && r.valid &&
	r.url.includes('CallSid=$SID4'))"
check "callbacks/reverse_order_keeps_sequence" js "$E2E_DIR/sink.json" "
    const g = j.filter((r) => r.url.startsWith('$SINK/get-status?'))
	.map((r) => Object.fromEntries(r.params));
    g[0].CallStatus === 'in-progress' && g[0].SequenceNumber === '1' &&
    g[0].AnsweredBy === 'human' && g[1].CallStatus === 'ringing' &&
    g[1].SequenceNumber === '0'"
CODE=$(ctl_post "/_fake/end/$SID4" '{}')
curl -s -m 10 -o "$E2E_DIR/sink.json" "$SINK/_sink/requests"
check "callbacks/completed_only_when_subscribed" js "$E2E_DIR/sink.json" "
    j.filter((r) => r.url.includes('CallSid=$SID4')).length === 2"

# ---- scripted failure and delay ----
CODE=$(ctl_post /_fake/script \
    '{"fail_next":{"status":400,"code":21215,"message":"Geo permission"}}')
check "script/accepted" test "$CODE" = 200
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML"
check "script/fail_next_served" err_is 400 21215
check "script/fail_next_message" js "$B" "j.message === 'Geo permission'"
api POST "$CALLS" -d To=%2B14155550100 -d From=%2B15005550006 \
    --data-urlencode "Twiml=$TWIML"
check "script/fail_next_only_once" test "$CODE" = 201
CODE=$(ctl_post /_fake/script '{"dleay_ms":5}')
check "script/unknown_key_400" test "$CODE" = 400
ctl_post /_fake/script '{"delay_ms":1500}' >/dev/null
start=$(date +%s%N)
curl -s -m 0.4 -u "$ACC:$TOK" -o /dev/null -d To=%2B14155550100 \
    -d From=%2B15005550006 --data-urlencode "Twiml=$TWIML" \
    "http://127.0.0.1:$FAKE_PORT$CALLS"
rc=$?
check "script/delay_times_client_out" test $rc -eq 28
api GET "$(call_path "$SID")"
end=$(date +%s%N)
check "script/delay_applies" test $(( (end - start) / 1000000 )) -ge 1400
ctl_post /_fake/script '{"delay_ms":0}' >/dev/null
sleep 0.3

# ---- what the fake recorded ----
curl -s -m 10 -o "$E2E_DIR/req.json" \
    "http://127.0.0.1:$FAKE_PORT/_fake/requests"
check "requests/recorded_in_order" js "$E2E_DIR/req.json" "
    j.length > 20 && j.every((r, i) => r.seq === i + 1) &&
    j[0].method === 'POST' && j[0].path === '$CALLS' &&
    j[0].response.status === 201 && j[0].call_sid === '$SID'"
check "requests/params_as_pairs_repeats_kept" js "$E2E_DIR/req.json" "
    JSON.stringify(j[0].params.filter((p) => p[0] ===
    'StatusCallbackEvent').map((p) => p[1])) ===
    '[\"initiated\",\"ringing\",\"answered\",\"completed\"]' &&
    j[0].params[0][0] === 'To' && j[0].params[0][1] === '+14155550100'"
check "requests/authorization_redacted" js "$E2E_DIR/req.json" "
    j[0].headers.authorization === 'Basic <redacted>' &&
    j[0].auth_user === '$ACC' && j[0].auth_ok === true"
check "requests/no_token_anywhere" sh -c '! grep -q "$1" "$2"' - \
    "$TOK" "$E2E_DIR/req.json"
check "requests/timed_out_request_marked_aborted" js "$E2E_DIR/req.json" "
    j.filter((r) => r.aborted).length === 1"
check "state_file/written" js "$STATE" "j.requests.length > 20 &&
    j.calls.some((c) => c.sid === '$SID' && c.status === 'completed')"
CODE=$(ctl_post /_fake/script '{"reset":true}')
curl -s -m 10 -o "$E2E_DIR/req.json" \
    "http://127.0.0.1:$FAKE_PORT/_fake/requests"
check "script/reset_clears" js "$E2E_DIR/req.json" "j.length === 0"

kill -TERM "$FAKE_PID"
for _ in $(seq 1 50); do kill -0 "$FAKE_PID" 2>/dev/null || break; sleep 0.1; done
wait "$FAKE_PID"
check "fake/sigterm_exits_0" test $? -eq 0
FAKE_PID=

# On failure, what the fake said about each refused request.
[ "$E2E_FAILED" -eq 0 ] || sed 's/^/  fake: /' "$E2E_DIR/fake.out"
e2e_finish
