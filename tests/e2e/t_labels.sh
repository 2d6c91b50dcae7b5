#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: one meaning per label (docs/METRICS.md, "Labels").  In
# /metrics, `distguard stats --json` and the alerts, `node` is always the
# protected local node, `peer` always the remote, and `direction` says who
# dialled: `inbound` (a peer dialled a protected node) or `egress` (a
# protected node dialled out).
#
# a is protected (distguard_epmd: its own dials are egress sessions).  p is
# a plain OTP node registered here too, so it is protected as well: when a
# dials p, the session is a's egress and p's inbound, and each side is
# counted under its own name.  p then tries os:cmd on a over a's own
# connection (denied by a's policy: an egress alert); x dials a and tries
# os:getpid (denied: an inbound alert).
#
# Then the egress of the issue: c, protected, dials r, a node of another
# host (a network namespace with its own distguard, as t_egress.sh), and r
# tries os:cmd on c over that connection: r is the attacker, and must be
# the peer, never the node.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/e2e/host2.sh"
# p is a stock node (no distguard_epmd): this suite accepts unmediated
# registrations, as a host migrating to distguard would.
DG_EGRESS=optional
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgegress.erl" >/dev/null || echo "# erlc dgegress failed"

# ---- host 2 and its node r ------------------------------------------------------
host2_up || { not_ok "host 2 (a network namespace) is up"; exit 1; }
cat > "$T/h2/dg.conf" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1", "$H2"]}]}.
{egress, off}.
{listen, [{address, "$H2"}, {ports, {$LMIN, $((LBASE + 38))}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$T/h2/alerts.log"}]}.
{control, "$T/h2/ctl.sock"}.
$DG_USER_ENTRY
{default, [allow_all]}.
EOF
host2_dg "$T/h2/dg.conf" || { not_ok "host 2's distguard started"; exit 1; }
chmod 755 "$T"
"${IN2[@]}" timeout -k 2 150 erl -name "r@$H2" -setcookie "$COOKIE" -start_epmd false \
    -epmd_port "$EPMD_PORT" -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T" \
    -eval "dgegress:attacker('c@$H1', \"$T/pwned_r\"), dgt:serve(140)" > "$T/h2/r.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/h2/dg.log" "node r registered" 15 || { not_ok "host 2 node r registered"; exit 1; }

# ---- host 1: ours ------------------------------------------------------------------
MPORT=$((LBASE + 39))
LMAX=$((LBASE + 38))
write_conf \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}]}." \
    '{peer, "ctl*@*", [allow_all]}.' \
    '{default, [ping, replies]}.'
h1_open
sed -i "s/{addresses, \[\([^]]*\)\]}/{addresses, [\1]}, {remote_port, $EPMD_PORT}/" "$CONF"
dg_start || exit 1

NODE_MOD=0 node_start p -eval "dgegress:attacker('a@$HOST', \"$T/pwned\")" || exit 1
node_start a -eval "spawn(fun() -> timer:sleep(1000),
	io:format(\"ping p ~p~n\", [net_adm:ping('p@$HOST')]) end)" || exit 1
check "a pings p (an egress session of a)" wait_for "$T/a.log" "ping p pong" 15
check "that connection went out through a's egress port" \
    grep -q "p@$HOST <- egress from a@$HOST: up" "$T/dg.log"
wait_for "$T/p.log" "^attack result" 15
echo "# p's attack on a: $(grep '^attack result' "$T/p.log")"
check "p's os:cmd on a, over a's own connection, was not run" not test -e "$T/pwned"
r=$(DG_TARGET="a@$HOST" node_eval x 'catch erpc:call(Node, os, getpid, [])')
check "x's os:getpid on a is refused ($(tail -n 1 <<<"$r"))" grep -q notsup <<<"$r"
sleep 0.5

# ---- alerts ------------------------------------------------------------------
# alert_json EVENT NODE PEER DIRECTION: an alert with exactly these fields
alert_json() {
	python3 - "$ALERTS" "$@" <<'PY'
import json, sys
path, event, node, peer, direction = sys.argv[1:6]
for line in open(path, encoding="utf-8"):
    a = json.loads(line)
    if (a.get("event"), a.get("node"), a.get("peer"), a.get("direction")) == \
            (event, node, peer, direction):
        sys.exit(0)
sys.exit(1)
PY
}
sed 's/^/# /' "$ALERTS"
check "every alert line is valid JSON with node, peer, addr, detail" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    a = json.loads(line)
    assert {"ts", "event", "node", "peer", "addr", "detail"} <= set(a), line
' "$ALERTS"
check "egress: p's denied request names node a (ours), peer p, direction egress" \
    alert_json filter.denied "a@$HOST" "p@$HOST" egress
check "inbound: x's denied request names node a (ours), peer x, direction inbound" \
    alert_json filter.denied "a@$HOST" "x@$HOST" inbound
# p is protected too: its own alerts (a's calls it denied) name it as node,
# inbound; x never is.
check "no alert names x, the remote of an inbound session, as node" \
    not grep -q "\"node\":\"x@" "$ALERTS"
check "p is named as node only for what a sent it (peer a, inbound)" python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    a = json.loads(line)
    if a.get("node", "").startswith("p@"):
        assert a["peer"].startswith("a@") and a["direction"] == "inbound", line
' "$ALERTS"

# ---- /metrics ----------------------------------------------------------------
curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" > "$T/m.txt"
value() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$T/m.txt"; }
grep -E '^distguard_(messages_total|sessions)' "$T/m.txt" | sed 's/^/# /'
check "promtool check metrics accepts the output" \
    sh -c "promtool check metrics < '$T/m.txt' >/dev/null 2>&1"
v=$(value "distguard_messages_total{node=\"a\",peer=\"p@$HOST\",direction=\"egress\",type=\"spawn_request\",verdict=\"deny\"}")
check "egress: p's denied spawn_request counted under node a, peer p, egress ($v)" [ "$v" -eq 1 ]
v=$(value "distguard_messages_total{node=\"p\",peer=\"a@$HOST\",direction=\"inbound\",type=\"reg_send\",verdict=\"allow\"}")
check "the same session seen from p: a's ping counted under node p, peer a, inbound ($v)" [ "$v" -ge 1 ]
check "nothing p sent is counted under node p" \
    not grep -Eq "^distguard_messages_total\{node=\"p\",peer=\"a@[^\"]*\",direction=\"inbound\",type=\"spawn_request\"" "$T/m.txt"
v=$(value "distguard_messages_total{node=\"a\",peer=\"x@$HOST\",direction=\"inbound\",type=\"spawn_request\",verdict=\"deny\"}")
check "inbound: x's denied spawn_request counted under node a, peer x, inbound ($v)" [ "$v" -eq 1 ]
check "no series names a remote as node" \
    not grep -Eq '^distguard_[a-z_]+\{node="(x|[a-z]+@)' "$T/m.txt"
v=$(value 'distguard_sessions_total{direction="egress"}')
check "one egress session counted (a -> p) ($v)" [ "$v" -eq 1 ]
v=$(value 'distguard_sessions_total{direction="inbound"}')
check "two inbound sessions counted (x -> a, and a -> p seen from p) ($v)" [ "$v" -eq 2 ]
v=$(value 'distguard_sessions{direction="egress"}')
check "the egress session is open now ($v)" [ "$v" -eq 1 ]
fin=$(value "distguard_frames_total{node=\"a\",peer=\"p@$HOST\",direction=\"egress\",flow=\"in\"}")
fout=$(value "distguard_frames_total{node=\"a\",peer=\"p@$HOST\",direction=\"egress\",flow=\"out\"}")
pin=$(value "distguard_frames_total{node=\"p\",peer=\"a@$HOST\",direction=\"inbound\",flow=\"in\"}")
check "frames: what a received from p is what p sent to a ($fin in at a, $pin in at p, $fout out)" \
    sh -c "[ $fin -gt 0 ] && [ $fout -gt 0 ] && [ $pin -eq $fout ]"

# ---- distguard stats --json ------------------------------------------------------
"$DG" stats -c "$CONF" --json > "$T/stats.json" 2>&1
row() {	# row NODE PEER DIRECTION [PYTHON-CONDITION on r]
	python3 - "$T/stats.json" "$@" <<'PY'
import json, sys
path, node, peer, direction = sys.argv[1:5]
cond = sys.argv[5] if len(sys.argv) > 5 else "True"
for r in json.load(open(path))["peers"]:
    if (r.get("node"), r.get("peer"), r.get("direction")) == (node, peer, direction):
        sys.exit(0 if eval(cond) else 1)
sys.exit(1)
PY
}
check "stats: row node a, peer p, egress, with p's denied spawn_request" \
    row a "p@$HOST" egress 'r["types"]["spawn_request"]["deny"] == 1'
check "stats: row node p, peer a, inbound, with no denial" \
    row p "a@$HOST" inbound 'r["types"]["spawn_request"]["deny"] == 0 and r["connections"] == 1'
check "stats: row node a, peer x, inbound" \
    row a "x@$HOST" inbound 'r["types"]["spawn_request"]["deny"] == 1'

# ---- egress to another host: c dials r, r attacks c --------------------------------
h1_node c || exit 1
B="c@$H1"
CTL_TIMEOUT=40
r=$(ctl "erpc:call(B, net_adm, ping, ['r@$H2'])")
check "c pings r on host 2 ($r)" [ "$r" = pong ]
check "that connection went out through c's egress port, to host 2" \
    grep -q "r@$H2 <- egress from $B: up" "$T/dg.log"
wait_for "$T/h2/r.log" "^attack result" 15
echo "# r's attack on c: $(grep '^attack result' "$T/h2/r.log")"
check "r's os:cmd on c was not run" not test -e "$T/pwned_r"
sleep 0.5
check "egress: r's denied request names node c (ours), peer r, direction egress" \
    alert_json filter.denied "$B" "r@$H2" egress
check "no alert names r, the attacker, as node" not grep -q "\"node\":\"r@" "$ALERTS"
curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" > "$T/m.txt"
grep -E "^distguard_(messages_total|sessions).*(c|r@)" "$T/m.txt" | sed 's/^/# /'
v=$(value "distguard_messages_total{node=\"c\",peer=\"r@$H2\",direction=\"egress\",type=\"spawn_request\",verdict=\"deny\"}")
check "egress: r's denied spawn_request counted under node c, peer r, egress ($v)" [ "$v" -eq 1 ]
check "no series names r as node" not grep -q '^distguard_[a-z_]*{node="r"' "$T/m.txt"
v=$(value 'distguard_sessions_total{direction="egress"}')
check "two egress sessions counted now (a -> p, c -> r) ($v)" [ "$v" -eq 2 ]
"$DG" stats -c "$CONF" --json > "$T/stats.json" 2>&1
check "stats: row node c, peer r, egress, with r's denied spawn_request" \
    row c "r@$H2" egress 'r["types"]["spawn_request"]["deny"] == 1'
check "the daemon is alive" dg_alive
done_tests
