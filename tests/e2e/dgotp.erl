%% SPDX-License-Identifier: Apache-2.0
%% dgotp - what the t_otp_*.sh suites run on their nodes (issue 18).
%% watch/0 (on the protected node): every 250 ms prints one line
%%   "state N Pids Atoms GN"
%% with a counter, the pids of the kernel servers a crash would replace,
%% the atom count, and whether global:registered_names() answered within
%% a second.  attack/2 (on a peer that holds the cookie): connects, lets
%% global sync, sends one message of an OTP protocol with a field of the
%% wrong type, and returns what the send returned.
-module(dgotp).
-export([watch/0, attack/2, behaviours/2, sys_allowed/1,
         probe/0, spawns/2, legacy/2]).

-define(KERNEL, [global_name_server, net_kernel, rex,
                 application_controller, code_server]).

watch() ->
    spawn(fun() -> watch(0) end),
    ok.

watch(N) ->
    Pids = [whereis(P) || P <- ?KERNEL],
    io:format("state ~p ~w ~p ~p~n",
              [N, Pids, erlang:system_info(atom_count), names_answer()]),
    timer:sleep(250),
    watch(N + 1).

names_answer() ->
    Self = self(),
    P = spawn(fun() -> Self ! {gn, self(), catch global:registered_names()} end),
    receive
        {gn, P, L} when is_list(L) -> ok;
        {gn, P, _} -> error
    after 1000 -> hung
    end.

%% The message, by name; each crashed its server on OTP 25 with stock
%% global, net_kernel and rpc.
bad(Node, init_connect_vsn) ->
    gen_server:cast({global_name_server, Node},
                    {init_connect, {1}, node(),
                     {locker, no_longer_a_pid, [], self()}});
bad(Node, new_nodes_ops) ->
    gen_server:cast({global_name_server, Node},
                    {new_nodes, node(),
                     [{insert, {dgotp_name, not_a_pid,
                                fun global:random_exit_name/3}}],
                     [], [], [{vsn, 8}, {lock, {global, x}}]});
bad(Node, init_connect_v4) ->
    gen_server:cast({global_name_server, Node},
                    {init_connect, {4, 1}, node(),
                     {locker, no_longer_a_pid, [], self()}});
bad(Node, lock_set_pid) ->
    gen_server:cast({global_name_server, Node},
                    {lock_set, not_a_pid, true, [], 1});
bad(Node, set_lock_id) ->
    catch gen_server:call({global_name_server, Node},
                          {set_lock, not_a_lock_id}, 2000);
bad(Node, register_pid) ->
    catch gen_server:call({global_name_server, Node},
                          {register, dgotp_name, not_a_pid,
                           fun global:random_exit_name/3}, 2000);
bad(Node, is_auth_from) ->
    {net_kernel, Node} ! {'$gen_call', not_a_from, {is_auth, node()}};
bad(Node, features_from) ->
    {rex, Node} ! {42, features_request}.

attack(Node, Kind) ->
    true = net_kernel:connect_node(Node),
    ok = global:sync(),
    R = bad(Node, Kind),
    timer:sleep(1500),
    {sent, Kind, element(1, {R})}.

%% Issue 18 item 6: OTP's behaviour protocols through names a rule allows.
%% Returns one result per request, each tagged, so that the suite can
%% tell what was answered from what was refused.
behaviours(Node, Marker) ->
    true = net_kernel:connect_node(Node),
    Tag = fun(T, R) -> {T, case R of {'EXIT', _} -> refused; _ -> answered end} end,
    S1 = Tag(sys_get_state, catch sys:get_state({dgt_gs, Node}, 2000)),
    S2 = Tag(sys_suspend, catch sys:suspend({dgt_gs, Node}, 2000)),
    Spec = #{id => dgotp_child, start => {os, cmd, ["touch " ++ Marker]}},
    %% supervisor:start_child/2 and which_children/1 as they call, with a
    %% timeout: a denied call is never answered.
    S3 = Tag(start_child, catch gen_server:call({kernel_sup, Node},
                                                {start_child, Spec}, 2000)),
    S4 = Tag(which_children, catch gen_server:call({kernel_sup, Node},
                                                   which_children, 2000)),
    Gs = (catch gen_server:call({dgt_gs, Node}, whoami, 2000)),
    {dgt_gs, Node} ! {'EXIT', Gs, kill},
    timer:sleep(1000),
    S5 = Tag(ping_after, catch gen_server:call({dgt_gs, Node}, ping, 2000)),
    [S1, S2, S3, S4, S5].

%% The same sys request by a peer whose rule names sys.
sys_allowed(Node) ->
    true = net_kernel:connect_node(Node),
    catch sys:get_state({dgt_gs, Node}, 2000).

%% Issue 18 item 5: spawn_request with options, as a peer sends them.
%% Each case: {Name, Opts}; returns [{Name, spawned | refused}].
probe() ->
    receive stop -> ok after 3000 -> ok end.

spawn_with(Node, Opts) ->
    Ref = erlang:spawn_request(Node, dgotp, probe, [], Opts),
    receive
        {spawn_reply, Ref, ok, _Pid} -> spawned;
        {spawn_reply, Ref, error, _} -> refused
    after 3000 -> refused
    end.

%% A pid of node Other: what a peer can make of a third node's name.
pid_of(Other) ->
    N = atom_to_binary(Other, utf8),
    binary_to_term(<<131, 88, 119, (byte_size(N)), N/binary,
                     5:32, 0:32, 1:32>>).

spawns(Node, Cases) ->
    true = net_kernel:connect_node(Node),
    [{Name, case Opts of
                {gl, Other} ->
                    Old = group_leader(),
                    group_leader(pid_of(Other), self()),
                    R = spawn_with(Node, [monitor]),
                    group_leader(Old, self()),
                    R;
                _ -> spawn_with(Node, Opts)
            end} || {Name, Opts} <- Cases].

%% Code requests of the legacy kind: {Server, Req} sent as a gen_server
%% call to net_kernel or rex on Node; Req may name the atom own_pid for a
%% pid of Node itself.  spawned when the server answered, refused when
%% distguard held the call back.
legacy(Node, Cases) ->
    true = net_kernel:connect_node(Node),
    Own = pid_of(Node),
    [{Name, legacy_call(Server, Node, own(Req, Own))}
     || {Name, Server, Req} <- Cases].

%% rex by its plain-message form ({From, Req}, answered {rex, Reply}):
%% its gen_server call needs a monitor of rex that a policy may not allow.
legacy_call(rex, Node, Req) ->
    {rex, Node} ! {self(), Req},
    receive {rex, _} -> spawned after 5000 -> refused end;
legacy_call(Server, Node, Req) ->
    case catch gen_server:call({Server, Node}, Req, 5000) of
        {'EXIT', _} -> refused;
        _ -> spawned
    end.

own(Req, Own) ->
    list_to_tuple([case E of own_pid -> Own; _ -> E end
                   || E <- tuple_to_list(Req)]).
