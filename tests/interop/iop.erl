%% SPDX-License-Identifier: Apache-2.0
%% iop - the interop battery (tests/interop/).  Compiled by the host's
%% OTP 25 erlc; the same beam runs on OTP 25 and OTP 27 nodes.
%%
%% protected/1 runs on a node behind distguard: dgt's services plus a
%% globally registered name.  battery/2 runs on a peer against such a node
%% and prints one line per check, "IOP Check ok|fail Detail", which
%% t_battery.sh turns into ok/not ok lines and the table.
-module(iop).
-export([protected/1, victim/0, battery/2, mesh_member/2, mesh_observe/2]).

protected(Secs) ->
    yes = global:register_name(gname(node()), spawn(fun() -> receive stop -> ok end end)),
    dgt:serve(Secs).

gname(Node) -> list_to_atom("iop_" ++ atom_to_list(Node)).

%% A process the peer links to and monitors, then tells to exit.
victim() ->
    spawn(fun() -> receive {die, Why} -> exit(Why) after 30000 -> ok end end).

battery(Node, Marker) ->
    Checks = [{ping, fun() -> check_ping(Node) end},
              {erpc_allowed, fun() -> check_erpc_allowed(Node) end},
              {erpc_denied, fun() -> check_erpc_denied(Node, Marker) end},
              {gen_server_call, fun() -> check_gen_server(Node) end},
              {binary_5mib, fun() -> check_big(Node) end},
              {link, fun() -> check_link(Node) end},
              {monitor, fun() -> check_monitor(Node) end},
              {global, fun() -> check_global(Node) end},
              {halt_attack, fun() -> check_halt(Node) end}],
    lists:foreach(fun({Name, F}) -> report(Name, F) end, Checks),
    io:format("IOP done~n").

report(Name, F) ->
    {Ms, R} = dgt:timed(F),
    {Verdict, Detail} = case R of
                            {ok, D} -> {ok, D};
                            {fail, D} -> {fail, D};
                            Other -> {fail, Other}
                        end,
    io:format("IOP ~s ~s ~w ms: ~0p~n", [Name, Verdict, Ms, Detail]).

expect(true, D) -> {ok, D};
expect(false, D) -> {fail, D}.

check_ping(Node) ->
    R = net_adm:ping(Node),
    expect(R =:= pong, R).

check_erpc_allowed(Node) ->
    R = erpc:call(Node, erlang, node, [], 5000),
    expect(R =:= Node, R).

%% os:cmd is not in the peer's MFA list: refused at once ({erpc, notsup}),
%% and the marker file the command would create must never appear
%% (t_battery.sh checks it from outside as well).
check_erpc_denied(Node, Marker) ->
    {Ms, R} = dgt:timed(fun() ->
                                erpc:call(Node, os, cmd, ["touch " ++ Marker], 10000)
                        end),
    timer:sleep(300),
    Exists = filelib:is_file(Marker),
    expect(R =:= {caught, error, {erpc, notsup}} andalso Ms < 1000 andalso not Exists,
           {R, Ms, marker_exists, Exists}).

check_gen_server(Node) ->
    R = gen_server:call({dgt_gs, Node}, ping, 5000),
    expect(R =:= pong, R).

check_big(Node) ->
    R = dgt:big_echo(Node, 5 * 1024 * 1024),
    expect(R =:= {true, true, 5 * 1024 * 1024}, R).

check_link(Node) ->
    process_flag(trap_exit, true),
    Pid = erpc:call(Node, iop, victim, [], 5000),
    true = link(Pid),
    timer:sleep(100),
    {links, Ls} = erpc:call(Node, erlang, process_info, [Pid, links], 5000),
    Pid ! {die, linked_exit},
    R = receive {'EXIT', Pid, Why} -> Why after 5000 -> no_exit end,
    process_flag(trap_exit, false),
    expect(R =:= linked_exit andalso lists:member(self(), Ls), {R, remote_links, Ls}).

check_monitor(Node) ->
    Pid = erpc:call(Node, iop, victim, [], 5000),
    Ref = erlang:monitor(process, Pid),
    Pid ! {die, monitored_exit},
    R1 = receive {'DOWN', Ref, process, Pid, W1} -> W1 after 5000 -> no_down end,
    %% and a monitor by name, demonitored again
    Ref2 = erlang:monitor(process, {dgt_gs, Node}),
    true = erlang:demonitor(Ref2, [flush]),
    expect(R1 =:= monitored_exit, R1).

%% Both sides' global names are seen by the other, and a name registered
%% here is seen there.
check_global(Node) ->
    Mine = gname(node()),
    yes = global:register_name(Mine, self()),
    global:sync(),
    Theirs = global:whereis_name(gname(Node)),
    Seen = erpc:call(Node, global, whereis_name, [Mine], 5000),
    global:unregister_name(Mine),
    expect(is_pid(Theirs) andalso node(Theirs) =:= Node andalso Seen =:= self(),
           {theirs, Theirs, seen_there, Seen}).

%% The seed's attack, in the cross-version form (an external fun) and via
%% spawn: both must be refused, the node must answer afterwards.
check_halt(Node) ->
    erpc:cast(Node, fun erlang:halt/0),
    Spawned = spawn(Node, erlang, halt, []),
    timer:sleep(1500),
    P = net_adm:ping(Node),
    N = catch erpc:call(Node, erlang, node, [], 5000),
    expect(P =:= pong andalso N =:= Node, {ping, P, erpc, N, spawned, Spawned}).

%% A member of the mixed mesh: a global name of its own, a connection to
%% the seed; global (prevent_overlapping_partitions) makes the rest of the
%% mesh, with the simultaneous connects that brings.
mesh_member(Seed, Secs) ->
    yes = global:register_name(gname(node()), self()),
    io:format("dgt ready ~p~n", [node()]),
    connect_seed(Seed, 20),
    receive stop -> ok after Secs * 1000 -> ok end,
    halt().

connect_seed(Seed, _) when Seed =:= node() -> ok;
connect_seed(Seed, 0) -> io:format("could not reach the seed ~p~n", [Seed]);
connect_seed(Seed, N) ->
    case net_kernel:connect_node(Seed) of
        true -> ok;
        _ -> timer:sleep(250), connect_seed(Seed, N - 1)
    end.

%% From a hidden observer: waits (at most Secs) until every member sees
%% every other member and every member's global name.
mesh_observe(Members, Secs) ->
    Deadline = erlang:monotonic_time(millisecond) + Secs * 1000,
    T0 = erlang:monotonic_time(millisecond),
    R = mesh_wait(lists:sort(Members), Deadline),
    io:format("IOP mesh ~s ~w ms: ~0p~n",
              [element(1, R), erlang:monotonic_time(millisecond) - T0, element(2, R)]).

mesh_wait(Want, Deadline) ->
    Names = lists:sort([gname(N) || N <- Want]),
    Missing = [{N, M} || N <- Want, M <- [missing(N, Want, Names)], M =/= []],
    case Missing =:= [] of
        true -> {ok, {full_mesh, length(Want), global_names, length(Names)}};
        false ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> {fail, Missing};
                false -> timer:sleep(500), mesh_wait(Want, Deadline)
            end
    end.

missing(N, Want, Names) ->
    Seen = case catch erpc:call(N, erlang, nodes, [], 3000) of
               L when is_list(L) -> [N | L];
               E -> {error, E}
           end,
    Global = case catch erpc:call(N, global, registered_names, [], 3000) of
                 G when is_list(G) -> G;
                 E2 -> {error, E2}
             end,
    case {Seen, Global} of
        {S, G2} when is_list(S), is_list(G2) ->
            [{nodes, Want -- S} || Want -- S =/= []] ++
                [{names, Names -- G2} || Names -- G2 =/= []];
        _ -> [{unreachable, Seen, Global}]
    end.
