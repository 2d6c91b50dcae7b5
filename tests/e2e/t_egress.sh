#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: egress.  Every connection of a protected node is judged,
# whoever dialled it: a node of ours that dials out goes through its
# egress port (distguard_epmd's address_please), and what the remote sends
# back on that connection is judged by the node's own policy for it.
#
# "Another host" is a network namespace (host2.sh) with its own loopback,
# its own EPMD port space and its own distguard (allow_all: the remote
# host's firewall lets everything through, so what is refused here is
# refused by ours).  Its nodes P* and V are stock OTP nodes; the attackers
# among them try os:cmd on B as soon as B is connected to them, and record
# what they got.  A run of os:cmd would create a marker file: none may
# exist at the end.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/e2e/host2.sh"

EBIN="$ROOT/$BUILD/erl/ebin"
if [ ! -f "$EBIN/distguard_epmd.beam" ]; then
	not_ok "distguard_epmd.beam built in $EBIN"
	exit 1
fi
host2_up || { not_ok "host 2 (a network namespace) is up"; exit 1; }
echo "# host 1 $H1, host 2 $H2 (namespace $NS2)"
erlc -o "$T" "$ROOT/tests/e2e/dgegress.erl" "$ROOT/tests/e2e/dgnoout.erl" >/dev/null ||
    echo "# erlc dgegress, dgnoout failed"
chmod 755 "$T"

# ---- host 2: its distguard and its nodes -----------------------------------
# Its nodes are stock on purpose (the attackers dial as they like), so
# host 2 accepts unmediated registrations: {egress, off}.
cat > "$T/h2/dg.conf" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1", "$H2"]}]}.
{egress, off}.
{listen, [{address, "$H2"}, {ports, {$LMIN, $LMAX}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$T/h2/alerts.log"}]}.
{control, "$T/h2/ctl.sock"}.
$DG_USER_ENTRY
{default, [allow_all]}.
EOF
host2_dg "$T/h2/dg.conf" || { not_ok "host 2's distguard started"; exit 1; }

H2_ARGS=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T")
# h2_node NAME EXPR [erl args]: a stock node of host 2, NAME@H2, evaluating EXPR.
h2_node() {
	local name=$1 expr=$2
	shift 2
	"${IN2[@]}" timeout -k 2 150 erl -name "$name@$H2" "${H2_ARGS[@]}" "$@" \
	    -eval "$expr" > "$T/h2/$name.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/h2/dg.log" "node $name registered" 15 ||
	    { not_ok "host 2 node $name registered"; return 1; }
}
# Attackers: as soon as B is connected, erpc os:cmd on it.
for a in p1 p2 p3; do
	h2_node "$a" "dgegress:attacker('b@$H1', \"$T/pwned_$a\"), dgt:serve(140)" \
	    $([ $a = p3 ] && echo "-epmd_module dgnoout") || exit 1
done
h2_node p "dgt:serve(140)" || exit 1

# ---- host 1: ours -------------------------------------------------------------
# B is reachable from host 2 (EPMD and listeners on H1 too), and dials out
# only through its egress ports.  Host 1 runs on the defaults ({egress,
# required}, {exposed, refuse}): its registered nodes all run the module.
write_conf \
    "{peer, \"ctl*@*\", [allow_all]}." \
    "{peer, \"p@*\", [ping, global, replies]}." \
    "{peer, \"p1@*\", [ping, replies]}." \
    "{peer, \"p2@*\", [ping, replies]}." \
    "{peer, \"q@*\", [ping, {allow, reg_send, [dgt_gs]}]}." \
    "{node, \"b2@*\", [{peer, \"b1@*\", [ping, replies, {allow, spawn_request, [{erpc, call, 4}]}]}]}." \
    "{node, \"b1@*\", [{peer, \"b2@*\", [ping, replies, {allow, spawn_request, [{erlang, node, 0}]}]}]}." \
    "{default, [ping, global, replies]}."
h1_open
sed -i "s/{addresses, \[\([^]]*\)\]}/{addresses, [\1]}, {remote_port, $EPMD_PORT}/" "$CONF"
dg_start || exit 1
h1_node b || exit 1
B="b@$H1"

ALERT_MARK=0
mark() { ALERT_MARK=$(wc -l < "$ALERTS" 2>/dev/null || echo 0); }
# egress_alert EVENT PEER: an alert since mark, about PEER, direction egress
egress_alert() {
	local i
	for i in $(seq 1 50); do
		tail -n +"$((ALERT_MARK + 1))" "$ALERTS" 2>/dev/null |
		    grep "\"event\":\"$1\"" | grep "\"peer\":\"$2\"" |
		    grep -q '"direction":"egress"' && return 0
		sleep 0.1
	done
	return 1
}
attack_result() { sed -n 's/^attack result //p' "$T/h2/$1.log" | tail -n 1; }
wait_attack() { wait_for "$T/h2/$1.log" "^attack result" 15; }

# ---- legitimate egress ----------------------------------------------------------
CTL_TIMEOUT=40
r=$(ctl "erpc:call(B, net_adm, ping, ['p@$H2'])")
check "B pings P on host 2 ($r)" [ "$r" = pong ]
check "that connection went out through an egress port" \
    grep -q "p@$H2 <- egress from $B: up" "$T/dg.log"
r=$(ctl "erpc:call(B, gen_server, call, [{dgt_gs, 'p@$H2'}, ping])")
check "B calls P's gen_server and gets P's reply ($r)" [ "$r" = pong ]
r=$(ctl "erpc:call(B, erpc, call, ['p@$H2', erlang, node, []])")
check "B's erpc to P returns, its replies owed ($r)" [ "$r" = "'p@$H2'" ]
r=$(ctl "Pid = erpc:call(B, erlang, whereis, [dgt_gs]),
	yes = erpc:call(B, global, register_name, [dg_egress_name, Pid]),
	timer:sleep(500),
	erpc:call(B, erpc, call, ['p@$H2', global, whereis_name, [dg_egress_name]]) =:= Pid")
check "a global name B registers is seen on P ([ping, global, replies]) ($r)" [ "$r" = true ]

# ---- attack 1: B dials out; P1 runs os:cmd on B over that connection -------------
mark
r=$(ctl "erpc:call(B, net_adm, ping, ['p1@$H2'])")
check "attack 1: B pings P1 ($r)" [ "$r" = pong ]
wait_attack p1
r=$(attack_result p1)
check "attack 1: P1's erpc os:cmd gets the deny answer ($r)" grep -q "error" <<<"$r"
check "attack 1: os:cmd did not run on B" [ ! -e "$T/pwned_p1" ]
check "attack 1: alert filter.denied names p1@$H2, direction egress" \
    egress_alert filter.denied "p1@$H2"

# ---- attack 2: a forged reply-to pid makes B dial P2 -------------------------------
mark
r=$(timeout -k 2 40 erl -name "q@$H1" "${H1_ARGS[@]}" -hidden -dist_listen false -eval "
	Forged = dgegress:forge_pid('p2@$H2', 80),
	{dgt_gs, '$B'} ! {'\$gen_call', {Forged, make_ref()}, ping},
	timer:sleep(300), io:format(\"~p~n\", [sent]), halt()." 2>&1 | tail -n 1)
check "attack 2: q sent B's gen_server a call with P2's pid as reply-to ($r)" [ "$r" = sent ]
wait_attack p2
r=$(attack_result p2)
check "attack 2: B dialled P2 to reply, through its egress port" \
    grep -q "p2@$H2 <- egress from $B: up" "$T/dg.log"
check "attack 2: P2's erpc os:cmd gets the deny answer ($r)" grep -q "error" <<<"$r"
check "attack 2: os:cmd did not run on B" [ ! -e "$T/pwned_p2" ]
check "attack 2: alert filter.denied names p2@$H2, direction egress" \
    egress_alert filter.denied "p2@$H2"

# ---- attack 3: the embedded default, and global's sync ---------------------------
# V, a visible node of host 2 connected to P3, pings B (default
# [ping, global, replies]); global's sync makes B connect to P3.  P3 runs
# with dgnoout (tests/e2e/dgnoout.erl): it cannot dial another host, so
# that it is B that dials (else P3's own global may win the race and
# connect inbound, which would be judged too, but is not this attack).
mark
"${IN2[@]}" timeout -k 2 60 erl -name "v@$H2" "${H2_ARGS[@]}" -eval "
	pong = net_adm:ping('p3@$H2'), R = net_adm:ping('$B'),
	io:format(\"v ping ~p~n\", [R]), timer:sleep(8000), halt()." > "$T/h2/v.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/h2/v.log" "v ping" 20
check "attack 3: V pings B ($(sed -n 's/^v ping //p' "$T/h2/v.log"))" grep -q "v ping pong" "$T/h2/v.log"
wait_attack p3
r=$(attack_result p3)
check "attack 3: global made B dial P3, through its egress port" \
    grep -q "p3@$H2 <- egress from $B: up" "$T/dg.log"
check "attack 3: P3's erpc os:cmd gets the deny answer ($r)" grep -q "error" <<<"$r"
check "attack 3: os:cmd did not run on B" [ ! -e "$T/pwned_p3" ]
check "attack 3: alert filter.denied names p3@$H2, direction egress" \
    egress_alert filter.denied "p3@$H2"

# ---- two protected nodes on this host, each with its own policy for the other ----
h1_node b1 || exit 1
h1_node b2 || exit 1
r=$(ctl "erpc:call('b1@$H1', erpc, call, ['b2@$H1', erlang, node, []])")
check "b1 -> b2: b2's rules for b1 refuse spawn ($r)" grep -q "error" <<<"$r"
r=$(ctl "erpc:call('b2@$H1', erpc, call, ['b1@$H1', erlang, node, []])")
check "b2 -> b1 on that same connection: b1's rules for b2 allow erlang:node/0 ($r)" \
    [ "$r" = "'b1@$H1'" ]
r=$(ctl "erpc:call('b2@$H1', erpc, call, ['b1@$H1', os, getpid, []])")
check "b2 -> b1: b1's rules for b2 refuse os:getpid/0 ($r)" grep -q "error" <<<"$r"
# A call back: b1 has b2 run erpc:call(b1, ...) from a process whose group
# leader is b1's own (b1 handed it to b2 in its SPAWN_REQUEST): b2's request
# to b1 carries b1's pid as group leader, admitted as one b1 handed to b2
# (on the code before: "a group leader of this node").
r=$(ctl "erpc:call('b1@$H1', fun() -> group_leader(whereis(user), self()),
	erpc:call('b2@$H1', erpc, call, ['b1@$H1', erlang, node, []]) end)")
check "b1 -> b2 -> b1 with b1's own group leader: the call back runs ($r)" \
    [ "$r" = "'b1@$H1'" ]
r=$(ctl "G = erpc:call('b1@$H1', erlang, whereis, [code_server]),
	erpc:call('b2@$H1', fun() -> group_leader(G, self()),
	catch erpc:call('b1@$H1', erlang, node, [], 3000) end)")
check "a b1 pid b1 never handed to b2 as a leader is still refused as group leader ($r)" \
    grep -q "error\|noconnection\|EXIT" <<<"$r"
check "... with the reason a group leader of this node" \
    wait_for "$ALERTS" "erlang:node/0.*reason a group leader of this node" 5
check "one egress session between b1 and b2, both sides guarded" \
    grep -q "b2@$H1 <- egress from b1@$H1: up.*the other way" "$T/dg.log"

# ---- operators tell the directions apart ----------------------------------------
st=$("$DG" stats -c "$CONF")
check "distguard stats shows the egress rows" grep -q "b -> p1@$H2 (egress)" <<<"$st"
check "and the inbound ones" grep -q "<- ctl" <<<"$st"

check "the daemon is still running" dg_alive
check "host 2's daemon is still running" kill -0 "$DG2_PID"
check "no sanitizer report in either log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log" "$T/h2/dg.log"
done_tests
