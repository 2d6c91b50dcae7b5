%% SPDX-License-Identifier: Apache-2.0
%% dg_cluster - what each node of bench/cluster.sh runs: one protected node
%% per host, all of them waiting for one "go" file, then pinging every
%% other node (the contact list: bench/cluster.sh writes every node's name
%% in the work directory) and waiting until global has the full mesh.
%%
%% The times are the host's clock (every namespace shares it), in
%% microseconds, so that the script can take the time to the full mesh as
%% the last node's "mesh" time less the first node's "start" time.  No
%% judgement here: the script reads the lines and fails loudly when a node
%% did not see the whole mesh.
-module(dg_cluster).
-export([member/1]).

-define(POLL_MS, 20).

%% member([Dir, N, Mode]) (strings, from -run): Mode parallel (every ping
%% in a process of its own, at once) or seq (one after another, starting
%% with the next node in the list, as a boot script would).
member([Dir, NA, Mode]) ->
    N = list_to_integer(NA),
    io:format("dg_cluster ready ~s pid ~s~n", [node(), os:getpid()]),
    true = wait_file(filename:join(Dir, "go"), 600000),
    Start = now_us(),
    Others = others(Dir),
    Pongs = pings(Mode, Others),
    Mesh = wait(fun() -> length(nodes()) >= N - 1 end, 300000),
    ok = global:sync(),
    MeshAt = now_us(),
    yes = global:register_name({dg_cluster, node()}, holder()),
    Names = wait(fun() -> length(names()) >= N end, 300000),
    NamesAt = now_us(),
    io:format("dg_cluster done ~s start_us ~b mesh_us ~b names_us ~b "
              "pongs ~b nodes ~b mesh ~p names ~b ~p~n",
              [node(), Start, MeshAt, NamesAt, Pongs, length(nodes()), Mesh,
               length(names()), Names]),
    %% Stay up, connected, until the script has measured the daemons.
    wait_file(filename:join(Dir, "stop"), 900000),
    halt().

others(Dir) ->
    {ok, Bin} = file:read_file(filename:join(Dir, "nodes")),
    All = [list_to_atom(L) || L <- string:lexemes(binary_to_list(Bin), "\n")],
    %% Rotated so that each node starts with the one after itself.
    {Before, [_Me | After]} = lists:splitwith(fun(X) -> X =/= node() end, All),
    After ++ Before.

pings("parallel", Others) ->
    Self = self(),
    Ps = [spawn_link(fun() -> Self ! {pinged, self(), net_adm:ping(O)} end)
          || O <- Others],
    length([ok || P <- Ps, receive {pinged, P, pong} -> true;
                                    {pinged, P, pang} -> false end]);
pings("seq", Others) ->
    length([ok || O <- Others, net_adm:ping(O) =:= pong]).

names() ->
    [X || {dg_cluster, _} = X <- global:registered_names()].

%% A process to hold this node's global name.
holder() -> spawn(fun() -> receive stop -> ok end end).

now_us() -> os:system_time(microsecond).

wait_file(Path, Ms) ->
    wait(fun() -> filelib:is_regular(Path) end, Ms).

%% Polls Cond every POLL_MS for at most Ms; true when it held.
wait(Cond, Ms) when Ms =< 0 -> Cond();
wait(Cond, Ms) ->
    case Cond() of
        true -> true;
        false -> receive after ?POLL_MS -> wait(Cond, Ms - ?POLL_MS) end
    end.
