#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end (issue 23, item 8): an ordinary restart of distguard must not
# look like an attack.  Protected nodes a, b and c; a pings b in a loop (a
# fresh connection each time); distguard is stopped and started again.
# Node c is held (SIGSTOP) over the restart, so that it dials - here a
# crafted handshake under its name on b's egress port - before it has
# registered again: that egress is refused, quietly (an info line, no
# alert) during the restart grace (proxy/egress_grace.h), and c then
# registers.  A name that never registers (z) still gets its
# handshake.bad_name alert, when the grace ends.  Before the fix: c's
# early dial was a handshake.bad_name alert at once.
. "$(dirname "$0")/lib.sh"
CRAFT="python3 $ROOT/tests/e2e/craft.py"

write_conf "{default, [ping, global, replies]}."
dg_start || exit 1
node_start b || exit 1
node_start c || exit 1
B="b@$HOST"
timeout -k 2 120 erl -sname a "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -eval "
    F = fun L(N) ->
            R = net_adm:ping('$B'),
            io:format(\"ping ~b ~p~n\", [N, R]),
            erlang:disconnect_node('$B'),
            timer:sleep(20),
            L(N + 1)
        end,
    F(0)." > "$T/a.log" 2>&1 &
PIDS+=("$!")
check "a pings b through distguard" wait_for "$T/a.log" "ping [0-9]+ pong" 20

# c's node (the child of its timeout) is held over the restart.
BEAM_c=$(pgrep -P "$PID_c" | head -n 1)
check "c's node found ($BEAM_c)" [ -n "$BEAM_c" ]
kill -STOP "$BEAM_c"
CLEANUPS+=("kill -CONT $BEAM_c")

# restart: SIGTERM, wait for the exit, start again (its own log).
kill "$DG_PID"
for i in $(seq 50); do dg_alive || break; sleep 0.1; done
check "distguard stopped" not dg_alive
n0=$(grep -c . "$T/a.log")
al0=$(cat "$ALERTS" 2>/dev/null | wc -l)
"$DG" run -c "$CONF" -v > "$T/dg2.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
check "distguard started again" wait_for "$T/dg2.log" "distguard running" 10
check "b registered again" wait_for "$T/dg2.log" "node b registered" 10
check "a registered again" wait_for "$T/dg2.log" "node a registered" 10
wait_for "$T/dg2.log" "EGRESS_REQ $B -> [0-9]+" 10
EPORT=$(grep -Eo "EGRESS_REQ $B -> [0-9]+" "$T/dg2.log" | head -n 1 | awk '{print $4}')
r=$($CRAFT handshake "$EPORT" "c@$HOST" "$COOKIE")
check "c, not registered yet, dialling b's egress port is refused ($r)" \
    grep -q "not_allowed" <<<"$r"
r=$($CRAFT handshake "$EPORT" "z@$HOST" "$COOKIE")
check "so is z, which never registers ($r)" grep -q "not_allowed" <<<"$r"
kill -CONT "$BEAM_c"
check "c registered again" wait_for "$T/dg2.log" "node c registered" 10
recovered() { tail -n +"$((n0 + 1))" "$T/a.log" | grep -Eq "ping [0-9]+ pong"; }
for i in $(seq 100); do recovered && break; sleep 0.1; done
check "a's pings of b recover after the restart" recovered
since() { tail -n +"$((al0 + 1))" "$ALERTS" 2>/dev/null; }
bad_c=$(since | grep '"event":"handshake.bad_name"' | grep -c "c@$HOST")
check "no handshake.bad_name alert for c's early dial ($bad_c)" [ "$bad_c" -eq 0 ]
check "the daemon logged it at info" \
    grep -q "info: .*c@$HOST.*not registered (yet)" "$T/dg2.log"
check "the grace ends" wait_for "$T/dg2.log" "restart grace over" 15
sleep 0.3
bad_z=$(since | grep '"event":"handshake.bad_name"' | grep -c "z@$HOST")
check "z, which never registered, has its handshake.bad_name alert at the end of the grace ($bad_z)" \
    [ "$bad_z" -eq 1 ]
check "... which names z, the local sender, as node and b as peer" \
    grep -q "\"event\":\"handshake.bad_name\",\"node\":\"z@$HOST\",\"peer\":\"$B\"" "$ALERTS"
others=$(since | grep "\"event\":\"handshake\." | grep -vc "z@$HOST")
check "no other handshake alert for the restart ($others)" [ "$others" -eq 0 ]
check "c's early dial is summed up at the end of the grace" \
    grep -q "c@$HOST registered again after the restart; 1 early" "$T/dg2.log"
pang=$(tail -n +"$((n0 + 1))" "$T/a.log" | grep -c "ping [0-9]* pang")
echo "# a's pings that failed during the restart: $pang"
check "the daemon is alive" dg_alive
cat "$T/dg2.log" >> "$T/dg.log"
done_tests
