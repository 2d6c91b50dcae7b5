%% SPDX-License-Identifier: Apache-2.0
%% dgmesh - what the nodes of tests/e2e/t_mesh.sh run: a global mesh that
%% forms through distguard alone (the hub pings every member; global's
%% connect_all does the rest), then one global name per node, seen from
%% every node.  Only ping, global and replies cross the listeners: nothing
%% here needs rpc or spawn.
-module(dgmesh).
-export([member/1, hub/1]).

-define(WAIT_MS, 30000).

%% member([N, Round, Hub]) (strings, from -run): waits for the mesh of N
%% nodes, registers its name, waits for all N names, registers its "ok"
%% name; then lives until the hub goes (at most 60 s).
member([NA, RoundA, HubA]) ->
    N = list_to_integer(NA),
    Round = list_to_integer(RoundA),
    io:format("dgmesh member ~p ready~n", [node()]),
    check(N, Round),
    %% Connected to the hub by now (or the check failed): no new dial.
    erlang:monitor_node(list_to_atom(HubA), true),
    receive {nodedown, _} -> ok after 60000 -> ok end,
    halt().

%% hub([N, Round | Members]): pings every member, then checks like them,
%% then waits until every node reported ok (a global name each).
hub([NA, RoundA | Members]) ->
    N = list_to_integer(NA),
    Round = list_to_integer(RoundA),
    Pongs = [net_adm:ping(list_to_atom(M)) || M <- Members],
    io:format("dgmesh hub pings ~p~n", [Pongs]),
    check(N, Round),
    Oks = wait(fun() -> length(names(ok, Round)) >= N end),
    io:format("dgmesh hub all_ok ~p ~p~n", [Oks, length(names(ok, Round))]),
    halt().

check(N, Round) ->
    Mesh = wait(fun() -> length(nodes()) >= N - 1 end),
    io:format("dgmesh ~p mesh ~p nodes ~p~n", [node(), Mesh, length(nodes())]),
    yes = global:register_name({name, Round, node()}, holder()),
    Names = wait(fun() -> length(names(name, Round)) >= N end),
    io:format("dgmesh ~p names ~p seen ~p~n",
              [node(), Names, length(names(name, Round))]),
    case Mesh andalso Names of
        true -> yes = global:register_name({ok, Round, node()}, holder());
        false -> ok
    end.

%% A process to hold one global name (a pid holds at most one).
holder() -> spawn(fun() -> receive stop -> ok end end).

names(Tag, Round) ->
    [X || {T, R, _} = X <- global:registered_names(), T =:= Tag, R =:= Round].

%% Polls Cond every 100 ms for at most WAIT_MS; true when it held.
wait(Cond) -> wait(Cond, ?WAIT_MS div 100).
wait(_, 0) -> false;
wait(Cond, K) ->
    case Cond() of
        true -> true;
        false -> receive after 100 -> wait(Cond, K - 1) end
    end.
