%% SPDX-License-Identifier: Apache-2.0
%% dgaudit - t_audit.sh's legitimate battery and b's side of it.
%% serve/0 (on b): a global name and a pg scope, for the battery to use.
%% battery/1 (on the peer): every step against node Node, one line each,
%% "step Name ok" or "step Name failed: Why"; returns the failures' count.
-module(dgaudit).
-export([serve/0, battery/1, sleeper/0]).

serve() ->
    {ok, _} = pg:start_link(),
    P = spawn(fun() -> receive stop -> ok after 150000 -> ok end end),
    yes = global:register_name(b_srv, P),
    io:format("dgaudit ready~n"),
    ok.

sleeper() ->
    receive stop -> ok after 10000 -> ok end.

battery(Node) ->
    Steps = [{ping, fun() -> pong = net_adm:ping(Node) end},
             {gen_server, fun() -> pong = gen_server:call({dgt_gs, Node}, ping, 5000) end},
             {erpc, fun() -> Node = erpc:call(Node, erlang, node, [], 5000) end},
             {spawn_request, fun() -> spawn_request(Node) end},
             {link, fun() -> link_step(Node) end},
             {monitor, fun() -> monitor_step(Node) end},
             {global, fun() -> global_step(Node) end},
             {pg, fun() -> pg_step(Node) end},
             {remote_io, fun() -> io_step(Node) end},
             {large_message, fun() -> large(Node) end}],
    length([failed || {Name, F} <- Steps, run(Name, F) =/= ok]).

run(Name, F) ->
    R = try F(), ok catch C:E -> {C, E} end,
    case R of
        ok -> io:format("step ~p ok~n", [Name]);
        _ -> io:format("step ~p failed: ~0p~n", [Name, R])
    end,
    R.

spawn_request(Node) ->
    Ref = erlang:spawn_request(Node, dgaudit, sleeper, [], [monitor]),
    receive
        {spawn_reply, Ref, ok, Pid} -> Pid ! stop, ok;
        {spawn_reply, Ref, error, Why} -> error({spawn_reply, Why})
    after 5000 -> error(timeout)
    end.

%% A process of b's, spawned for this peer (so disclosed to it).
remote_sleeper(Node) ->
    Ref = erlang:spawn_request(Node, dgaudit, sleeper, [], []),
    receive
        {spawn_reply, Ref, ok, Pid} -> Pid;
        {spawn_reply, Ref, error, Why} -> error({spawn_reply, Why})
    after 5000 -> error(timeout)
    end.

link_step(Node) ->
    process_flag(trap_exit, true),
    Pid = remote_sleeper(Node),
    true = link(Pid),
    Pid ! stop,
    receive {'EXIT', Pid, normal} -> ok after 5000 -> error(no_exit) end.

monitor_step(Node) ->
    Pid = remote_sleeper(Node),
    Ref = erlang:monitor(process, Pid),
    Pid ! stop,
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> error(no_down) end.

global_step(Node) ->
    true = net_kernel:connect_node(Node),
    ok = global:sync(),
    yes = global:register_name({audit_peer, node()}, self()),
    P = global:whereis_name(b_srv),
    true = is_pid(P) andalso node(P) =:= Node,
    _ = global:unregister_name({audit_peer, node()}),
    ok.

pg_step(Node) ->
    {ok, _} = case whereis(pg) of
                  undefined -> pg:start_link();
                  Pg -> {ok, Pg}
              end,
    ok = pg:join(audit_group, self()),
    wait_member(Node, 50).

wait_member(_, 0) -> error(not_a_member_on_b);
wait_member(Node, N) ->
    case lists:member(self(), erpc:call(Node, pg, get_members, [audit_group], 5000)) of
        true -> ok;
        false -> timer:sleep(100), wait_member(Node, N - 1)
    end.

%% rpc's io:format on b, its output coming back to a group leader of ours
%% that keeps what it is asked to write.
io_step(Node) ->
    Me = self(),
    GL = spawn(fun() -> io_server(Me, []) end),
    Old = group_leader(),
    group_leader(GL, self()),
    R = rpc:call(Node, io, format, ["hello from ~s~n", [b]], 5000),
    group_leader(Old, self()),
    ok = R,
    GL ! {get, self()},
    receive {text, T} ->
            case string:find(T, "hello from b") of
                nomatch -> error({io_not_back, T});
                _ -> ok
            end
    after 5000 -> error(no_io)
    end.

io_server(Me, Acc) ->
    receive
        {io_request, From, ReplyAs, Req} ->
            From ! {io_reply, ReplyAs, ok},
            io_server(Me, [io_text(Req) | Acc]);
        {get, P} -> P ! {text, lists:flatten(lists:reverse(Acc))}
    end.

io_text({put_chars, _Enc, Chars}) -> unicode:characters_to_list(Chars);
io_text({put_chars, _Enc, M, F, A}) -> lists:flatten(apply(M, F, A));
io_text(_) -> "".

large(Node) ->
    Bin = binary:copy(<<7>>, 1048576),
    {echo, Node} ! {self(), Bin},
    receive {echo, Bin} -> ok after 10000 -> error(no_echo) end.
