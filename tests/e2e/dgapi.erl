%% SPDX-License-Identifier: Apache-2.0
%% dgapi - the nodes of the runtime API's end-to-end tests (t_api*.sh):
%% they call the module distguard (erl/distguard.erl) on themselves.
-module(dgapi).
-export([livebook/1, client/4, agree/2, agree_peer/0, contain_b/1,
         contain_a/2, timing/2, timing_peer/2, noop/0]).

-define(WAIT, 5000).

say(Fmt, Args) -> io:format(Fmt ++ "~n", Args).

host() -> tl(lists:dropwhile(fun(C) -> C =/= $@ end, atom_to_list(node()))).

node_named(Alive) -> list_to_atom(Alive ++ "@" ++ host()).

%% A registered process that prints what it gets and answers hellos.
gw(Name) ->
    receive
        {hello, From, Pid} ->
            say("~p got hello from ~p", [Name, From]),
            Pid ! {welcome, Name},
            gw(Name);
        Other ->
            say("~p got ~p", [Name, Other]),
            gw(Name)
    end.

start_gw(Name) -> register(Name, spawn(fun() -> gw(Name) end)).

%%% Livebook: a server restricts its runtime clients before they exist,
%%% then starts them (Dir/start_client.sh NAME MYGW OTHERGW).

livebook(Dir) ->
    [start_gw(N) || N <- [gw1, gw2, vault]],
    C1 = node_named("c1"),
    C2 = node_named("c2"),
    R = [distguard:add_filter(C1, reg_send, gw1, allow),
         distguard:add_filter(C2, reg_send, gw2, allow)],
    say("filters set: ~p", [R]),
    say("policy: ~0p", [distguard:policy()]),
    say("test c1 gw1: ~p", [distguard:test_filter(C1, reg_send, gw1)]),
    say("test c1 gw2: ~p", [distguard:test_filter(C1, reg_send, gw2)]),
    say("test c1 rpc: ~p", [distguard:test_filter(C1, spawn_request,
                                                  {erlang, node, 0})]),
    Start = filename:join(Dir, "start_client.sh"),
    [os:cmd(Start ++ " " ++ A ++ " >/dev/null 2>&1 &")
     || A <- ["c1 gw1 gw2", "c2 gw2 gw1"]],
    say("clients started", []),
    wait_file(filename:join(Dir, "stats_now"), 900),
    say("stats: ~0p", [lists:sort(distguard:stats())]),
    wait_file(filename:join(Dir, "stop"), 900),
    halt().

wait_file(_, 0) -> timeout;
wait_file(F, K) ->
    case filelib:is_file(F) of
        true -> ok;
        false -> timer:sleep(100), wait_file(F, K - 1)
    end.

%% A client: its gateway answers; anything else of the server's is out of
%% reach (another gateway, another registered name, rpc, erpc).
client(SrvA, MyGw, OtherGw, Dir) ->
    Srv = list_to_atom(SrvA),
    Me = node(),
    {MyGw, Srv} ! {hello, Me, self()},
    R1 = receive {welcome, MyGw} -> reached after ?WAIT -> timeout end,
    {OtherGw, Srv} ! {hello, Me, self()},
    R2 = receive {welcome, OtherGw} -> reached after 1500 -> not_reached end,
    {vault, Srv} ! {hello, Me, self()},
    R3 = receive {welcome, vault} -> reached after 1500 -> not_reached end,
    R4 = try erpc:call(Srv, erlang, node, [], 3000) of
             _ -> reached
         catch error:{erpc, notsup} -> denied; C:E -> {C, E}
         end,
    R5 = case rpc:call(Srv, os, getpid, [], 3000) of
             {badrpc, _} -> denied;
             _ -> reached
         end,
    R6 = case catch gen_server:call({OtherGw, Srv}, hello, 3000) of
             {'EXIT', {noproc, _}} -> denied;
             Other -> Other
         end,
    {MyGw, Srv} ! {hello, Me, self()},
    R7 = receive {welcome, MyGw} -> reached after ?WAIT -> timeout end,
    file:write_file(filename:join(Dir, atom_to_list(node()) ++ ".result"),
                    io_lib:format("~p.~n", [[R1, R2, R3, R4, R5, R6, R7]])),
    halt().

%%% Agreement: b judges p's messages; test_filter's answers against the
%%% verdicts the daemon really gave (its counters, stats/0) and what was
%%% delivered.

-define(NAMES, [n1, n2, n3, n4, n5, n6]).

agree(PeerA, Dir) ->
    P = list_to_atom(PeerA),
    [start_rec(N) || N <- ?NAMES],
    register(agree, self()),
    Worker = spawn(fun victim/0),
    wait_file(filename:join(Dir, "peer_up"), 300),
    Ph1 = [distguard:add_filter(P, reg_send, n1, allow),
           distguard:add_filter(P, reg_send, n2, deny),
           distguard:add_filter(P, reg_send, n3, drop),
           distguard:set_filter(P, reg_send, reject),
           distguard:set_default_filter(reg_send, n5, allow),
           distguard:add_filter(P, spawn_request, {erlang, node, 0}, allow),
           distguard:add_filter(P, spawn_request, {os, '_', '_'}, deny),
           distguard:add_filter(P, spawn_request, {lists, reverse, 1}, drop),
           distguard:set_filter(P, send, allow),
           distguard:set_filter(P, link, deny),
           distguard:set_filter(P, monitor, allow),
           distguard:set_filter(P, exit, drop),
           distguard:set_filter(P, group_leader, deny)],
    say("phase 1 rules: ~0p", [Ph1]),
    %% The connection's own setup (p's first messages) settles first.
    _ = run_case(P, Worker, {reg_send, n1}),
    timer:sleep(1000),
    R1 = [run_case(P, Worker, C) || C <- cases()],
    Ph2 = [distguard:del_filter(P, reg_send, '_'),
           distguard:del_filter(P, reg_send, n2),
           distguard:add_filter(P, reg_send, n6, drop),
           distguard:add_filter(P, spawn_request, {os, getpid, 0}, allow),
           distguard:del_filter(P, spawn_request, {lists, reverse, 1}),
           distguard:set_filter(P, send, drop),
           distguard:set_filter(P, link, allow),
           distguard:set_filter(P, monitor, deny),
           distguard:set_filter(P, exit, allow),
           distguard:set_filter(P, group_leader, allow)],
    say("phase 2 rules: ~0p", [Ph2]),
    R2 = [run_case(P, Worker, C) || C <- cases()],
    All = R1 ++ R2,
    Bad = [X || {bad, _} = X <- All],
    say("agree cases ~b, disagreements ~b", [length(All), length(Bad)]),
    [say("disagree ~0p", [X]) || X <- Bad],
    {peer_ctl, P} ! stop,
    halt().

%% 25 messages: 9 reg_send, 6 spawn_request, send, link, 2 monitors,
%% exit, group_leader, and 4 more reg_send by repetition of the odd ones.
cases() ->
    [{reg_send, N} || N <- ?NAMES] ++
    [{reg_send, N} || N <- [n1, n4, n5]] ++
    [{spawn_request, MFA} || MFA <- [{erlang, node, 0}, {os, getpid, 0},
                                     {os, timestamp, 0}, {lists, reverse, 1},
                                     {erlang, self, 0}, {dgapi, noop, 0}]] ++
    [{send, none}, {link, none}, {monitor, none}, {monitor, n1},
     {exit, none}, {group_leader, none}] ++
    [{reg_send, N} || N <- [n2, n3, n6, n5]].

noop() -> ok.

victim() -> receive _ -> victim() end.

start_rec(N) ->
    register(N, spawn(fun() -> rec(N) end)).

rec(N) ->
    receive
        {case_msg, I} -> agree ! {delivered, N, I}, rec(N);
        _ -> rec(N)
    end.

%% Both directions' rows of the pair, summed.
counts(P) ->
    Ps = atom_to_binary(P, utf8),
    lists:foldl(fun({Peer, T, V, C}, Acc) when Peer =:= Ps ->
                        orddict:update_counter({T, V}, C, Acc);
                   (_, Acc) -> Acc
                end, orddict:new(), distguard:stats()).

%% One case: test_filter's answer, then the message for real; the
%% verdict is the counter of the case's type that moved.
run_case(P, Worker, {Type, Target} = Case) ->
    I = erlang:unique_integer([positive]),
    {Want, Rule} = distguard:test_filter(P, Type, Target),
    Before = counts(P),
    {peer_ctl, P} ! {do, I, Case, Worker, self()},
    Got = wait_verdict(P, Type, Before, 60),
    Delivered = receive {delivered, _, I} -> true after 300 -> false end,
    Ok = Got =:= Want andalso
        (Type =/= reg_send orelse Delivered =:= (Want =:= allow)),
    say("case ~0p: test_filter ~0p (~0p), daemon ~0p, delivered ~0p: ~s",
        [Case, Want, Rule, Got, Delivered, if Ok -> "agree"; true -> "DISAGREE" end]),
    flush(),
    case Ok of
        true -> ok;
        false -> {bad, {Case, Want, Got, Delivered}}
    end.

flush() -> receive _ -> flush() after 0 -> ok end.

wait_verdict(_, _, _, 0) -> none;
wait_verdict(P, Type, Before, K) ->
    After = counts(P),
    Moved = [V || {{T, V}, C} <- After, T =:= Type,
                  C > proplists:get_value({T, V}, Before, 0)],
    case Moved of
        [V] -> V;
        [] -> timer:sleep(50), wait_verdict(P, Type, Before, K - 1);
        Many -> {several, Many}
    end.

%% The peer: does what b asks, each case in a fresh process that traps
%% exits (a denied link answers with an exit signal).
agree_peer() ->
    register(peer_ctl, self()),
    say("peer ready", []),
    agree_loop().

agree_loop() ->
    receive
        stop -> halt();
        {do, I, Case, Worker, Ctl} ->
            spawn(fun() -> process_flag(trap_exit, true),
                           do_case(I, Case, Worker, node(Ctl)) end),
            agree_loop()
    after 120000 -> halt()
    end.

do_case(I, {reg_send, N}, _, B) -> {N, B} ! {case_msg, I};
do_case(_, {spawn_request, {M, F, A}}, _, B) ->
    erlang:spawn_request(B, M, F, lists:duplicate(A, []), []);
do_case(I, {send, none}, W, _) -> W ! {case_msg, I};
do_case(_, {link, none}, W, _) -> link(W);
do_case(_, {monitor, none}, W, _) -> erlang:monitor(process, W);
do_case(_, {monitor, N}, _, B) -> erlang:monitor(process, {N, B});
do_case(_, {exit, none}, W, _) -> exit(W, normal);
do_case(_, {group_leader, none}, W, _) -> group_leader(self(), W).

%%% Containment: a changes only its own rules, whatever it tries.

contain_b(Dir) ->
    register(gateway, spawn(fun() -> gw(gateway) end)),
    say("b ready", []),
    wait_file(filename:join(Dir, "b_check"), 900),
    X = node_named("x"),
    say("b policy: ~0p", [distguard:policy()]),
    say("b test x reg_send foo: ~0p", [distguard:test_filter(X, reg_send, foo)]),
    say("b test a spawn: ~0p", [distguard:test_filter(node_named("a"),
                                spawn_request, {erlang, node, 0})]),
    wait_file(filename:join(Dir, "stop"), 900),
    halt().

contain_a(BA, Dir) ->
    B = list_to_atom(BA),
    X = node_named("x"),
    pong = net_adm:ping(B),
    %% 1. its own API: its own rules only
    say("own set_filter: ~0p", [distguard:set_filter(X, reg_send, allow)]),
    say("own add_filter on b's name: ~0p",
        [distguard:add_filter(B, spawn_request, {erlang, node, 0}, allow)]),
    say("a test x: ~0p", [distguard:test_filter(X, reg_send, foo)]),
    %% 2. b's distguard_epmd, over distribution
    Forged = [atom_to_binary(B, utf8), atom_to_binary(X, utf8),
              <<"reg_send">>, <<"allow">>],
    say("remote distguard_epmd call: ~0p",
        [catch gen_server:call({distguard_epmd, B}, {api, 1, Forged}, 5000)]),
    %% 3. b's API run on b by rpc (b's policy does not let a run code)
    say("rpc to b's API: ~0p",
        [catch erpc:call(B, distguard, set_filter, [X, reg_send, allow], 3000)]),
    %% 4. a forged name on a's own registration connection: the request
    %% says b, the connection is a's
    S = element(2, sys:get_state(distguard_epmd)),
    Body = iolist_to_binary([<<$A, 77:32, 1, 4>> |
                             [<<(byte_size(A)):16, A/binary>> || A <- Forged]]),
    ok = gen_tcp:send(S, [<<(byte_size(Body)):16>>, Body]),
    timer:sleep(500),
    %% 5. the API still works for a afterwards
    say("a policy after: ~0p", [distguard:policy()]),
    file:write_file(filename:join(Dir, "b_check"), <<>>),
    %% 6. garbage on the registration connection (an op with the wrong
    %% number of args): the registration ends, a registers again, and
    %% its changes are gone with the old registration
    Bad = <<$A, 78:32, 1, 1, 3:16, "abc">>,
    ok = gen_tcp:send(S, [<<(byte_size(Bad)):16>>, Bad]),
    wait_file(filename:join(Dir, "reregistered"), 150),
    say("a policy after garbage: ~0p", [distguard:policy()]),
    wait_file(filename:join(Dir, "stop"), 900),
    halt().

%%% Timing: p sends to b's gateway every millisecond; b denies it with
%%% set_filter and reports when that returned; p's log says when each
%%% message left.

timing(PeerA, Dir) ->
    P = list_to_atom(PeerA),
    Self = self(),
    register(tgw, spawn(fun() -> tgw(Self, 0) end)),
    ok = distguard:add_filter(P, reg_send, tgw, allow),
    ok = distguard:set_filter(P, link, allow),
    say("b ready", []),
    receive {first, _} -> ok after 30000 -> say("no traffic", []), halt() end,
    timer:sleep(300),
    T0 = os:system_time(microsecond),
    ok = distguard:add_filter(P, reg_send, tgw, deny),
    T1 = os:system_time(microsecond),
    timer:sleep(500),
    tgw ! {last, self()},
    Last = receive {last_seq, L} -> L after 2000 -> none end,
    say("set_filter called at ~b returned at ~b (~b us); last delivered ~p",
        [T0, T1, T1 - T0, Last]),
    file:write_file(filename:join(Dir, "timing"),
                    io_lib:format("~b ~b ~p~n", [T0, T1, Last])),
    wait_file(filename:join(Dir, "stop"), 900),
    halt().

tgw(Parent, Last) ->
    receive
        {seq, S, _Ts} ->
            Last =:= 0 andalso (Parent ! {first, S}),
            tgw(Parent, S);
        {last, From} -> From ! {last_seq, Last}, tgw(Parent, Last)
    end.

timing_peer(BA, Dir) ->
    B = list_to_atom(BA),
    Sent = tsend(B, 1, 3000, []),
    file:write_file(filename:join(Dir, "sent"),
                    [io_lib:format("~b ~b~n", [S, T]) || {S, T} <- Sent]),
    halt().

tsend(_, S, N, Acc) when S > N -> lists:reverse(Acc);
tsend(B, S, N, Acc) ->
    T = os:system_time(microsecond),
    {tgw, B} ! {seq, S, T},
    timer:sleep(1),
    tsend(B, S + 1, N, [{S, T} | Acc]).
