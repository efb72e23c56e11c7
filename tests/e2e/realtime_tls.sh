#!/bin/sh
# realtime_openai over wss://, against the real daemon: twilio_http,
# media_ws and realtime_openai with their sample configurations, the strict
# fake OpenAI Realtime server (tests/fakes/realtime.mjs) serving TLS, the
# fake Twilio REST API, and voicegate-sim as the caller. A throw-away CA and
# the servers' certificates are made here with the openssl command line
# (all keys generated now, in the test's temporary folder).
#
#   verified   SSL_CERT_FILE is the CA, the certificate names localhost:
#              a session (session.update accepted, zero violations) and
#              the greeting heard byte-exact
#   untrusted  SSL_CERT_FILE (and SSL_CERT_DIR) empty: the connection is
#              refused, a WARN/ERROR line names the certificate, no
#              session at the fake, the call ends, the daemon still
#              answers GET /healthz
#   wrong host SSL_CERT_FILE is the CA, but the second fake's certificate
#              names only example.invalid: refused likewise, the log names
#              the host name or the certificate
# One daemon per case (the trust store and the URL come from the
# environment). At the end: no key in the daemons' logs. Loopback only,
# bounded waits. Skipped (exit 77) when node or openssl is missing.
for tool in node openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed: skipped" \
		    "(contrib/dev/install-deps --test)"
		echo "0 passed, 0 failed"
		exit 77
	fi
done
. "$(dirname "$0")/lib.sh"

FAKES="$VG_TOP_SRCDIR/tests/fakes"
SIM="$VG_TOP_BUILDDIR/tools/voicegate-sim"
ACC=AC00000000000000000000000000000001
TOK=e2e0auth0token0must0not0be0logged
KEY=e2e-api-key-must-not-be-logged-either
OKEY=sk-e2e0openai0key0must0never0be0logged
FROM=+15005550006
T="$E2E_DIR/t"
PKI="$E2E_DIR/pki"
CA="$PKI/ca.pem"
LOG="$E2E_DIR/log"
TW_PID=
RT_PID=
RT2_PID=
SIM_PID=
mkdir -p "$T" "$PKI" "$E2E_DIR/mods" "$T/no_certs.d"
: >"$T/no_certs.pem"

cleanup() {
	for p in $TW_PID $RT_PID $RT2_PID $SIM_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	e2e_cleanup
}
trap cleanup EXIT

export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK \
    TWILIO_FROM_NUMBER=$FROM VOICEGATE_API_KEY=$KEY OPENAI_API_KEY=$OKEY

# ---- helpers ----

# give_up WHAT: a setup step failed: count it, show the logs, stop.
give_up() {
	check "$1" false
	for f in "$T"/*.out "$PKI/openssl.err"; do
		[ -s "$f" ] && { echo "---- $f"; tail -n 20 "$f"; }
	done
	e2e_finish
	exit 1
}

# make_ca: a throw-away CA, $CA with its key $PKI/ca.key.
make_ca() {
	cat >"$PKI/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
x509_extensions = ca_ext
prompt = no
[dn]
CN = voicegate e2e throw-away CA
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
	openssl req -x509 -config "$PKI/openssl.cnf" -newkey ec \
	    -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$PKI/ca.key" -out "$CA" -days 2 2>>"$PKI/openssl.err"
}

# make_cert NAME SERIAL SAN: a server certificate $PKI/NAME.pem (key
# $PKI/NAME.key) for the subjectAltName SAN, signed by the CA.
make_cert() {
	printf '%s\n' 'basicConstraints = CA:FALSE' \
	    'keyUsage = critical, digitalSignature' \
	    'extendedKeyUsage = serverAuth' "subjectAltName = $3" \
	    >"$PKI/$1.ext"
	openssl req -new -config "$PKI/openssl.cnf" -newkey ec \
	    -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$1" \
	    2>>"$PKI/openssl.err" &&
	openssl x509 -req -in "$PKI/$1.csr" -CA "$CA" -CAkey "$PKI/ca.key" \
	    -set_serial "$2" -days 2 -extfile "$PKI/$1.ext" \
	    -out "$PKI/$1.pem" 2>>"$PKI/openssl.err"
}

# rt NAME:PORT METHOD PATH [JSON]: a control request to the fake Realtime
# server on loopback PORT whose certificate names NAME, over HTTPS with the
# CA; the answer in $T/rt.body.
rt() {
	if [ $# -gt 3 ]; then
		curl -sf -m 5 --cacert "$CA" -o "$T/rt.body" -X "$2" \
		    --connect-to "$1:127.0.0.1:${1##*:}" \
		    -H 'Content-Type: application/json' --data "$4" \
		    "https://$1$3"
	else
		curl -sf -m 5 --cacert "$CA" -o "$T/rt.body" -X "$2" \
		    --connect-to "$1:127.0.0.1:${1##*:}" "https://$1$3"
	fi
}

# rt_log NAME:PORT FILE: the fake's log into FILE.
rt_log() {
	rt "$1" GET /_fake/log && cp "$T/rt.body" "$2"
}

# rt_wait SECONDS NAME:PORT EXPR FILE: poll the fake's log (`j`) until EXPR
# holds, at most SECONDS; the last log is left in FILE.
rt_wait() {
	n=$(($1 * 10))
	while [ "$n" -gt 0 ]; do
		rt_log "$2" "$4" && js "$4" "$3" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	rt_log "$2" "$4" && js "$4" "$3"
}

# daemon_start NAME: a daemon with the environment as it is now, its log
# in $LOG.NAME (and $LOG). Sets E2E_PID, E2E_PORT and PUB; 0 if it is
# ready.
daemon_start() {
	for _ in 1 2 3; do
		P=$(free_port)
		PUB="http://127.0.0.1:$P"
		sed -i "s|^listen = .*|listen = 127.0.0.1:$P|;
		    s|^public_url = .*|public_url = $PUB|;
		    s|^log_level = .*|log_level = debug|" \
		    "$E2E_DIR/etc/voicegate.conf"
		: >"$LOG.$1"
		"$VOICEGATE" -c "$E2E_DIR/etc" -f -M "$E2E_DIR/mods" \
		    2>"$LOG.$1" &
		E2E_PID=$!
		ln -sf "$LOG.$1" "$LOG"
		E2E_PORT=
		for _ in $(seq 1 100); do
			E2E_PORT=$(sed -n \
			    's/.*voicegate ready on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
			    "$LOG.$1" | head -n 1)
			[ -n "$E2E_PORT" ] && return 0
			kill -0 "$E2E_PID" 2>/dev/null || break
			sleep 0.1
		done
		E2E_PID=	# the port was taken meanwhile: try another
	done
	cat "$LOG.$1" >&2
	return 1
}

# sim SECONDS ARGS...: voicegate-sim against the daemon, killed after
# SECONDS; JSON report in $T/sim. False if it had to be killed.
sim() {
	limit=$(($1 * 10)); shift
	"$SIM" --url "$(url '')" --public-url "$PUB" --json --timeout 5 \
	    "$@" >"$T/sim" 2>"$T/sim.err" &
	SIM_PID=$!
	while [ "$limit" -gt 0 ] && kill -0 "$SIM_PID" 2>/dev/null; do
		sleep 0.1
		limit=$((limit - 1))
	done
	if kill -0 "$SIM_PID" 2>/dev/null; then
		kill -TERM "$SIM_PID"
		wait "$SIM_PID"
		SIM_PID=
		echo "  voicegate-sim did not return in time" >&2
		return 1
	fi
	wait "$SIM_PID"
	SIM_PID=
	return 0
}

# sim_ok: the last simulator run went well (else shows why).
sim_ok() {
	grep -q '"ok":1,"failed":0,"protocol_errors":0' "$T/sim" && return 0
	cat "$T/sim" "$T/sim.err" >&2
	return 1
}

# healthz: the daemon answers GET /healthz with status ok.
healthz() {
	curl -sf -m 5 -o "$T/healthz" "$(url /healthz)" &&
	    js "$T/healthz" "j.status === 'ok'"
}

# refused CASE NAME:PORT WHAT PATTERN: what a 4 s call whose Realtime
# connection was refused must show: the daemon hung up early (after its
# one retry) and the caller heard nothing, no session at that fake, a
# WARN/ERROR line matching PATTERN (extended regexp, any case; WHAT in the
# check's name), no call left, the daemon alive.
refused() {
	check "$1/caller_returned" test "$SIM_RC" = 0
	check "$1/daemon_hung_up_early" js "$T/sim" "
	    j.ok === 1 && j.per_call[0].frames_sent < 150"
	check "$1/nothing_heard" js "$T/sim" "j.per_call[0].audio_bytes === 0"
	check "$1/no_session_at_fake" rt_wait 1 "$2" "
	    j.connections.length === 0" "$T/$1.json"
	check "$1/log_names_$3" wait_for 2 \
	    grep -qiE "(WARN|ERROR).*($4)" "$LOG.$1"
	check "$1/call_over" wait_for 3 no_calls
	check "$1/daemon_running" kill -0 "$E2E_PID"
	check "$1/healthz_ok" healthz
	echo "     ($1: $(grep -iE "(WARN|ERROR).*($4)" "$LOG.$1" |
	    head -n 1 | cut -c1-200))"
}

# ---- the certificates: a CA, localhost, and one for another name ----
make_ca || give_up "pki/ca_made"
make_cert localhost 2 "DNS:localhost, IP:127.0.0.1" ||
    give_up "pki/localhost_cert_made"
make_cert example.invalid 3 "DNS:example.invalid" ||
    give_up "pki/example_invalid_cert_made"
check "pki/localhost_verifies" sh -c 'openssl verify -CAfile "$1" \
    -verify_hostname localhost "$2" >/dev/null' - "$CA" "$PKI/localhost.pem"
check "pki/other_name_not_localhost" sh -c '! openssl verify -CAfile "$1" \
    -verify_hostname localhost "$2" >/dev/null 2>&1' - "$CA" \
    "$PKI/example.invalid.pem"

# ---- the fakes: Twilio, and two TLS Realtime servers with the greeting
# script for every connection ----
GREETING="Hello over TLS, how can I help?"
cat >"$T/greet.json" <<JSON
[{"on": "response.create", "do": [{"respond": {"text": "$GREETING",
  "audio_ms": 1000}}]}]
JSON
start_node "$T/twilio.out" "$FAKES/twilio_rest.mjs" --port 0 \
    --account "$ACC" --token "$TOK" --max-lifetime 120 ||
    give_up "fake_twilio/starts"
TW_PID=$STARTED_PID
TW_PORT=$STARTED_PORT
start_node "$T/realtime.out" "$FAKES/realtime.mjs" --port 0 \
    --api-key "$OKEY" --max-lifetime 120 --script "$T/greet.json" \
    --tls-cert "$PKI/localhost.pem" --tls-key "$PKI/localhost.key" ||
    give_up "fake_realtime/starts"
RT_PID=$STARTED_PID
RT_PORT=$STARTED_PORT
start_node "$T/realtime2.out" "$FAKES/realtime.mjs" --port 0 \
    --api-key "$OKEY" --max-lifetime 120 --script "$T/greet.json" \
    --tls-cert "$PKI/example.invalid.pem" \
    --tls-key "$PKI/example.invalid.key" ||
    give_up "fake_realtime_other_name/starts"
RT2_PID=$STARTED_PID
RT2_PORT=$STARTED_PORT
check "fake_realtime/serves_https" rt_log "localhost:$RT_PORT" \
    "$T/log0.json"
check "fake_realtime_other_name/serves_https" rt_log \
    "example.invalid:$RT2_PORT" "$T/log0.json"
export TWILIO_API_BASE_URL="http://127.0.0.1:$TW_PORT"

# ---- the daemon's configuration: the samples; one quick retry, so that a
# refused connection ends the call early ----
e2e_conf twilio_http media_ws realtime_openai
cp "$VG_TOP_SRCDIR/etc/twilio_http.conf" "$VG_TOP_SRCDIR/etc/media_ws.conf" \
    "$VG_TOP_SRCDIR/etc/agents.conf" "$E2E_DIR/etc/"
sed 's/^reconnect_attempts = .*/reconnect_attempts = 1/;
    s/^reconnect_backoff = .*/reconnect_backoff = 200ms/' \
    "$VG_TOP_SRCDIR/etc/realtime_openai.conf" \
    >"$E2E_DIR/etc/realtime_openai.conf"
check "conf/one_quick_retry" grep -qx 'reconnect_attempts = 1' \
    "$E2E_DIR/etc/realtime_openai.conf"
for m in twilio_http media_ws realtime_openai; do
	ln -sf "$VG_TOP_BUILDDIR/mods/$m.so" "$E2E_DIR/mods/$m.so"
done

# =====================================================================
# verified: the CA trusted, the certificate names localhost.
# =====================================================================
SSL_CERT_FILE=$CA OPENAI_REALTIME_URL="wss://localhost:$RT_PORT/v1/realtime"
export SSL_CERT_FILE OPENAI_REALTIME_URL
daemon_start verified || give_up "verified/daemon_starts"
check "verified/realtime_openai_loaded" wait_for 2 \
    grep -q 'agents, model gpt-realtime' "$LOG"
sim 15 --duration 2.5 --tone 440 --record "$T/verified.raw"
SIM_RC=$?
check "verified/caller_returned" test "$SIM_RC" = 0
check "verified/caller_ok" sim_ok
G="$T/verified.json"
check "verified/one_connection_closed" rt_wait 2 "localhost:$RT_PORT" "
    j.connections.length === 1 && j.connections[0].closed !== null" "$G"
check "verified/upgrade_accepted" js "$G" "
    const c = j.connections[0];
    c.refused === null && c.path === '/v1/realtime' &&
    c.headers.authorization === 'Bearer <redacted>'"
check "verified/session_update_accepted" js "$G" "
    const c = j.connections[0];
    c.session_updates === 1 && c.received[0].type === 'session.update' &&
    c.sent.some((e) => e.type === 'session.updated') &&
    c.errors.length === 0"
check "verified/zero_violations" js "$G" "j.violations.length === 0"
check "verified/greeting_length_heard" js "$G" "
    const it = j.connections[0].responses[0].items[0];
    it.transcript === '$GREETING' && it.audio_bytes === 8000 &&
    fs.statSync('$T/verified.raw').size === it.audio_bytes"
check "verified/greeting_byte_exact" js "$G" "
    j.connections[0].responses[0].items[0].audio_sha256 ===
	sha('$T/verified.raw')"
check "verified/closed_by_us_normal" js "$G" "
    j.connections[0].closed.code === 1000"
check "verified/no_tls_error_at_fake" sh -c \
    '! grep -q "TLS handshake failed" "$1"' - "$T/realtime.out"
e2e_stop
check "verified/daemon_exits_0" test "$E2E_RC" = 0

# =====================================================================
# untrusted: an empty trust store; the same fake.
# =====================================================================
rt "localhost:$RT_PORT" POST /_fake/reset '{}' ||
    echo "  fake reset failed" >&2
SSL_CERT_FILE="$T/no_certs.pem" SSL_CERT_DIR="$T/no_certs.d"
export SSL_CERT_FILE SSL_CERT_DIR
daemon_start untrusted || give_up "untrusted/daemon_starts"
sim 15 --duration 4 --tone 440 --record "$T/untrusted.raw"
SIM_RC=$?
refused untrusted "localhost:$RT_PORT" certificate 'certificate'
check "untrusted/fake_saw_the_refusal" wait_for 2 \
    grep -q "TLS handshake failed" "$T/realtime.out"
e2e_stop
unset SSL_CERT_DIR

# =====================================================================
# wrong host: the CA trusted, the certificate names example.invalid.
# =====================================================================
SSL_CERT_FILE=$CA OPENAI_REALTIME_URL="wss://localhost:$RT2_PORT/v1/realtime"
export SSL_CERT_FILE OPENAI_REALTIME_URL
daemon_start wrong_host || give_up "wrong_host/daemon_starts"
sim 15 --duration 4 --tone 440 --record "$T/wrong_host.raw"
SIM_RC=$?
refused wrong_host "example.invalid:$RT2_PORT" host_or_certificate \
    'certificate|host ?name'
# The CA was trusted: the name is what failed, not the issuer.
check "wrong_host/issuer_was_trusted" sh -c '! grep -iE \
    "(WARN|ERROR).*(issuer|unknown ca|self.signed)" "$1"' - "$LOG.wrong_host"
e2e_stop

# ---- the end: no key in any log ----
check "log/no_openai_key" sh -c '! cat "$@" | grep -qF "$0"' "$OKEY" \
    "$LOG.verified" "$LOG.untrusted" "$LOG.wrong_host"
check "log/no_twilio_token" sh -c '! cat "$@" | grep -qF "$0"' "$TOK" \
    "$LOG.verified" "$LOG.untrusted" "$LOG.wrong_host"

if [ "$E2E_FAILED" -ne 0 ]; then
	for c in verified untrusted wrong_host; do
		echo "---- daemon log, $c (last 30 lines)"
		tail -n 30 "$LOG.$c"
	done
	for f in realtime realtime2; do
		echo "---- fake Realtime ($f)"
		tail -n 10 "$T/$f.out"
	done
fi
e2e_finish
