#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: a node changes only its own policy (issue 21).  Node a,
# which b lets send to any name and monitor (not run code), tries to
# change b's rules every way it has:
#   1. its own API: it changes a's rules only, even about peer b;
#   2. a call to b's distguard_epmd over distribution: refused there;
#   3. b's API run on b by erpc: denied by b's policy;
#   4. a request naming b on a's own registration connection: refused
#      (the connection, not the request, says who asks);
#   5. a crafted API_REQ for b on a fresh EPMD connection: refused;
#   6. garbage on a's registration connection: the registration ends
#      with an alert, a registers again, its changes are gone with it.
# b's policy and test_filter answers stay as the file made them.  Then
# {api, off} refuses every call, and `distguard check` names a bad
# {api, ...} by FILE:LINE.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgapi.erl" || not_ok "dgapi.erl compiles"

conf() {
	write_conf '{node, "b@*", [{peer, "a@*", [ping, {allow, reg_send}, {allow, monitor}]}]}.' \
	    '{node, "a@*", [{peer, "b@*", [allow_all]}]}.' "$@"
}
conf
dg_start || exit 1

timeout -k 2 150 erl -sname b "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    "${ERL_SAY_OTP[@]}" -eval "dgapi:contain_b(\"$T\")" > "$T/b.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/b.log" "b ready" 20 || not_ok "b ready"
otp_is "$T/b.log"
timeout -k 2 150 erl -sname a "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    -eval "dgapi:contain_a(\"b@$HOST\", \"$T\")" > "$T/a.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/a.log" "^a policy after: " 40 || { not_ok "a ran its attempts"; exit 1; }
wait_for "$T/b.log" "^b test a spawn: " 20 || not_ok "b checked its policy"
grep -E "^(own|a |b |remote|rpc)" "$T/a.log" "$T/b.log" | sed 's/^/# /'

check "1. a's own set_filter returns ok" grep -q "^own set_filter: ok" "$T/a.log"
check "1. a's own rule about peer b returns ok (a's rules, not b's)" \
    grep -q "^own add_filter on b's name: ok" "$T/a.log"
check "1. a's test_filter shows a's new rule" \
    grep -q "^a test x: {allow,{api," "$T/a.log"
check "2. a call to b's distguard_epmd over distribution is refused" \
    grep -q "^remote distguard_epmd call: {error,<<\"not a process of this node\">>}" "$T/a.log"
check "2. b's distguard_epmd logs the refused caller" \
    grep -q "API request from .* on a@$HOST refused" "$T/b.log"
check "3. b's API by erpc is denied by b's policy" \
    grep -q "^rpc to b's API: {'EXIT',{{erpc,notsup}" "$T/a.log"
check "4. a request naming b on a's registration connection is refused" \
    grep -q "api: node a: set_filter refused: b@$HOST is not the name this connection registered" "$T/dg.log"
check "b's policy holds no API entry" grep -q "^b policy: \[{file,<<\"$CONF\">>}\]" "$T/b.log"
check "b's verdict for x is the file's (deny)" grep -q "^b test x reg_send foo: {deny,{builtin," "$T/b.log"
check "b's verdict on a's code is the file's (deny)" grep -q "^b test a spawn: {deny," "$T/b.log"
check "a's policy holds its two entries" \
    grep -q "^a policy after: \[{filter,<<\"x@$HOST\">>,reg_send,'_',allow},{filter,<<\"b@$HOST\">>,spawn_request,<<\"erlang:node/0\">>,allow},{file," "$T/a.log"
check "a's two changes raised policy.api naming a; none names b" \
    sh -c "[ \$(grep '\"event\":\"policy.api\"' '$ALERTS' | grep -c '\"node\":\"a@.*_filter: peer') = 2 ] && ! grep '\"event\":\"policy.api\"' '$ALERTS' | grep -q '\"node\":\"b@'"

# 5. a crafted API_REQ for b on a fresh connection
python3 - "$EPMD_PORT" "b@$HOST" > "$T/crafted.out" 2>&1 <<'PY'
import socket, struct, sys
port, node = int(sys.argv[1]), sys.argv[2].encode()
args = [node, b"x@h", b"reg_send", b"allow"]
body = b"A" + struct.pack(">IBB", 1, 1, len(args)) + b"".join(
    struct.pack(">H", len(a)) + a for a in args)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(struct.pack(">H", len(body)) + body)
print("reply", s.recv(100))
PY
check "5. a crafted API_REQ on a fresh connection gets nothing but a close" \
    grep -q "^reply b''" "$T/crafted.out"
check "5. ... and an epmd.refused alert saying why" \
    grep -q '"event":"epmd.refused".*API_REQ: API request not on a mediated node' "$ALERTS"

# 6. garbage on a's registration connection
wait_for "$T/dg.log" "node a unregistered" 10 || not_ok "a's registration ended"
check "6. garbage ends a's registration with an alert naming the fault" \
    grep -q '"event":"epmd.refused".*API_REQ wrong number of arguments for its op on the registration connection' "$ALERTS"
check "6. a's changes are dropped with its registration (policy.api)" \
    grep -q '"event":"policy.api".*registration ended: 2 API entries dropped' "$ALERTS"
wait_for "$T/a.log" "registered again with distguard" 10 || not_ok "a registered again"
touch "$T/reregistered"
wait_for "$T/a.log" "^a policy after garbage: " 20
check "6. a registers again; its policy is the file's" \
    grep -q "^a policy after garbage: \[{file," "$T/a.log"
touch "$T/stop"

# {api, off}
conf '{api, off}.'
check "distguard check accepts {api, off}" "$DG" check -c "$CONF"
"$DG" reload -c "$CONF" > /dev/null
r=$(node_eval z "distguard:set_filter('x@$HOST', send, allow)" "${ERL_MOD[@]}" -connect_all false | tail -n 1)
check "{api, off}: a call is refused, saying so ($r)" grep -q "the API is off" <<<"$r"
conf '{api, maybe}.'
err=$("$DG" check -c "$CONF" 2>&1)
check "distguard check names a bad {api, ...} by FILE:LINE ($err)" \
    grep -q "^$CONF:[0-9]*: api must be {api, own | off}" <<<"$err"
check "the daemon is alive" dg_alive
done_tests
