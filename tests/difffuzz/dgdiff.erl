%% SPDX-License-Identifier: Apache-2.0
%% dgdiff.erl - the differential fuzzer (issue 26, item 2): distguard's
%% reading of a control message and its payload against what this node's
%% decoder builds from the same bytes.
%%
%% Cases are generated from the shapes that run code or name a target
%% (SPAWN_REQUEST plain and through erpc, rex's call/block_call/cast,
%% net_kernel's spawn, REG_SEND and SEND with payloads holding funs, pids
%% and atoms), encoded in every way the external format allows (argument
%% lists proper, split over tails, LIST_EXT(0, T), a string tail, improper;
%% atoms in each of the four encodings; integers small, 32-bit and bignum;
%% tuples small and large), and then, for a share of them, mutated byte by
%% byte.  Each case goes to tests/difffuzz/dg_read (a port program linking
%% libdistguard.a), and its answer is compared with binary_to_term's:
%%
%%   - the operation, the registered name, the sender pid's node;
%%   - for a code request: the MFA that runs and its arity, as rex, erpc,
%%     net_kernel and the spawn service would take them from the terms;
%%   - when distguard says it saw the payload whole: whether it holds a fun,
%%     and that every atom the node's terms hold is one distguard counted
%%     (it may count more: a local fun's creator pid is decoded, so its
%%     node atom is created, but from OTP 26 on the fun does not keep it).
%%
%% A difference is a fact distguard states that the node's terms do not
%% bear out.  distguard refusing a message (an error, or an opaque code
%% request that only allow_all passes) is not one: it is counted apart.
%%
%%   dgdiff:run(Helper, N, Seed) -> prints a summary, returns the number of
%%   differences; the first 20 are printed with their bytes.
-module(dgdiff).
-export([run/3, main/1]).

main([Helper, N, Seed]) ->
    D = run(Helper, list_to_integer(N), list_to_integer(Seed)),
    halt(if D =:= 0 -> 0; true -> 1 end).

run(Helper, N, Seed) ->
    rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 5}),
    Port = open_port({spawn_executable, Helper}, [{packet, 4}, binary, use_stdio]),
    C0 = #{compared => 0, diffs => 0, erts_refused => 0, dg_refused => 0,
           dg_opaque => 0, code => 0, mutated => 0, whole => 0},
    C = loop(Port, N, C0),
    port_close(Port),
    io:format("dgdiff: seed ~p, ~p cases: ~p compared (~p code requests, "
              "~p payloads seen whole), ~p differences; ~p mutated; not "
              "compared: ~p refused by the node's decoder, ~p refused by "
              "distguard, ~p opaque to distguard~n",
              [Seed, N, maps:get(compared, C), maps:get(code, C),
               maps:get(whole, C), maps:get(diffs, C), maps:get(mutated, C),
               maps:get(erts_refused, C), maps:get(dg_refused, C),
               maps:get(dg_opaque, C)]),
    maps:get(diffs, C).

loop(_Port, 0, C) -> C;
loop(Port, N, C) ->
    {Bytes0, _} = gen(),
    {Bytes, Mut} = case rand:uniform(10) =< 3 of
                       true -> {mutate(Bytes0), 1};
                       false -> {Bytes0, 0}
                   end,
    Port ! {self(), {command, Bytes}},
    Ans = receive {Port, {data, D}} -> parse(D)
          after 10000 -> exit(helper_timeout) end,
    C1 = C#{mutated := maps:get(mutated, C) + Mut},
    loop(Port, N - 1, judge(Bytes, erts_read(Bytes), Ans, C1)).

%% ---- the node's reading --------------------------------------------------

%% {ok, Ctl, Payload | none} or refused: control term, then the payload
%% if any bytes follow, each decoded as the node decodes it (both must be
%% whole terms, and nothing may follow).
erts_read(Bytes) ->
    try binary_to_term(<<131, Bytes/binary>>, [used]) of
        {Ctl, Used} when Used - 1 =:= byte_size(Bytes) -> {ok, Ctl, none};
        {Ctl, Used} ->
            Rest = binary:part(Bytes, Used - 1, byte_size(Bytes) - Used + 1),
            try binary_to_term(<<131, Rest/binary>>, [used]) of
                {Pl, U2} when U2 - 1 =:= byte_size(Rest) -> {ok, Ctl, Pl};
                _ -> refused
            catch _:_ -> refused
            end
    catch _:_ -> refused
    end.

%% What runs: {M, F, Arity} or none; Arity is improper when the argument
%% list is not a proper list.
runs({29, _, _, _, {M, F, _}, _}, Args) -> spawn_mfa(M, F, Args);
runs({30, _, _, _, {M, F, _}, _, _}, Args) -> spawn_mfa(M, F, Args);
runs({6, _, _, rex}, Pl) -> rex(Pl);
runs({16, _, _, rex, _}, Pl) -> rex(Pl);
runs({6, _, _, net_kernel}, Pl) -> net_kernel(Pl);
runs({16, _, _, net_kernel, _}, Pl) -> net_kernel(Pl);
runs(_, _) -> none.

spawn_mfa(erpc, execute_call, [_Ref, M, F, A]) -> mfa(M, F, A);
spawn_mfa(erpc, execute_cast, [M, F, A]) -> mfa(M, F, A);
spawn_mfa(M, F, A) -> mfa(M, F, A).

mfa(M, F, A) when is_atom(M), is_atom(F) -> {M, F, arity(A)};
mfa(_, _, _) -> odd.

arity(A) ->
    try length(A) catch _:_ -> improper end.

rex({'$gen_call', _, {call, M, F, A, _}}) -> mfa(M, F, A);
rex({'$gen_call', _, {block_call, M, F, A, _}}) -> mfa(M, F, A);
rex({'$gen_cast', {cast, M, F, A, _}}) -> mfa(M, F, A);
rex({_, {call, M, F, A, _}}) -> mfa(M, F, A);
rex(_) -> none.

net_kernel({'$gen_call', _, {spawn, M, F, A, _}}) -> mfa(M, F, A);
net_kernel({'$gen_call', _, {spawn_link, M, F, A, _}}) -> mfa(M, F, A);
net_kernel({'$gen_call', _, {spawn_opt, M, F, A, _, _, _}}) -> mfa(M, F, A);
net_kernel(_) -> none.

%% The sender pid's node, for the ops whose sender is a pid element.
from_node(Ctl) ->
    Pos = case element(1, Ctl) of
              6 -> 2; 16 -> 2; 22 -> 2; 23 -> 2; 1 -> 2;
              29 -> 3; 30 -> 3;
              _ -> 0
          end,
    case Pos > 0 andalso Pos =< tuple_size(Ctl) andalso
        is_pid(element(Pos, Ctl)) of
        true -> atom_to_binary(node(element(Pos, Ctl)), utf8);
        false -> none
    end.

reg_name({6, _, _, Name}) when is_atom(Name) -> Name;
reg_name({16, _, _, Name, _}) when is_atom(Name) -> Name;
reg_name(_) -> none.

%% Funs and atoms a term holds, as the node built them.
facts(T, Acc) when is_atom(T) -> add_atom(T, Acc);
facts(T, Acc) when is_pid(T); is_port(T); is_reference(T) ->
    add_atom(node(T), Acc);
facts(T, {Atoms, _}) when is_function(T) ->
    Info = erlang:fun_info(T),
    {module, M} = lists:keyfind(module, 1, Info),
    {name, F} = lists:keyfind(name, 1, Info),
    %% A local fun's encoding names its module, not its function (the
    %% node finds that in the loaded module); an export names both.
    A2 = case lists:keyfind(type, 1, Info) of
             {type, local} ->
                 {pid, P} = lists:keyfind(pid, 1, Info),
                 {env, Env} = lists:keyfind(env, 1, Info),
                 {As, _} = lists:foldl(fun facts/2, {[M | Atoms], true}, Env),
                 %% From OTP 26 a fun keeps no creator pid: fun_info
                 %% shows a local one, whatever was sent.
                 case list_to_integer(erlang:system_info(otp_release)) of
                     R when R >= 26 -> As;
                     _ -> [node(P) | As]
                 end;
             _ -> [M, F | Atoms]
         end,
    {A2, true};
facts(T, Acc) when is_tuple(T) -> facts(tuple_to_list(T), Acc);
facts(T, Acc) when is_map(T) ->
    facts(maps:values(T), facts(maps:keys(T), Acc));
facts([H | T], Acc) -> facts(T, facts(H, Acc));
facts(_, Acc) -> Acc.

add_atom(A, {Atoms, Fun}) -> {[A | Atoms], Fun}.

%% ---- distguard's reading --------------------------------------------------

parse(D) ->
    [Rc, Op, Via, Opaque, Arity, M, F, Name, From, PlState, Fun, _N | Atoms] =
        binary:split(D, <<" ">>, [global]),
    #{rc => i(Rc), op => i(Op), via => i(Via), opaque => i(Opaque),
      arity => i(Arity), m => h(M), f => h(F), name => h(Name),
      from => h(From), pl_state => i(PlState), fun_ => i(Fun),
      atoms => [h(A) || A <- Atoms]}.

i(B) -> binary_to_integer(B).
h(<<"-">>) -> none;
h(<<"=">>) -> <<>>;
h(B) -> binary:decode_hex(B).

%% ---- comparison ------------------------------------------------------------

-define(PL_PROVEN, 1).

judge(_Bytes, refused, _Ans, C) -> bump(erts_refused, C);
judge(_Bytes, _Erts, #{rc := Rc}, C) when Rc =/= 0 -> bump(dg_refused, C);
judge(Bytes, {ok, Ctl, Pl}, Ans, C0) ->
    C = bump(compared, C0),
    Runs = runs(Ctl, Pl),
    Diffs =
        check(op, element(1, Ctl), maps:get(op, Ans)) ++
        check(name, bin(reg_name(Ctl)), maps:get(name, Ans)) ++
        check(from, from_node(Ctl), maps:get(from, Ans)) ++
        code_diffs(Runs, Ans) ++
        payload_diffs(Ctl, Pl, Ans),
    C1 = case Runs of
             {_, _, _} -> bump(code, C);
             _ -> C
         end,
    C2 = case maps:get(opaque, Ans) of
             1 -> bump(dg_opaque, C1);
             _ -> C1
         end,
    C3 = case maps:get(pl_state, Ans) of
             ?PL_PROVEN -> bump(whole, C2);
             _ -> C2
         end,
    case Diffs of
        [] -> C3;
        _ ->
            N = maps:get(diffs, C3),
            N < 20 andalso
                io:format("DIFF ~p~n  bytes ~s~n  erts ~p ~p~n  distguard ~p~n",
                          [Diffs, binary:encode_hex(Bytes), Ctl, Pl, Ans]),
            C3#{diffs := N + 1}
    end.

bump(K, C) -> C#{K := maps:get(K, C) + 1}.

bin(none) -> none;
bin(A) when is_atom(A) -> atom_to_binary(A, utf8).

check(_, X, X) -> [];
check(What, Erts, Dg) -> [{What, Erts, Dg}].

%% A code request distguard names must be the one that runs; one it does
%% not name must be opaque (only allow_all passes those).
code_diffs(Runs, #{opaque := 1}) when Runs =/= none -> [];
code_diffs({M, F, A}, #{via := V, m := DM, f := DF, arity := DA}) when V > 0 ->
    check(mfa, {atom_to_binary(M, utf8), atom_to_binary(F, utf8), A},
          {DM, DF, case DA of -1 -> improper; _ -> DA end});
code_diffs({_, _, _} = R, #{via := 0}) -> [{missed_code, R}];
code_diffs(odd, #{opaque := 0, via := V}) when V > 0 -> [{odd_mfa_named}];
code_diffs(_, _) -> [].

%% Seen whole, the payload's funs and the atoms of both terms must match.
payload_diffs(Ctl, Pl, #{pl_state := ?PL_PROVEN} = Ans) ->
    {CA, _} = facts(Ctl, {[], false}),
    {PA, PF} = case Pl of
                   none -> {[], false};
                   _ -> facts(Pl, {[], false})
               end,
    Atoms = lists:usort([atom_to_binary(A, utf8) || A <- CA ++ PA]),
    %% Every atom the node's terms hold must be one distguard counted.
    %% distguard may count more: the node of a local fun's creator pid is
    %% decoded (so created) but not kept in the fun from OTP 26 on.
    Missed = Atoms -- lists:usort(maps:get(atoms, Ans)),
    check(funs, PF, maps:get(fun_, Ans) =:= 1) ++
        check(atoms_not_counted, [], Missed);
payload_diffs(_, _, _) -> [].

%% ---- generation --------------------------------------------------------------

pick(L) -> lists:nth(rand:uniform(length(L)), L).

names() -> [<<"m">>, <<"os">>, <<"cmd">>, <<"file">>, <<"write_file">>,
            <<"erpc">>, <<"execute_call">>, <<"execute_cast">>, <<"rex">>,
            <<"net_kernel">>, <<"call">>, <<"block_call">>, <<"cast">>,
            <<"spawn">>, <<"spawn_link">>, <<"spawn_opt">>, <<"$gen_call">>,
            <<"$gen_cast">>, <<"gateway">>, <<"x">>, <<"true">>,
            <<"caf", 233/utf8>>, <<"a@h">>, <<"b@h">>, <<"">>].

%% An atom in one of its encodings; Latin-1 ones only when they can be.
e_atom(Name) ->
    Latin = try unicode:characters_to_binary(Name, utf8, latin1) of
                L when is_binary(L) -> L;
                _ -> none
            catch _:_ -> none
            end,
    case rand:uniform(10) of
        1 when Latin =/= none -> <<115, (byte_size(Latin)), Latin/binary>>;
        2 when Latin =/= none -> <<100, (byte_size(Latin)):16, Latin/binary>>;
        3 -> <<118, (byte_size(Name)):16, Name/binary>>;
        _ -> <<119, (byte_size(Name)), Name/binary>>
    end.

e_int(I) when I >= 0, I < 256 ->
    case rand:uniform(6) of
        1 -> <<98, I:32/signed>>;
        2 -> <<110, 1, 0, I>>;
        _ -> <<97, I>>
    end;
e_int(I) -> <<98, I:32/signed>>.

e_tuple(Els) ->
    N = length(Els),
    H = case rand:uniform(8) of
            1 -> <<105, N:32>>;
            _ -> <<104, N>>
        end,
    iolist_to_binary([H | Els]).

e_pid(Node) -> <<88, (e_atom(Node))/binary, 42:32, 0:32, 1:32>>.
e_ref(Node) -> <<90, 3:16, (e_atom(Node))/binary, 1:32, 2:32, 3:32, 4:32>>.

%% A list of encoded elements, in one of the encodings ERTS reads.
e_list(Els) ->
    N = length(Els),
    case rand:uniform(12) of
        1 when N > 0 ->                         % split over tails
            K = rand:uniform(N),
            {A, B} = lists:split(K - 1, Els),
            iolist_to_binary([<<108, (length(A)):32>>, A, e_list_plain(B)]);
        2 ->                                    % LIST_EXT(0, T)
            iolist_to_binary([<<108, 0:32>>, e_list_plain(Els)]);
        3 when N > 0 ->                         % improper: a non-list tail
            {A, [Last]} = lists:split(N - 1, Els),
            iolist_to_binary([<<108, (length(A)):32>>, A, Last]);
        4 ->                                    % a string tail
            S = << <<(rand:uniform(100))>> || _ <- lists:seq(1, rand:uniform(3) - 1) >>,
            iolist_to_binary([<<108, N:32>>, Els, <<107, (byte_size(S)):16>>, S]);
        5 ->                                    % a string as the list
            S = << <<(rand:uniform(100))>> || _ <- lists:seq(1, N) >>,
            <<107, N:16, S/binary>>;
        _ -> e_list_plain(Els)
    end.

e_list_plain([]) -> <<106>>;
e_list_plain(Els) -> iolist_to_binary([<<108, (length(Els)):32>>, Els, <<106>>]).

%% Payload leaves: atoms, pids, funs, binaries, maps.
e_leaf() ->
    case rand:uniform(9) of
        1 -> e_atom(pick(names()));
        2 -> e_pid(pick([<<"a@h">>, <<"b@h">>]));
        3 -> e_int(rand:uniform(300) - 1);
        4 -> <<113, (e_atom(<<"os">>))/binary, (e_atom(<<"cmd">>))/binary, 97, 1>>;
        5 -> fun_bytes();
        6 -> <<109, 3:32, "abc">>;
        7 -> <<116, 1:32, (e_atom(<<"k">>))/binary, (e_leaf())/binary>>;
        8 -> e_ref(<<"a@h">>);
        _ -> e_list([e_leaf() || _ <- lists:seq(1, rand:uniform(3) - 1)])
    end.

fun_bytes() ->
    F = fun(X) -> X end,
    <<131, B/binary>> = term_to_binary(F),
    B.

args() -> e_list([e_leaf() || _ <- lists:seq(1, rand:uniform(4) - 1)]).

mfa_bytes() ->
    [e_atom(pick([<<"os">>, <<"m">>, <<"file">>])),
     e_atom(pick([<<"cmd">>, <<"f">>, <<"write_file">>])), args()].

gen() ->
    Me = e_pid(<<"a@h">>),
    case rand:uniform(9) of
        1 ->                                        % SPAWN_REQUEST
            {M, F} = {pick([<<"m">>, <<"os">>, <<"erpc">>]),
                      pick([<<"f">>, <<"cmd">>, <<"execute_call">>, <<"execute_cast">>])},
            Ctl = e_tuple([e_int(29), e_ref(<<"a@h">>), Me, Me,
                           e_tuple([e_atom(M), e_atom(F), e_int(rand:uniform(4) - 1)]),
                           e_list([])]),
            {<<Ctl/binary, (args())/binary>>, spawn};
        2 ->                                        % SPAWN_REQUEST via erpc
            F = pick([<<"execute_call">>, <<"execute_cast">>]),
            Ctl = e_tuple([e_int(29), e_ref(<<"a@h">>), Me, Me,
                           e_tuple([e_atom(<<"erpc">>), e_atom(F), e_int(4)]),
                           e_list([])]),
            Inner = case F of
                        <<"execute_call">> -> [e_ref(<<"a@h">>) | mfa_bytes()];
                        _ -> mfa_bytes()
                    end,
            {<<Ctl/binary, (e_list(Inner))/binary>>, erpc};
        3 ->                                        % rex
            Ctl = e_tuple([e_int(6), Me, e_atom(<<"">>), e_atom(<<"rex">>)]),
            Req = e_tuple([e_atom(pick([<<"call">>, <<"block_call">>, <<"cast">>]))
                           | mfa_bytes()] ++ [Me]),
            Pl = case rand:uniform(3) of
                     1 -> e_tuple([e_atom(<<"$gen_call">>),
                                   e_tuple([Me, e_ref(<<"a@h">>)]), Req]);
                     2 -> e_tuple([e_atom(<<"$gen_cast">>), Req]);
                     3 -> e_tuple([Me, Req])
                 end,
            {<<Ctl/binary, Pl/binary>>, rex};
        4 ->                                        % net_kernel
            Ctl = e_tuple([e_int(6), Me, e_atom(<<"">>), e_atom(<<"net_kernel">>)]),
            Req = case rand:uniform(2) of
                      1 -> e_tuple([e_atom(pick([<<"spawn">>, <<"spawn_link">>]))
                                    | mfa_bytes()] ++ [Me]);
                      2 -> e_tuple([e_atom(<<"spawn_opt">>) | mfa_bytes()] ++
                                   [e_list([]), e_atom(<<"true">>), Me])
                  end,
            Pl = e_tuple([e_atom(<<"$gen_call">>), e_tuple([Me, e_ref(<<"a@h">>)]), Req]),
            {<<Ctl/binary, Pl/binary>>, net_kernel};
        5 ->                                        % REG_SEND of anything
            Ctl = e_tuple([e_int(6), Me, e_atom(<<"">>),
                           e_atom(pick([<<"gateway">>, <<"x">>, <<"caf", 233/utf8>>]))]),
            {<<Ctl/binary, (e_leaf())/binary>>, reg_send};
        _ ->                                        % SEND to a pid
            Ctl = e_tuple([e_int(2), e_atom(<<"">>), e_pid(<<"b@h">>)]),
            Pl = e_tuple([e_leaf() || _ <- lists:seq(1, rand:uniform(4))]),
            {<<Ctl/binary, Pl/binary>>, send}
    end.

%% One to three byte changes: replace, insert or delete.
mutate(B) ->
    lists:foldl(fun(_, Acc) -> mutate1(Acc) end, B, lists:seq(1, rand:uniform(3))).

mutate1(<<>>) -> <<0>>;
mutate1(B) ->
    P = rand:uniform(byte_size(B)) - 1,
    <<H:P/binary, X, T/binary>> = B,
    V = pick([0, 1, 2, 97, 100, 104, 106, 107, 108, 115, 118, 119, 255,
              X bxor (1 bsl (rand:uniform(8) - 1))]),
    case rand:uniform(3) of
        1 -> <<H/binary, V, T/binary>>;
        2 -> <<H/binary, V, X, T/binary>>;
        3 -> <<H/binary, T/binary>>
    end.
