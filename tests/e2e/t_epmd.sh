#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the EPMD service with real nodes and the stock epmd client
# (issue: foundation and hardened EPMD).
. "$(dirname "$0")/lib.sh"
# This suite tests the EPMD protocol with stock clients: crafted ALIVE2
# registrations and stock nodes (no distguard_epmd mark), which
# {egress, required} would refuse before the behaviour under test.  Its
# dgt nodes run distguard_epmd (node_start).
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"

EPMD_TIMEOUT=2 write_conf '{default, [ping, global, replies]}.'
dg_start || exit 1

node_start b || exit 1
node_start c || exit 1

# Both nodes listed by the stock client, with listener ports.
names=$(stock_epmd -names)
echo "$names" | sed 's/^/# /'
lport_b=$(echo "$names" | sed -n 's/^name b at port \([0-9]*\)$/\1/p')
lport_c=$(echo "$names" | sed -n 's/^name c at port \([0-9]*\)$/\1/p')
check "epmd -names lists both nodes" [ -n "$lport_b" -a -n "$lport_c" ]
check "listed ports are listener ports" \
    [ "${lport_b:-0}" -ge "$LMIN" -a "${lport_b:-0}" -le "$LMAX" ]

# The node's real port, as it registered.
real_b=$(sed -n 's/.*node b registered from .*: port \([0-9]*\),.*/\1/p' "$T/dg.log" | tail -n 1)
pp=$($CRAFT port_please "$EPMD_PORT" b)
check "PORT_PLEASE2 answers the listener port, not the node's ($pp, real $real_b)" \
    [ "$pp" = "port $lport_b" -a "$pp" != "port $real_b" ]
pp=$($CRAFT port_please "$EPMD_PORT" nosuchnode)
check "PORT_PLEASE2 for an unknown name gets the stock error" [ "$pp" = "noport 7701" ]

# A ping through the listener.
r=$(node_eval a "net_adm:ping(Node)")
check "net_adm:ping through the listener answers pong" [ "$r" = "pong" ]
check "the connection went through the listener" \
    wait_for "$T/dg.log" "a@$HOST -> b@$HOST: up" 5

# A live name registered again is refused, as stock epmd does.
r=$($CRAFT alive2 "$EPMD_PORT" b 5555)
check "second registration of a live name is refused ($r)" [ "${r%% creation*}" = "alive2 result 1" ]

# ALIVE2 from outside registration_from.
r=$($CRAFT alive2 "$EPMD_PORT" intruder 5555 --src 127.0.0.2)
check "ALIVE2 from 127.0.0.2 is refused ($r)" [ "$r" = "alive2 closed" ]
check "the refusal is alerted" alert_seen epmd.refused
check "the refusal is logged with the peer address" \
    wait_for "$T/dg.log" "127.0.0.2.*registration from an address outside" 3

# Administrative requests leave the daemon running.
stock_epmd -kill | sed 's/^/# /'
stock_epmd -stop b | sed 's/^/# /'
sleep 0.3
check "epmd -kill and -stop leave the daemon running" dg_alive
names=$(stock_epmd -names)
check "b is still registered after -stop" grep -q "^name b at port" <<<"$names"

# Idle clients are cut at the request deadline (2 s here).
r=$($CRAFT idle "$EPMD_PORT" 5 4)
check "clients that send nothing are cut at the timeout ($r)" \
    [ "$(echo "$r" | tail -n 1)" = "idle still open 0" ]
r=$($CRAFT slowloris "$EPMD_PORT" 6)
check "a slowloris client is cut at the deadline ($r)" grep -q closed <<<"$r"

# Garbage and bad lengths are refused without harm.
r=$($CRAFT raw "$EPMD_PORT" 0000)
check "zero length is refused" grep -q "raw reply 0" <<<"$r"
r=$($CRAFT raw "$EPMD_PORT" ffff78)
check "oversized length is refused at once" grep -q "raw reply 0" <<<"$r"
check "the daemon is still alive" dg_alive

# 1000 idle clients (from 250 loopback addresses) do not stop a registration.
ulimit -n 8192 2>/dev/null
$CRAFT idle "$EPMD_PORT" 1000 1.5 > "$T/idle.out" &
idle=$!
wait_for "$T/idle.out" "idle opened" 10
echo "# $(head -n 1 "$T/idle.out")"
rss=$(awk '/VmRSS/ {print $2}' /proc/"$DG_PID"/status)
echo "# daemon RSS with those clients connected: ${rss} kB"
node_start d
check "with 1000 idle clients connected, a node still registers" \
    grep -q "node d registered" "$T/dg.log"
wait "$idle"

# A node that stops loses its name, and its listener closes.
kill "$PID_c"
wait_for "$T/dg.log" "node c unregistered" 10
names=$(stock_epmd -names)
check "a stopped node loses its name" not grep -q "^name c at" <<<"$names"
check "its listener is closed" not python3 -c "import socket; socket.create_connection(('127.0.0.1', $lport_c), 1)" 2>/dev/null

# names_from local: a non-local client cannot list names.  (Loopback is
# local here; the refusal path is covered by the unit tests.)
check "the daemon survived everything" dg_alive
done_tests
