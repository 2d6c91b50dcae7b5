%% dgt - the code end-to-end test nodes run.
%% serve/0: registers the processes tests talk to, then waits (at most
%% 120 s, or until told to stop).
-module(dgt).
-export([serve/0, echo/0, gateway/0, sink/0, init/1, handle_call/3,
         handle_cast/2, checksum_sink/2]).
%% Added for t_filter.sh / t_demo.sh.
-export([serve/1, checksum/0, digest/0, gateway_count/2,
         csum_send/3, big_echo/2, timed/1]).
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
