%% SPDX-License-Identifier: Apache-2.0
%% dg_bench - the Erlang side of `make bench` (bench/run.sh).
%%
%% serve/0      on the receiving node B: registers bench_sink (counts the
%%              binaries it gets, answers the count) and bench_echo
%%              (answers every {From, X} with {pong, X}).
%% idle/0       on a sending node: waits for work from the controller.
%% ctl/0        on the controller (hidden, not listening): runs the
%%              measurements on the senders by erpc and writes one
%%              tab-separated line per measurement.
%% cmd_idle/0   on a sender of the two-host section (bench/hosts.sh):
%%              like idle/0, but takes its work from a loopback TCP socket
%%              (-dg_cmd Port), so that the controller needs no
%%              distribution connection to it (a TLS sender speaks only
%%              TLS distribution).
%% hosts_ctl/0  the controller of that section: a plain VM, no
%%              distribution; it drives the senders through their command
%%              sockets.
%%
%% The senders are all connected to the same B, each by another path
%% (direct, socat, HAProxy, distguard allow_all, distguard with rules); the path is
%% chosen by the sender's name and its -dg_route (bench/dg_steer.erl).
%% Every wait here is bounded; nodes halt by themselves after ?LIFETIME.
-module(dg_bench).
-export([serve/0, idle/0, ctl/0, warm/1, tput/3, pingpong/2,
         cmd_idle/0, hosts_ctl/0]).

-define(LIFETIME, 1800000).

%% ---- B ---------------------------------------------------------------

serve() ->
    register(bench_sink, spawn(fun() -> sink_idle() end)),
    register(bench_echo, spawn(fun echo/0)),
    io:format("bench ready ~p pid ~s~n", [node(), os:getpid()]),
    receive stop -> ok after ?LIFETIME -> ok end,
    halt().

sink_idle() ->
    receive
        {start, From, Ref} -> From ! {started, Ref}, sink(From, Ref, 0, 0);
        _ -> sink_idle()
    end.

sink(From, Ref, N, Bytes) ->
    receive
        Bin when is_binary(Bin) -> sink(From, Ref, N + 1, Bytes + byte_size(Bin));
        {stop, From, Ref} -> From ! {done, Ref, N, Bytes}, sink_idle()
    after 60000 -> sink_idle()
    end.

echo() ->
    receive
        {From, X} when is_pid(From) -> From ! {pong, X}, echo();
        _ -> echo()
    end.

%% ---- senders -----------------------------------------------------------

idle() ->
    io:format("sender ready ~p~n", [node()]),
    receive stop -> ok after ?LIFETIME -> ok end,
    halt().

%% Connects (through whatever path this node routes B by) and proves
%% both workloads pass.
warm(B) ->
    pong = net_adm:ping(B),
    {ok, _, _} = tput(B, 1024, 0.3),
    {ok, _, _, _, _} = pingpong(B, 0.3),
    ok.

%% Sends Size-byte binaries to {bench_sink, B} for Secs seconds; the time
%% runs until the sink acknowledged the last one.
tput(B, Size, Secs) ->
    Bin = binary:copy(<<"x">>, Size),
    Ref = make_ref(),
    Sink = {bench_sink, B},
    Sink ! {start, self(), Ref},
    receive {started, Ref} -> ok after 10000 -> exit(sink_not_started) end,
    T0 = erlang:monotonic_time(),
    Deadline = T0 + erlang:convert_time_unit(round(Secs * 1000000), microsecond, native),
    N = send_loop(Sink, Bin, Deadline, 0),
    Sink ! {stop, self(), Ref},
    receive
        {done, Ref, N, _} ->
            T1 = erlang:monotonic_time(),
            {ok, N, erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6};
        {done, Ref, Got, _} -> exit({lost, N, Got})
    after 60000 -> exit(no_ack)
    end.

send_loop(Sink, Bin, Deadline, N) when N band 15 =:= 0 ->
    case erlang:monotonic_time() < Deadline of
        true -> Sink ! Bin, send_loop(Sink, Bin, Deadline, N + 1);
        false -> N
    end;
send_loop(Sink, Bin, Deadline, N) ->
    Sink ! Bin,
    send_loop(Sink, Bin, Deadline, N + 1).

%% Round trips to {bench_echo, B} for Secs seconds: count, seconds, and
%% the median and 99th percentile in microseconds.
pingpong(B, Secs) ->
    Echo = {bench_echo, B},
    T0 = erlang:monotonic_time(),
    Deadline = T0 + erlang:convert_time_unit(round(Secs * 1000000), microsecond, native),
    L = lists:sort(pp_loop(Echo, Deadline, [])),
    T1 = erlang:monotonic_time(),
    N = length(L),
    {ok, N, erlang:convert_time_unit(T1 - T0, native, microsecond) / 1.0e6,
     pct(L, N, 0.50), pct(L, N, 0.99)}.

pp_loop(Echo, Deadline, Acc) ->
    T = erlang:monotonic_time(),
    case T < Deadline of
        false -> Acc;
        true ->
            Echo ! {self(), T},
            receive
                {pong, T} ->
                    Dt = erlang:monotonic_time() - T,
                    pp_loop(Echo, Deadline,
                            [erlang:convert_time_unit(Dt, native, nanosecond) / 1000 | Acc])
            after 5000 -> exit(no_pong)
            end
    end.

pct(L, N, P) -> lists:nth(max(1, min(N, round(P * N))), L).

%% ---- controller ----------------------------------------------------------

arg(Name) ->
    {ok, [[V | _] | _]} = init:get_argument(Name),
    V.

ctl() ->
    try ctl_run() of
        ok -> io:format("bench ctl done~n"), halt(0)
    catch C:E:St ->
        io:format("bench ctl failed: ~p:~p~n~p~n", [C, E, St]),
        halt(1)
    end.

%% -dg_mode rounds: the round-robin over every path and workload.
%% -dg_mode one: -dg_label L -dg_path P -dg_work W -dg_reps R, for the
%% flood runs.
ctl_run() ->
    B = list_to_atom(arg(dg_b)),
    Host = lists:nthtail(length(lists:takewhile(fun(C) -> C =/= $@ end, atom_to_list(B))), atom_to_list(B)),
    %% -dg_old PID: a fifth path through another distguard (bench/run.sh
    %% BENCH_OLD), its CPU taken from that process.
    Old = case init:get_argument(dg_old) of
              {ok, [[OldPid | _] | _]} -> [{dg_relay_old, "o", OldPid}];
              _ -> []
          end,
    %% -dg_haproxy PID: the haproxy path (sender h@), when bench/run.sh
    %% found haproxy; its relay CPU is taken from that process.
    Hap = case init:get_argument(dg_haproxy) of
              {ok, [[HapPid | _] | _]} -> [{haproxy, "h", HapPid}];
              _ -> []
          end,
    Paths = [{P, list_to_atom(Name ++ Host)} ||
                {P, Name, _} <- [{direct, "d", x}, {socat, "s", x} | Hap] ++
                                [{dg_relay, "r", x}, {dg_filter, "a", x} | Old]],
    Secs = list_to_float(arg(dg_secs)),
    DgPid0 = arg(dg_pid),
    DgPid = fun(dg_relay_old) -> element(3, hd(Old)); (_) -> DgPid0 end,
    SocatPid = arg(dg_socat),
    %% The outside relay whose CPU a measurement records: haproxy's
    %% process on its path, socat's child on every other (as before).
    RelayPid = fun(haproxy, _) -> element(3, hd(Hap)); (_, Socat) -> Socat end,
    {ok, Out} = file:open(arg(dg_out), [append]),
    case arg(dg_mode) of
        "warm" ->
            [ok = erpc:call(N, ?MODULE, warm, [B], 30000) || {_, N} <- Paths],
            ok;
        "rounds" ->
            Rounds = list_to_integer(arg(dg_rounds)),
            Works = [{tput, 64}, {tput, 1024}, {tput, 65536}, {tput, 1048576}, {pingpong, 0}],
            Socat1 = socat_child(SocatPid),
            lists:foreach(
              fun(R) ->
                      lists:foreach(
                        fun(W) ->
                                [measure(Out, integer_to_list(R), P, N, W, Secs, DgPid,
                                         RelayPid(P, Socat1))
                                 || {P, N} <- rotate(Paths, R)]
                        end, Works)
              end, lists:seq(1, Rounds)),
            ok;
        "one" ->
            Label = arg(dg_label),
            {P, N} = lists:keyfind(list_to_atom(arg(dg_path)), 1, Paths),
            Size = list_to_integer(arg(dg_size)),
            Reps = list_to_integer(arg(dg_reps)),
            [measure(Out, Label, P, N, {tput, Size}, Secs, DgPid,
                     RelayPid(P, socat_child(SocatPid)))
             || _ <- lists:seq(1, Reps)],
            ok
    end,
    file:close(Out).

rotate(L, R) ->
    K = R rem length(L),
    lists:nthtail(K, L) ++ lists:sublist(L, K).

%% The socat process that carries our one connection (socat forks one
%% per connection; the listener itself stays idle).
socat_child(Pid) ->
    case file:read_file("/proc/" ++ Pid ++ "/task/" ++ Pid ++ "/children") of
        {ok, Bin} ->
            case string:lexemes(binary_to_list(Bin), " \n") of
                [C | _] -> C;
                [] -> Pid
            end;
        _ -> Pid
    end.

%% CPU seconds (user + system) of a process, from /proc/PID/stat.
cpu(Pid) ->
    case file:read_file("/proc/" ++ Pid ++ "/stat") of
        {ok, Bin} ->
            S = binary_to_list(Bin),
            Rest = string:lexemes(lists:nthtail(string:rstr(S, ")") + 1, S), " "),
            %% fields 14 and 15 (utime, stime); Rest starts at field 3
            (list_to_integer(lists:nth(12, Rest)) + list_to_integer(lists:nth(13, Rest))) / 100;
        _ -> 0.0
    end.

%% One measurement; writes
%% label path workload size msgs secs dg_cpu relay_cpu p50 p99
%% where relay_cpu is RelayPid's: haproxy's on the haproxy path, socat's
%% child on the others (the column older result files call socat_cpu).
measure(Out, Label, Path, Node, {Kind, Size}, Secs, DgPids, RelayPid) ->
    DgPid = DgPids(Path),
    C0 = cpu(DgPid), S0 = cpu(RelayPid),
    {Msgs, T, P50, P99} =
        case Kind of
            tput ->
                {ok, N, Tm} = erpc:call(Node, ?MODULE, tput, [list_to_atom(b()), Size, Secs], 120000),
                {N, Tm, 0, 0};
            pingpong ->
                {ok, N, Tm, A, Z} = erpc:call(Node, ?MODULE, pingpong, [list_to_atom(b()), Secs], 120000),
                {2 * N, Tm, A, Z}
        end,
    C1 = cpu(DgPid), S1 = cpu(RelayPid),
    io:format(Out, "~s\t~s\t~s\t~b\t~b\t~.6f\t~.2f\t~.2f\t~.2f\t~.2f~n",
              [Label, Path, Kind, Size, Msgs, T, C1 - C0, S1 - S0, float(P50), float(P99)]),
    io:format("~s ~s ~s ~b: ~b msgs in ~.2fs~n", [Label, Path, Kind, Size, Msgs, T]).

b() -> arg(dg_b).

%% ---- the two-host section (bench/hosts.sh) ----------------------------------

%% A sender whose work comes from a command socket on 127.0.0.1:Port
%% (-dg_cmd Port): one request per {packet, 4} frame, answered with its
%% result.  It knows three requests and runs nothing else.
cmd_idle() ->
    Port = list_to_integer(arg(dg_cmd)),
    {ok, L} = gen_tcp:listen(Port, [binary, {packet, 4}, {active, false},
                                    {ip, {127, 0, 0, 1}}, {reuseaddr, true}]),
    spawn(fun() -> timer:sleep(?LIFETIME), halt() end),
    io:format("sender ready ~p pid ~s~n", [node(), os:getpid()]),
    cmd_accept(L).

cmd_accept(L) ->
    case gen_tcp:accept(L, ?LIFETIME) of
        {ok, S} -> cmd_serve(S), cmd_accept(L);
        {error, _} -> halt()
    end.

cmd_serve(S) ->
    case gen_tcp:recv(S, 0, 600000) of
        {ok, Bin} ->
            Reply = try cmd(binary_to_term(Bin, [safe]))
                    catch C:E -> {error, {C, E}} end,
            ok = gen_tcp:send(S, term_to_binary(Reply)),
            cmd_serve(S);
        {error, _} ->
            gen_tcp:close(S)
    end.

%% Node names travel as strings: binary_to_term(_, [safe]) makes no atoms.
cmd({warm, B}) -> warm(list_to_atom(B));
cmd({tput, B, Size, Secs}) -> tput(list_to_atom(B), Size, Secs);
cmd({pingpong, B, Secs}) -> pingpong(list_to_atom(B), Secs);
cmd(tls_info) -> tls_info();
cmd(Other) -> {error, {unknown_request, Other}}.

%% What a TLS distribution connection of this node negotiated, for the
%% report: its ssl connection processes are asked (ssl_gen_statem is OTP's
%% internal module; what it answers is only printed).
tls_info() ->
    Conns = [P || P <- processes(),
                  proc_lib:initial_call(P) =:= {ssl_gen_statem, init, ['Argument__1']}],
    Infos = [I || P <- Conns,
                  {ok, I} <- [catch ssl_gen_statem:connection_information(P, false)]],
    case Infos of
        [I | _] ->
            #{cipher := C, key_exchange := K} = proplists:get_value(selected_cipher_suite, I),
            lists:flatten(io_lib:format("~s ~s ~s", [proplists:get_value(protocol, I), C, K]));
        [] ->
            "unknown"
    end.

%% The controller: -dg_mode warm | rounds, -dg_secs S, -dg_rounds N,
%% -dg_out File, -dg_d1 Pid -dg_d2 Pid (the two daemons), and per path
%% -dg_hpath Name CmdPort Target SenderPid ReceiverPid.  Writes
%% round path kind size msgs secs d1_cpu d2_cpu snd_cpu rcv_cpu p50 p99.
hosts_ctl() ->
    try hosts_run() of
        ok -> io:format("bench hosts ctl done~n"), halt(0)
    catch C:E:St ->
        io:format("bench hosts ctl failed: ~p:~p~n~p~n", [C, E, St]),
        halt(1)
    end.

-record(hpath, {name, sock, target, snd, rcv}).

hosts_run() ->
    {ok, Args} = init:get_argument(dg_hpath),
    Paths = [#hpath{name = Name, sock = cmd_connect(list_to_integer(Port)),
                    target = Target, snd = Snd, rcv = Rcv}
             || [Name, Port, Target, Snd, Rcv] <- Args],
    Daemons = {arg(dg_d1), arg(dg_d2)},
    Secs = list_to_float(arg(dg_secs)),
    case arg(dg_mode) of
        "warm" ->
            [ok = cmd_call(P, {warm, P#hpath.target}) || P <- Paths],
            [io:format("~s negotiated ~s~n", [N, cmd_call(P, tls_info)])
             || #hpath{name = N} = P <- Paths, N =:= "tls" orelse N =:= "tls29"],
            ok;
        "rounds" ->
            {ok, Out} = file:open(arg(dg_out), [append]),
            Works = [{tput, 1024}, {tput, 65536}, {pingpong, 0}],
            Rounds = list_to_integer(arg(dg_rounds)),
            [[[hosts_measure(Out, R, P, W, Secs, Daemons) || P <- rotate(Paths, R)]
              || W <- Works]
             || R <- lists:seq(1, Rounds)],
            file:close(Out);
        "one" ->
            %% One throughput run on one path (-dg_only, -dg_size), for
            %% the profiles of bench/hosts.sh (BENCH_PERF=1).
            {ok, Out} = file:open(arg(dg_out), [append]),
            [P] = [P || #hpath{name = N} = P <- Paths, N =:= arg(dg_only)],
            hosts_measure(Out, 0, P, {tput, list_to_integer(arg(dg_size))}, Secs, Daemons),
            file:close(Out)
    end.

cmd_connect(Port) ->
    {ok, S} = gen_tcp:connect({127, 0, 0, 1}, Port,
                              [binary, {packet, 4}, {active, false}], 5000),
    S.

cmd_call(#hpath{sock = S, name = Name}, Req) ->
    ok = gen_tcp:send(S, term_to_binary(Req)),
    case gen_tcp:recv(S, 0, 180000) of
        {ok, Bin} ->
            case binary_to_term(Bin) of
                {error, Why} -> exit({Name, Req, Why});
                Reply -> Reply
            end;
        {error, Why} -> exit({Name, Req, Why})
    end.

hosts_measure(Out, Round, P, {Kind, Size}, Secs, {D1, D2}) ->
    Pids = [D1, D2, P#hpath.snd, P#hpath.rcv],
    C0 = [cpu(X) || X <- Pids],
    {Msgs, T, P50, P99} =
        case Kind of
            tput ->
                {ok, N, Tm} = cmd_call(P, {tput, P#hpath.target, Size, Secs}),
                {N, Tm, 0, 0};
            pingpong ->
                {ok, N, Tm, A, Z} = cmd_call(P, {pingpong, P#hpath.target, Secs}),
                {2 * N, Tm, A, Z}
        end,
    C1 = [cpu(X) || X <- Pids],
    [Dd1, Dd2, Ds, Dr] = [B - A || {A, B} <- lists:zip(C0, C1)],
    io:format(Out, "~b\t~s\t~s\t~b\t~b\t~.6f\t~.2f\t~.2f\t~.2f\t~.2f\t~.2f\t~.2f~n",
              [Round, P#hpath.name, Kind, Size, Msgs, T, Dd1, Dd2, Ds, Dr,
               float(P50), float(P99)]),
    io:format("round ~b ~s ~s ~b: ~b msgs in ~.2fs~n",
              [Round, P#hpath.name, Kind, Size, Msgs, T]).
