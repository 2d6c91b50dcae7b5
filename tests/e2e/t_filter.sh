#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the message filter with real nodes (issue: decode and filter
# every distribution message, deny by default).
#
# Local nodes b and c run dgt:serve/1 behind distguard.  Short-lived peers
# (node_eval) talk to them under these policies:
#   a*@  a client: named services, two harmless MFAs, nothing else
#   p*@  [ping] only
#   h*@  a hidden client, as a*
#   r*@  reg_send to gateway; the reload test adds sink
#   x*@  craft.py's hand-made peer: reg_send to sink
#   on c (a {node} scope): a*@ may only send to sink
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected nodes b and c run distguard_epmd (long_node).
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
cd "$T" || exit 1	# crash dumps of failing evals land here

CLIENT='[{allow, reg_send, [gateway, echo, digest, checksum]}, {allow, spawn_request, [{erlang, node, 0}, {lists, reverse, 1}]}]'
policy() {
	local r_rules=$1
	write_conf \
	    "{node, \"c@*\", [{peer, \"a*@*\", [{allow, reg_send, [sink]}]}]}." \
	    "{peer, \"a*@*\", $CLIENT}." \
	    "{peer, \"h*@*\", $CLIENT}." \
	    '{peer, "p*@*", [ping]}.' \
	    "{peer, \"r*@*\", $r_rules}." \
	    '{peer, "x*@*", [{allow, reg_send, [sink]}]}.'
}
policy '[{allow, reg_send, [gateway]}]'
dg_start || exit 1

# Local nodes that outlive the whole run (dgt:serve/1).
long_node() {
	local name=$1 life=$2
	timeout -k 2 $((life + 20)) erl -sname "$name" "${ERL_COMMON[@]}" "${ERL_MOD[@]}" \
	    -eval "dgt:serve($life)" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/dg.log" "node $name registered" 15 || { not_ok "node $name registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
}
long_node b 280 || exit 1
long_node c 280 || exit 1

# Each peer gets a fresh name (a1, a2, ...): a name is free again only once
# the previous node has unregistered.
echo 0 > "$T/seq"
peer() { local n=$(($(cat "$T/seq") + 1)); echo $n > "$T/seq"; echo "$1$n"; }
# ev PREFIX EXPR [erl args]: as node_eval, with a fresh name; prints the
# value alone, with ~w (one line), or the node's last output line.
ev() {
	local n expr=$2 target=${DG_TARGET:-b@$HOST} out
	n=$(peer "$1"); shift 2
	out=$(timeout -k 2 ${EVAL_TIMEOUT:-40} erl -sname "$n" "${ERL_COMMON[@]}" "$@" \
	    -eval "Node = '$target', R = begin $expr end, io:format(\"=> ~w~n\", [R]), halt()." 2>&1)
	if grep -q '^=> ' <<<"$out"; then sed -n 's/^=> //p' <<<"$out" | tail -n 1
	else echo "$out" | tr '\n' ' ' | tail -c 300; echo; fi
}
sinkgot() { grep -c "sink got $1" "$T/${2:-b}.log"; }

# ---- reg_send -------------------------------------------------------------
r=$(ev a '{gateway, Node} ! hello_gw, {sink, Node} ! denied_sink_1,
    dgt:gateway_count(Node, 3000)')
check "allowed reg_send to gateway is delivered (count $r)" [ "$r" = "1" ]
sleep 0.5
check "denied reg_send to sink is not delivered" [ "$(sinkgot denied_sink_1)" = 0 ]
check "the denied reg_send is alerted" \
    wait_for "$ALERTS" '"filter.denied".*reg_send to sink' 3

# ---- erpc / rpc ------------------------------------------------------------
r=$(ev a 'erpc:call(Node, erlang, node, [])')
check "erpc:call of an allowed MFA works ($r)" [ "$r" = "b@$HOST" ]
r=$(ev a 'erpc:call(Node, lists, reverse, [[1,2,3]])')
check "erpc:call of another allowed MFA works ($r)" [ "$r" = "[3,2,1]" ]
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> erpc:call(Node, os, getpid, []) end),
    {Ms < 1000, Res}')
check "erpc:call of a denied MFA fails fast with {erpc,notsup} ($r)" \
    [ "$r" = "{true,{caught,error,{erpc,notsup}}}" ]
r=$(ev a 'rpc:call(Node, erlang, node, [])')
check "rpc:call of an allowed MFA works ($r)" [ "$r" = "b@$HOST" ]
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> rpc:call(Node, os, getpid, [], 10000) end),
    {Ms < 1000, Res}')
check "rpc:call of a denied MFA returns {badrpc,notsup} fast ($r)" \
    [ "$r" = "{true,{badrpc,notsup}}" ]
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> erpc:call(Node, erlang, get_cookie, []) end),
    {Ms < 1000, Res}')
check "erpc:call(N, erlang, get_cookie, []) is denied ($r)" \
    [ "$r" = "{true,{caught,error,{erpc,notsup}}}" ]
r=$(ev a 'catch erpc:call(Node, fun() -> node() end)')
check "erpc:call of a fun (erlang:apply/2) is denied ($r)" \
    grep -q "notsup" <<<"$r"
r=$(ev a 'erpc:cast(Node, os, cmd, ["touch '"$T"'/pwned_cast"]), timer:sleep(1000), done')
check "erpc:cast of os:cmd is denied: the command never ran" \
    [ "$r" = done -a ! -e "$T/pwned_cast" ]
r=$(ev a 'P = spawn(Node, os, cmd, ["touch '"$T"'/pwned_spawn"]),
    erlang:monitor(process, P),
    receive {'"'DOWN'"', _, _, _, Why} -> Why after 3000 -> timeout end')
check "spawn/4 of os:cmd is denied: pid exits at once ($r), never ran" \
    [ "$r" = notsup -o "$r" = noproc ] && check "spawn/4: no marker" [ ! -e "$T/pwned_spawn" ]

# ---- rex: hand-made calls and relays -----------------------------------------
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> gen_server:call({rex, Node},
        {call, os, cmd, ["touch '"$T"'/pwned_rex_call"], user}, 5000) end),
    {Ms < 1000, element(1, element(3, Res))}')
check "gen_server:call to rex {call, os, cmd, ...} fails fast with noproc ($r)" \
    [ "$r" = "{true,noproc}" ]
r=$(ev a '{rex, Node} ! {self(), {call, os, cmd, ["touch '"$T"'/pwned_rex_raw"], user}},
    receive {rex, X} -> {answered, X} after 1500 -> no_answer end')
check "raw {rex, N} ! {self(), {call, os, cmd, ...}} gets no answer ($r)" [ "$r" = no_answer ]
sleep 0.5
check "os:cmd never ran through rex (no marker files)" \
    [ ! -e "$T/pwned_rex_call" -a ! -e "$T/pwned_rex_raw" ]
check "the rex code request is alerted as spawn_request os:cmd/1" \
    wait_for "$ALERTS" '"filter.denied".*spawn_request to rex mfa os:cmd/1.*op REG_SEND' 3
# Relays through rex.  Under a*'s policy rex itself is not an allowed
# name; gateway is.  The relay to sink must be denied; the brief requires
# the relay to gateway to be denied as well.
r=$(ev a 'C0 = dgt:gateway_count(Node, 3000),
    {rex, Node} ! {self(), {send, sink, relayed_to_sink}},
    {rex, Node} ! {self(), {send, gateway, relayed_to_gw}},
    {rex, Node} ! {self(), {send, {sink, Node}, relayed_tuple}},
    timer:sleep(1000), C1 = dgt:gateway_count(Node, 3000), C1 - C0')
sleep 0.3
check "rex {send, sink, Msg} relay does not reach sink" [ "$(sinkgot relayed_to_sink)" = 0 ]
check "rex {send, {sink, Node}, Msg} relay does not reach sink" [ "$(sinkgot relayed_tuple)" = 0 ]
check "rex {send, gateway, Msg} relay is denied too (gateway count delta $r)" [ "$r" = 0 ]

# ---- net_kernel legacy spawn -------------------------------------------------
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> gen_server:call({net_kernel, Node},
        {spawn, os, cmd, ["touch '"$T"'/pwned_nk"], group_leader()}, 3000) end),
    {Ms < 1000, element(1, element(3, Res))}')
check "net_kernel legacy spawn of os:cmd fails fast ($r)" [ "$r" = "{true,noproc}" ]
r=$(ev p 'true = net_kernel:connect_node(Node),
    catch gen_server:call({net_kernel, Node},
        {spawn, os, cmd, ["touch '"$T"'/pwned_nk_ping"], group_leader()}, 2000), done')
sleep 0.5
check "net_kernel legacy spawn never runs, with or without ping ($r)" \
    [ ! -e "$T/pwned_nk" -a ! -e "$T/pwned_nk_ping" ]

# ---- ping ---------------------------------------------------------------------
r=$(ev p 'net_adm:ping(Node)')
check "ping works with the ping profile ($r)" [ "$r" = pong ]
r=$(ev p 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> erpc:call(Node, erlang, node, []) end),
    {Ms < 1000, Res}')
check "with only ping, erpc is denied ($r)" [ "$r" = "{true,{caught,error,{erpc,notsup}}}" ]
r=$(ev a 'true = net_kernel:connect_node(Node),
    {Ms, Res} = dgt:timed(fun() -> net_adm:ping(Node) end), {Ms < 1000, Res}')
check "without the ping profile, ping answers pang at once ($r)" [ "$r" = "{true,pang}" ]

# ---- big and many messages ---------------------------------------------------
r=$(ev a 'true = net_kernel:connect_node(Node), dgt:big_echo(Node, 1100000)')
check "a 1.1 MB binary (fragmented) arrives intact, both ways ($r)" \
    [ "$r" = "{true,true,1100000}" ]
r=$(ev a 'true = net_kernel:connect_node(Node), dgt:big_echo(Node, 8000000)')
check "an 8 MB binary arrives intact ($r)" [ "$r" = "{true,true,8000000}" ]
# ERTS encodes what is sent while the connection is still being set up
# without FRAGMENTS: the first frame can be one large frame.
r=$(ev a 'dgt:big_echo(Node, 1100000)')
check "a 1.1 MB binary sent as the very first message (auto-connect) arrives ($r)" \
    [ "$r" = "{true,true,1100000}" ]
r=$(EVAL_TIMEOUT=90 ev a 'dgt:csum_send(Node, 100000, 64)')
check "100,000 checksummed messages arrive, none lost or altered ($r)" \
    [ "$r" = "{ok,100000}" ]

# ---- hidden node -----------------------------------------------------------
r=$(ev h '{gateway, Node} ! hidden_hello,
    {erpc:call(Node, erlang, node, []), lists:member(Node, nodes(hidden)),
     try erpc:call(Node, os, getpid, []) catch error:E -> E end,
     dgt:gateway_count(Node, 3000) > 0}' -hidden)
check "a hidden node works: allowed erpc and reg_send, denied erpc ($r)" \
    [ "$r" = "{b@$HOST,true,{erpc,notsup},true}" ]

# ---- node scopes ---------------------------------------------------------------
r=$(DG_TARGET=c@$HOST ev a '{sink, Node} ! scoped_sink_ok, {gateway, Node} ! scoped_gw,
    dgt:gateway_count(Node, 1500)')
wait_for "$T/c.log" "sink got scoped_sink_ok" 3
check "node scope: on c, a* may send to sink" [ "$(sinkgot scoped_sink_ok c)" = 1 ]
check "node scope: on c, a* may not send to gateway (count: $r)" [ "$r" = timeout ]
check "node scope: on b, a* still may not send to sink" [ "$(sinkgot scoped_sink_ok b)" = 0 ]

# ---- distguard test ------------------------------------------------------------
r=$("$DG" test -c "$CONF" "a1@$HOST" spawn_request erlang:halt/0)
check "distguard test: spawn_request erlang:halt/0 -> deny ($r)" [ "${r%% *}" = deny ]
r=$("$DG" test -c "$CONF" "a1@$HOST" reg_send gateway)
check "distguard test: reg_send gateway -> allow ($r)" [ "${r%% *}" = allow ]
r=$("$DG" test -c "$CONF" --node "c@$HOST" "a1@$HOST" reg_send gateway)
check "distguard test --node c: reg_send gateway -> deny ($r)" [ "${r%% *}" = deny ]
# The node that receives decides, whoever dialled: the same verdicts for a
# connection b dialled out (egress).
r=$("$DG" test -c "$CONF" --direction egress "a1@$HOST" reg_send gateway)
check "distguard test --direction egress: reg_send gateway -> allow, said egress ($r)" \
    bash -c '[ "${1%% *}" = allow ] && grep -q "(egress)" <<<"$1"' _ "$r"
r=$("$DG" test -c "$CONF" --direction egress "a1@$HOST" spawn_request erlang:halt/0)
check "distguard test --direction egress: spawn_request erlang:halt/0 -> deny ($r)" [ "${r%% *}" = deny ]
check "distguard test --direction sideways is refused" \
    not "$DG" test -c "$CONF" --direction sideways "a1@$HOST" reg_send gateway

# ---- stats ----------------------------------------------------------------------
st=$("$DG" stats -c "$CONF")
echo "$st" | sed 's/^/# /' | head -n 30
check "stats: spawn_request denials counted" \
    awk '$1 == "spawn_request" && $4 > 0 { f = 1 } END { exit !f }' <<<"$st"
check "stats: reg_send denials counted" \
    awk '$1 == "reg_send" && $4 > 0 { f = 1 } END { exit !f }' <<<"$st"
"$DG" stats -c "$CONF" --json > "$T/stats.json"
check "stats --json: valid JSON, deny counts for a* peers" python3 - "$T/stats.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def tot(t, act):
    return sum(p["types"][t][act] for p in d["peers"]
               if p["peer"].startswith("a"))
sys.exit(0 if tot("spawn_request", "deny") > 0 and tot("reg_send", "deny") > 0
         and tot("reg_send", "allow") > 0 else 1)
PY

# ---- crafted peers -------------------------------------------------------------
LPORT_B=$(stock_epmd -names | sed -n 's/^name b at port \([0-9]*\)$/\1/p')
r=$($CRAFT dist_regsend "$LPORT_B" "x1@$HOST" "$COOKIE" sink crafted_legit)
wait_for "$T/b.log" "sink got crafted_legit" 3
check "crafted peer: a well-formed REG_SEND to sink is delivered ($r)" \
    [ "$(sinkgot crafted_legit)" = 1 ]
r=$($CRAFT dist_regsend "$LPORT_B" "x2@$HOST" "$COOKIE" sink crafted_spoof --from-node evil@x)
sleep 0.5
check "crafted peer: REG_SEND from a pid of evil@x is not delivered ($r)" \
    [ "$(sinkgot crafted_spoof)" = 0 ]
check "crafted peer: filter.spoofed_sender alerted" alert_seen filter.spoofed_sender
r=$($CRAFT dist_atomcache "$LPORT_B" "x3@$HOST" "$COOKIE")
check "crafted peer: atom cache refs after the handshake -> disconnected ($r)" \
    [ "$r" = "atomcache closed" ]
check "crafted peer: filter.atom_cache_violation alerted" alert_seen filter.atom_cache_violation
r=$(ev p 'net_adm:ping(Node)')
check "b is alive after the crafted peers (ping: $r)" [ "$r" = pong ]

# ---- reload -----------------------------------------------------------------------
# r* keeps a connection up and sends to gateway every 5 ms; after the
# reload it sends to sink once, then reports what gateway counted and
# whether the connection ever went down.
RNAME=$(peer r)
cat > "$T/reload.erl" <<EOF
-module(reload).
-export([run/2]).
run(Node, Flag) ->
    true = net_kernel:connect_node(Node),
    erlang:monitor_node(Node, true),
    C0 = dgt:gateway_count(Node, 3000),
    {sink, Node} ! before_reload,
    Sent = loop(Node, Flag, 0, 6000),
    {sink, Node} ! after_reload,
    timer:sleep(300),
    C1 = dgt:gateway_count(Node, 3000),
    Down = receive {nodedown, Node} -> down after 0 -> up end,
    {Sent, C1 - C0 - Sent, Down}.
loop(_Node, _Flag, N, 0) -> {gave_up, N};
loop(Node, Flag, N, Left) ->
    {gateway, Node} ! {tick, N},
    case filelib:is_file(Flag) of
        true -> N + 1;
        false -> timer:sleep(5), loop(Node, Flag, N + 1, Left - 1)
    end.
EOF
erlc -o "$T" "$T/reload.erl" 2>&1 | grep -v Warning | sed 's/^/# /'
node_eval "$RNAME" "reload:run(Node, \"$T/reloaded\")" > "$T/reload.out" &
rpid=$!
wait_for "$T/dg.log" "$RNAME@$HOST -> b@$HOST: up" 15
sleep 1
policy '[{allow, reg_send, [gateway, sink]}]'
rl=$("$DG" reload -c "$CONF" 2>&1); rc=$?
check "distguard reload succeeds ($rl)" [ $rc -eq 0 ]
sleep 0.5
touch "$T/reloaded"
wait $rpid
r=$(tail -n 1 "$T/reload.out")
echo "# reload peer: $r"
check "reload: the previously denied reg_send to sink now arrives" \
    wait_for "$T/b.log" "sink got after_reload" 3
check "reload: the one before it did not" [ "$(sinkgot before_reload)" = 0 ]
check "reload: no message lost, connection never dropped ($r)" \
    grep -Eq '^\{[0-9]+,0,up\}$' <<<"$r"
check "reload: the live connection took the new policy" \
    wait_for "$T/dg.log" "$RNAME@$HOST -> b@$HOST: new configuration" 1

# A bad configuration is rejected with file:line; the old one stays.
cp "$CONF" "$T/good.conf"
echo '{peer, "z@*", [{allow, no_such_type}]}.' >> "$CONF"
badline=$(wc -l < "$CONF")
rl=$("$DG" reload -c "$T/good.conf" 2>&1); rc=$?
echo "$rl" | sed 's/^/# /'
check "reload of a bad file fails, citing file:line" \
    [ $rc -ne 0 ] && check "  ... the message has $CONF:$badline" grep -q "$CONF:$badline:" <<<"$rl"
kill -HUP "$DG_PID"
check "SIGHUP with a bad file: the daemon logs file:line and keeps the old one" \
    wait_for "$T/dg.log" "$CONF:$badline:.*" 3
check "the daemon survived the bad reloads" dg_alive
r=$(ev r '{sink, Node} ! after_bad_reload, dgt:gateway_count(Node, 3000)')
check "the old configuration is still in force (r* reg_send to sink allowed)" \
    wait_for "$T/b.log" "sink got after_bad_reload" 3
cp "$T/good.conf" "$CONF"

check "the daemon survived everything" dg_alive
done_tests
