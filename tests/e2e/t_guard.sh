#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: deeper filtering (issue: code and atom guards, pid
# capabilities, the seed's handlers), with real nodes.
#
# Local node b runs dgt:serve/1 behind distguard.  Peers, by name:
#   adm*  allow_all: measures b (atom_count, pids) from the inside
#   f*    code-running MFAs that take funs, and two servers: the code guard
#   ok*   the same MFA with {allow, funs, [...]}: the control that it runs
#   at*   one allowed name: the atom budget (default 10,000)
#   cap*  sends and monitors by pid only where b disclosed the pid
#   h*    {handler, spawn_request, dgt_handler}: the seed's spawn handler
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected node b runs distguard_epmd (node_start).
DG_EGRESS=off
cd "$T" || exit 1

erlc -o "$T" "$ROOT/tests/e2e/dgt_handler.erl" >/dev/null 2>&1 || not_ok "erlc dgt_handler"
export DGT_HANDLER_LOG="$T/handler.log"

write_conf \
    '{peer, "adm*@*", [allow_all]}.' \
    '{peer, "f*@*", [{allow, spawn_request, [{lists, map, 2}, {erlang, node, 0}]},
                     {allow, reg_send, [dgt_gs, gateway]}]}.' \
    '{peer, "ok*@*", [{allow, spawn_request, [{lists, map, 2}]},
                      {allow, funs, [{lists, map, 2}]}]}.' \
    '{peer, "at*@*", [{allow, reg_send, [gateway]}]}.' \
    '{peer, "cap*@*", [{allow, spawn_request, [{dgt, echo, 0}]},
                       {allow, reg_send, [dgt_gs]},
                       {allow, send, disclosed}, {allow, monitor, disclosed}]}.' \
    '{peer, "h*@*", [{allow, spawn_request, [{erlang, node, 0}, {lists, reverse, 1}]},
                     {allow, reg_send, [rex]}],
                    [{handler, spawn_request, dgt_handler}]}.'
dg_start || exit 1
node_start b -eval "dgt:serve(170)" || exit 1
B="b@$HOST"

# ---- 1. the code guard ------------------------------------------------------
r=$(node_eval f1 "catch erpc:call(Node, lists, map, [fun(_) -> os:cmd(\"touch $T/m_closure\") end, [1]], 5000)")
check "erpc of lists:map/2 with a closure is denied ($r)" grep -q "notsup" <<<"$r"
r=$(node_eval f2 "catch erpc:call(Node, lists, map, [fun os:cmd/1, [\"touch $T/m_export\"]], 5000)")
check "erpc of lists:map/2 with fun os:cmd/1 is denied ($r)" grep -q "notsup" <<<"$r"
r=$(node_eval f3 "Pid = spawn(Node, lists, map, [fun(_) -> os:cmd(\"touch $T/m_spawn\") end, [1]]), timer:sleep(500), is_pid(Pid)" | tail -n 1)
check "spawn/4 of lists:map/2 with a closure returns ($r)" [ "$r" = "true" ]
r=$(node_eval f4 "catch gen_server:call({dgt_gs, Node}, {apply, fun() -> os:cmd(\"touch $T/m_call\") end}, 3000)")
check "a closure inside a gen_server call payload gets no answer ($r)" grep -q "timeout" <<<"$r"
r=$(node_eval f5 "{gateway, Node} ! {self(), fun() -> ok end}, {gateway, Node} ! {self(), count}, receive {count, N} -> N after 5000 -> timeout end")
check "a fun sent to an allowed name is dropped, the plain message after it counted ($r)" [ "$r" = "0" ]
r=$(node_eval f6 "erpc:call(Node, erlang, node, [], 5000)")
check "the same peer's fun-free erpc call runs ($r)" [ "$r" = "$B" ]
sleep 1
for m in m_closure m_export m_spawn m_call; do
	check "no marker $m was written" [ ! -e "$T/$m" ]
done
check "filter.code names the argument of an erpc call" \
    grep -q '"filter.code".*argument 1 of lists:map/2 (erpc)' "$ALERTS"
check "filter.code names the argument of a spawn" \
    grep -q '"filter.code".*argument 1 of lists:map/2 (spawn)' "$ALERTS"
check "filter.code names the gen_server call's target" \
    grep -q '"filter.code".*the payload of a send to dgt_gs' "$ALERTS"
check "filter.code names the peer" grep -q '"filter.code".*"peer":"f1@' "$ALERTS"
r=$(node_eval ok1 "erpc:call(Node, lists, map, [fun(_) -> os:cmd(\"touch $T/m_allowed\") end, [1]], 5000)")
check "with {allow, funs, [{lists, map, 2}]} the closure runs (the control)" [ -e "$T/m_allowed" ]

# ---- 2. the atom budget -----------------------------------------------------
ATOMS="erpc:call(Node, erlang, system_info, [atom_count])"
before=$(node_eval adm1 "$ATOMS")
r=$(EVAL_TIMEOUT=120 node_eval at1 "dgt:atom_flood(gateway, Node, 60000)")
check "60,000 fresh atoms sent through an allowed send ($r)" [ "$r" = "60000" ]
sleep 1
after=$(node_eval adm2 "$ATOMS")
grow=$((after - before))
check "b's atom_count grew by at most the budget of 10,000 (+20 for the measuring peer): $before -> $after (+$grow)" \
    [ "$grow" -le 10020 ]
# Not all of the 10,000 reach b: the frames after the one that broke the
# budget are lost with the connection.
check "b's atom_count grew: the budget let atoms through (+$grow)" [ "$grow" -ge 1000 ]
check "the flooding peer was cut off (filter.atom_flood)" \
    grep -q '"filter.atom_flood".*"peer":"at1@.*more than 10000 distinct atoms' "$ALERTS"
check "the daemon closed the connection for it" grep -q "atom budget exhausted" "$T/dg.log"

# One message of 60,000 fresh atoms: its structure runs past what the
# proxy may see (and arrives in fragments).  Admitted on its first bytes,
# it is walked as it streams: its atoms break the budget, and the
# connection closes before its last fragment reaches b.
before=$(node_eval adm4 "$ATOMS")
r=$(EVAL_TIMEOUT=60 node_eval at2 "{gateway, Node} ! [list_to_atom(\"dg_big_\" ++ integer_to_list(I)) || I <- lists:seq(1, 60000)], timer:sleep(1000), ok")
after=$(node_eval adm5 "$ATOMS")
grow=$((after - before))
check "one message of 60,000 fresh atoms does not reach b: $before -> $after (+$grow)" [ "$grow" -le 20 ]
check "the walk refuses it for the atom budget (filter.atom_flood)" \
    grep -q '"filter.atom_flood".*"peer":"at2@.*past the part judged' "$ALERTS"

# ---- 3. pid capabilities ----------------------------------------------------
gid=$(node_eval adm3 "dgt:pid_id(erpc:call(Node, erlang, whereis, [gateway]))")
CAP="P = spawn(Node, dgt, echo, []),
    P ! {self(), spawned}, R1 = receive {echo, spawned} -> ok after 5000 -> timeout end,
    Gs = gen_server:call({dgt_gs, Node}, whoami, 5000),
    R2 = (catch gen_server:call(Gs, ping, 5000)),
    Guess = dgt:pid_like(P, $gid),
    Guess ! {self(), count},
    R3 = receive {count, _} -> reached after 3000 -> timeout end,
    {R1, R2, R3}"
r=$(node_eval cap1 "$CAP")
check "a spawned pid and a pid b disclosed in a reply work; a guessed one is denied ($r)" \
    [ "$r" = "{ok,pong,timeout}" ]
check "the guessed send is alerted: filter.denied reason undisclosed" \
    grep -q '"filter.denied".*"peer":"cap1@.*send.*reason undisclosed' "$ALERTS"

# ---- 4. the spawn handler ---------------------------------------------------
r=$(node_eval h1 "erpc:call(Node, erlang, node, [], 5000)")
check "erpc:call through the handler returns what the original returns ($r)" [ "$r" = "$B" ]
r=$(node_eval h2 "erpc:call(Node, lists, reverse, [[1,2,3]], 5000)")
check "erpc:call with arguments through the handler ($r)" [ "$r" = "[3,2,1]" ]
r=$(node_eval h3 "Ref = spawn_request(Node, erlang, node, [], [monitor]),
    receive {spawn_reply, Ref, ok, _} -> receive {'DOWN', Ref, process, _, Why} -> Why after 5000 -> nodown end
    after 5000 -> noreply end")
check "spawn_request through the handler: spawned, exits normally ($r)" [ "$r" = "normal" ]
r=$(node_eval h5 "rpc:block_call(Node, lists, reverse, [[4,5]], 5000)")
check "rpc:block_call (through rex) through the handler ($r)" [ "$r" = "[5,4]" ]
r=$(node_eval h4 "catch erpc:call(Node, os, cmd, [\"touch $T/m_handler\"], 5000)")
check "a denied MFA is not handed to the handler ($r)" grep -q "notsup" <<<"$r"
check "the handler saw (Peer, M, F, A) of the erpc call" \
    grep -q "^h1@$HOST erlang node \[\]$" "$T/handler.log"
check "the handler saw the erpc call's arguments" \
    grep -q "^h2@$HOST lists reverse \[\[1,2,3\]\]$" "$T/handler.log"
check "the handler saw the plain spawn_request" \
    grep -q "^h3@$HOST erlang node \[\]$" "$T/handler.log"
check "the handler saw rex's call" \
    grep -q "^h5@$HOST lists reverse \[\[4,5\]\]$" "$T/handler.log"
check "the handler saw nothing else (4 calls)" [ "$(wc -l < "$T/handler.log")" -eq 4 ]
check "no marker from the denied MFA" [ ! -e "$T/m_handler" ]

# ---- 5. distguard check and distguard test ----------------------------------
cat > "$T/danger.conf" <<EOC
{cookie, {file, "$T/cookie"}}.
{cookie, "trusted@*", {file, "$T/cookie"}}.
{peer, "w*@*", [allow_all]}.
{peer, "x*@*", [{allow, spawn_request, [{erlang, apply, 2}, {os, cmd, 1}]}]}.
{peer, "trusted@*", [allow_all]}.
{peer, "y*@*", [{allow, spawn_request, [{lists, map, 2}]}]}.
{peer, "z*@*", [{allow, spawn_request, [{lists, map, 2}]}, {allow, funs}]}.
EOC
chmod 600 "$T/danger.conf"
r=$("$DG" check -c "$T/danger.conf" 2>&1)
check "check still accepts the file" grep -q "configuration OK" <<<"$r"
check "check warns: allow_all for a pattern without its own cookie" \
    grep -q "danger.conf:3: warning: .*allow_all.*w\*@\*" <<<"$r"
check "check warns: erlang:apply/2 for a pattern without its own cookie" \
    grep -q "danger.conf:4: warning: .*erlang:apply/2" <<<"$r"
check "check warns: os:cmd/1" grep -q "danger.conf:4: warning: .*os:cmd/1" <<<"$r"
check "check does not warn about allow_all for a peer with its own cookie" \
    not grep -q "danger.conf:5:" <<<"$r"
check "check warns: the code guard cancels lists:map/2 without {allow, funs}" \
    grep -q "danger.conf:6: warning: .*code guard.*lists:map/2" <<<"$r"
check "check does not warn about lists:map/2 with {allow, funs}" \
    not grep -q "danger.conf:7: warning: .*code guard" <<<"$r"

erl -noshell -eval "file:write_file(\"$T/args.bin\", term_to_binary([fun(_) -> ok end, [1]])), halt()."
r=$("$DG" test -c "$CONF" "f9@$HOST" spawn_request lists:map/2 --term-file "$T/args.bin")
check "distguard test --term-file: the fun in argument 1 is denied ($r)" \
    grep -q "^deny .*code guard: a fun in argument 1 of lists:map/2" <<<"$r"
r=$("$DG" test -c "$CONF" "ok9@$HOST" spawn_request lists:map/2 --term-file "$T/args.bin")
check "distguard test --term-file under {allow, funs}: allowed ($r)" grep -q "^allow " <<<"$r"
r=$("$DG" test -c "$CONF" "f9@$HOST" reg_send gateway --term '{hello, [1, 2, "three"]}')
check "distguard test --term: a literal message without a fun is allowed ($r)" \
    grep -q "^allow .*atoms 1" <<<"$r"
r=$("$DG" test -c "$CONF" "cap9@$HOST" send --term '{x}')
check "distguard test: a send to an undisclosed pid under {allow, send, disclosed} ($r)" \
    grep -q "^deny .*reason undisclosed" <<<"$r"

check "the daemon is alive" dg_alive
check "no sanitizer report in the daemon's log" \
    not grep -q "AddressSanitizer\|runtime error" "$T/dg.log"
done_tests
