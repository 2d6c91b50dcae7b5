%% SPDX-License-Identifier: Apache-2.0
%% dgt_handler - the spawn handler of t_guard.sh ({handler, spawn_request,
%% dgt_handler}): logs each call it is given to $DGT_HANDLER_LOG, then
%% runs it, so the caller gets what the original function returns.
-module(dgt_handler).
-export([dist_spawn_init/4]).

dist_spawn_init(Peer, M, F, A) ->
    Log = os:getenv("DGT_HANDLER_LOG", "dgt_handler.log"),
    ok = file:write_file(Log, io_lib:format("~p ~p ~p ~p~n", [Peer, M, F, A]),
                         [append]),
    apply(M, F, A).
