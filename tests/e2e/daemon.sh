#!/bin/sh
# The daemon end to end: command line, configuration checks, listener,
# control socket, signals. Runs the real binary on loopback.
. "$(dirname "$0")/lib.sh"

# ---- command line ----
out=$("$VOICEGATE" --version)
check "cli/version" test "${out#voicegate }" != "$out"
"$VOICEGATE" --bogus >/dev/null 2>&1
check "cli/unknown_option_exit_2" test $? -eq 2

# ---- --check-config ----
out=$("$VOICEGATE" --check-config -c "$VG_TOP_SRCDIR/etc" 2>&1)
check "config/sample_is_valid" test $? -eq 0
mkdir -p "$E2E_DIR/bad"
printf '[general]\nlisten = 127.0.0.1:5050\nbogus_key = 1\nlog_level = loud\n' \
    >"$E2E_DIR/bad/voicegate.conf"
printf '[modules]\nautoload = no\nfrobnicate => x.so\n' \
    >"$E2E_DIR/bad/modules.conf"
out=$("$VOICEGATE" --check-config -c "$E2E_DIR/bad" 2>&1)
rc=$?
check "config/errors_exit_1" test $rc -eq 1
check "config/unknown_key_names_file_line" \
    sh -c 'echo "$1" | grep -q "bad/voicegate.conf:3:"' - "$out"
check "config/bad_value_names_file_line" \
    sh -c 'echo "$1" | grep -q "bad/voicegate.conf:4:"' - "$out"
check "config/modules_conf_error_names_file_line" \
    sh -c 'echo "$1" | grep -q "bad/modules.conf:3:"' - "$out"

# ---- a running daemon ----
e2e_conf echo
export TWILIO_AUTH_TOKEN=e2e-secret-token-must-not-be-logged
if e2e_start; then
	body=$(curl -sS "$(url /healthz)")
	check "http/healthz_ok" \
	    sh -c 'echo "$1" | grep -q "\"status\": *\"ok\""' - "$body"
	body=$(curl -sS "$(url /metrics)")
	check "http/metrics_prometheus" \
	    sh -c 'echo "$1" | grep -q "^# TYPE voicegate_"' - "$body"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$(url /no/such/path)")
	check "http/unknown_path_404" test "$code" = 404
	body=$(curl -sS -H 'Content-Type: text/plain' --data 'ping' \
	    "$(url /echo)")
	check "module/echo_route_served" test "$body" = ping

	out=$(ctl module show)
	check "ctl/module_show_lists_echo" \
	    sh -c 'echo "$1" | grep -q "^echo .*running"' - "$out"
	out=$(ctl --json module show)
	check "ctl/json_answer" \
	    sh -c 'echo "$1" | grep -q "\"name\": *\"echo\""' - "$out"
	ctl no such command >/dev/null 2>&1
	check "ctl/unknown_command_exit_1" test $? -eq 1
	out=$(ctl echo show)
	check "ctl/module_command" \
	    sh -c 'echo "$1" | grep -q "WebSocket echo: /echo"' - "$out"
	perm=$(stat -c %a "$E2E_DIR/ctl.sock")
	check "ctl/socket_owner_only" test "$perm" = 600

	check "ctl/module_unload" ctl module unload echo
	code=$(curl -s -o /dev/null -w '%{http_code}' --data x "$(url /echo)")
	check "module/unload_removes_route" test "$code" = 404
	check "ctl/module_load" ctl module load echo
	body=$(curl -sS --data 'again' "$(url /echo)")
	check "module/reload_serves_again" test "$body" = again

	kill -HUP "$E2E_PID"
	sleep 0.3
	check "signal/hup_reloads" log_has "reloading configuration"
	check "daemon/still_serving_after_hup" \
	    curl -sf -o /dev/null "$(url /healthz)"

	e2e_stop
	check "signal/term_exits_0" test "$E2E_RC" = 0
	check "signal/term_unloads" log_has "voicegate stopped"
	check "log/no_secret" sh -c '! grep -q e2e-secret-token "$1"' - \
	    "$E2E_DIR/log"
	check "module/echo_unloads_cleanly" \
	    sh -c '! grep -q "registrations behind" "$1"' - "$E2E_DIR/log"
	check "log/no_error_line" sh -c '! grep -q " ERROR " "$1"' - \
	    "$E2E_DIR/log"
	check "ctl/socket_removed" test ! -e "$E2E_DIR/ctl.sock"
else
	check "daemon/starts" false
fi

# ---- a required module that is missing stops start-up ----
e2e_conf
echo "require => nonexistent.so" >>"$E2E_DIR/etc/modules.conf"
"$VOICEGATE" -c "$E2E_DIR/etc" -f -M "$VG_TOP_BUILDDIR/mods" \
    2>"$E2E_DIR/log2" &
pid=$!
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then kill -KILL $pid; rc=timeout; else
	wait $pid; rc=$?; fi
check "loader/missing_required_module_fails_start" test "$rc" = 1

e2e_finish
