#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: one policy resolution per connection, from the final names.
# Admission checks a provisional name (alive@<this host's short name>),
# since B's full name only arrives in B's challenge; the policy that is
# applied, and the last word on admission, are those of B's real name.
# The nodes here are long-named (b@127.0.0.1), so the provisional name and
# the real one differ and their {node} scopes can be told apart.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected nodes b and c run distguard_epmd (lnode_start).
DG_EGRESS=off

LHOST=127.0.0.1
# lnode_start NAME: a long-named node running dgt:serve().
lnode_start() {
	local name=$1
	timeout -k 2 150 erl -name "$name@$LHOST" "${ERL_COMMON[@]}" "${ERL_MOD[@]}" \
	    -eval "dgt:serve()" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/dg.log" "node $name registered" 15 || { not_ok "node $name registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
}
# leval NAME TARGET EXPR: a short-lived long-named node evaluating EXPR.
leval() {
	timeout -k 2 ${EVAL_TIMEOUT:-40} erl -name "$1@$LHOST" "${ERL_COMMON[@]}" \
	    -eval "Node = '$2', R = begin $3 end, io:format(\"~p~n\", [R]), halt()." 2>&1
}

# The top level admits nobody.  b: a scope for b@* admits p with ping
# only.  c: its real name's scope (first in file order) admits nobody;
# the provisional name c@<short host> falls to the next scope, which
# admits p with everything.
write_conf '{default, deny}.' \
    "{node, \"c@$LHOST\", [{default, deny}]}." \
    '{node, "c@*", [{peer, "p@*", [allow_all]}]}.' \
    '{node, "b@*", [{peer, "p@*", [ping]}]}.'
dg_start || exit 1
lnode_start b || exit 1
lnode_start c || exit 1
echo "# provisional names: b@$HOST, c@$HOST; real: b@$LHOST, c@$LHOST"

r=$(leval p "b@$LHOST" "net_adm:ping(Node)")
check "a peer admitted only by a {node, \"b@*\"} scope pings b@$LHOST ($r)" [ "$r" = pong ]
check "its connection is up under the scope's peer entry" \
    wait_for "$T/dg.log" "p@$LHOST -> b@$LHOST: up, .*policy: node \"b@\*\" \(line [0-9]*\): peer \"p@\*\"" 3
r=$(leval p "b@$LHOST" "try erpc:call(Node, erlang, node, [], 3000) catch C:E -> {C, E} end")
check "the scope's rules apply: erpc is refused ($r)" [ "$r" != "b@$LHOST" -a -n "$r" ]
check "the refusal names the scope's entry" \
    wait_for "$ALERTS" "\"event\":\"filter.denied\".*\"node\":\"b@$LHOST\",\"peer\":\"p@$LHOST\"" 5

r=$(EVAL_TIMEOUT=20 leval p "c@$LHOST" "net_adm:ping(Node)")
check "a peer admitted under the provisional name only is refused by c ($r)" [ "$r" = pang ]
check "handshake.name_denied names c's real scope" \
    wait_for "$ALERTS" "\"event\":\"handshake.name_denied\".*node \\\\\"c@$LHOST\\\\\"" 5
check "the connection to c was closed in the handshake, never up" \
    not grep -q "p@$LHOST -> c@$LHOST: up" "$T/dg.log"
check "the log names c's real name when it closes" \
    wait_for "$T/dg.log" "p@$LHOST -> c@$LHOST: closed: handshake failed" 3
check "the daemon is still running" dg_alive

# A reload that no longer admits a connected peer cuts it off at its next
# message: the policy is resolved again, and its admission is obeyed.
SCOPES=("{node, \"c@$LHOST\", [{default, deny}]}."
    '{node, "c@*", [{peer, "p@*", [allow_all]}]}.'
    '{node, "b@*", [{peer, "p@*", [ping]}]}.')
write_conf '{peer, "q@*", [ping]}.' '{default, deny}.' "${SCOPES[@]}"
timeout 10 "$DG" reload -c "$CONF" > /dev/null 2>&1
leval q "b@$LHOST" "pong = net_adm:ping(Node), monitor_node(Node, true),
    io:format(\"connected~n\"), timer:sleep(4000), net_adm:ping(Node),
    receive {nodedown, Node} -> cut_off after 5000 -> still_up end" > "$T/q.out" 2>&1 &
PIDS+=("$!")
check "q is admitted and connected to b" wait_for "$T/q.out" "connected" 20
write_conf '{default, deny}.' "${SCOPES[@]}"
r=$(timeout 10 "$DG" reload -c "$CONF" 2>&1)
check "a reload without q's entry is taken ($r)" grep -q reloaded <<<"$r"
check "q is cut off at its next message" wait_for "$T/q.out" "^cut_off" 15
check "the log says why" \
    wait_for "$T/dg.log" "q@$LHOST -> b@$LHOST: closed: not admitted by the new configuration" 3
check "the daemon is still running after the reloads" dg_alive

done_tests
