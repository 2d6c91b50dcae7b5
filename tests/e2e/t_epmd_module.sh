#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: distguard_epmd, the EPMD module of protected nodes (issue
# 12).  Real OTP nodes with -epmd_module distguard_epmd (lib.sh's
# node_start gives it): they register mediated, re-register by themselves
# after the daemon is killed and restarted, never dial a remote node
# themselves, and ignore -erl_epmd_port; the daemon refuses stock
# (unmediated) nodes by default ({egress, required}: no {egress, ...}
# entry below), alerts on them in optional, and refuses nodes whose
# distribution port listens beyond loopback (the default {exposed,
# refuse}), on a test configuration and on the embedded one.
. "$(dirname "$0")/lib.sh"
CRAFT="python3 $ROOT/tests/e2e/craft.py"

if [ ! -f "$EBIN/distguard_epmd.beam" ]; then
	not_ok "distguard_epmd.beam built in $EBIN"
	exit 1
fi

# mod_conf [entries]: write_conf, with no {egress}/{exposed} entry unless
# given, and other hosts' EPMD on this test's port (section 6: the EPMD
# of "another host" is played by the script there).
mod_conf() {
	write_conf '{default, [ping]}.' "$@"
	sed -i "s/{addresses, \[\"127.0.0.1\", \"::1\"\]}/&, {remote_port, $EPMD_PORT}/" "$CONF"
}
mod_conf
grep -q "remote_port, $EPMD_PORT" "$CONF" || not_ok "remote_port set in $CONF"
check "the test configuration has no {egress} or {exposed} entry" \
    not grep -q '^{egress\|^{exposed' "$CONF"
dg_start || exit 1

# peer_ping NAME TARGET: a stock node that does not listen (so it needs no
# registration: -dist_listen false) pings TARGET through distguard.
peer_ping() {
	DG_TARGET=$2 EVAL_TIMEOUT=30 node_eval "$1" "net_adm:ping(Node)" \
	    -dist_listen false | tail -n 1
}

# --- 1. mediated registration, reachable through distguard ------------------
for n in n1 n2 n3; do node_start "$n" || exit 1; done
check "nodes with the module register as mediated" \
    [ "$(grep -c 'node n[123] registered from .*; mediated (distguard_epmd)' "$T/dg.log")" -eq 3 ]
names=$(stock_epmd -names)
check "the mark is not part of what peers see (PORT2_RESP Extra is empty)" \
    python3 - "$EPMD_PORT" n1 <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
name = sys.argv[2].encode()
s.sendall(struct.pack(">HB", len(name) + 1, 122) + name)
buf = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    buf += d
# 'w', 0, port, type, proto, high, low, nlen, name, elen, extra
assert buf[:2] == b"w\0", buf
nlen = struct.unpack(">H", buf[10:12])[0]
elen = struct.unpack(">H", buf[12 + nlen:14 + nlen])[0]
sys.exit(0 if elen == 0 and b"distguard" not in buf else 1)
PY
r=$(peer_ping p1 "n1@$HOST")
check "a peer pings a module node through distguard ($r)" [ "$r" = pong ]
check "... through its filtering listener" wait_for "$T/dg.log" "p1@$HOST -> n1@$HOST: up" 5

# --- 2. kill -9, restart: every node registers again by itself ---------------
kill -9 "$DG_PID"
wait "$DG_PID" 2>/dev/null
check "daemon killed; the nodes live on" kill -0 "$PID_n1" "$PID_n2" "$PID_n3"
sleep 1
mark=$(wc -l < "$T/dg.log")
t0=$(date +%s%N)
"$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
all_back() {
	[ "$(tail -n +"$((mark + 1))" "$T/dg.log" |
	    grep -c 'node n[123] registered from .*; mediated')" -eq 3 ]
}
i=0
until all_back || [ $i -ge 100 ]; do sleep 0.02; i=$((i + 1)); done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "# re-registration of 3 nodes: ${ms} ms after the daemon was started again"
check "all three nodes registered again within 2 s (${ms} ms)" \
    eval 'all_back && [ "$ms" -le 2000 ]'
names=$(stock_epmd -names)
echo "$names" | sed 's/^/#   /'
check "stock epmd -names lists n1, n2, n3 again" \
    eval 'echo "$names" | grep -q "^name n1 at port" && echo "$names" | grep -q "^name n2 at port" && echo "$names" | grep -q "^name n3 at port"'
pp=$($CRAFT port_please "$EPMD_PORT" n2)
check "PORT_PLEASE2 answers a listener port for n2 ($pp)" eval '[ "${pp%% *}" = port ]'
for n in n1 n2 n3; do
	r=$(peer_ping "q$n" "$n@$HOST")
	check "after the restart a peer pings $n through distguard ($r)" [ "$r" = pong ]
done
check "no node was restarted" kill -0 "$PID_n1" "$PID_n2" "$PID_n3"
# A node's output: its ready line, then only the module's reconnect
# notices (logger prints a report header, the text, a blank line).
clean_log() {
	grep -v -E '^dgt ready |^=NOTICE REPORT====|^distguard_epmd: registration of n[123] with distguard lost; re-registering$|^distguard_epmd: n[123] registered again with distguard after [0-9]+ ms \([0-9]+ attempts\)$|^$' "$T/$1.log" | grep -q . && return 1
	grep -q "registered again with distguard" "$T/$1.log"
}
for n in n1 n2 n3; do
	check "$n's log has the reconnect lines and nothing else" clean_log "$n"
done
grep -h "registered again" "$T"/n[123].log | sed 's/^/#   /'

# --- 3. required (the default): a stock node is refused, the line names the flags
out=$(timeout -k 2 30 erl -sname s1 "${ERL_COMMON[@]}" -eval 'halt().' 2>&1)
check "a stock node is refused (egress required, by default)" \
    wait_for "$T/dg.log" "ALIVE2_REQ for s1 refused: unmediated" 5
check "... and the log line says which flags to add" \
    grep -q "ALIVE2_REQ for s1 refused: unmediated; start the node with -epmd_module distguard_epmd -pa " "$T/dg.log"
check "... with an epmd.unmediated alert" \
    eval 'grep "\"event\":\"epmd.unmediated\"" "$ALERTS" | grep -q "\"node\":\"s1\""'
check "... and it is not registered" not eval 'stock_epmd -names | grep -q "^name s1 "'

# --- 4. optional: accepted, with the alert ----------------------------------
mod_conf '{egress, optional}.'
rl=$("$DG" reload -c "$CONF" 2>&1)
check "reloaded with egress optional ($rl)" [ "$rl" = reloaded ]
NODE_MOD=0 node_start s2 || exit 1
check "in optional mode a stock node registers, marked unmediated" \
    grep -q "node s2 registered from .*; unmediated (stock EPMD client)" "$T/dg.log"
check "... with an epmd.unmediated alert (accepted)" \
    eval 'grep "\"event\":\"epmd.unmediated\"" "$ALERTS" | grep "\"node\":\"s2\"" | grep -q "accepted: egress optional"'
st=$("$DG" stats -c "$CONF" 2>&1)
echo "$st" | grep registrations | sed 's/^/#   /'
# Since the restart: n1..n3 mediated, s1 refused, s2 accepted unmediated.
check "distguard stats counts registrations by mediation" \
    grep -qx "registrations: mediated 3, refused_unmediated 1, unmediated 1" <<<"$st"
"$DG" stats -c "$CONF" --json > "$T/stats.json" 2>&1
check "stats --json: registrations by outcome" python3 - "$T/stats.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["registrations"]
sys.exit(0 if r.get("mediated") == 3 and r.get("unmediated") == 1 and
         r.get("refused_unmediated") == 1 else 1)
PY
mod_conf
"$DG" reload -c "$CONF" >/dev/null 2>&1

# --- 5. -erl_epmd_port: ignored, still registered through distguard ---------
node_start e1 -erl_epmd_port 12345 \
    -kernel erl_epmd_node_listen_port 12346 || exit 1
check "with -erl_epmd_port the node still registers, mediated" \
    grep -q "node e1 registered from .*; mediated" "$T/dg.log"
real_e1=$(sed -n 's/.*node e1 registered from .*: port \([0-9]*\),.*/\1/p' "$T/dg.log" | tail -n 1)
check "... on a port of its own, not the fixed ones ($real_e1)" \
    eval '[ "${real_e1:-12345}" != 12345 ] && [ "$real_e1" != 12346 ]'
check "... and the module logs that it ignored the flag" \
    grep -q "distguard_epmd: ignoring -erl_epmd_port 12345" "$T/e1.log"
check "... and the kernel's erl_epmd_node_listen_port" \
    grep -q "distguard_epmd: ignoring kernel erl_epmd_node_listen_port 12346" "$T/e1.log"
r=$(peer_ping pe "e1@$HOST")
check "... and is reachable through distguard ($r)" [ "$r" = pong ]

# --- 6. address_please: the route is distguard's egress port, never direct --
# "Another host" is 127.0.0.9 with an EPMD played by this script on the
# test's EPMD port (the daemon's remote_port): it records every connection
# and answers "no such node".  The module node asks distguard, which asks
# that EPMD once for its egress session; a node dialling by itself would
# make a second connection.
FAKE_LOG="$T/fake_epmd.log"
: > "$FAKE_LOG"
python3 - "$EPMD_PORT" "$FAKE_LOG" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.9", int(sys.argv[1])))
s.listen(8)
s.settimeout(0.5)
end = time.time() + 90
while time.time() < end:
    try:
        c, a = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    try:
        req = c.recv(4096)
        c.sendall(b"w\x01")
    except OSError:
        req = b""
    with open(sys.argv[2], "a") as f:
        f.write("connection from %s:%d asking %r\n" % (a[0], a[1], req[3:]))
    c.close()
PY
PIDS+=("$!")
sleep 0.5
r=$(timeout -k 2 40 erl -name a1@127.0.0.1 "${ERL_COMMON[@]}" "${ERL_MOD[@]}" \
    -eval "io:format(\"~p~n\", [net_adm:ping('r@127.0.0.9')]), timer:sleep(300), halt()." 2>&1)
echo "$r" | sed 's/^/#   /'
sed 's/^/#   fake EPMD: /' "$FAKE_LOG"
check "a module node's ping to r@127.0.0.9 fails (pang: no such node there)" \
    eval 'echo "$r" | grep -qx pang'
check "... the daemon gave it an egress port for r@127.0.0.9" \
    grep -q "egress port [0-9]* for r@127.0.0.9" "$T/dg.log"
check "... whose session asked 127.0.0.9's EPMD and closed on its answer" \
    grep -q "closed: r@127.0.0.9: its host's EPMD" "$T/dg.log"
n0=$(grep -c connection "$FAKE_LOG")
check "... and only distguard reached 127.0.0.9 (one EPMD connection: $n0)" [ "$n0" -eq 1 ]
# The same ping from a stock node does reach the fake EPMD by itself: the
# check above can fail.
r=$(timeout -k 2 40 erl -name c1@127.0.0.1 "${ERL_COMMON[@]}" -dist_listen false \
    -eval "io:format(\"~p~n\", [net_adm:ping('r@127.0.0.9')]), halt()." 2>&1 | tail -n 1)
sleep 0.3
check "control: a stock node's ping goes to 127.0.0.9 itself ($r)" \
    [ "$(grep -c connection "$FAKE_LOG")" -gt "$n0" ]

# EGRESS_REQ by hand: from outside registration_from, and malformed.
egress_raw() {	# egress_raw SOURCE_ADDR BODY: prints the reply bytes in hex
	python3 - "$EPMD_PORT" "$1" "$2" <<'PY'
import socket, struct, sys
s = socket.socket()
s.bind((sys.argv[2], 0))
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
body = b"E" + sys.argv[3].encode()
s.sendall(struct.pack(">H", len(body)) + body)
buf = b""
try:
    while True:
        d = s.recv(64)
        if not d:
            break
        buf += d
except OSError:
    pass
print(buf.hex() or "closed")
PY
}
# Issue 18: answered only on a mediated node's registration connection
# (distguard_epmd sends it there); a fresh connection is refused, from
# any address (tests/e2e/t_egress_req.sh has the rest).
r=$(egress_raw 127.0.0.1 "r@127.0.0.9")
check "EGRESS_REQ on a fresh connection from a registration address: closed, no answer ($r)" \
    [ "$r" = closed ]
r=$(egress_raw 127.0.0.5 "r@127.0.0.9")
check "EGRESS_REQ from outside registration_from: closed, no answer ($r)" [ "$r" = closed ]
check "... logged and alerted as epmd.refused" \
    grep -q "EGRESS_REQ: egress request not on a mediated node's registration connection" "$T/dg.log"
r=$(egress_raw 127.0.0.1 "nohost")
check "EGRESS_REQ without '@': closed, no answer ($r)" [ "$r" = closed ]
check "... with the reason in the log" grep -q "EGRESS_REQ node name without '@'" "$T/dg.log"

# --- 7. exposed: a node listening on every address is refused ---------------
# In a network namespace of the test's own (only lo in it), so the node's
# 0.0.0.0 socket reaches nothing outside; a second daemon runs there.
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
	NS=dgt-epmdmod-$$
	ip netns add "$NS" && ip netns exec "$NS" ip link set lo up
	trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
	NSCONF="$T/ns.conf"
	sed -e "s|$T/ctl.sock|$T/ns.sock|" -e "s|$ALERTS|$T/ns-alerts.log|" "$CONF" > "$NSCONF"
	give_files
	ip netns exec "$NS" "$DG" run -c "$NSCONF" -v > "$T/ns-dg.log" 2>&1 &
	PIDS+=("$!")
	if wait_for "$T/ns-dg.log" "distguard running" 10; then
		ip netns exec "$NS" timeout -k 2 30 erl -sname x1 -setcookie "$COOKIE" \
		    -start_epmd false -epmd_port "$EPMD_PORT" -noshell "${ERL_MOD[@]}" \
		    -eval 'halt().' > "$T/x1.log" 2>&1
		check "a node listening on 0.0.0.0 is refused: exposed" \
		    grep -q "ALIVE2_REQ for x1 refused: exposed: port [0-9]* listens on 0.0.0.0" "$T/ns-dg.log"
		check "... the line names -kernel inet_dist_use_interface" \
		    grep -q "x1 refused: exposed.*-kernel inet_dist_use_interface {127,0,0,1}" "$T/ns-dg.log"
		check "... with an epmd.exposed alert" \
		    eval 'grep "\"event\":\"epmd.exposed\"" "$T/ns-alerts.log" | grep -q "\"node\":\"x1\""'
		ip netns exec "$NS" timeout -k 2 30 erl -sname x2 -setcookie "$COOKIE" \
		    -start_epmd false -epmd_port "$EPMD_PORT" -noshell "${ERL_MOD[@]}" \
		    -kernel inet_dist_use_interface '{127,0,0,1}' \
		    -eval 'halt().' > "$T/x2.log" 2>&1
		check "the same node bound to 127.0.0.1 is accepted" \
		    grep -q "node x2 registered from .*; mediated" "$T/ns-dg.log"
	else
		not_ok "the daemon in the test's network namespace started"
	fi
else
	echo "ok - # skip exposed check: needs root and ip(8) for a network namespace"
fi

# --- 8. the embedded default: no -c at all -----------------------------------
# `distguard run` on its built-in configuration (examples/distguard.conf:
# EPMD on 4369, listeners 4370..4469 on every address, the cookie from
# $HOME/.erlang.cookie), in a network namespace of the test's own with
# only lo, so those fixed ports and addresses are the namespace's alone.
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
	NSD=dgt-epmddef-$$
	ip netns add "$NSD" && ip netns exec "$NSD" ip link set lo up
	CLEANUPS+=("ip netns del $NSD")
	mkdir -p "$T/defhome"
	printf '%s' "$COOKIE" > "$T/defhome/.erlang.cookie"
	chmod 400 "$T/defhome/.erlang.cookie"
	give_files
	HOME="$T/defhome" ip netns exec "$NSD" "$DG" run -v > "$T/def-dg.log" 2>&1 &
	PIDS+=("$!")
	DEF=(-setcookie "$COOKIE" -start_epmd false -epmd_port 4369 -noshell)
	if wait_for "$T/def-dg.log" "distguard running" 10; then
		ip netns exec "$NSD" timeout -k 2 30 erl -sname d1 "${DEF[@]}" \
		    -kernel inet_dist_use_interface '{127,0,0,1}' \
		    -eval 'halt().' > "$T/d1.log" 2>&1
		check "embedded default: a stock node is refused, unmediated" \
		    grep -q "ALIVE2_REQ for d1 refused: unmediated; start the node with -epmd_module distguard_epmd -pa " "$T/def-dg.log"
		check "... with an epmd.unmediated alert (in the log: no alerts file)" \
		    grep -Eq 'alert epmd.unmediated node "?d1' "$T/def-dg.log"
		check "... and OTP says it could not register" \
		    grep -q "the name d1@$HOST seems to be in use" "$T/d1.log"
		ip netns exec "$NSD" timeout -k 2 30 erl -sname d2 "${DEF[@]}" "${ERL_MOD[@]}" \
		    -eval 'halt().' > "$T/d2.log" 2>&1
		check "embedded default: a module node on 0.0.0.0 is refused, exposed" \
		    grep -q "ALIVE2_REQ for d2 refused: exposed: port [0-9]* listens on 0.0.0.0; start the node with -kernel inet_dist_use_interface {127,0,0,1}" "$T/def-dg.log"
		check "... with an epmd.exposed alert" \
		    grep -Eq 'alert epmd.exposed node "?d2' "$T/def-dg.log"
		ip netns exec "$NSD" timeout -k 2 40 erl -sname d4 "${DEF[@]}" "${ERL_MOD[@]}" \
		    -kernel inet_dist_use_interface '{127,0,0,1}' \
		    -eval 'timer:sleep(30000), halt().' > "$T/d4.log" 2>&1 &
		PIDS+=("$!")
		check "embedded default: a module node on loopback registers, mediated" \
		    wait_for "$T/def-dg.log" "node d4 registered from .*; mediated" 15
		r=$(ip netns exec "$NSD" timeout -k 2 30 erl -sname d3 "${DEF[@]}" "${ERL_MOD[@]}" \
		    -kernel inet_dist_use_interface '{127,0,0,1}' \
		    -eval "io:format(\"~p~n\", [net_adm:ping('d4@$HOST')]), halt()." 2>&1 | tail -n 1)
		check "... and another pings it, through an egress session ($r)" \
		    eval '[ "$r" = pong ] && grep -q "d4@$HOST <- egress from d3@$HOST: up" "$T/def-dg.log"'
	else
		not_ok "the daemon on its embedded configuration started in a namespace"
	fi
else
	echo "ok - # skip embedded-default check: needs root and ip(8) for a network namespace"
fi

check "daemon still running" dg_alive
done_tests
