#!/bin/sh
# The deployment files in contrib/ and doc/deploy.md: the systemd unit
# (hardening keys, no secrets, systemd-analyze verify), the nginx example
# (WebSocket upgrade, no path rewrite, nginx -t), the Cloudflare Tunnel
# ingress (parses, catch-all), the guide (every path the daemon serves).
# When nginx and openssl are installed, the guide's checklist is run for
# real: the daemon behind the shipped nginx file with TLS, the commands
# taken from doc/deploy.md. A missing tool skips its checks (said so), it
# never fails them.
. "$(dirname "$0")/lib.sh"

SRC=$VG_TOP_SRCDIR
UNIT=$SRC/contrib/systemd/voicegate.service
NGINX_CONF=$SRC/contrib/nginx/voicegate.conf
CFD=$SRC/contrib/cloudflared/config.yml
DOC=$SRC/doc/deploy.md
SKIPPED=0
NGINX_PID=

cleanup() {
	[ -n "$NGINX_PID" ] && kill -TERM "$NGINX_PID" 2>/dev/null
	e2e_cleanup
}
trap cleanup EXIT

skip() {
	echo "skip $*"
	SKIPPED=$((SKIPPED + 1))
}

# The file's lines without comments and blank lines.
body() {
	sed -e 's/^[[:space:]]*[#;].*//' -e '/^[[:space:]]*$/d' "$1"
}

# ---- systemd unit ----

check "unit exists" test -f "$UNIT"
unit_has() {
	body "$UNIT" | grep -qx -- "$1"
}
for kv in \
    'Type=simple' \
    'ExecStart=/usr/local/sbin/voicegate -c /usr/local/etc/voicegate -f' \
    'ExecReload=/bin/kill -HUP $MAINPID' \
    'RuntimeDirectory=voicegate' \
    'Environment=VOICEGATE_CONTROL_SOCKET=/run/voicegate/voicegate.ctl' \
    'EnvironmentFile=-/etc/voicegate/secrets.env' \
    'Restart=on-failure' \
    'NoNewPrivileges=yes' \
    'ProtectSystem=strict' \
    'ProtectHome=yes' \
    'PrivateTmp=yes' \
    'PrivateDevices=yes' \
    'ProtectKernelTunables=yes' \
    'ProtectKernelModules=yes' \
    'ProtectKernelLogs=yes' \
    'ProtectControlGroups=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'RestrictNamespaces=yes' \
    'LockPersonality=yes' \
    'MemoryDenyWriteExecute=yes' \
    'SystemCallArchitectures=native' \
    'SystemCallFilter=@system-service' \
    'CapabilityBoundingSet='; do
	check "unit: $kv" unit_has "$kv"
done
unit_user() {
	unit_has 'DynamicUser=yes' || body "$UNIT" | grep -q '^User=[a-z]'
}
check "unit: a dedicated user (DynamicUser or User)" unit_user
check "unit: the default prefix is said in a comment" \
    grep -q '^#.*default prefix' "$UNIT"
unit_nofile() {
	n=$(body "$UNIT" | sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p')
	[ -n "$n" ] && [ "$n" -ge 16384 ]
}
check "unit: LimitNOFILE for thousands of calls" unit_nofile
# TimeoutStopSec must outlast voicegate.conf's shutdown_grace.
unit_stop_timeout() {
	grace=$(sed -n 's/^shutdown_grace[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' \
	    "$SRC/etc/voicegate.conf")
	t=$(body "$UNIT" | sed -n 's/^TimeoutStopSec=\([0-9]*\)s*$/\1/p')
	[ -n "$grace" ] && [ -n "$t" ] && [ "$t" -gt "$grace" ]
}
check "unit: TimeoutStopSec longer than shutdown_grace" unit_stop_timeout
# No secret is set in the unit, and nothing in the shipped files looks
# like a credential.
unit_no_secret_env() {
	! body "$UNIT" | grep -E '^Environment=' |
	    grep -qiE 'TOKEN|SECRET|PASSWORD|_KEY|_SID|DSN'
}
check "unit: no secret in Environment=" unit_no_secret_env
no_token_values() {
	! grep -nE 'AC[0-9a-fA-F]{32}|SK[0-9a-fA-F]{32}|sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|[0-9a-fA-F]{32}|(TOKEN|SECRET|PASSWORD|_KEY)=[^.[:space:]][^[:space:]]{7,}' \
	    "$UNIT" "$NGINX_CONF" "$CFD"
}
check "contrib: no token-looking values" no_token_values

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants the executables to exist: point the copy at the build.
	mkdir -p "$E2E_DIR/unit"
	sed "s#/usr/local/sbin/voicegate#$VOICEGATE#g" "$UNIT" \
	    >"$E2E_DIR/unit/voicegate.service"
	unit_verify() {
		systemd-analyze verify --man=no \
		    "$E2E_DIR/unit/voicegate.service" \
		    >"$E2E_DIR/unit/verify.out" 2>&1 ||
		    { cat "$E2E_DIR/unit/verify.out"; return 1; }
		# It warns without failing: no line may name the unit.
		! grep 'voicegate.service' "$E2E_DIR/unit/verify.out"
	}
	check "unit: systemd-analyze verify" unit_verify
	if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
		unit_exposure() {
			x=$(systemd-analyze security --offline=true \
			    "$E2E_DIR/unit/voicegate.service" 2>/dev/null |
			    sed -n 's/.*Overall exposure level for [^:]*: \([0-9]*\)\.\([0-9]\).*/\1\2/p')
			echo "     exposure ${x:-?} (tenths)"
			[ -n "$x" ] && [ "$x" -le 25 ]
		}
		check "unit: systemd-analyze security exposure <= 2.5" \
		    unit_exposure
	else
		skip "systemd-analyze security --offline (too old)"
	fi
else
	skip "systemd-analyze verify (systemd-analyze not installed)"
fi

# ---- nginx ----

check "nginx file exists" test -f "$NGINX_CONF"
ngx_has() {
	body "$NGINX_CONF" | grep -qE -- "$1"
}
check "nginx: proxy_http_version 1.1" ngx_has 'proxy_http_version 1\.1;'
check "nginx: Upgrade header" \
    ngx_has 'proxy_set_header Upgrade \$http_upgrade;'
check "nginx: Connection header (upgrade)" \
    ngx_has 'proxy_set_header Connection (\$connection_upgrade|"?upgrade"?);'
check "nginx: upgrade map" ngx_has 'map \$http_upgrade \$connection_upgrade'
check "nginx: Host header" ngx_has 'proxy_set_header Host \$(host|http_host);'
check "nginx: TLS" ngx_has 'listen .*443 ssl'
for loc in /twilio/ /api/ /; do
	check "nginx: location $loc" ngx_has "location $loc \{"
done
# A long read timeout where the streams are.
ngx_stream_timeout() {
	t=$(body "$NGINX_CONF" | sed -n '/location \/twilio\/ {/,/}/p' |
	    sed -n 's/.*proxy_read_timeout \([0-9]*\)s*;.*/\1/p')
	[ -n "$t" ] && [ "$t" -ge 600 ]
}
check "nginx: long proxy_read_timeout on /twilio/" ngx_stream_timeout
# Signatures cover the exact path: every proxy_pass has no URI part, and
# nothing rewrites.
ngx_no_rewrite() {
	! ngx_has '(^|[[:space:]])rewrite[[:space:]]' &&
	! body "$NGINX_CONF" | grep 'proxy_pass' |
	    grep -vqE 'proxy_pass http://127\.0\.0\.1:5050;'
}
check "nginx: no path rewrite (proxy_pass without URI)" ngx_no_rewrite

# nginx_wrap DIR SITE: a whole nginx.conf around the site file SITE,
# everything nginx writes kept in DIR.
nginx_wrap() {
	{
		echo "pid $1/nginx.pid;"
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "	access_log $1/access.log;"
		echo "	client_body_temp_path $1/client_body;"
		echo "	proxy_temp_path $1/proxy;"
		# The other temporary folders of the modules this nginx has.
		for t in fastcgi uwsgi scgi; do
			nginx -V 2>&1 | grep -q -- "--http-$t-temp-path" &&
			    echo "	${t}_temp_path $1/$t;"
		done
		echo "	include $2;"
		echo "}"
	} >"$1/nginx.conf"
}

NGX=$E2E_DIR/nginx
CERT=$NGX/cert.pem
KEY=$NGX/key.pem
have_nginx=
if ! command -v nginx >/dev/null 2>&1; then
	skip "nginx -t and the checklist through nginx (nginx not installed)"
elif ! command -v openssl >/dev/null 2>&1; then
	skip "nginx -t and the checklist through nginx (openssl not installed)"
else
	mkdir -p "$NGX"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=voice.example.com -keyout "$KEY" -out "$CERT" \
	    >/dev/null 2>&1
	# The shipped file as it is, but for the certificate.
	sed -e "s#^\([[:space:]]*ssl_certificate\)[[:space:]].*;#\1 $CERT;#" \
	    -e "s#^\([[:space:]]*ssl_certificate_key\)[[:space:]].*;#\1 $KEY;#" \
	    "$NGINX_CONF" >"$NGX/site.conf"
	nginx_wrap "$NGX" "$NGX/site.conf"
	nginx_t() {
		nginx -t -q -c "$NGX/nginx.conf" -e "$NGX/error.log" \
		    >"$NGX/t.out" 2>&1 || { cat "$NGX/t.out"; return 1; }
	}
	check "nginx -t" nginx_t
	have_nginx=1
fi

# ---- Cloudflare Tunnel ----

check "cloudflared file exists" test -f "$CFD"
if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import yaml' >/dev/null 2>&1; then
	cfd_yaml() {
		python3 - "$CFD" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert c.get("tunnel") and c.get("credentials-file"), "tunnel, credentials"
rules = c["ingress"]
assert isinstance(rules, list) and len(rules) >= 2, "ingress rules"
last = rules[-1]
assert "hostname" not in last and "path" not in last, "catch-all last"
assert last["service"] == "http_status:404", "catch-all 404"
vg = [r for r in rules[:-1] if r.get("service") == "http://127.0.0.1:5050"]
assert vg and all("hostname" in r for r in vg), "hostname to voicegate"
# The whole host name, path unchanged: no path rule anywhere.
assert all("path" not in r for r in rules), "no path rules"
PY
	}
	check "cloudflared: YAML parses, host to :5050, 404 catch-all" cfd_yaml
else
	cfd_grep() {
		grep -q '^ingress:' "$CFD" &&
		grep -qE '^[[:space:]]*-?[[:space:]]*service: http://127\.0\.0\.1:5050$' \
		    "$CFD" &&
		grep -E '^[[:space:]]*-?[[:space:]]*service:' "$CFD" | tail -n 1 |
		    grep -q 'http_status:404' &&
		! grep -qE '^[[:space:]]*-?[[:space:]]*path:' "$CFD" &&
		! grep -q '	' "$CFD"
	}
	check "cloudflared: ingress (grep; python3 yaml missing)" cfd_grep
fi
if command -v cloudflared >/dev/null 2>&1; then
	check "cloudflared tunnel ingress validate" \
	    cloudflared tunnel --config "$CFD" ingress validate
fi

# ---- doc/deploy.md ----

check "doc/deploy.md exists" test -f "$DOC"
# Every path the modules and the core serve: the ones the brief names,
# and whatever the sources register, by call, route table or *_PATH macro
# (the test module echo aside). A path under a prefix the guide names
# (`/api/`) counts as mentioned; the Twilio ones must each be there.
served_paths() {
	printf '%s\n' /twilio/incoming-call /twilio/call-status \
	    /twilio/outbound-call /twilio/health /twilio/media-stream \
	    /twilio/events / /healthz /metrics
	for f in "$SRC"/core/*.[ch] "$SRC"/modules/*/*.[ch]; do
		case $f in */test_*|*/modules/echo/*) continue ;; esac
		{
			tr '\n' ' ' <"$f" |
			    grep -oE 'vg_(http_route|ws_endpoint)\([^;]*;'
			grep -oE '"(GET|POST|PUT|PATCH|DELETE)",[[:space:]]*"/[^"]*"' \
			    "$f"
		} | grep -oE '"/[^"%]*"' | tr -d '"'
		sed -n 's/^#define[[:space:]]*[A-Z_]*PATH[[:space:]]*"\(\/[^"%]*\)".*/\1/p' \
		    "$f"
	done | sed 's/\*$//'
}
doc_mentions_path() {
	grep -qF "\`$1\`" "$DOC" && return 0
	case $1 in
	/twilio/*) return 1 ;;
	/*/*) grep -qF "\`/$(echo "$1" | cut -d/ -f2)/\`" "$DOC" ;;
	*) return 1 ;;
	esac
}
for p in $(served_paths | sort -u); do
	check "doc mentions $p" doc_mentions_path "$p"
done
for v in VOICEGATE_LISTEN VOICEGATE_PUBLIC_URL VOICEGATE_API_KEY \
    TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_FROM_NUMBER \
    TWILIO_API_BASE_URL OPENAI_API_KEY OPENAI_REALTIME_URL \
    OPENAI_REALTIME_MODEL VOICEGATE_PG_DSN VOICEGATE_S3_BUCKET \
    VOICEGATE_CONTROL_SOCKET; do
	check "doc mentions $v" grep -qF "$v" "$DOC"
done
for s in 'wss://<public host>/twilio/media-stream' 'A call comes in' \
    'contrib/systemd/voicegate.service' 'contrib/nginx/voicegate.conf' \
    'contrib/cloudflared/config.yml' 'voicegate-sim --sign' \
    '101 Switching Protocols' 'secrets.env'; do
	check "doc mentions $s" grep -qF "$s" "$DOC"
done

# ---- the guide's checklist, through the shipped nginx file ----

# doc_block TEXT: the first ```sh block of doc/deploy.md containing TEXT.
doc_block() {
	awk -v want="$1" '
	/^[[:space:]]*```sh$/ { inb = 1; b = ""; next }
	/^[[:space:]]*```$/ && inb { inb = 0; if (index(b, want)) { printf "%s", b; exit } next }
	inb { sub(/^   /, ""); b = b $0 "\n" }' "$DOC"
}

if [ -n "$have_nginx" ]; then
	ACC=AC00000000000000000000000000000001
	TOK=0123456789abcdef0123456789abcdef
	export TWILIO_ACCOUNT_SID=$ACC TWILIO_AUTH_TOKEN=$TOK
	export HOST=voice.example.com
	e2e_conf twilio_http media_ws
	cp "$SRC/etc/twilio_http.conf" \
	    "$SRC/etc/media_ws.conf" "$E2E_DIR/etc/"
	sed -i "s#^public_url = .*#public_url = https://$HOST#" \
	    "$E2E_DIR/etc/voicegate.conf"
	if ! e2e_start; then
		check "daemon starts" false
		have_nginx=
	fi
fi
if [ -n "$have_nginx" ]; then
	# nginx on a free loopback port, upstream the daemon's.
	NGINX_PORT=
	for _ in 1 2 3 4 5 6 7 8; do
		port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 40000) }')
		sed -e "s#listen 443 ssl;#listen 127.0.0.1:$port ssl;#" \
		    -e "s#listen 80;#listen 127.0.0.1:$((port + 1));#" \
		    -e '/listen \[::\]/d' \
		    -e "s#127.0.0.1:5050#127.0.0.1:$E2E_PORT#g" \
		    "$NGX/site.conf" >"$NGX/live.conf"
		nginx_wrap "$NGX" "$NGX/live.conf"
		: >"$NGX/error.log"
		nginx -c "$NGX/nginx.conf" -e "$NGX/error.log" \
		    >"$NGX/run.out" 2>&1 &
		NGINX_PID=$!
		sleep 0.5
		if kill -0 "$NGINX_PID" 2>/dev/null; then
			NGINX_PORT=$port
			break
		fi
		NGINX_PID=
	done
	check "nginx runs the shipped file" test -n "$NGINX_PORT"
	# The guide's commands as written: curl reaches https://$HOST through
	# that nginx (same URL, same Host, our certificate), voicegate-sim is
	# the one just built.
	mkdir -p "$E2E_DIR/bin"
	ln -s "$VG_TOP_BUILDDIR/tools/voicegate-sim" "$E2E_DIR/bin/voicegate-sim"
	cat >"$E2E_DIR/bin/curl" <<EOF
#!/bin/sh
exec $(command -v curl) --connect-to $HOST:443:127.0.0.1:$NGINX_PORT \\
    --cacert $CERT "\$@"
EOF
	chmod +x "$E2E_DIR/bin/curl"
	PATH=$E2E_DIR/bin:$PATH
	export PATH

	# run_block TEXT OUT: run the guide's block containing TEXT.
	run_block() {
		doc_block "$1" >"$E2E_DIR/block.sh"
		[ -s "$E2E_DIR/block.sh" ] || {
			echo "     no \`\`\`sh block with \"$1\" in doc/deploy.md"
			return 1
		}
		sh "$E2E_DIR/block.sh" >"$2" 2>&1
		return 0
	}
	out=$E2E_DIR/out
	health() {
		run_block 'twilio/health' "$out" &&
		grep -q '"status":"ok"' "$out" &&
		grep -q '"validate_signatures":true' "$out"
	}
	check "checklist: health through nginx" health
	plain_get() {
		[ "$(curl -sS -o /dev/null -w '%{http_code}' \
		    "https://$HOST/twilio/media-stream")" = 426 ]
	}
	check "checklist: plain GET on the stream is 426" plain_get
	upgrade() {
		run_block 'voicegate-sim --sign wss://' "$out" &&
		grep -q '^HTTP/1.1 101' "$out" && grep -q 'no start' "$out" &&
		! grep -q 'bad signature' "$out"
	}
	check "checklist: signed upgrade is 101, then waits for start" upgrade
	unsigned_upgrade() {
		curl -sS -i -N --max-time 4 --output - \
		    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		    -H 'Sec-WebSocket-Version: 13' \
		    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		    "https://$HOST/twilio/media-stream" 2>/dev/null |
		    grep -aq 'bad signature'
	}
	check "checklist: unsigned upgrade is refused" unsigned_upgrade
	webhook() {
		run_block 'signed_post()' "$out" &&
		grep -q "<Stream url=\"wss://$HOST/twilio/media-stream\"" "$out" &&
		[ "$(grep -c '^200$' "$out")" -eq 2 ] &&
		[ "$(ctl calls show | grep -c '^vgc_')" -eq 0 ]
	}
	check "checklist: signed webhook and status callback via nginx" webhook
	sim_local() {
		doc_block 'voicegate-sim --url' |
		    sed -e "s#127.0.0.1:5050#127.0.0.1:$E2E_PORT#" \
			-e 's#--duration [0-9]*#--duration 1#' \
			>"$E2E_DIR/block.sh"
		sh "$E2E_DIR/block.sh" >"$out" 2>&1 &&
		grep -q '1 ok, 0 failed' "$out"
	}
	check "checklist: voicegate-sim call signed for the public URL" sim_local
	check "nginx passed the paths unchanged" \
	    grep -q '"POST /twilio/incoming-call HTTP/1.1" 200' "$NGX/access.log"
	check "daemon log: no signature refused but the unsigned one's" \
	    test "$(grep -cE 'refused: (bad X-Twilio-Signature|signature)' \
	    "$E2E_DIR/log")" -eq 1
	[ "$E2E_FAILED" -eq 0 ] || {
		echo "---- daemon log"; cat "$E2E_DIR/log"
		echo "---- last output"; cat "$out"
		echo "---- nginx"; cat "$NGX/error.log" "$NGX/run.out"
	} 2>/dev/null
	e2e_stop
fi

[ "$SKIPPED" -gt 0 ] && echo "($SKIPPED group(s) skipped: tools missing)"
e2e_finish
