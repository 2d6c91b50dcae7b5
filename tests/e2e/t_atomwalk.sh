#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: payloads are seen whole (issue 18 item 3, its class 2).
#
# Under the embedded default's profiles, a send to a pid that b published
# through global is admitted on its first bytes.  A stock peer pads such
# a send past the 68 KiB window with a binary and follows it with 20,000
# fresh atoms; b's atom budget here is 5,000.  distguard must walk the
# payload to its end as it passes, and close the connection before the
# message's last bytes reach b once the atoms pass the budget: b's atom
# count grows by less than the budget.  Before the fix b took all 20,000.
# A large message with a few atoms past the window still passes.
. "$(dirname "$0")/lib.sh"
# The peer is a stock node that registers only because it listens.
DG_EGRESS=off
cd "$T" || exit 1

write_conf '{default, [ping, global, replies]}.' '{limits, [{atoms, 5000}]}.'
dg_start || exit 1
# b publishes an echo process through global, and reports its atom count.
node_start b -eval 'E = fun Loop() -> receive {F, M} -> F ! {echo, M}, Loop() end end,
    yes = global:register_name(dg_pub, spawn(E)),
    spawn(fun Tick() -> io:format("atoms ~p~n", [erlang:system_info(atom_count)]),
        timer:sleep(300), Tick() end)' || exit 1
atoms_b() { grep '^atoms ' "$T/b.log" | tail -n 1 | awk '{print $2}'; }

SEND='Send = fun(M) -> P = global:whereis_name(dg_pub), P ! {self(), M},
    receive {echo, M2} -> M2 =:= M after 10000 -> timeout end end,
    true = net_kernel:connect_node(Node), timer:sleep(1500), global:sync()'
r=$(node_eval a1 "$SEND, Send({binary:copy(<<7>>, 200000), [walk_a, walk_b, walk_c]})")
check "a 200 KB message with atoms past the window reaches the published pid ($r)" \
    [ "$(echo "$r" | tail -n 1)" = true ]

sleep 1
A0=$(atoms_b)
r=$(node_eval a2 "$SEND, Send({binary:copy(<<7>>, 200000),
    [list_to_atom(\"walk_\" ++ integer_to_list(I)) || I <- lists:seq(1, 20000)]})")
sleep 1.5
A1=$(atoms_b)
echo "# b's atoms: ${A0:-?} before, ${A1:-?} after; the send: $(echo "$r" | tail -n 1)"
check "the send of 20,000 atoms past the window does not arrive" \
    [ "$(echo "$r" | tail -n 1)" != true ]
grew_within() { [ -n "$A0" ] && [ -n "$A1" ] && [ $((A1 - A0)) -lt 5000 ]; }
check "b's atom count grew by less than the budget ($A0 -> $A1)" grew_within
check "distguard raised filter.atom_flood for the walked payload" \
    wait_for "$ALERTS" '"filter.atom_flood".*past the part judged' 5
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive

done_tests
