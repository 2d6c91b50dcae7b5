#!/bin/bash
# End-to-end: distguard_epmd, the EPMD module of protected nodes (issue 12,
# the parts that do not need egress sessions).  Real OTP nodes with
# -epmd_module distguard_epmd: they register mediated, re-register by
# themselves after the daemon is killed and restarted, never dial a remote
# node themselves, and ignore -erl_epmd_port; the daemon refuses stock
# (unmediated) nodes in {egress, required}, alerts on them in optional, and
# refuses nodes whose distribution port listens beyond loopback.
. "$(dirname "$0")/lib.sh"
CRAFT="python3 $ROOT/tests/e2e/craft.py"
EBIN="$ROOT/$BUILD/erl/ebin"
ERL_MOD=(-epmd_module distguard_epmd -pa "$EBIN")

if [ ! -f "$EBIN/distguard_epmd.beam" ]; then
	not_ok "distguard_epmd.beam built in $EBIN"
	exit 1
fi

MODES='{egress, required}.
{exposed, refuse}.'
write_conf '{default, [ping]}.' "$MODES"
dg_start || exit 1

# peer_ping NAME TARGET: a stock node that does not listen (so it needs no
# registration: -dist_listen false) pings TARGET through distguard.
peer_ping() {
	DG_TARGET=$2 EVAL_TIMEOUT=30 node_eval "$1" "net_adm:ping(Node)" \
	    -dist_listen false | tail -n 1
}

# --- 1. mediated registration, reachable through distguard ------------------
for n in n1 n2 n3; do node_start "$n" "${ERL_MOD[@]}" || exit 1; done
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

# --- 3. required: a stock node is refused, the line names the flags ---------
out=$(timeout -k 2 30 erl -sname s1 "${ERL_COMMON[@]}" -eval 'halt().' 2>&1)
check "a stock node is refused in egress required" \
    wait_for "$T/dg.log" "ALIVE2_REQ for s1 refused: unmediated" 5
check "... and the log line says which flags to add" \
    grep -q "ALIVE2_REQ for s1 refused: unmediated; start the node with -epmd_module distguard_epmd -pa " "$T/dg.log"
check "... with an epmd.unmediated alert" \
    eval 'grep "\"event\":\"epmd.unmediated\"" "$ALERTS" | grep -q "\"node\":\"s1\""'
check "... and it is not registered" not eval 'stock_epmd -names | grep -q "^name s1 "'

# --- 4. optional: accepted, with the alert ----------------------------------
write_conf '{default, [ping]}.' '{egress, optional}.' '{exposed, refuse}.'
rl=$("$DG" reload -c "$CONF" 2>&1)
check "reloaded with egress optional ($rl)" [ "$rl" = reloaded ]
node_start s2 || exit 1
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
write_conf '{default, [ping]}.' "$MODES"
"$DG" reload -c "$CONF" >/dev/null 2>&1

# --- 5. -erl_epmd_port: ignored, still registered through distguard ---------
node_start e1 "${ERL_MOD[@]}" -erl_epmd_port 12345 \
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

# --- 6. address_please: no egress sessions, so no route, and no direct dial -
# "Another host" is 127.0.0.9 with an EPMD played by this script: it
# records every connection and answers "no such node".
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
    with open(sys.argv[2], "a") as f:
        f.write("connection from %s:%d\n" % a)
    c.settimeout(2)
    try:
        c.recv(4096)
        c.sendall(b"w\x01")
    except OSError:
        pass
    c.close()
PY
PIDS+=("$!")
sleep 0.5
r=$(timeout -k 2 40 erl -name a1@127.0.0.1 "${ERL_COMMON[@]}" "${ERL_MOD[@]}" \
    -eval "io:format(\"~p~n\", [net_adm:ping('r@127.0.0.9')]), timer:sleep(300), halt()." 2>&1)
echo "$r" | sed 's/^/#   /'
check "a module node's ping to r@127.0.0.9 fails (pang)" eval 'echo "$r" | grep -qx pang'
check "... the daemon answered its EGRESS_REQ: egress sessions not available" \
    grep -q "EGRESS_REQ for r@127.0.0.9: egress sessions not available" "$T/dg.log"
check "... the module logged the daemon's error" \
    eval 'echo "$r" | grep -q "distguard_epmd: no route to r@127.0.0.9"'
check "... and nothing reached 127.0.0.9 (fake EPMD saw no connection)" \
    not grep -q connection "$FAKE_LOG"
# The same ping from a stock node does reach the fake EPMD: the check
# above can fail.
r=$(timeout -k 2 40 erl -name c1@127.0.0.1 "${ERL_COMMON[@]}" -dist_listen false \
    -eval "io:format(\"~p~n\", [net_adm:ping('r@127.0.0.9')]), halt()." 2>&1 | tail -n 1)
check "control: a stock node's ping goes to 127.0.0.9 itself ($r)" \
    wait_for "$FAKE_LOG" "connection from 127.0.0.1" 5

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
r=$(egress_raw 127.0.0.1 "r@127.0.0.9")
check "EGRESS_REQ from a registration address: 'e', result 1, port 0 ($r)" [ "$r" = 650100000000 ]
r=$(egress_raw 127.0.0.5 "r@127.0.0.9")
check "EGRESS_REQ from outside registration_from: closed, no answer ($r)" [ "$r" = closed ]
check "... logged and alerted as epmd.refused" \
    grep -q "EGRESS_REQ: egress request from an address outside registration_from" "$T/dg.log"
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

check "daemon still running" dg_alive
done_tests
