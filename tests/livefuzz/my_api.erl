%% SPDX-License-Identifier: Apache-2.0
%% my_api - the MFA the live fuzzer's allow-list admits,
%% {allow, spawn_request, [{my_api, handle, 1}]}: a typical API entry that
%% takes a request term, matches what it knows and answers the rest.
-module(my_api).
-export([handle/1]).

handle({get, Key}) when is_atom(Key) -> {ok, Key};
handle({put, Key, Val}) when is_atom(Key) -> {ok, Key, erlang:phash2(Val)};
handle(List) when is_list(List) -> {ok, length(List)};
handle(_) -> {error, unknown}.
