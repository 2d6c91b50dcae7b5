#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end (issue 23, item 3): a node started before distguard.  Its
# distguard_epmd finds nobody on the EPMD port, says so in the node's log
# (a logger warning), and retries its first registration with backoff; 2 s
# later distguard starts, the node registers and is reachable.  Before the
# fix the node's boot failed at once (econnrefused) and it never came up.
. "$(dirname "$0")/lib.sh"

DG_EGRESS=off	# the peer p1 is a stock node
write_conf "{peer, \"p*@*\", [ping]}." "{default, deny}."
give_files
timeout -k 2 90 erl -sname b "${ERL_COMMON[@]}" "${ERL_MOD[@]}" \
    -eval "dgt:serve()" > "$T/b.log" 2>&1 &
PID_b=$!
PIDS+=("$PID_b")
check "b says in its log that distguard is not reachable yet" \
    wait_for "$T/b.log" "distguard not reachable on port $EPMD_PORT" 10
sleep 2
check "b is still there, waiting, 2 s later" kill -0 "$PID_b"
dg_start || exit 1
check "b registers once distguard is up" wait_for "$T/dg.log" "node b registered" 10
check "b's log says after how long" \
    wait_for "$T/b.log" "b registered with distguard after [0-9]+ ms \\([0-9]+ attempts\\)" 10
check "b's boot went on (dgt ready)" wait_for "$T/b.log" "dgt ready" 10
r=$(node_eval p1 "net_adm:ping(Node)" | tail -n 1)
check "b is reachable through distguard ($r)" [ "$r" = pong ]
check "the daemon is alive" dg_alive
done_tests
