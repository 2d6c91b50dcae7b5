%% SPDX-License-Identifier: Apache-2.0
%% dgio - what t_io_gl.sh runs (issue 18 item 6, io requests by pid).
%% on_b/0 (on the protected node b): whenever a peer node comes up, calls
%% it the ways that hand it one of b's processes as a group leader (rpc,
%% erpc, spawn/4, group_leader/2), each leader a capture process of b that
%% records the output it is sent, and prints what came back:
%%   "ioresult Peer [{Tag, Result, Captured}, ...]"
%% Then it shows the peer a capture process in a plain message, never as a
%% group leader (the victim), and after 4 s prints what that one got:
%%   "victim Peer Captured"
%% peer/1 (on the peer): waits for the victim, sends it an io request as
%% any cookie holder could, and returns whether it was answered.
-module(dgio).
-export([on_b/0, peer/1, remote_loop/0]).

on_b() ->
    spawn(fun() ->
                  ok = net_kernel:monitor_nodes(true),
                  io:format("dgio watching~n"),
                  nodes_loop()
          end),
    ok.

nodes_loop() ->
    receive
        {nodeup, N} -> spawn(fun() -> session(N) end), nodes_loop();
        _ -> nodes_loop()
    end.

session(N) ->
    timer:sleep(500),
    R = [rpc_format(N), erpc_format(N), rpc_get_line(N), spawn4(N),
         gl_op(N), rex_call(N), rex_cast(N), nk_spawn(N)],
    io:format("ioresult ~s ~s~n", [N, one_line(R)]),
    Victim = cap(),
    {dgio_peer, N} ! {victim, Victim, self()},
    timer:sleep(4000),
    io:format("victim ~s ~s~n", [N, one_line(captured(Victim))]).

%% ~p on one line, strings as strings.
one_line(T) -> io_lib:print(T, 1, 1000000, -1).

%% rpc:call: erpc's spawn_request on OTP 23+ (rex's {call, ..., GL} for a
%% peer without it).
rpc_format(N) ->
    C = cap(),
    R = with_gl(C, fun() -> rpc:call(N, io, format, ["hello-rpc~n"], 5000) end),
    {rpc, R, captured(C)}.

erpc_format(N) ->
    C = cap(),
    R = with_gl(C, fun() -> erpc:call(N, io, format, ["hello-erpc~n"], 5000) end),
    {erpc, R, captured(C)}.

%% Input: the peer's process reads a line from b's leader.
rpc_get_line(N) ->
    C = cap(),
    R = with_gl(C, fun() -> rpc:call(N, io, get_line, ['say> '], 5000) end),
    {get_line, R, captured(C)}.

%% rex's own forms, as rpc sends them to a node without erpc: the leader
%% is the request's last element.
rex_call(N) ->
    C = cap(),
    R = with_gl(C, fun() ->
                           gen_server:call({rex, N}, {call, io, format,
                                                      ["hello-rex~n"], group_leader()}, 5000)
                   end),
    {rex_call, R, captured(C)}.

rex_cast(N) ->
    C = cap(),
    R = with_gl(C, fun() ->
                           gen_server:cast({rex, N}, {cast, io, format,
                                                      ["hello-cast~n"], group_leader()})
                   end),
    timer:sleep(1000),
    {rex_cast, R, captured(C)}.

%% net_kernel's legacy spawn, as spawn/4 sends it to a node without
%% spawn_request.
nk_spawn(N) ->
    C = cap(),
    R = with_gl(C, fun() ->
                           P = gen_server:call({net_kernel, N}, {spawn, io, format,
                                                                 ["hello-nk~n"], group_leader()}, 5000),
                           is_pid(P)
                   end),
    timer:sleep(1000),
    {nk_spawn, R, captured(C)}.

%% spawn/4: the new process's leader is the caller's.
spawn4(N) ->
    C = cap(),
    R = with_gl(C, fun() -> spawn(N, io, format, ["hello-spawn~n"]), ok end),
    timer:sleep(1000),
    {spawn4, R, captured(C)}.

%% erlang:group_leader/2 on a process of the peer: the GROUP_LEADER
%% signal names the new leader, here a capture process handed nowhere else.
gl_op(N) ->
    C0 = cap(),
    C = cap(),
    R = with_gl(C0, fun() ->
                            P = spawn(N, dgio, remote_loop, []),
                            true = group_leader(C, P),
                            P ! {say, "hello-gl~n", self()},
                            receive {said, P} -> ok after 5000 -> timeout end
                    end),
    {group_leader, R, captured(C)}.

%% On the peer: prints what b asks it to, to its (new) group leader.
remote_loop() ->
    receive
        {say, S, From} -> io:format(S), From ! {said, self()}, remote_loop()
    after 20000 -> ok
    end.

with_gl(GL, F) ->
    Self = self(),
    P = spawn(fun() -> group_leader(GL, self()), Self ! {res, self(), catch F()} end),
    receive {res, P, R} -> R after 10000 -> timeout end.

%% A minimal io server that records what it is asked to write and answers
%% a read with "typed\n".
cap() -> spawn(fun() -> cap_loop([]) end).

captured(C) ->
    C ! {get, self()},
    receive {got, C, S} -> S after 2000 -> noanswer end.

cap_loop(Acc) ->
    receive
        {io_request, From, ReplyAs, Req} ->
            {Reply, Acc1} = cap_req(Req, Acc),
            From ! {io_reply, ReplyAs, Reply},
            cap_loop(Acc1);
        {get, From} ->
            From ! {got, self(), lists:flatten(lists:reverse(Acc))},
            cap_loop(Acc)
    after 60000 -> ok
    end.

cap_req({put_chars, _Enc, Chars}, Acc) ->
    {ok, [unicode:characters_to_list(Chars) | Acc]};
cap_req({put_chars, Enc, M, F, A}, Acc) ->
    cap_req({put_chars, Enc, apply(M, F, A)}, Acc);
cap_req({get_line, _Enc, Prompt}, Acc) ->
    {"typed\n", [io_lib:format("~s", [Prompt]) | Acc]};
cap_req({requests, Rs}, Acc) ->
    lists:foldl(fun(R, {_, A}) -> cap_req(R, A) end, {ok, Acc}, Rs);
cap_req(_, Acc) ->
    {{error, request}, Acc}.

%% On the peer: b shows it the victim in a plain message; the peer sends
%% the victim an io request, as any cookie holder could.
peer(Node) ->
    register(dgio_peer, self()),
    true = net_kernel:connect_node(Node),
    receive
        {victim, V, _From} ->
            Ref = make_ref(),
            V ! {io_request, self(), Ref, {put_chars, unicode, "x-attack\n"}},
            R = receive {io_reply, Ref, _} -> replied after 2000 -> no_reply end,
            timer:sleep(2500),
            {victim, R}
    after 30000 -> no_victim
    end.
