#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: break-glass grants.  An operator's node (ops1) normally may
# only ping b.  It stays connected throughout, and makes an erpc call at
# each step, when the test tells it to (a file in $T):
#   1. no grant                        -> denied
#   2. grant [allow_all] for 3 s       -> works
#   3. after the 3 s, same connection  -> denied again
#   4. grant for 60 s, then revoke     -> works, then denied
#   5. grant for 60 s, then reload     -> denied (the reload dropped it)
# and it never sees a nodedown.  Every step shows in the alerts, naming
# the uid and pid that asked, the reason and the rules.  Bad RULES are
# refused with a clear message; {grants, [{keep_on_reload, true}]} keeps a
# grant over a reload and {state_file, Path} over a restart.
. "$(dirname "$0")/lib.sh"
# The operator's node ops1 is a stock node standing in for a peer of
# another host: it registers only because it listens, so this suite
# accepts unmediated registrations.  b runs distguard_epmd (node_start).
DG_EGRESS=off
cd "$T" || exit 1

policy() { write_conf '{peer, "ops*@*", [ping]}.' "$@"; }
policy
dg_start || exit 1
node_start b || exit 1

cat > "$T/gop.erl" <<'ERL'
-module(gop).
-export([run/2]).
%% run(Node, Dir): one erpc call per step, each when Dir/goN appears.
run(Node, Dir) ->
    pong = net_adm:ping(Node),
    erlang:monitor_node(Node, true),
    lists:foreach(fun(N) -> step(Node, Dir, N) end, [1, 2, 3, 4, 5, 6]),
    receive {nodedown, Node} -> io:format("nodedown: seen~n")
    after 0 -> io:format("nodedown: none~n") end,
    halt().
step(Node, Dir, N) ->
    wait(filename:join(Dir, "go" ++ integer_to_list(N)), 600),
    R = try erpc:call(Node, os, getpid, [], 5000) of
            P when is_list(P) -> works
        catch error:{erpc, notsup} -> denied;
              C:E -> {C, E}
        end,
    io:format("step ~p: ~p~n", [N, R]).
wait(_, 0) -> io:format("gave up waiting~n"), halt(1);
wait(F, K) ->
    case filelib:is_file(F) of
        true -> ok;
        false -> timer:sleep(100), wait(F, K - 1)
    end.
ERL
erlc -o "$T" "$T/gop.erl" || not_ok "gop.erl compiles"
timeout -k 2 120 erl -sname ops1 "${ERL_COMMON[@]}" \
    -eval "gop:run('b@$HOST', \"$T\")" > "$T/ops1.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/dg.log" "ops1@$HOST -> b@$HOST: up" 15 || not_ok "ops1 connected"

go() { touch "$T/go$1"; wait_for "$T/ops1.log" "^step $1: " 15; sed -n "s/^step $1: //p" "$T/ops1.log"; }
dgc() { "$DG" "$1" -c "$CONF" "${@:2}"; }

r=$(go 1)
check "without a grant ops1's erpc call is denied ($r)" [ "$r" = denied ]

out=$(dgc grant 'ops*@*' '[allow_all]' --for 3s --reason 'incident 42: heap dump')
check "distguard grant answers with an id ($out)" [ "$out" = "granted 1" ]
t0=$(date +%s.%N)
lst=$(dgc grants)
echo "# $lst"
check "distguard grants lists it" grep -q $'^1\tops\\*@\\*\t' <<<"$lst"
r=$(go 2)
check "with the grant, the same connection's erpc call works ($r)" [ "$r" = works ]
check "the grant is alerted (policy.grant) with uid, pid, reason, rules" \
    grep -q '"event":"policy.grant".*grant 1 granted for 3s; asked by uid '"$(id -u)"' pid [0-9]*;.*reason \\"incident 42: heap dump\\"; rules \[allow_all\]' "$ALERTS"
alert_seen policy.expired 6
t1=$(date +%s.%N)
el=$(echo "$t1 - $t0" | bc)
check "the grant expires by itself after 3 s (alert after ${el}s)" \
    [ "$(echo "$el >= 2.9 && $el < 5" | bc)" = 1 ]
check "policy.expired names who asked, the reason and the rules" \
    grep -q '"event":"policy.expired".*grant 1 expired; asked by uid '"$(id -u)"'.*incident 42.*allow_all' "$ALERTS"
r=$(go 3)
check "after the expiry the same connection is denied again ($r)" [ "$r" = denied ]
check "distguard grants is empty again" [ "$(dgc grants)" = "no grants" ]

out=$(dgc grant 'ops*@*' '[allow_all]' --for 60s --reason 'second look')
check "a second grant gets id 2 ($out)" [ "$out" = "granted 2" ]
r=$(go 4)
check "with it the call works ($r)" [ "$r" = works ]
out=$(dgc revoke 2)
check "distguard revoke 2 ends it ($out)" [ "$out" = "revoked 2" ]
check "the revocation is alerted with who revoked it" \
    grep -q '"event":"policy.revoked".*grant 2 revoked by uid '"$(id -u)"' pid [0-9]*; asked by.*second look.*allow_all' "$ALERTS"
r=$(go 5)
check "after the revocation the call is denied ($r)" [ "$r" = denied ]
check "revoking a grant that does not exist fails" not dgc revoke 2

out=$(dgc grant 'ops*@*' '[allow_all]' --for 60s --reason 'until reload')
check "a third grant ($out)" [ "$out" = "granted 3" ]
check "distguard reload" dgc reload
check "the reload revokes it (policy.revoked, configuration reloaded)" \
    grep -q '"event":"policy.revoked".*grant 3 revoked: configuration reloaded' "$ALERTS"
r=$(go 6)
check "after the reload the call is denied ($r)" [ "$r" = denied ]
wait_for "$T/ops1.log" "nodedown:" 10
check "ops1 kept its one connection throughout (no nodedown)" grep -q "nodedown: none" "$T/ops1.log"
check "the connection followed each change on its next message" \
    [ "$(grep -c "ops1@$HOST -> b@$HOST: new configuration" "$T/dg.log")" -ge 4 ]

# Bad requests are refused with a clear message and change nothing.
err=$(dgc grant 'ops*@*' '[allow_al' --for 3s --reason x 2>&1)
echo "# $err" | head -n 3
check "bad RULES syntax is refused, naming RULES and the problem" \
    grep -q "^RULES:1: syntax error" <<<"$err"
err=$(dgc grant 'ops*@*' '[{allow, frobnicate}]' --for 3s --reason x 2>&1)
check "an unknown type in RULES is refused" grep -q "^RULES:1: unknown message type 'frobnicate'" <<<"$err"
err=$(dgc grant 'ops*@*' 'allow_all' --for 3s --reason x 2>&1)
check "RULES that are not a list are refused" grep -q "must be a list" <<<"$err"
err=$(dgc grant 'ops*@*' '[allow_all]' --for 3x --reason x 2>&1)
check "a bad duration is refused" grep -q "a duration is a positive number" <<<"$err"
err=$(dgc grant 'ops*@*' '[allow_all]' --for 3s 2>&1)
check "a grant without --reason is refused, in one line" grep -q "^distguard grant: --reason TEXT is needed" <<<"$err"
err=$(dgc grant 'ops*@*' '[allow_all]' --for 100d --reason x 2>&1)
check "a grant longer than max_duration is refused" grep -q "max_duration" <<<"$err"
check "no grant came of them" [ "$(dgc grants)" = "no grants" ]
check "distguard grant --help explains the command" sh -c "'$DG' grant --help | grep -q 'rule syntax'"

# keep_on_reload and state_file.
policy "{grants, [{keep_on_reload, true}, {state_file, \"$T/grants.state\"}]}."
dgc reload >/dev/null
out=$(dgc grant 'ops*@*' '[{allow, spawn_request, [{os, getpid, 0}]}]' --for 60s --reason 'kept')
check "a grant under keep_on_reload ($out)" [ "$out" = "granted 4" ]
dgc reload >/dev/null
check "keep_on_reload: the grant survives a reload" grep -q $'^4\tops' <<<"$(dgc grants)"
check "the state file is private" [ "$(stat -c %a "$T/grants.state")" = 600 ]
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null
dg_start || exit 1
# dg.log still holds the first daemon's "running" line: wait for this one's.
wait_for "$T/dg.log" "distguard\\[$DG_PID\\]: info: distguard running" 10 ||
    not_ok "the daemon restarted"
check "state_file: the grant survives a restart" grep -q $'^4\tops.*kept' <<<"$(dgc grants)"
check "the restored grant is alerted" \
    wait_for "$ALERTS" '"event":"policy.grant".*grant 4 restored after a restart' 3
check "the daemon is alive" dg_alive
done_tests
