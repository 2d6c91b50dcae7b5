#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: atom accounting that name rotation cannot beat (issue 18,
# item 4).  A peer reconnects under 200 new names, each spending just
# under the per-name budget (9,000 of 10,000 fresh atoms) through a send
# its policy admits.  Before the fix the budget was per (node, name) only,
# and b's atom table filled after about 116 names.  Now every new atom of
# b counts against b's budget and against the shares of its source
# address and cookie, and every new name is an atom charged at the
# handshake: b's table grows by at most node_atoms (100,000).
#
# Peers, by name:
#   adm*  allow_all: measures b (atom_count, kernel pids) from the inside
#   rot*  the rotating attacker: one allowed name (gateway), default budgets
. "$(dirname "$0")/lib.sh"
# The peers are stock OTP nodes standing in for remote ones; b runs
# distguard_epmd (node_start).
DG_EGRESS=off
cd "$T" || exit 1

write_conf \
    '{default, [ping, global, replies]}.' \
    '{peer, "adm*@*", [allow_all]}.' \
    '{peer, "rot*@*", [{allow, reg_send, [gateway]}]}.' \
    '{bans, [{failures, 0}]}.'
dg_start || exit 1
node_start b || exit 1
B="b@$HOST"

# The attacker: one OS process whose node stops and starts its
# distribution under a new name for each round (no listener of its own).
cat > "$T/dgrot.erl" <<'ERL'
-module(dgrot).
-export([run/4]).
%% N names Prefix1..PrefixN; each connects to Target, sends PerName fresh
%% atoms to gateway, then asks gateway for its count (a reply means b
%% handled everything before it).
run(Target, N, PerName, Prefix) ->
    R = [round(Target, I, PerName, Prefix) || I <- lists:seq(1, N)],
    io:format("rot connected ~b replied ~b refused ~b~n",
              [length([x || {true, _} <- R]),
               length([x || {true, replied} <- R]),
               length([x || {false, _} <- R])]).

round(Target, I, PerName, Prefix) ->
    Name = list_to_atom(Prefix ++ integer_to_list(I)),
    ok = start(Name, 50),
    Res = case net_kernel:connect_node(Target) of
              true ->
                  erlang:monitor_node(Target, true),
                  [{gateway, Target} ! list_to_atom(
                                         "dgrot_" ++ integer_to_list(I) ++ "_" ++
                                             integer_to_list(J))
                   || J <- lists:seq(1, PerName)],
                  {gateway, Target} ! {self(), count},
                  receive
                      {count, _} -> {true, replied};
                      {nodedown, Target} -> {true, cut}
                  after 20000 -> {true, timeout}
                  end;
              false ->
                  {false, refused}
          end,
    ok = net_kernel:stop(),
    flush(),
    Res.

%% A stop may not have let go of everything yet: a bounded retry.
start(Name, 0) -> exit({cannot_start, Name});
start(Name, N) ->
    case net_kernel:start([Name, shortnames]) of
        {ok, _} -> ok;
        {error, _} -> timer:sleep(100), start(Name, N - 1)
    end.

flush() ->
    receive {nodedown, _} -> flush(); {count, _} -> flush() after 0 -> ok end.
ERL
erlc -o "$T" "$T/dgrot.erl" || not_ok "erlc dgrot"

PROBE="erpc:call(Node, fun() -> {erlang:system_info(atom_count), [whereis(P) || P <- [global_name_server, net_kernel, rex, application_controller, code_server]]} end)"
probe() {	# probe NAME: "{AtomCount,[Pids]}" on one line
	node_eval "$1" "$PROBE" | tr -d '\n '
}
before=$(probe adm1)
n0=$(sed -n 's/^{\([0-9]*\),.*/\1/p' <<<"$before")
pids0=$(sed -n 's/^{[0-9]*,\(.*\)}$/\1/p' <<<"$before")
check "b measured before: $n0 atoms, kernel pids $pids0" [ -n "$n0" ]

t0=$(date +%s)
timeout -k 2 170 erl "${ERL_COMMON[@]}" -dist_listen false +t 4000000 \
    -eval "dgrot:run('$B', 200, 9000, \"rot\"), halt()." > "$T/rot.log" 2>&1
r=$(grep '^rot ' "$T/rot.log")
[ -z "$r" ] && echo "# last lines of the attacker's output:" && tail -n 5 "$T/rot.log" | cut -c1-300 | sed 's/^/#   /'
t1=$(date +%s)
echo "# rotation: $r in $((t1 - t0)) s"
check "the rotating peer ran its 200 names ($r)" grep -q "^rot connected" <<<"$r"
check "b is alive" kill -0 "$PID_b"
after=$(probe adm2)
n1=$(sed -n 's/^{\([0-9]*\),.*/\1/p' <<<"$after")
pids1=$(sed -n 's/^{[0-9]*,\(.*\)}$/\1/p' <<<"$after")
grow=$(( ${n1:-9999999} - ${n0:-0} ))
echo "# b's atom_count: $n0 -> ${n1:-?} (+$grow)"
check "b answers after the rotation and reads its atom count (${n1:-none})" [ -n "$n1" ]
check "b's kernel processes kept their pids ($pids1)" same "$pids1" "$pids0"
check "b's atom table grew by at most node_atoms (100,000) + 100 for the probes: +$grow" \
    [ "$grow" -le 100100 ]
check "the budgets let atoms through before they were spent (+$grow >= 20,000)" \
    [ "$grow" -ge 20000 ]
check "a shared budget (source address, cookie or local node) cut a peer off" \
    grep -Eq '"filter.atom_flood".*atom budget of the (source address|cookie|local node) spent' "$ALERTS"
check "new names were refused at the handshake once b's budget was spent" \
    grep -q '"filter.atom_flood".*a new name, and the atom budget of the' "$ALERTS"
check "the per-name budget was never what stopped them (9,000 < 10,000)" \
    not grep -q 'atom budget of the peer name spent' "$ALERTS"
r=$(node_eval adm3 "net_adm:ping(Node)")
check "an allow_all peer (no budget) still reaches b ($r)" [ "$r" = pong ]
r=$(node_eval rot1 "net_kernel:connect_node(Node)")
check "a rotating name b already knows still connects: its name costs nothing ($r)" [ "$r" = true ]
# (Its new atoms are refused while the share of its source address is
# spent: the price of a share per source, docs/FILTER.md 12.)
check "the daemon is still running" dg_alive
check "no sanitizer report" not grep -q "runtime error\|AddressSanitizer" "$T/dg.log"
done_tests
