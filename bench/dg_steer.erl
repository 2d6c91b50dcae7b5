%% SPDX-License-Identifier: Apache-2.0
%% dg_steer - an -epmd_module for the benchmarks: the stock erl_epmd for
%% everything, except that nodes named with `-dg_route Node Host:Port` on
%% the command line are reached at that address without asking epmd.
%%
%% Used to point the benchmark's sender nodes at the receiver directly, at
%% a socat relay, or at a distguard listener, all on loopback.
-module(dg_steer).
-export([start_link/0, register_node/2, register_node/3, port_please/2,
         port_please/3, listen_port_please/2, names/1, address_please/3]).

start_link() ->
    persistent_term:put(?MODULE, routes()),
    erl_epmd:start_link().

register_node(Name, Port) -> erl_epmd:register_node(Name, Port).
register_node(Name, Port, Family) -> erl_epmd:register_node(Name, Port, Family).
port_please(Name, Host) -> erl_epmd:port_please(Name, Host).
port_please(Name, Host, Timeout) -> erl_epmd:port_please(Name, Host, Timeout).
listen_port_please(Name, Host) -> erl_epmd:listen_port_please(Name, Host).
names(Host) -> erl_epmd:names(Host).

%% A routed node: its address and port, protocol version 6 (OTP 23+).
address_please(Name, Host, Family) ->
    Routes = persistent_term:get(?MODULE, #{}),
    case maps:find(lists:concat([Name, "@", Host]), Routes) of
        {ok, {Ip, Port}} -> {ok, Ip, Port, 6};
        error -> erl_epmd:address_please(Name, Host, Family)
    end.

routes() ->
    Args = case init:get_argument(dg_route) of
               {ok, L} -> L;
               error -> []
           end,
    maps:from_list([route(Node, Addr) || [Node, Addr | _] <- Args]).

route(Node, Addr) ->
    [IpText, PortText] = string:split(Addr, ":", trailing),
    {ok, Ip} = inet:parse_address(IpText),
    {Node, {Ip, list_to_integer(PortText)}}.
