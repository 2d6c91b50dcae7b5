#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end (issue 23, item 8): a peer entry with `ping` and not
# `replies`.  A node's own net_adm:ping of that peer must answer pong (or
# pang), never hang: the peer's answer to its is_auth call is a reply to
# the alias it disclosed, which `ping` admits (docs/FILTER.md 7).  Before
# the fix the answer was denied and net_adm:ping (no timeout) waited for
# ever.  What `replies` would admit beyond that stays denied.
. "$(dirname "$0")/lib.sh"

# The controlling nodes (ctl*) are stock nodes: unmediated registrations.
DG_EGRESS=off
write_conf \
    "{peer, \"ctl*@*\", [allow_all]}." \
    "{node, \"b1@*\", [{peer, \"b2@*\", [ping]}]}." \
    "{node, \"b2@*\", [{peer, \"b1@*\", [ping]}]}." \
    "{default, deny}."
dg_start || exit 1
node_start b1 || exit 1
node_start b2 || exit 1
B1="b1@$HOST"; B2="b2@$HOST"

# on NODE EXPR: evaluates EXPR on NODE (erpc from a hidden control node),
# 20 s at most; prints its value or the error.
on() {
	DG_TARGET=$1 EVAL_TIMEOUT=30 node_eval "ctl$RANDOM" \
	    "try erpc:call(Node, erlang, apply, [$2], 20000) catch C:E -> {C, E} end" -hidden |
	    tail -n 1
}
t0=$(date +%s)
r=$(on "$B1" "net_adm, ping, ['$B2']")
check "b1's own ping of b2, under ping alone, answers pong ($r)" [ "$r" = pong ]
r=$(on "$B2" "net_adm, ping, ['$B1']")
check "and b2's of b1 ($r)" [ "$r" = pong ]
t1=$(date +%s)
check "neither ping waited ($((t1 - t0)) s for both)" [ $((t1 - t0)) -lt 20 ]
r=$(on "$B1" "erpc, call, ['$B2', erlang, node, [], 3000]")
check "what ping does not cover stays denied (b1 -> b2 erpc: $r)" not [ "$r" = "'$B2'" ]
r=$(on "$B1" "gen_server, call, [{dgt_gs, '$B2'}, ping, 3000]")
check "a gen_server call's answer is not let in by ping ($r)" not [ "$r" = pong ]
check "the daemon is alive" dg_alive
done_tests
