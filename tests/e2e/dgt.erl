%% dgt - the code end-to-end test nodes run.
%% serve/0: registers the processes tests talk to, then waits (at most
%% 120 s, or until told to stop).
-module(dgt).
-export([serve/0, echo/0, gateway/0, sink/0, init/1, handle_call/3,
         handle_cast/2, checksum_sink/2]).
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
