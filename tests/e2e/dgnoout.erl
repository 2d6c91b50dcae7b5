%% SPDX-License-Identifier: Apache-2.0
%% dgnoout - an EPMD module for test nodes that never dial another host:
%% erl_epmd for everything, but no address for a node of another host.
%% t_egress.sh gives it to P3, so that global's sync is settled by B
%% dialling P3 (the attack under test), not by P3 dialling B.
-module(dgnoout).
-export([start_link/0, register_node/2, register_node/3, port_please/2,
         port_please/3, address_please/3, names/0, names/1,
         listen_port_please/2]).

start_link() -> erl_epmd:start_link().
register_node(Name, Port) -> erl_epmd:register_node(Name, Port).
register_node(Name, Port, Family) -> erl_epmd:register_node(Name, Port, Family).
port_please(Name, Ip) -> erl_epmd:port_please(Name, Ip).
port_please(Name, Ip, Timeout) -> erl_epmd:port_please(Name, Ip, Timeout).
names() -> erl_epmd:names().
names(Host) -> erl_epmd:names(Host).
listen_port_please(Name, Host) -> erl_epmd:listen_port_please(Name, Host).

address_please(Name, Host, Family) ->
    [_, Mine] = string:split(atom_to_list(node()), "@"),
    case Host of
        Mine -> erl_epmd:address_please(Name, Host, Family);
        _ -> {error, nxdomain}
    end.
