#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: lifecycle under stress (issue: fuzzing and the hostile-input
# suite, part 3): a node restarting under open connections, SIGHUP under
# load, and running out of file descriptors.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected nodes run distguard_epmd (node_start_long).
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
ulimit -n 20000 2>/dev/null

# node_start_long NAME [erl args]: node_start with a 300 s lifetime.
node_start_long() {
	local name=$1; shift
	timeout -k 2 320 erl -sname "$name" "${ERL_COMMON[@]}" "${ERL_MOD[@]}" "$@" \
	    -eval "dgt:serve(300)" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/dg.log" "node $name registered" 15 || { not_ok "node $name registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
}
listener_of() { $CRAFT port_please "$EPMD_PORT" "$1" | sed -n 's/^port //p'; }
port_open() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; }
PN=0
ping_b() {
	PN=$((PN + 1))
	EVAL_TIMEOUT=30 node_eval "q$PN" "net_adm:ping(Node)" | tail -n 1
}

EPMD_TIMEOUT=30 write_conf \
    '{default, [ping, global, replies]}.' \
    '{peer, "lo*@*", [ping, replies, {allow, reg_send, [gateway]}]}.'
dg_start || exit 1

# ---- B restarts while connections are open ---------------------------------
node_start_long b || exit 1
LB1=$(listener_of b)
$CRAFT session "$LB1" "hold1@$HOST" "$COOKIE" hold --secs 40 --src 127.0.6.1 \
    > "$T/hold1.out" 2>&1 &
hold1=$!
PIDS+=("$hold1")
wait_for "$T/hold1.out" "session hold started" 10
r=$(ping_b)
check "before the restart: ping answers ($r)" [ "$r" = pong ]
nup=$(grep -c "hold1@$HOST -> b@$HOST: up" "$T/dg.log")
check "a session to b is open" [ "$nup" -eq 1 ]

kill "$PID_b"
check "b's registration ends with its process" \
    wait_for "$T/dg.log" "node b unregistered" 10
check "the session to the old b is closed by distguard" \
    wait_for "$T/dg.log" "hold1@$HOST -> b@$HOST: closed" 10
wait "$hold1" 2>/dev/null
sed 's/^/# /' "$T/hold1.out"
check "the peer of that session saw it close at once" \
    grep -q "^session hold sent 0: closed" "$T/hold1.out"
check "the old listener ($LB1) is closed" not port_open "$LB1"
check "the daemon is alive" dg_alive

node_start_long b || exit 1
LB2=$(listener_of b)
check "b registers again (listener $LB2)" [ -n "$LB2" ]
r=$(ping_b)
check "after the restart: ping answers ($r)" [ "$r" = pong ]
r=$($CRAFT session "$LB2" "hold2@$HOST" "$COOKIE" none --src 127.0.6.2)
check "after the restart: a crafted peer completes the handshake ($r)" \
    grep -q "open, ping pong" <<<"$r"

# ---- SIGHUP under load: no connection lost, no message lost --------------
N=20000
LOAD_EXPR="G = {gateway, Node}, Self = self(),
  Count = fun() -> G ! {Self, count}, receive {count, C} -> C after 10000 -> timeout end end,
  C0 = Count(),
  io:format(\"load started~n\"),
  lists:foreach(fun(I) -> G ! {I, <<0:4096>>},
      case I rem 400 of 0 -> timer:sleep(60); _ -> ok end end, lists:seq(1, $N)),
  C1 = Count(), {delivered, C1 - C0}"
EVAL_TIMEOUT=90 node_eval lo "$LOAD_EXPR" > "$T/load.out" 2>&1 &
load=$!
PIDS+=("$load")
wait_for "$T/load.out" "load started" 30
for k in 1 2 3 4 5 6; do
	# the same file, and once a changed one, while messages flow
	[ $k -eq 4 ] && echo '%% reloaded' >> "$CONF"
	kill -HUP "$DG_PID"
	sleep 0.4
done
wait "$load"
r=$(tail -n 1 "$T/load.out")
check "SIGHUP x6 under load: all $N messages delivered ($r)" [ "$r" = "{delivered,$N}" ]
check "the reloads took effect" \
    [ "$(grep -c 'reload: configuration from' "$T/dg.log")" -ge 6 ]
check "one connection carried the load (no reconnect)" \
    [ "$(grep -c "lo@$HOST -> b@$HOST: up" "$T/dg.log")" -eq 1 ]
check "the daemon is alive after the reloads" dg_alive

# ---- out of file descriptors -----------------------------------------------
# b first, and until it is gone: with distguard_epmd it would register
# again with the new daemon by itself, and hold its name there.
kill "$PID_b" 2>/dev/null
wait "$PID_b" 2>/dev/null
kill "$DG_PID"
wait "$DG_PID" 2>/dev/null
sleep 0.5
mv "$T/dg.log" "$T/dg-before.log"
# A fresh daemon limited to 64 descriptors.
EPMD_TIMEOUT=60 write_conf \
    '{default, [ping, global, replies]}.'
( ulimit -n 64; exec "$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 ) &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg.log" "distguard running: configuration $CONF" 10 || { not_ok "daemon restarted"; exit 1; }
check "the daemon runs with 64 descriptors" \
    grep -q "^Max open files *64 " /proc/"$DG_PID"/limits
node_start_long b || exit 1
LB=$(listener_of b)
$CRAFT session "$LB" "hold3@$HOST" "$COOKIE" hold --secs 16 --src 127.0.6.3 \
    > "$T/hold3.out" 2>&1 &
hold3=$!
PIDS+=("$hold3")
wait_for "$T/hold3.out" "session hold started" 10
# 100 idle EPMD clients (from 100 addresses, under max_per_source) for 8 s
$CRAFT idle "$EPMD_PORT" 100 8 --src-base 127.0.2. > "$T/idle.out" 2>&1 &
idle=$!
PIDS+=("$idle")
wait_for "$T/idle.out" "idle opened" 20
echo "# $(head -n 1 "$T/idle.out")"
check "running out of descriptors is logged" \
    wait_for "$T/dg.log" "out of file descriptors" 10
check "the daemon is alive without descriptors" dg_alive
fds=$(ls /proc/"$DG_PID"/fd 2>/dev/null | wc -l)
echo "# daemon descriptors in use: $fds"
wait "$idle"
wait "$hold3"
sed 's/^/# /' "$T/hold3.out"
check "the existing connection was served throughout (every ping answered)" \
    grep -Eq "^session hold sent 0: open, ping pong, .* pongs ([0-9]+)/\1 " "$T/hold3.out"
sleep 1.5	# the accept pause is 1 s
node_start_long d
check "after the idle clients left, a node registers" \
    grep -q "node d registered" "$T/dg.log"
r=$(ping_b)
check "after the idle clients left, ping answers ($r)" [ "$r" = pong ]
check "the daemon survived everything" dg_alive
check "no sanitizer report in the daemon's log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log"
done_tests
