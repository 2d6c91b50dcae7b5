%% SPDX-License-Identifier: Apache-2.0
%% dgt_handler - the handlers of t_guard.sh and t_handler_msg.sh.
%%
%% {handler, spawn_request, dgt_handler} (t_guard.sh): dist_spawn_init/4
%% logs each call it is given to $DGT_HANDLER_LOG, then runs it, so the
%% caller gets what the original function returns.
%%
%% {handler, reg_send | send | alias_send | group_leader, dgt_handler}
%% (t_handler_msg.sh, docs/FILTER.md 26): each logs its arguments, then
%% answers {handled, Type, Node, From, To, Msg} to From (a '$gen_call'
%% through gen:reply, as the server would); group_leader/3 answers
%% {handled, group_leader, Node, GroupLeader, Pid, none} to GroupLeader.
%% The message `crash` makes the handler crash.
%%
%% On the peers' side: owner/1 (spawned on the protected node) is the real
%% target of sends, alias sends and group_leader calls, and reports what
%% it gets; the peer_* functions are what each peer of the suite runs.
-module(dgt_handler).
-export([dist_spawn_init/4]).
-export([reg_send/4, send/4, alias_send/4, group_leader/3]).
-export([owner/1, peer_reg_send/0, peer_by_pid/1, peer_group_leader/0,
         peer_crash/0, peer_denied/0, peer_fun/0, peer_atoms/1,
         peer_large/0, peer_live/1, peer_flood/2, peer_leave/2,
         count_handlers/0]).

log_file() -> os:getenv("DGT_HANDLER_LOG", "dgt_handler.log").

log(Fmt, Args) ->
    ok = file:write_file(log_file(), io_lib:format(Fmt, Args), [append]).

dist_spawn_init(Peer, M, F, A) ->
    log("~p ~p ~p ~p~n", [Peer, M, F, A]),
    apply(M, F, A).

%%% The message handlers, on the protected node

reg_send(Node, From, To, Msg) -> handled(reg_send, Node, From, To, Msg).
send(Node, From, To, Msg) -> handled(send, Node, From, To, Msg).
alias_send(Node, From, To, Msg) -> handled(alias_send, Node, From, To, Msg).

group_leader(Node, GL, Pid) ->
    log("handled group_leader ~p ~p ~p~n", [Node, GL, Pid]),
    GL ! {handled, group_leader, Node, GL, Pid, none}.

%% A handler that outlives its spawn: the guard's bound is on these.
handled(_Type, _Node, _From, _To, {dg_sleep, Ms}) ->
    log("sleeper~n", []),
    timer:sleep(Ms);
handled(Type, Node, From, To, Msg) ->
    log("handled ~p ~p ~p ~p ~0p~n", [Type, Node, From, To, Msg]),
    case Msg of
        crash ->
            erlang:error(dgt_handler_crash);
        {'$gen_call', {_, _} = Caller, Req} ->
            gen:reply(Caller, {handled, Type, Node, From, To, Req});
        _ ->
            From ! {handled, Type, Node, From, To, Msg}
    end.

%%% The real target: reports what it receives

owner(Peer) ->
    Peer ! {owner, self(), alias()},
    owner_loop(Peer).

owner_loop(Peer) ->
    receive
        {report_gl, From} -> From ! {gl, group_leader()};
        M -> Peer ! {target_got, M}
    end,
    owner_loop(Peer).

%%% The peers

%% Whatever else reached the caller within Ms: [] when nothing did.
strays(Ms) ->
    receive M -> [M | strays(0)] after Ms -> [] end.

reply(Ms) ->
    receive {handled, _, _, _, _, _} = H -> H after Ms -> timeout end.

%% {gateway, Node} ! Msg and a gen_server call to gateway, through the
%% reg_send handler.
peer_reg_send() ->
    B = list_to_atom(os:getenv("DGT_B")),
    Me = self(), N = node(),
    {gateway, B} ! dg_m1,
    R1 = case reply(5000) of
             {handled, reg_send, N, Me, gateway, dg_m1} -> ok;
             O1 -> {bad_reply, O1}
         end,
    R2 = case catch gen_server:call({gateway, B}, dg_req, 5000) of
             {handled, reg_send, N, Me, gateway, dg_req} -> ok;
             O2 -> {bad_call, O2}
         end,
    {R1, R2, strays(1000)}.

%% A send to a pid (send) or to an alias (alias_send) of owner/1.
peer_by_pid(How) ->
    B = list_to_atom(os:getenv("DGT_B")),
    Me = self(), N = node(),
    _ = spawn(B, ?MODULE, owner, [Me]),
    receive
        {owner, P, A} ->
            {Type, To} = case How of send -> {send, P};
                                        alias -> {alias_send, A} end,
            To ! dg_m2,
            R = case reply(5000) of
                    {handled, Type, N, Me, To, dg_m2} -> ok;
                    O -> {bad_reply, O}
                end,
            {R, strays(1000)}
    after 5000 -> no_owner
    end.

%% group_leader(self(), Pid) on owner/1: the handler runs, owner's group
%% leader stays its own.
peer_group_leader() ->
    B = list_to_atom(os:getenv("DGT_B")),
    Me = self(), N = node(),
    _ = spawn(B, ?MODULE, owner, [Me]),
    receive
        {owner, P, _} ->
            group_leader(Me, P),
            R = case reply(5000) of
                    {handled, group_leader, N, Me, P, none} -> ok;
                    O -> {bad_reply, O}
                end,
            timer:sleep(300),
            P ! {report_gl, Me},
            G = receive {gl, GL} when GL =:= Me -> changed;
                        {gl, _} -> unchanged
                after 5000 -> no_gl end,
            {R, G, strays(1000)}
    after 5000 -> no_owner
    end.

%% A handler that crashes: the connection stays, the next message runs.
peer_crash() ->
    B = list_to_atom(os:getenv("DGT_B")),
    Me = self(), N = node(),
    {gateway, B} ! crash,
    timer:sleep(1000),
    Up = lists:member(B, nodes()),
    {gateway, B} ! dg_after,
    R = case reply(5000) of
            {handled, reg_send, N, Me, gateway, dg_after} -> ok;
            O -> {bad_reply, O}
        end,
    {Up, R, strays(500), lists:member(B, nodes())}.

%% A name the rules deny: not rewritten, no handler runs.
peer_denied() ->
    B = list_to_atom(os:getenv("DGT_B")),
    {vault, B} ! dg_denied,
    {reply(2000), strays(500)}.

%% A fun under a handler: the code guard refuses it first.
peer_fun() ->
    B = list_to_atom(os:getenv("DGT_B")),
    {gateway, B} ! {dg_fun, fun() -> ok end},
    {reply(2000), strays(500)}.

%% One message of N fresh atoms under a handler: the atom budget first.
peer_atoms(N) ->
    B = list_to_atom(os:getenv("DGT_B")),
    {gateway, B} ! [list_to_atom("dg_hb_" ++ integer_to_list(I))
                    || I <- lists:seq(1, N)],
    {reply(2000), strays(500)}.

%% A message of 300 KB: in fragments, it cannot be rewritten.
peer_large() ->
    B = list_to_atom(os:getenv("DGT_B")),
    {gateway, B} ! {dg_large, binary:copy(<<7>>, 300000)},
    R1 = reply(3000),
    %% the connection stays: a small one is handled
    {gateway, B} ! dg_small,
    {R1, reply(5000)}.

%% N handlers that sleep Ms each, sent in batches of 100 50 ms apart
%% (time for the spawns' replies to come back: what frees a ref is the
%% handler's end, not its spawn's reply); then, once they have ended, one
%% more message: {Reply, Connected}.
peer_flood(N, Ms) ->
    B = list_to_atom(os:getenv("DGT_B")),
    [begin
         [{gateway, B} ! {dg_sleep, Ms} || _ <- lists:seq(1, 100)],
         timer:sleep(50)
     end || _ <- lists:seq(1, N div 100)],
    timer:sleep(Ms + 3000),
    {gateway, B} ! dg_after,
    {reply(5000), lists:member(B, nodes())}.

%% N handlers that sleep Ms each, then the peer leaves (its caller halts
%% the node): they must not outlive its connection.
peer_leave(N, Ms) ->
    B = list_to_atom(os:getenv("DGT_B")),
    [{gateway, B} ! {dg_sleep, Ms} || _ <- lists:seq(1, N)],
    timer:sleep(1500),
    lists:member(B, nodes()).

%% On the protected node: the message handlers' processes alive.
count_handlers() ->
    length([P || P <- processes(),
                 lists:member(process_info(P, initial_call),
                              [{initial_call, {?MODULE, F, 4}}
                               || F <- [reg_send, send, alias_send]])]).

%% A live connection: a plain send first, then (once the test set the
%% handler through the API and touched Flag) the same send handled.
peer_live(Flag) ->
    B = list_to_atom(os:getenv("DGT_B")),
    {gateway, B} ! {self(), count},
    R1 = receive {count, C} -> {count, C} after 5000 -> timeout end,
    io:format("phase1 ~p~n", [R1]),
    wait_flag(Flag, 100),
    {gateway, B} ! dg_live,
    Me = self(), N = node(),
    R2 = case reply(5000) of
             {handled, reg_send, N, Me, gateway, dg_live} -> handled;
             O -> O
         end,
    {R1, R2, lists:member(B, nodes())}.

wait_flag(_, 0) -> timeout;
wait_flag(Flag, K) ->
    case filelib:is_file(Flag) of
        true -> ok;
        false -> timer:sleep(100), wait_flag(Flag, K - 1)
    end.
