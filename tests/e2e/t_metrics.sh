#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the Prometheus endpoint.  promtool (Debian's prometheus)
# accepts what it serves; the counters move after allowed and denied
# traffic from real nodes, failed handshakes and a ban; peers past
# max_peers are folded into peer="other"; hostile HTTP clients (oversized,
# slowloris, garbage, too many at once) are closed and the daemon serves on.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected node b runs distguard_epmd (node_start).
DG_EGRESS=off
cd "$T" || exit 1

# The last port of the range is the metrics port.  Every client here is
# 127.0.0.1: the per-source cap (t_surface_metrics.sh) is set to the
# total, so that the total cap is what is tested.
LMAX=$((LBASE + 38))
MPORT=$((LBASE + 39))
write_conf \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}, {max_peers, 2}, {max_connections, 4}, {max_per_source, 4}]}." \
    '{peer, "a*@*", [{allow, spawn_request, [{erlang, node, 0}]}]}.' \
    '{bans, [{failures, 2}, {window, 60}, {duration, 60}]}.'
dg_start || exit 1
node_start b || exit 1

scrape() { curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics"; }
# value METRIC_WITH_LABELS: the sample's value in the last scrape, or 0
value() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$T/m.txt"; }
promtool_ok() { promtool check metrics < "$T/m.txt" > "$T/promtool.out" 2>&1; }

scrape > "$T/m.txt"
check "GET /metrics answers before any traffic" grep -q '^# TYPE distguard_messages_total counter' "$T/m.txt"
check "promtool check metrics accepts the output before traffic" promtool_ok

# Allowed and denied traffic from real peers (a1, a2), then a third peer
# (a3) past max_peers.
r=$(node_eval a1 'erpc:call(Node, erlang, node, [])')
check "a1's allowed erpc call works ($r)" grep -q "b@$HOST" <<<"$r"
r=$(node_eval a2 'catch erpc:call(Node, os, getpid, [])')
check "a2's denied erpc call is refused ($(tail -n 1 <<<"$r"))" grep -q notsup <<<"$r"
r=$(node_eval a3 'erpc:call(Node, erlang, node, [])')
check "a3's allowed erpc call works" grep -q "b@$HOST" <<<"$r"
sleep 0.5

scrape > "$T/m.txt"
check "promtool check metrics accepts the output after traffic" promtool_ok
sed 's/^/# /' "$T/promtool.out" | head -n 5
grep '^distguard_messages_total' "$T/m.txt" | sed 's/^/# /'
allow=$(value "distguard_messages_total{node=\"b\",peer=\"a1@$HOST\",direction=\"inbound\",type=\"spawn_request\",verdict=\"allow\"}")
deny=$(value "distguard_messages_total{node=\"b\",peer=\"a2@$HOST\",direction=\"inbound\",type=\"spawn_request\",verdict=\"deny\"}")
check "the allowed spawn_request of a1 is counted ($allow)" [ "$allow" -ge 1 ]
check "the denied spawn_request of a2 is counted ($deny)" [ "$deny" -ge 1 ]
other=$(value "distguard_messages_total{node=\"b\",peer=\"other\",direction=\"inbound\",type=\"spawn_request\",verdict=\"allow\"}")
check "a3, past max_peers 2, is counted under peer=\"other\" ($other)" [ "$other" -ge 1 ]
check "a3 has no label of its own" not grep -q "peer=\"a3@$HOST\"" "$T/m.txt"
bin=$(value "distguard_relayed_bytes_total{node=\"b\",peer=\"a1@$HOST\",direction=\"inbound\",flow=\"in\"}")
bout=$(value "distguard_relayed_bytes_total{node=\"b\",peer=\"a1@$HOST\",direction=\"inbound\",flow=\"out\"}")
check "bytes from and to a1 are counted ($bin in, $bout out)" [ "$bin" -gt 0 -a "$bout" -gt 0 ]
hok=$(value 'distguard_handshakes_total{outcome="ok"}')
check "three handshakes counted as ok ($hok)" [ "$hok" -eq 3 ]
sess=$(value 'distguard_sessions_total{direction="inbound"}')
check "three inbound sessions counted ($sess)" [ "$sess" -eq 3 ]
den=$(value 'distguard_alerts_total{event="filter.denied"}')
check "the filter.denied alert is counted ($den)" [ "$den" -ge 1 ]

# Two garbage handshakes from one source: handshake.malformed twice, and
# a ban (failures 2).
lport=$(python3 "$ROOT/tests/e2e/craft.py" port_please "$EPMD_PORT" b | awk '{print $2}')
for i in 1 2; do
	python3 "$ROOT/tests/e2e/craft.py" raw "$lport" 00056761726261 --src 127.0.9.5 >/dev/null 2>&1
done
alert_seen peer.banned 5
scrape > "$T/m.txt"
check "promtool accepts the output after the ban" promtool_ok
mal=$(value 'distguard_handshakes_total{outcome="malformed"}')
check "two handshakes counted as malformed ($mal)" [ "$mal" -eq 2 ]
check "one ban counted" [ "$(value distguard_bans_total)" -eq 1 ]
check "one source banned now" [ "$(value distguard_banned_sources)" -eq 1 ]
check "the peer.banned alert is counted" [ "$(value 'distguard_alerts_total{event="peer.banned"}')" -eq 1 ]

# ---- hostile HTTP clients ----------------------------------------------------
http() {	# http MODE: prints what the server answered and how it ended
	python3 - "$MPORT" "$1" <<'PY'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.time()
try:
    if mode == "oversized":
        s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n")
    elif mode == "garbage":
        s.sendall(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage")
    elif mode == "slowloris":
        for c in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
            s.sendall(bytes([c]))
            time.sleep(0.25)
    elif mode == "post":
        s.sendall(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    elif mode == "notfound":
        s.sendall(b"GET /admin HTTP/1.1\r\n\r\n")
    elif mode == "head":
        s.sendall(b"HEAD /metrics HTTP/1.0\r\n\r\n")
except OSError as e:
    pass
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError as e:
    data += b" [" + type(e).__name__.encode() + b"]"
line = data.split(b"\r\n")[0].decode("latin-1")
print("%s | closed after %.1fs | %d bytes" % (line, time.time() - t0, len(data)))
PY
}
r=$(http oversized); echo "# oversized: $r"
check "an oversized request head is refused with 431 and closed" grep -q "^HTTP/1.1 431" <<<"$r"
r=$(http garbage); echo "# garbage: $r"
check "garbage is refused with 400 at once" grep -Eq "^HTTP/1.1 400 .*closed after 0\.[0-9]s" <<<"$r"
r=$(http post); echo "# post: $r"
check "POST /metrics is refused with 405" grep -q "^HTTP/1.1 405" <<<"$r"
r=$(http notfound); echo "# notfound: $r"
check "GET /admin is refused with 404" grep -q "^HTTP/1.1 404" <<<"$r"
r=$(http head); echo "# head: $r"
check "HEAD /metrics answers 200 without a body" grep -Eq "^HTTP/1.1 200 OK .* [0-9]{2,3} bytes$" <<<"$r"
r=$(http slowloris); echo "# slowloris: $r"
check "a slowloris client is closed at the 5 s limit" \
    grep -Eq "closed after (4\.[89]|5\.[0-9]|6\.[0-9])s" <<<"$r"

# More connections than max_connections (4): the fifth is closed at once,
# and once they are gone the endpoint serves again.
python3 - "$MPORT" > "$T/conns.out" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
try:
    print("fifth:", "closed" if s.recv(100) == b"" else "answered")
except OSError as e:
    print("fifth:", "closed (%s)" % type(e).__name__)
time.sleep(0.5)
PY
cpid=$!
PIDS+=("$cpid")
wait "$cpid"
echo "# $(cat "$T/conns.out")"
check "a fifth connection while 4 are open is closed" grep -q "fifth: closed" "$T/conns.out"
sleep 0.3
scrape > "$T/m.txt"
check "after the hostile clients, a scrape works and promtool accepts it" promtool_ok
check "the daemon logged the refusals" grep -q "metrics 127.0.0.1:[0-9]*: 431" "$T/dg.log"
r=$(node_eval a4 'erpc:call(Node, erlang, node, [])')
check "and it still relays: a4's allowed erpc call works" grep -q "b@$HOST" <<<"$r"
check "the daemon is alive" dg_alive
done_tests
