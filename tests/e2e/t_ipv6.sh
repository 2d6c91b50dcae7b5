#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: IPv6.  inet6 nodes register with distguard over ::1 and are
# reached through listeners on "::", which take IPv4 peers too; an inet6
# node with distguard_epmd dials out through an egress port on ::1.
. "$(dirname "$0")/lib.sh"
# The peers a6, a4, ... are stock nodes standing in for peers of other
# hosts, so that they come in through the "::" listener (with the module
# they would dial b through an egress port instead): they register only
# because they listen.  b, the protected node, runs distguard_epmd
# (node_start), as do the egress nodes at the end.
DG_EGRESS=off

if ! python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	# Not counted as a pass: nothing ran.
	echo "# skipped: no IPv6 loopback (::1) on this machine"
	exit 0
fi
sed_listen() { sed -i 's/{listen, \[{address, "127.0.0.1"}/{listen, [{address, "::"}/' "$CONF"; }
write_conf '{default, deny}.' '{peer, "*", [ping, replies, {allow, reg_send, [echo]}]}.'
sed_listen
dg_start || exit 1

# The same node arguments, but inet6 on ::1 instead of IPv4 on 127.0.0.1.
ERL4=("${ERL_COMMON[@]}")
ERL6=()
for a in "${ERL4[@]}"; do
	[ "$a" = '{127,0,0,1}' ] && a='{0,0,0,0,0,0,0,1}'
	ERL6+=("$a")
done
v6() { local saved=("${ERL_COMMON[@]}"); ERL_COMMON=("${ERL6[@]}"); "$@"; local rc=$?; ERL_COMMON=("${saved[@]}"); return $rc; }
V6=(-proto_dist inet6_tcp)
v6 node_start b "${V6[@]}" || exit 1
check "an inet6 node registers over ::1" grep -q "node b registered from \[::1\]" "$T/dg.log"

r=$(v6 node_eval a6 "net_adm:ping(Node)" "${V6[@]}")
check "an inet6 peer pings it through the listener ($r)" [ "$r" = pong ]
check "the peer came in over IPv6" grep -q "conn .* \[::1\]:[0-9]* a6@$HOST -> b@$HOST: up" "$T/dg.log"

r=$(node_eval a4 "net_adm:ping(Node)")
check "an IPv4 peer pings the inet6 node through the dual-stack listener ($r)" [ "$r" = pong ]
check "the IPv4 peer is seen as ::ffff:127.0.0.1" grep -q "\[::ffff:127.0.0.1\]:[0-9]* a4@$HOST -> b@$HOST: up" "$T/dg.log"

r=$(v6 node_eval a6b "{echo, Node} ! {self(), hi6}, receive {echo, M} -> M after 5000 -> timeout end" "${V6[@]}")
check "messages flow over IPv6 both ways ($r)" [ "$r" = hi6 ]
r=$(v6 node_eval a6c "catch erpc:call(Node, erlang, node, [], 3000)" "${V6[@]}")
check "and the filter applies there too ($r)" grep -q notsup <<<"$r"

# Egress over IPv6: distguard_epmd tells an inet6 node to dial ::1, and
# the egress listener takes ::1 as well as 127.0.0.1 on the same port.
r=$(v6 node_eval e6 "net_adm:ping(Node)" "${V6[@]}" "${ERL_MOD[@]}")
check "an inet6 module node pings b through its egress port ($r)" [ "$r" = pong ]
check "... an egress session (the module gave it ::1 to dial)" \
    grep -q "b@$HOST <- egress from e6@$HOST: up" "$T/dg.log"
ep=$(sed -n "s/.*egress port \([0-9]*\) for b@$HOST\$/\1/p" "$T/dg.log" | tail -n 1)
check "the egress port ${ep:-?} listens on 127.0.0.1 and on ::1" \
    eval '[ -n "$ep" ] && ss -Hltn "sport = :$ep" | grep -q "127.0.0.1:$ep" &&
	ss -Hltn "sport = :$ep" | grep -q "\[::1\]:$ep"'
check "... and on nothing else" \
    eval '[ "$(ss -Hltn "sport = :$ep" | wc -l)" -eq 2 ]'
r=$(node_eval e4 "net_adm:ping(Node)" "${ERL_MOD[@]}")
check "an IPv4 module node reaches the inet6 node through the same port ($r)" [ "$r" = pong ]
check "... an egress session too" grep -q "b@$HOST <- egress from e4@$HOST: up" "$T/dg.log"
r=$(v6 node_eval e6b "catch erpc:call(Node, erlang, node, [], 3000)" "${V6[@]}" "${ERL_MOD[@]}")
check "b's rules judge what comes in over that egress session ($r)" grep -q notsup <<<"$r"

names=$(stock_epmd -names)
check "epmd -names (over ::1) lists the inet6 node" grep -q "^name b at port" <<<"$names"
check "the daemon is alive" dg_alive
done_tests
