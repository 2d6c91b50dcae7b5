%% SPDX-License-Identifier: Apache-2.0
%% dgt - the code end-to-end test nodes run.
%% serve/0: registers the processes tests talk to, then waits (at most
%% 120 s, or until told to stop).
-module(dgt).
-export([serve/0, echo/0, gateway/0, sink/0, init/1, handle_call/3,
         handle_cast/2, checksum_sink/2]).
%% Added for t_filter.sh / t_demo.sh.
-export([serve/1, checksum/0, digest/0, gateway_count/2,
         csum_send/3, big_echo/2, timed/1]).
%% Added for t_default.sh.
-export([gpeer/3, pid_like/2, spray/3]).
%% Added for t_guard.sh.
-export([pid_id/1, atom_flood/3]).
-behaviour(gen_server).

serve() ->
    register(echo, spawn(fun echo/0)),
    register(gateway, spawn(fun gateway/0)),
    register(sink, spawn(fun sink/0)),
    {ok, _} = gen_server:start({local, dgt_gs}, ?MODULE, [], []),
    io:format("dgt ready ~p~n", [node()]),
    receive stop -> ok after 120000 -> ok end,
    halt().

%% replies {echo, Msg} to {From, Msg}
echo() ->
    receive
        {From, Msg} when is_pid(From) -> From ! {echo, Msg}, echo();
        _ -> echo()
    end.

%% counts what it receives; {From, count} returns the count
gateway() -> gateway(0).
gateway(N) ->
    receive
        {From, count} when is_pid(From) -> From ! {count, N}, gateway(N);
        _ -> gateway(N + 1)
    end.

%% records every message it receives in a public ETS-free way: prints
sink() ->
    receive
        Msg -> io:format("sink got ~p~n", [Msg]), sink()
    end.

%% receives N checksummed messages {Seq, Bin, erlang:crc32(Bin)} and
%% reports {ok, N} or the first bad/missing one to ReplyTo.
checksum_sink(ReplyTo, N) -> checksum_sink(ReplyTo, N, 0).
checksum_sink(ReplyTo, N, N) -> ReplyTo ! {checksum_done, ok, N};
checksum_sink(ReplyTo, N, I) ->
    receive
        {I, Bin, Crc} ->
            case erlang:crc32(Bin) of
                Crc -> checksum_sink(ReplyTo, N, I + 1);
                _ -> ReplyTo ! {checksum_done, {corrupt, I}, I}
            end;
        {J, _, _} -> ReplyTo ! {checksum_done, {out_of_order, I, J}, I}
    after 20000 -> ReplyTo ! {checksum_done, {timeout, I}, I}
    end.

init([]) -> {ok, #{}}.
handle_call(ping, _From, S) -> {reply, pong, S};
%% t_guard.sh: a server that applies what it is given (so that a fun
%% that got through would leave its marker), and tells its own pid.
handle_call({apply, F}, _From, S) when is_function(F, 0) -> {reply, F(), S};
handle_call(whoami, _From, S) -> {reply, self(), S};
handle_call(Req, _From, S) -> {reply, {unknown, Req}, S}.
handle_cast(_, S) -> {noreply, S}.

%% serve/1: as serve/0, living Secs seconds, with two more services:
%% checksum (a registered checksum_sink that can be started many times)
%% and digest (answers erlang:md5 of what it gets).
serve(Secs) ->
    register(echo, spawn(fun echo/0)),
    register(gateway, spawn(fun gateway/0)),
    register(sink, spawn(fun sink/0)),
    register(checksum, spawn(fun checksum/0)),
    register(digest, spawn(fun digest/0)),
    {ok, _} = gen_server:start({local, dgt_gs}, ?MODULE, [], []),
    io:format("dgt ready ~p~n", [node()]),
    receive stop -> ok after Secs * 1000 -> ok end,
    halt().

%% {start, ReplyTo, N}: runs checksum_sink(ReplyTo, N), then waits again.
checksum() ->
    receive
        {start, ReplyTo, N} when is_pid(ReplyTo), is_integer(N) ->
            checksum_sink(ReplyTo, N), checksum();
        _ -> checksum()
    end.

%% {From, Term} -> From ! {md5, erlang:md5(term_to_binary(Term))} when Term
%% is not a binary, {md5, erlang:md5(Bin)} when it is.
digest() ->
    receive
        {From, Bin} when is_pid(From), is_binary(Bin) ->
            From ! {md5, erlang:md5(Bin), byte_size(Bin)}, digest();
        {From, T} when is_pid(From) ->
            From ! {md5, erlang:md5(term_to_binary(T)), 0}, digest();
        _ -> digest()
    end.

%% Asks gateway on Node for its count; timeout after Ms.
gateway_count(Node, Ms) ->
    {gateway, Node} ! {self(), count},
    receive {count, N} -> N after Ms -> timeout end.

%% Sends N checksummed messages to checksum on Node; waits for the verdict.
csum_send(Node, N, Size) ->
    {checksum, Node} ! {start, self(), N},
    lists:foreach(
      fun(I) ->
              Bin = crypto_free_bytes(I, Size),
              {checksum, Node} ! {I, Bin, erlang:crc32(Bin)}
      end, lists:seq(0, N - 1)),
    receive {checksum_done, R, Got} -> {R, Got} after 60000 -> timeout end.

crypto_free_bytes(I, Size) ->
    B = term_to_binary({I, erlang:phash2(I)}),
    binary:part(binary:copy(B, Size div byte_size(B) + 1), 0, Size).

%% A Bytes-long binary to echo and to digest on Node; returns
%% {SentMd5 =:= EchoedMd5, SentMd5 =:= RemoteMd5, RemoteSize}.
big_echo(Node, Bytes) ->
    Bin = << <<(X rem 251)>> || X <- lists:seq(1, Bytes) >>,
    Md5 = erlang:md5(Bin),
    {echo, Node} ! {self(), Bin},
    E = receive {echo, B} -> erlang:md5(B) after 20000 -> timeout end,
    {digest, Node} ! {self(), Bin},
    {R, Sz} = receive {md5, M, S} -> {M, S} after 20000 -> {timeout, 0} end,
    {E =:= Md5, R =:= Md5, Sz}.

%% {Milliseconds, Result of F() or {caught, Class, Reason}}
timed(F) ->
    T0 = erlang:monotonic_time(millisecond),
    R = try F() catch C:E -> {caught, C, E} end,
    {erlang:monotonic_time(millisecond) - T0, R}.

%% gpeer(Secs, Connect, Calls): a node that lives Secs seconds and does
%% only what the default profiles [ping, global, replies] let through to
%% the nodes it talks to.  It registers the global name {gp, node()} for a
%% receiver, pings the nodes in Connect, and then, every 300 ms: greets
%% every other {gp, N} with global:send, and makes one gen_server call
%% and one erpc call to each node in Calls once it is connected.  It
%% prints each first: "gpeer ready", "mesh N" (nodes() grew to N), "got
%% hello_from N", "gs_call N R", "erpc N R".
gpeer(Secs, Connect, Calls) ->
    {ok, _} = gen_server:start({local, dgt_gs}, ?MODULE, [], []),
    Me = node(),
    Recv = spawn(fun() -> gp_recv(#{}) end),
    yes = global:register_name({gp, Me}, Recv),
    _ = [net_adm:ping(N) || N <- Connect],
    io:format("gpeer ready ~p~n", [Me]),
    gp_loop(Me, Calls, erlang:monotonic_time(millisecond) + Secs * 1000, 0).

gp_recv(Seen) ->
    receive
        {hello_from, N} when not is_map_key(N, Seen) ->
            io:format("got hello_from ~p~n", [N]),
            gp_recv(Seen#{N => true});
        _ ->
            gp_recv(Seen)
    end.

gp_loop(Me, Calls, End, Mesh) ->
    erlang:monotonic_time(millisecond) > End andalso halt(),
    _ = [catch global:send({gp, N}, {hello_from, Me})
         || {gp, N} <- global:registered_names(), N =/= Me],
    _ = [gp_call_once(N) || N <- Calls, lists:member(N, nodes())],
    Mesh1 = case length(nodes()) of
                Mesh -> Mesh;
                M -> io:format("mesh ~p~n", [M]), M
            end,
    timer:sleep(300),
    gp_loop(Me, Calls, End, Mesh1).

gp_call_once(N) ->
    case get({called, N}) of
        undefined ->
            put({called, N}, true),
            R1 = (catch gen_server:call({dgt_gs, N}, ping, 5000)),
            io:format("gs_call ~p ~w~n", [N, R1]),
            R2 = (catch erpc:call(N, erlang, node, [], 5000)),
            io:format("erpc ~p ~w~n", [N, R2]);
        _ ->
            ok
    end.

%% A pid of the same node and creation as Pid, with number Id: what an
%% attacker who saw one pid of a node can make of it.
pid_like(Pid, Id) ->
    <<131, 88, Rest/binary>> = term_to_binary(Pid),
    NodeLen = byte_size(Rest) - 12,
    <<NodeAtom:NodeLen/binary, _Id:32, Serial:32, Creation:32>> = Rest,
    binary_to_term(<<131, 88, NodeAtom/binary, Id:32, Serial:32, Creation:32>>).

%% Sends Msg to the pids numbered 1..N of Pid's node, except Pid itself;
%% returns how many were sent.
spray(Pid, N, Msg) ->
    Targets = [P || Id <- lists:seq(1, N), (P = pid_like(Pid, Id)) =/= Pid],
    _ = [P ! Msg || P <- Targets],
    length(Targets).

%% The Id field of a pid (what pid_like/2 takes).
pid_id(Pid) ->
    <<131, 88, Rest/binary>> = term_to_binary(Pid),
    NodeLen = byte_size(Rest) - 12,
    <<_:NodeLen/binary, Id:32, _/binary>> = Rest,
    Id.

%% Sends N messages, each one fresh atom, to {Name, Node}; returns N.
%% Sends to a node that cut us off reconnect and go on.
atom_flood(Name, Node, N) ->
    lists:foreach(
      fun(I) ->
              catch erlang:send({Name, Node},
                                list_to_atom("dg_flood_" ++ integer_to_list(I)))
      end, lists:seq(1, N)),
    N.
