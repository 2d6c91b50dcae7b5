%% SPDX-License-Identifier: Apache-2.0
%% lfnode - node B of the live fuzzer (tests/livefuzz/), behind distguard.
%%
%% serve(Secs) registers what the allow-list of the fuzz admits - a
%% gen_server `gateway` (its state holds a secret, as a real service's
%% would) and the module my_api (lfnode's handle/1 stands in for it) -
%% prints "dgt ready" and lives Secs seconds.  probe/0 is what the
%% observer calls after each batch: the pids of the kernel servers the
%% fuzz must not kill, and the atom table's use.
-module(lfnode).
-behaviour(gen_server).
-export([serve/1, probe/0, init/1, handle_call/3, handle_cast/2,
         handle_info/2]).

serve(Secs) ->
    {ok, _} = gen_server:start({local, gateway}, ?MODULE, [], []),
    io:format("dgt ready ~p otp ~s~n", [node(), erlang:system_info(otp_release)]),
    receive stop -> ok after Secs * 1000 -> ok end,
    halt().

%% {Pids, AtomCount, AtomLimit, GlobalQueueLen}
probe() ->
    Names = [global_name_server, net_kernel, rex, application_controller,
             code_server, gateway],
    Q = case whereis(global_name_server) of
            undefined -> -1;
            G -> element(2, erlang:process_info(G, message_queue_len))
        end,
    {[{N, whereis(N)} || N <- Names], erlang:system_info(atom_count),
     erlang:system_info(atom_limit), Q}.

init([]) -> {ok, #{secret => lfnode_secret, calls => 0}}.
handle_call(ping, _From, S) -> {reply, pong, S};
handle_call({echo, X}, _From, S) -> {reply, X, S};
handle_call(_Req, _From, S = #{calls := N}) -> {reply, unknown, S#{calls := N + 1}}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
