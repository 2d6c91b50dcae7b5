%% SPDX-License-Identifier: Apache-2.0
%% distguard - the runtime API of a node behind distguard (issue 21,
%% docs/FILTER.md 25): this node changes and reads its own policy, the
%% rules for what peers may do to it, while it runs.
%%
%% Every call goes to the local distguard_epmd process, which sends it on
%% the node's registration connection; the daemon answers it nowhere
%% else, so it knows the caller is the registered node and never takes a
%% node name from the request.  Changes are an overlay on the
%% configuration file's policy, like grants: they apply to connections
%% already up from their next message and to new ones from their first,
%% and they end with the node's registration, a reload of the daemon, or
%% its restart (keep in the file what must last).
%%
%% Peer: a node name (atom, string or binary) or a pattern ("web@*").
%% Type: link | exit | monitor | send | reg_send | group_leader |
%%       spawn_request | alias_send | altact.
%% Action: allow | deny | reject (the RFC's word for deny) | drop.
%% Target: a registered name (reg_send) or {M, F, A} (spawn_request;
%%       '_' anywhere in it for any).
%%
%% Elixir calls the same functions: :distguard.set_filter(peer, type, action).
-module(distguard).

-export([set_filter/3, add_filter/4, del_filter/3, test_filter/3,
         set_handler/3, set_default_filter/3, stats/0, policy/0]).

-define(OP_SET_FILTER, 1).
-define(OP_ADD_FILTER, 2).
-define(OP_DEL_FILTER, 3).
-define(OP_TEST_FILTER, 4).
-define(OP_SET_HANDLER, 5).
-define(OP_SET_DEFAULT, 6).
-define(OP_STATS, 7).
-define(OP_POLICY, 8).
-define(TIMEOUT, 15000).

-type peer() :: node() | string() | binary().
-type type() :: link | exit | monitor | send | reg_send | group_leader |
                spawn_request | alias_send | altact.
-type action() :: allow | deny | reject | drop.
-type target() :: atom() | {atom(), atom(), arity() | '_'}.
-type error() :: {error, unicode:unicode_binary()}.

%% Every message of Type from Peer: Action (unless a target rule of the
%% API decides first).
-spec set_filter(peer(), type(), action()) -> ok | error().
set_filter(Peer, Type, Action) ->
    change(?OP_SET_FILTER, [peer(Peer), type(Type), action(Action)]).

%% Messages of Type from Peer to Target: Action.
-spec add_filter(peer(), type(), target(), action()) -> ok | error().
add_filter(Peer, Type, Target, Action) ->
    change(?OP_ADD_FILTER, [peer(Peer), type(Type), target(Type, Target),
                            action(Action)]).

%% Removes a filter add_filter set; Target '_' removes set_filter's.
-spec del_filter(peer(), type(), target() | '_') -> ok | error().
del_filter(Peer, Type, '_') ->
    change(?OP_DEL_FILTER, [peer(Peer), type(Type), <<>>]);
del_filter(Peer, Type, Target) ->
    change(?OP_DEL_FILTER, [peer(Peer), type(Type), target(Type, Target)]).

%% What the daemon would do now with a message of Type to Target from the
%% node Peer, and the rule that decides: {file, Line}, api (a change made
%% through this module) or builtin (the default deny, "not admitted").
%% Target none: a type without one.  The payload's own checks (code
%% guard, OTP protocols, atom budget) are not part of the answer.
-spec test_filter(node() | string() | binary(), type(), target() | none) ->
          {allow | deny | drop, {{file, pos_integer()} | api | builtin,
                                 unicode:unicode_binary()}} | error().
test_filter(Peer, Type, none) ->
    call(?OP_TEST_FILTER, [peer(Peer), type(Type), <<>>]);
test_filter(Peer, Type, Target) ->
    call(?OP_TEST_FILTER, [peer(Peer), type(Type), target(Type, Target)]).

%% Type spawn_request: the spawn requests Peer may make run through
%% Module:dist_spawn_init/4 (docs/FILTER.md 14).  Type reg_send, send,
%% alias_send or group_leader: each allowed message of that type from Peer
%% runs Module:reg_send(PeerNode, From, ToName, Msg), send(PeerNode, From,
%% ToPid, Msg), alias_send(PeerNode, From, Alias, Msg) or
%% group_leader(PeerNode, GroupLeader, Pid) in a new process of this node
%% instead of reaching its target (docs/FILTER.md 26).
-spec set_handler(peer(), type(), module()) -> ok | error().
set_handler(Peer, Type, Module) when is_atom(Module) ->
    change(?OP_SET_HANDLER, [peer(Peer), type(Type),
                             atom_to_binary(Module, utf8)]).

%% For every peer: messages of Type to Target get Action when no filter
%% of the peer decides (Target '_': the whole type).
-spec set_default_filter(type(), target() | '_', action()) -> ok | error().
set_default_filter(Type, '_', Action) ->
    change(?OP_SET_DEFAULT, [type(Type), <<>>, action(Action)]);
set_default_filter(Type, Target, Action) ->
    change(?OP_SET_DEFAULT, [type(Type), target(Type, Target),
                             action(Action)]).

%% This node's counters: [{Peer, Type, allow | deny | drop, Count}], for
%% every peer the daemon saw since it started, both directions.
-spec stats() -> [{binary(), type(), allow | deny | drop,
                   non_neg_integer()}] | error().
stats() ->
    call(?OP_STATS, []).

%% The changes in force for this node, then the file its other rules
%% come from: [{filter, Peer, Type, Target | '_', Action} |
%% {handler, Peer, Type, Module} | {default_filter, Type, Target | '_',
%% Action} | {file, Path}].
-spec policy() -> [tuple()] | error().
policy() ->
    call(?OP_POLICY, []).

%%% Internals

change(Op, Args) ->
    case call(Op, Args) of
        ok -> ok;
        {error, _} = E -> E
    end.

call(Op, Args) ->
    known_atoms(),
    try gen_server:call(distguard_epmd, {api, Op, Args}, ?TIMEOUT) of
        {ok, Term} -> Term;
        {error, Why} when is_binary(Why) -> {error, Why};
        {error, Why} -> {error, unicode:characters_to_binary(
                                  io_lib:format("~0p", [Why]))}
    catch
        exit:{noproc, _} ->
            {error, <<"distguard_epmd is not this node's EPMD module">>};
        exit:Why ->
            {error, unicode:characters_to_binary(
                      io_lib:format("distguard_epmd not answering (~0p)",
                                    [Why]))}
    end.

%% The daemon's replies are read with binary_to_term(_, [safe]): every
%% atom they may hold is named here, so it exists in this node.
known_atoms() ->
    [ok, allow, deny, drop, file, api, builtin, filter, handler,
     default_filter, '_', link, exit, monitor, send, reg_send, group_leader,
     spawn_request, alias_send, altact].

peer(P) when is_atom(P) -> atom_to_binary(P, utf8);
peer(P) when is_list(P) -> unicode:characters_to_binary(P);
peer(P) when is_binary(P) -> P;
peer(P) -> erlang:error(badarg, [P]).

type(T) when is_atom(T) -> atom_to_binary(T, utf8);
type(T) -> erlang:error(badarg, [T]).

action(A) when A =:= allow; A =:= deny; A =:= reject; A =:= drop ->
    atom_to_binary(A, utf8);
action(A) -> erlang:error(badarg, [A]).

target(_, Name) when is_atom(Name) ->
    atom_to_binary(Name, utf8);
target(_, {M, F, A}) when is_atom(M), is_atom(F),
                          (is_integer(A) orelse A =:= '_') ->
    Ar = case A of '_' -> <<"_">>; _ -> integer_to_binary(A) end,
    <<(atom_to_binary(M, utf8))/binary, ":",
      (atom_to_binary(F, utf8))/binary, "/", Ar/binary>>;
target(_, T) -> erlang:error(badarg, [T]).
