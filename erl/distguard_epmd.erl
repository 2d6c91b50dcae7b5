%% SPDX-License-Identifier: Apache-2.0
%% distguard_epmd - the EPMD module of a node behind distguard.
%%
%% Start a node with `-epmd_module distguard_epmd -pa <this ebin>` (OTP 27
%% and later: `-kernel epmd_module distguard_epmd`).  It replaces erl_epmd
%% for inet_tcp_dist and inet6_tcp_dist, and differs from it in what
%% matters to distguard:
%%
%%  * registration: ALIVE2 to the local distguard, with the mediated mark
%%    ("distguard1") in front of Extra, so distguard can tell this node
%%    from a stock one; the daemon takes the mark off before any peer sees
%%    Extra;
%%  * re-registration: a gen_server owns the registration connection; when
%%    it closes (the daemon was restarted), it reconnects with backoff
%%    (50 ms doubling to 500 ms) and registers the same name and port;
%%  * the first registration too: a node that boots while distguard is
%%    not answering yet (a release unit started before distguard.service
%%    is ready) retries with the same backoff for up to 60 s, with a
%%    logger warning, instead of failing its boot with econnrefused;
%%  * every node this node dials is reached through distguard:
%%    address_please/3 asks the daemon for an egress port (distguard's
%%    EGRESS_REQ, epmd/epmd_proto.h) and answers a loopback address, so
%%    the node never learns nor dials a remote address.  The request goes
%%    on the registration connection, through the gen_server that owns
%%    it: distguard answers it nowhere else, so that no other process of
%%    the host can take egress ports;
%%  * a node that does not listen (-dist_listen false, the helpers of
%%    release scripts) never registers, so it has no egress: it dials the
%%    nodes of this host at their filtering listeners (PORT_PLEASE2 to
%%    distguard) and no other node;
%%  * -erl_epmd_port and erl_epmd_node_listen_port (which skip EPMD and
%%    would skip distguard) are ignored, with a log line saying so.
-module(distguard_epmd).
-behaviour(gen_server).

%% The callbacks net_kernel, inet_tcp_dist and net_adm call.
-export([start_link/0,
         register_node/2, register_node/3,
         port_please/2, port_please/3,
         address_please/3,
         names/0, names/1,
         listen_port_please/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2, code_change/3]).

-define(DEFAULT_EPMD_PORT, 4369).
-define(MARK, <<"distguard1">>).
-define(REQ_ALIVE2, $x).
-define(RESP_ALIVE2_X, $v).
-define(RESP_ALIVE2, $y).
-define(REQ_PORT_PLEASE2, $z).
-define(RESP_PORT2, $w).
-define(REQ_NAMES, $n).
-define(REQ_EGRESS, $E).
-define(RESP_EGRESS, $e).
-define(REQ_API, $A).
-define(RESP_API, $a).
%% Largest API reply body the daemon sends (epmd/epmd_proto.h EPMD_API_REPLY_MAX).
-define(API_BODY_MAX, 196608).
%% The handshake versions this module registers (OTP 23..28 all speak 6).
-define(VSN_HIGH, 6).
-define(VSN_LOW, 5).
%% Every exchange with the daemon is bounded.
-define(CONNECT_TIMEOUT, 5000).
-define(REPLY_TIMEOUT, 10000).
-define(BACKOFF_FIRST, 50).
-define(BACKOFF_MAX, 500).
%% After distguard refused the name (in use, unmediated, exposed), asking
%% again every 500 ms would only fill its log: a refusal waits longer.
-define(BACKOFF_REFUSED, 5000).
-define(NAMES_MAX, 1048576).
%% How long the first registration waits for a distguard that does not
%% answer yet (booting after the node): then the node's boot fails.
-define(FIRST_WAIT, 60000).

-record(reg, {socket = none,     % the registration connection, or none
              name,              % as registered: a string
              port,              % this node's distribution port
              family,            % inet | inet6
              backoff = ?BACKOFF_FIRST,
              lost_at,           % monotonic ms when the daemon went away
              attempts = 0,
              waiting = none,    % the first register call, while it retries
              api_id = 0}).      % the last API request's id

%%% The callback set

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

register_node(Name, Port) ->
    register_node(Name, Port, inet).

register_node(Name, Port, Driver) ->
    gen_server:call(?MODULE, {register, to_list(Name), Port, family(Driver)},
                    infinity).

%% The port this node listens on: 0, let the kernel's inet_dist_listen_min
%% and _max decide.  A fixed port from -erl_epmd_port would come with
%% dialling peers without EPMD, so it is not honoured (see init/1).
listen_port_please(_Name, _Host) ->
    {ok, 0}.

%% inet_tcp_dist dials what this returns: a port of distguard on loopback,
%% for every node, on this host or not.  A node that does not listen
%% (-dist_listen false: the helper nodes of release scripts, relx's remote
%% shell and nodetool, mix's rpc/remote) never registers, so it has no
%% egress: it dials only the nodes of this host, at their filtering
%% listeners, like any peer, and nothing else.
address_please(Name, Host, Family) ->
    case listens() of
        true -> address_egress(Name, Host, Family);
        false -> address_listener(Name, Host, Family)
    end.

address_egress(Name, Host, Family) ->
    Node = to_list(Name) ++ "@" ++ host_text(Host),
    case egress_request(Node) of
        {ok, Port, Version} ->
            {ok, loopback(family(Family)), Port, Version};
        {error, Why} ->
            logger:warning("distguard_epmd: no route to ~ts: ~ts; "
                           "not dialling it", [Node, Why]),
            {error, nxdomain}
    end.

address_listener(Name, Host, Family) ->
    Node = to_list(Name) ++ "@" ++ host_text(Host),
    case is_this_host(Host) andalso port_please_local(to_list(Name), infinity) of
        {port, Port, Version} ->
            {ok, loopback(family(Family)), Port, Version};
        false ->
            logger:warning("distguard_epmd: not dialling ~ts: a node that "
                           "does not listen (-dist_listen false) reaches "
                           "only the nodes of this host", [Node]),
            {error, nxdomain};
        noport ->
            {error, nxdomain}
    end.

%% -dist_listen false: no port, no registration, dial only.
listens() ->
    init:get_argument(dist_listen) =/= {ok, [["false"]]}.

port_please(Name, Host) ->
    port_please(Name, Host, infinity).

%% Only inet_tcp_dist's fallback and tools call this.  For a node of this
%% host it is distguard's answer (the node's filtering listener); a remote
%% host's EPMD is never asked: its answer would be dialled directly.
port_please(Name, Host, Timeout) ->
    case is_this_host(Host) of
        true ->
            port_please_local(to_list(Name), Timeout);
        false ->
            logger:warning("distguard_epmd: port_please for ~ts on ~ts "
                           "refused: remote nodes are reached through "
                           "distguard (address_please)",
                           [to_list(Name), host_text(Host)]),
            noport
    end.

names() ->
    {ok, Host} = inet:gethostname(),
    names(Host).

%% The names registered with this host's distguard; other hosts' EPMDs are
%% not asked (this node does not connect to remote addresses).
names(Host) ->
    case is_this_host(Host) of
        true ->
            names_local();
        false ->
            logger:warning("distguard_epmd: names of ~ts not asked: only "
                           "this host's distguard is", [host_text(Host)]),
            {error, address}
    end.

%%% The registration, owned by the gen_server

init([]) ->
    warn_ignored_bypass(),
    {ok, #reg{}}.

handle_call({register, Name, Port, Family}, From,
            #reg{socket = none, name = undefined} = R) ->
    case alive2(Name, Port, Family) of
        {ok, Socket, Creation} ->
            {reply, {ok, Creation},
             R#reg{socket = Socket, name = Name, port = Port,
                   family = Family}};
        {error, {refused_by_distguard, _}} = Error ->
            {reply, Error, R};
        {error, Why} ->
            %% Nobody answers yet: distguard may be starting after this
            %% node (a boot race); net_kernel gets its answer later.
            logger:warning("distguard_epmd: distguard not reachable on "
                           "port ~b (~0p); registering ~ts when it "
                           "answers, retrying for up to ~b s",
                           [epmd_port(), Why, Name, ?FIRST_WAIT div 1000]),
            schedule_first(R#reg{name = Name, port = Port, family = Family,
                                 waiting = From, lost_at = now_ms(),
                                 attempts = 1})
    end;
handle_call({register, _, _, _}, _From, R) ->
    {reply, {error, already_registered}, R};
handle_call({egress, _Node}, _From, #reg{socket = none} = R) ->
    {reply, {error, "not registered with distguard"}, R};
handle_call({egress, Node}, _From, #reg{socket = S} = R) ->
    case egress_on(S, Node) of
        {error, {lost, Why}} ->
            %% The connection is out of step or gone: registering again
            %% starts it afresh.
            gen_tcp:close(S),
            self() ! {tcp_closed, S},
            {reply, {error, Why}, R};
        Reply ->
            {reply, Reply, R}
    end;
%% The runtime API (the module distguard): only for a process of this
%% node.  A call from another node (gen_server:call({distguard_epmd, B},
%% ...) over distribution) is refused here, whatever it says; the daemon
%% in turn answers only on this node's registration connection.
handle_call({api, _Op, _Args}, {Pid, _}, R) when node(Pid) =/= node() ->
    logger:warning("distguard_epmd: API request from ~0p on ~0p refused: "
                   "a node changes only its own policy", [Pid, node(Pid)]),
    {reply, {error, <<"not a process of this node">>}, R};
handle_call({api, _Op, _Args}, _From, #reg{socket = none} = R) ->
    {reply, {error, <<"not registered with distguard">>}, R};
handle_call({api, Op, Args}, _From, #reg{socket = S, api_id = Id0} = R) ->
    Id = (Id0 + 1) band 16#ffffffff,
    case api_on(S, Id, Op, [atom_to_binary(node(), utf8) | Args]) of
        {error, {lost, Why}} ->
            gen_tcp:close(S),
            self() ! {tcp_closed, S},
            {reply, {error, Why}, R#reg{api_id = Id}};
        Reply ->
            {reply, Reply, R#reg{api_id = Id}}
    end;
handle_call(client_info_req, _From, #reg{name = Name, port = Port} = R) ->
    {reply, {ok, {r4, Name, Port}}, R};
handle_call(_, _From, R) ->
    {reply, {error, unknown_call}, R}.

handle_cast(_, R) ->
    {noreply, R}.

handle_info({tcp_closed, S}, #reg{socket = S, name = Name} = R) ->
    logger:notice("distguard_epmd: registration of ~ts with distguard "
                  "lost; re-registering", [Name]),
    schedule(R#reg{socket = none, backoff = ?BACKOFF_FIRST,
                   lost_at = now_ms(), attempts = 0});
handle_info({tcp_error, S, _}, #reg{socket = S} = R) ->
    %% A tcp_closed follows.
    {noreply, R};
handle_info({tcp, S, _Data}, #reg{socket = S} = R) ->
    %% The daemon sends nothing after the reply; a byte is not a reason
    %% to give the registration up.
    {noreply, R};
handle_info(first_register, #reg{waiting = From, name = Name} = R0)
  when From =/= none ->
    R = R0#reg{attempts = R0#reg.attempts + 1},
    Waited = now_ms() - R#reg.lost_at,
    case alive2(Name, R#reg.port, R#reg.family) of
        {ok, Socket, Creation} ->
            logger:notice("distguard_epmd: ~ts registered with distguard "
                          "after ~b ms (~b attempts)",
                          [Name, Waited, R#reg.attempts]),
            gen_server:reply(From, {ok, Creation}),
            {noreply, R#reg{socket = Socket, waiting = none}};
        {error, {refused_by_distguard, _}} = Error ->
            gen_server:reply(From, Error),
            {noreply, #reg{}};
        {error, Why} when Waited >= ?FIRST_WAIT ->
            logger:error("distguard_epmd: distguard still not reachable "
                         "after ~b s (~0p): ~ts not registered",
                         [Waited div 1000, Why, Name]),
            gen_server:reply(From, {error, Why}),
            {noreply, #reg{}};
        {error, _} ->
            schedule_first(R)
    end;
handle_info(reregister, #reg{socket = none, name = Name, waiting = none} = R0)
  when Name =/= undefined ->
    R = R0#reg{attempts = R0#reg.attempts + 1},
    case alive2(Name, R#reg.port, R#reg.family) of
        {ok, Socket, _Creation} ->
            %% The node keeps the creation it started with: its pids and
            %% references carry it.
            logger:notice("distguard_epmd: ~ts registered again with "
                          "distguard after ~b ms (~b attempts)",
                          [Name, now_ms() - R#reg.lost_at, R#reg.attempts]),
            {noreply, R#reg{socket = Socket}};
        {error, {refused_by_distguard, _}} ->
            R#reg.backoff =:= ?BACKOFF_REFUSED orelse
                logger:warning("distguard_epmd: distguard refused to "
                               "register ~ts again (see its log); retrying "
                               "every ~b s", [Name, ?BACKOFF_REFUSED div 1000]),
            schedule(R#reg{backoff = ?BACKOFF_REFUSED});
        {error, _} ->
            schedule(R#reg{backoff = min(R#reg.backoff * 2, ?BACKOFF_MAX)})
    end;
handle_info(_, R) ->
    {noreply, R}.

terminate(_, #reg{socket = none}) ->
    ok;
terminate(_, #reg{socket = S}) ->
    gen_tcp:close(S).

code_change(_, R, _) ->
    {ok, R}.

schedule(#reg{backoff = T} = R) ->
    erlang:send_after(T, self(), reregister),
    {noreply, R}.

%% The first registration's next try, with the re-registration's backoff.
schedule_first(#reg{backoff = T} = R) ->
    erlang:send_after(T, self(), first_register),
    {noreply, R#reg{backoff = min(T * 2, ?BACKOFF_MAX)}}.

%%% Requests to the daemon

%% ALIVE2_REQ with the mark; on success the connection stays open (it is
%% the registration) and reports its closing to the gen_server.
alive2(Name, Port, Family) ->
    NameBin = unicode:characters_to_binary(Name),
    Extra = ?MARK,
    Body = <<?REQ_ALIVE2, Port:16, $M, 0, ?VSN_HIGH:16, ?VSN_LOW:16,
             (byte_size(NameBin)):16, NameBin/binary,
             (byte_size(Extra)):16, Extra/binary>>,
    case connect(Family) of
        {ok, S} ->
            Result = case gen_tcp:send(S, [<<(byte_size(Body)):16>>, Body]) of
                         ok -> alive2_reply(S);
                         {error, _} = E -> E
                     end,
            case Result of
                {ok, Creation} ->
                    ok = inet:setopts(S, [{active, true}]),
                    {ok, S, Creation};
                {error, _} = Error ->
                    gen_tcp:close(S),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

alive2_reply(S) ->
    case recv_exactly(S, 2) of
        {ok, <<?RESP_ALIVE2_X, 0>>} ->
            case recv_exactly(S, 4) of
                {ok, <<Creation:32>>} -> {ok, Creation};
                Error -> Error
            end;
        {ok, <<?RESP_ALIVE2, 0>>} ->
            case recv_exactly(S, 2) of
                {ok, <<Creation:16>>} -> {ok, Creation};
                Error -> Error
            end;
        {ok, <<Tag, _>>} when Tag =:= ?RESP_ALIVE2_X; Tag =:= ?RESP_ALIVE2 ->
            %% The reply has no reason; distguard's log line has it.
            {error, {refused_by_distguard,
                     "name in use, unmediated or exposed: see distguard's log"}};
        {ok, Other} ->
            {error, {garbage_from_epmd, Other}};
        Error ->
            Error
    end.

%% distguard's EGRESS_REQ: 'E' and the full node name; the answer is
%% 'e', Result, Port:16, Version:16.  Asked of the gen_server, which sends
%% it on the registration connection.
egress_request(Node) ->
    NodeBin = unicode:characters_to_binary(Node),
    case valid_node(NodeBin) of
        false ->
            {error, "not a node name distguard accepts"};
        true ->
            try gen_server:call(?MODULE, {egress, NodeBin},
                                ?REPLY_TIMEOUT + 1000)
            catch exit:Why ->
                    {error, io_lib:format("distguard_epmd not answering (~w)",
                                          [Why])}
            end
    end.

%% One request on the registration connection S (active the rest of the
%% time, for tcp_closed): passive while the reply is read.
egress_on(S, NodeBin) ->
    Body = <<?REQ_EGRESS, NodeBin/binary>>,
    _ = inet:setopts(S, [{active, false}]),
    Result = case gen_tcp:send(S, [<<(byte_size(Body)):16>>, Body]) of
                 ok -> recv_exactly(S, 6);
                 {error, _} = E -> E
             end,
    case Result of
        {ok, <<?RESP_EGRESS, 0, Port:16, Version:16>>} when Port > 0 ->
            _ = inet:setopts(S, [{active, true}]),
            {ok, Port, Version};
        {ok, <<?RESP_EGRESS, 1, _:32>>} ->
            _ = inet:setopts(S, [{active, true}]),
            {error, "distguard has no egress sessions (result 1)"};
        {ok, <<?RESP_EGRESS, Res, _:32>>} ->
            _ = inet:setopts(S, [{active, true}]),
            {error, io_lib:format("distguard refused it (result ~b)", [Res])};
        {ok, Other} ->
            {error, {lost, io_lib:format("unexpected reply ~w", [Other])}};
        {error, Why} ->
            {error, {lost, io_lib:format("distguard not reachable (~w)",
                                         [Why])}}
    end.

%% distguard's API_REQ (epmd/epmd_proto.h): 'A', Id:32, Op, NArgs, then
%% each arg as Len:16 and its bytes.  The reply: 'a', Id:32, Status,
%% Len:32, Body; Status 0: Body is a term (binary_to_term with safe: the
%% daemon's atoms all exist here), else a reason.
api_on(S, Id, Op, Args) ->
    Enc = [<<(byte_size(A)):16, A/binary>> || A <- Args],
    Body = iolist_to_binary([<<?REQ_API, Id:32, Op, (length(Args))>> | Enc]),
    case byte_size(Body) =< 3057 of
        false ->
            {error, <<"request too long">>};
        true ->
            _ = inet:setopts(S, [{active, false}]),
            R = case gen_tcp:send(S, [<<(byte_size(Body)):16>>, Body]) of
                    ok -> api_reply(S, Id);
                    {error, Why} -> {error, {lost, Why}}
                end,
            _ = inet:setopts(S, [{active, true}]),
            R
    end.

api_reply(S, Id) ->
    case recv_exactly(S, 10) of
        {ok, <<?RESP_API, Id:32, Status, Len:32>>} when Len =< ?API_BODY_MAX ->
            case Len =:= 0 orelse recv_exactly(S, Len) of
                true -> api_result(Status, <<>>);
                {ok, Body} -> api_result(Status, Body);
                {error, Why} -> {error, {lost, Why}}
            end;
        {ok, Other} ->
            {error, {lost, io_lib:format("unexpected reply ~w", [Other])}};
        {error, Why} ->
            {error, {lost, Why}}
    end.

api_result(0, Body) ->
    try binary_to_term(Body, [safe]) of
        T -> {ok, T}
    catch
        error:badarg -> {error, <<"unreadable reply">>}
    end;
api_result(_, Reason) ->
    {error, Reason}.

%% The bounds distguard checks (epmd_parse): one '@', both parts 1..255.
valid_node(Bin) ->
    case binary:split(Bin, <<"@">>, [global]) of
        [A, H] -> byte_size(A) >= 1 andalso byte_size(A) =< 255 andalso
                      byte_size(H) >= 1 andalso byte_size(H) =< 255;
        _ -> false
    end.

port_please_local(Name, Timeout) ->
    NameBin = unicode:characters_to_binary(Name),
    case request(inet, <<?REQ_PORT_PLEASE2, NameBin/binary>>, 2, Timeout) of
        {ok, <<?RESP_PORT2, 0>>, S} ->
            port2_rest(S);
        {ok, <<?RESP_PORT2, _>>, S} ->
            gen_tcp:close(S),
            noport;
        {ok, _, S} ->
            gen_tcp:close(S),
            noport;
        {error, _} ->
            noport
    end.

%% PORT2_RESP after 'w', 0: Port, NodeType, Protocol, High, Low, ...
port2_rest(S) ->
    R = case recv_exactly(S, 8) of
            {ok, <<Port:16, _Type, _Proto, High:16, Low:16>>} ->
                {port, Port, best_version(Low, High)};
            _ ->
                noport
        end,
    gen_tcp:close(S),
    R.

best_version(Low, High) when Low =< ?VSN_HIGH, High >= ?VSN_HIGH -> ?VSN_HIGH;
best_version(_Low, High) -> min(High, ?VSN_HIGH).

names_local() ->
    case connect(inet) of
        {ok, S} ->
            ok = gen_tcp:send(S, <<1:16, ?REQ_NAMES>>),
            R = case recv_until_closed(S, <<>>) of
                    {ok, <<_EpmdPort:32, Lines/binary>>} ->
                        {ok, parse_names(Lines)};
                    {ok, _} ->
                        {error, address};
                    {error, _} = E ->
                        E
                end,
            gen_tcp:close(S),
            R;
        {error, _} = E ->
            E
    end.

parse_names(Lines) ->
    [{binary_to_list(N), Port}
     || L <- binary:split(Lines, <<"\n">>, [global, trim_all]),
        [<<"name">>, N, <<"at">>, <<"port">>, P] <- [binary:split(L, <<" ">>, [global])],
        Port <- [port_number(P)], is_integer(Port)].

%% A port's digits, or false (an old-style catch is deprecated from OTP 29).
port_number(P) ->
    try binary_to_integer(P) of
        N -> N
    catch
        error:badarg -> false
    end.

request(Family, Body, Want, Timeout) ->
    case connect(Family) of
        {ok, S} ->
            case gen_tcp:send(S, [<<(byte_size(Body)):16>>, Body]) of
                ok ->
                    case recv_exactly(S, Want, Timeout) of
                        {ok, Reply} ->
                            {ok, Reply, S};
                        Error ->
                            gen_tcp:close(S),
                            Error
                    end;
                Error ->
                    gen_tcp:close(S),
                    Error
            end;
        Error ->
            Error
    end.

connect(Family) ->
    gen_tcp:connect(loopback(Family), epmd_port(),
                    [Family, binary, {packet, raw}, {active, false}],
                    ?CONNECT_TIMEOUT).

recv_exactly(S, N) ->
    recv_exactly(S, N, ?REPLY_TIMEOUT).

recv_exactly(S, N, infinity) ->
    recv_exactly(S, N, ?REPLY_TIMEOUT);
recv_exactly(S, N, Timeout) ->
    gen_tcp:recv(S, N, Timeout).

recv_until_closed(_S, Acc) when byte_size(Acc) > ?NAMES_MAX ->
    {error, too_long};
recv_until_closed(S, Acc) ->
    case gen_tcp:recv(S, 0, ?REPLY_TIMEOUT) of
        {ok, Data} -> recv_until_closed(S, <<Acc/binary, Data/binary>>);
        {error, closed} -> {ok, Acc};
        {error, _} = E -> E
    end.

%%% Where the daemon is, what this host is called

%% distguard's EPMD port: -epmd_port, else ERL_EPMD_PORT, else 4369.
epmd_port() ->
    case init:get_argument(epmd_port) of
        {ok, [[P | _] | _]} ->
            list_to_integer(P);
        _ ->
            case os:getenv("ERL_EPMD_PORT") of
                false -> ?DEFAULT_EPMD_PORT;
                P -> list_to_integer(P)
            end
    end.

loopback(inet) -> {127, 0, 0, 1};
loopback(inet6) -> {0, 0, 0, 0, 0, 0, 0, 1}.

family(inet_tcp) -> inet;
family(inet6_tcp) -> inet6;
family(inet) -> inet;
family(inet6) -> inet6;
family(_) -> inet.

is_this_host(Host) when is_tuple(Host) ->
    is_loopback(Host);
is_this_host(Host) ->
    H = string:lowercase(host_text(Host)),
    case inet:parse_address(H) of
        {ok, Ip} ->
            is_loopback(Ip);
        {error, _} ->
            {ok, Short} = inet:gethostname(),
            Names = ["localhost", string:lowercase(Short)
                     | [string:lowercase(D) || D <- long_names(Short)]],
            lists:member(H, Names)
    end.

long_names(Short) ->
    case inet_db:res_option(domain) of
        "" -> [];
        Domain when is_list(Domain) -> [Short ++ "." ++ Domain];
        _ -> []
    end.

is_loopback({127, _, _, _}) -> true;
is_loopback({0, 0, 0, 0, 0, 0, 0, 1}) -> true;
is_loopback({0, 0, 0, 0, 0, 16#ffff, A, _}) -> A bsr 8 =:= 127;
is_loopback(_) -> false.

host_text(Host) when is_atom(Host) -> atom_to_list(Host);
host_text(Host) when is_tuple(Host) -> inet:ntoa(Host);
host_text(Host) when is_list(Host) -> Host.

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(L) when is_list(L) -> L.

now_ms() ->
    erlang:monotonic_time(millisecond).

%% -erl_epmd_port and erl_epmd_node_listen_port tell erl_epmd to skip
%% EPMD: the node would listen on a fixed port and dial every peer on it
%% directly, past distguard.  This module never does; it says so once.
warn_ignored_bypass() ->
    case init:get_argument(erl_epmd_port) of
        {ok, [[P | _] | _]} ->
            logger:warning("distguard_epmd: ignoring -erl_epmd_port ~ts: "
                           "it would skip EPMD and bypass distguard; "
                           "registering with distguard instead", [P]);
        _ ->
            ok
    end,
    case application:get_env(kernel, erl_epmd_node_listen_port) of
        {ok, Port} ->
            logger:warning("distguard_epmd: ignoring kernel "
                           "erl_epmd_node_listen_port ~p: it would skip "
                           "EPMD and bypass distguard", [Port]);
        undefined ->
            ok
    end.
