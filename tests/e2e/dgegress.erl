%% SPDX-License-Identifier: Apache-2.0
%% dgegress - helpers of the egress end-to-end test (t_egress.sh).
-module(dgegress).
-export([attacker/2, forge_pid/2]).

%% attacker(Target, Marker): in the background, waits (at most 60 s) for
%% Target to be connected, then asks it to run os:cmd creating Marker,
%% and prints "attack result R".  A connection made by Target is enough:
%% the attacker never dials Target itself.
attacker(Target, Marker) ->
    spawn(fun() -> wait_and_attack(Target, Marker, 600) end).

wait_and_attack(_Target, _Marker, 0) ->
    io:format("attack result never_connected~n");
wait_and_attack(Target, Marker, N) ->
    case lists:member(Target, nodes(connected)) of
        true ->
            R = try erpc:call(Target, os, cmd, ["touch " ++ Marker], 5000)
                catch C:E -> {C, E}
                end,
            io:format("attack result ~0p~n", [R]);
        false ->
            timer:sleep(100),
            wait_and_attack(Target, Marker, N - 1)
    end.

%% A pid of Node that nobody disclosed: pids are guessable.
forge_pid(Node, Id) ->
    Name = atom_to_binary(Node, utf8),
    binary_to_term(<<131, 88, 119, (byte_size(Name)):8, Name/binary,
                     Id:32, 0:32, 0:32>>).
