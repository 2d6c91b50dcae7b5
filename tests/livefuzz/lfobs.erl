%% SPDX-License-Identifier: Apache-2.0
%% lfobs - the observer of the live fuzzer: a hidden node with allow_all
%% towards B that the harness (livefuzz.py) drives over stdin/stdout.
%%
%% main() reads B's name from the environment (LF_B), takes a baseline
%% (the kernel servers' pids, the atom count), prints
%%   "baseline ATOMS LIMIT"
%% and then answers each line "check" with one line:
%%   "ok ATOMS GLOBAL_MS QLEN"   B answered; the servers keep their pids;
%%                               global:registered_names() answered
%%                               within a second (GLOBAL_MS)
%%   "fail REASON"               otherwise (REASON says which check)
%% It halts on "quit" or end of input.
-module(lfobs).
-export([main/0]).

main() ->
    B = list_to_atom(os:getenv("LF_B")),
    case base(B, 20) of
        {ok, Pids, Atoms, Limit} ->
            io:format("baseline ~b ~b~n", [Atoms, Limit]),
            loop(B, Pids);
        {error, R} ->
            io:format("fail no baseline: ~0p~n", [R])
    end,
    halt().

base(_B, 0) -> {error, unreachable};
base(B, N) ->
    case catch erpc:call(B, lfnode, probe, [], 3000) of
        {Pids, Atoms, Limit, _Q} when is_list(Pids) -> {ok, Pids, Atoms, Limit};
        _ -> timer:sleep(250), base(B, N - 1)
    end.

loop(B, Pids) ->
    case io:get_line("") of
        "check\n" -> io:format("~s~n", [check(B, Pids)]), loop(B, Pids);
        "quit\n" -> ok;
        eof -> ok;
        _ -> io:format("fail unknown command~n"), loop(B, Pids)
    end.

check(B, Pids) ->
    case catch erpc:call(B, lfnode, probe, [], 5000) of
        {Now, Atoms, _Limit, Q} when is_list(Now) ->
            Changed = [N || {N, P} <- Pids, proplists:get_value(N, Now) =/= P],
            T0 = erlang:monotonic_time(millisecond),
            G = (catch erpc:call(B, global, registered_names, [], 1000)),
            Ms = erlang:monotonic_time(millisecond) - T0,
            K = (catch erpc:call(B, gen_server, call,
                                 [global_name_server, get_known, 1000], 2000)),
            if Changed =/= [] ->
                   io_lib:format("fail servers restarted or gone: ~0p", [Changed]);
               not is_list(G) ->
                   io_lib:format("fail global:registered_names(): ~0P", [G, 8]);
               Ms > 1000 ->
                   io_lib:format("fail global:registered_names() took ~b ms", [Ms]);
               not is_list(K) ->
                   io_lib:format("fail global_name_server does not answer: ~0P", [K, 8]);
               true ->
                   io_lib:format("ok ~b ~b ~b", [Atoms, Ms, Q])
            end;
        Other ->
            io_lib:format("fail B does not answer: ~0P", [Other, 8])
    end.
