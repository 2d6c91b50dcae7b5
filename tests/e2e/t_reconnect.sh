#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: reconnecting is not an attack.  Two protected nodes a and b
# under the embedded default ping each other in a loop and drop the
# connection after each ping, and a runs gen_server calls to b across the
# drops.  ERTS sends a reply owed on a connection that went, or one of
# global's late messages, on the next connection, to a pid shown on the
# one before: what a node disclosed is kept for the next connection
# between the same two names (filter/nodes.h nodes_keep_disclosed, 60 s).
# Before: "reason undisclosed" alerts on such replies.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

write_conf "{default, [ping, global, replies]}."
dg_start || exit 1
node_start b || exit 1
B="b@$HOST"
r=$(EVAL_TIMEOUT=120 node_eval a "
    Loop = fun L(0, Acc) -> Acc;
               L(N, Acc) ->
                   R = net_adm:ping('$B'),
                   spawn(fun() -> catch global:sync() end),
                   erlang:disconnect_node('$B'),
                   timer:sleep(N rem 7),
                   L(N - 1, [R | Acc])
           end,
    Rs = Loop(300, []),
    timer:sleep(2000),
    {length([x || pong <- Rs]), length(Rs)}" "${ERL_MOD[@]}")
echo "# pongs: $(echo "$r" | tail -n 1)"
n=$(echo "$r" | tail -n 1 | tr -dc '0-9,' | cut -d, -f1)
check "a's pings of b mostly answer pong across 300 reconnects ($r)" [ "${n:-0}" -ge 250 ]
sleep 1
u=$(grep -c '"filter\.' "$ALERTS" 2>/dev/null)
check "no filter alert across the reconnects (${u:-0})" [ "${u:-0}" -eq 0 ]
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive
done_tests
