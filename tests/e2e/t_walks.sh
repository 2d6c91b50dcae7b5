#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the payload walk makes no false positives (issue 18 item 3,
# issue 26; docs/FILTER.md 10).
#
# 1. One walk per fragment sequence.  ERTS interleaves the fragments of
#    large messages from different processes on one connection.  Eight
#    processes of a stock peer each send three 2 MiB binaries at once to a
#    pid b published through global (admitted on their first bytes by the
#    `replies` profile, then walked): all 24 arrive, no alert.  With one
#    walk per direction the second message walked at once was dropped
#    (filter.undecidable).
# 2. The walk's fun verdict is the code guard's.  A peer whose rules hold
#    {allow, funs} sends a message whose fun sits past the 68 KiB window:
#    it arrives.  A peer without the rule sends the same: it does not, and
#    filter.code names the reason.
# 3. A rule's send is walked too, not refused for its size.  Under
#    {allow, reg_send, [dg_sink]}, a 1 MiB message whose binary is not its
#    last term arrives (on the code before, "too large to check whole");
#    a fun 30 KB into a 60 KB message is refused, whether the frame was
#    judged whole or on its first bytes as it streamed (DC_STREAM).
. "$(dirname "$0")/lib.sh"
# The peers are stock nodes that register only because they listen.
DG_EGRESS=off
cd "$T" || exit 1

write_conf '{default, [ping, global, replies]}.' \
    '{peer, "fa*@*", [ping, global, replies, {allow, funs}]}.' \
    '{peer, "rn*@*", [ping, global, replies, {allow, reg_send, [dg_sink]}]}.'
dg_start || exit 1
# b publishes a process that acknowledges what it gets, by size.
node_start b -eval 'E = fun Loop() -> receive {F, M} -> F ! {got, erlang:external_size(M)}, Loop() end end,
    yes = global:register_name(dg_pub, spawn(E)), register(dg_sink, spawn(E))' || exit 1

CONNECT='true = net_kernel:connect_node(Node), timer:sleep(1500), global:sync(),
    P = global:whereis_name(dg_pub)'

# ---- 1. concurrent large messages ------------------------------------------
# Each sender's binaries differ, so that nothing is shared between them;
# terms follow each binary, so that each message is walked past its first
# fragment (a binary that merely ends past it is proven from its head).
r=$(EVAL_TIMEOUT=90 node_eval w1 "$CONNECT, Me = self(),
    Send = fun(I) -> spawn(fun() ->
        [P ! {self(), {binary:copy(<<(I * 3 + J)>>, 2097152), I, J}} || J <- lists:seq(0, 2)],
        Got = [receive {got, _} -> 1 after 20000 -> 0 end || _ <- lists:seq(1, 3)],
        Me ! {done, lists:sum(Got)} end) end,
    [Send(I) || I <- lists:seq(1, 8)],
    lists:sum([receive {done, N} -> N after 40000 -> 0 end || _ <- lists:seq(1, 8)])")
echo "# received: $(echo "$r" | tail -n 1)"
check "8 processes x 3 concurrent 2 MiB sends to a published pid: all 24 arrive" \
    [ "$(echo "$r" | tail -n 1)" = 24 ]
sleep 0.5
n=$(grep -c '"event":"filter\.' "$ALERTS" 2>/dev/null)
check "no filter alert for the concurrent sends (${n:-0})" [ "${n:-0}" -eq 0 ]

# ---- 2. a fun past the window -----------------------------------------------
FUNMSG='{binary:copy(<<9>>, 100000), fun(X) -> X + 1 end}'
r=$(node_eval fa1 "$CONNECT, P ! {self(), $FUNMSG},
    receive {got, S} -> S after 10000 -> timeout end")
check "with {allow, funs} a fun past 68 KiB reaches the published pid ($(echo "$r" | tail -n 1))" \
    [ "$(echo "$r" | tail -n 1)" -gt 100000 ] 2>/dev/null
r=$(node_eval nf1 "$CONNECT, P ! {self(), $FUNMSG},
    receive {got, S} -> S after 5000 -> timeout end")
check "without it the same message does not arrive ($(echo "$r" | tail -n 1))" \
    [ "$(echo "$r" | tail -n 1)" = timeout ]
check "filter.code names the fun past the part judged, for nf1" \
    wait_for "$ALERTS" '"filter.code".*"peer":"nf1@.*a fun past the part' 5
check "no filter.code for fa1" not grep -q '"filter.code".*"peer":"fa1@' "$ALERTS"

# ---- 3. a rule's send, walked ----------------------------------------------
SINK='true = net_kernel:connect_node(Node), S = {dg_sink, Node}'
r=$(EVAL_TIMEOUT=30 node_eval rn1 "$SINK,
    [S ! {self(), {binary:copy(<<I>>, 1048576), I, tail}} || I <- lists:seq(1, 3)],
    lists:sum([receive {got, _} -> 1 after 10000 -> 0 end || _ <- lists:seq(1, 3)])")
check "three 1 MiB messages to an allowed name arrive ($(echo "$r" | tail -n 1))" \
    [ "$(echo "$r" | tail -n 1)" = 3 ]
r=$(EVAL_TIMEOUT=30 node_eval rn2 "$SINK,
    [S ! {self(), {binary:copy(<<I>>, 40000), I, tail}} || I <- lists:seq(1, 50)],
    lists:sum([receive {got, _} -> 1 after 10000 -> 0 end || _ <- lists:seq(1, 50)])")
check "fifty 40 KB messages to an allowed name arrive ($(echo "$r" | tail -n 1))" \
    [ "$(echo "$r" | tail -n 1)" = 50 ]
n=$(grep -c '"event":"filter\..*"peer":"rn[12]@' "$ALERTS" 2>/dev/null)
check "no filter alert for them (${n:-0})" [ "${n:-0}" -eq 0 ]
r=$(node_eval rn3 "$SINK, S ! {self(), {binary:copy(<<7>>, 30000), fun(X) -> X end, binary:copy(<<8>>, 30000)}},
    receive {got, Sz} -> Sz after 5000 -> timeout end")
check "a fun 30 KB into a 60 KB message to the allowed name does not arrive ($(echo "$r" | tail -n 1))" \
    [ "$(echo "$r" | tail -n 1)" = timeout ]
check "filter.code names it, for rn3" wait_for "$ALERTS" '"filter.code".*"peer":"rn3@' 5
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive

done_tests
