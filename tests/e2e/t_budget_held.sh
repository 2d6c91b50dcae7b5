#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: what a peer makes a node hold, and ticks (issue 18, item 7),
# under the embedded default ({default, [ping, global, replies]}).
#
#   1. 1,000,000 monitors: `global` admits MONITOR_P of global_name_server
#      by name.  Before the fix one peer made b hold them all (+314 MiB,
#      no alert).  Now past held_max (10,000) monitors, links and spawn
#      requests held for one connection it is closed, with an alert at
#      held_alert (5,000); b drops what the connection held.
#   2. A tick flood: zero-length frames as fast as a peer can send them.
#      Before, each reached b.  Now one passes per tick_interval (200 ms),
#      the rest are dropped and counted, and more than tick_flood (100)
#      excess ticks in a second close the connection.
#   3. Legitimate ticks: b and a peer at net_ticktime 4 (a tick a second
#      each way) stay connected through 12 s of silence.
#
# Peers, by name: adm* allow_all (measures b from the inside); the rest
# fall to the embedded default.
. "$(dirname "$0")/lib.sh"
# The peers are stock OTP nodes standing in for remote ones; b runs
# distguard_epmd (node_start).
DG_EGRESS=off
# craft.py next to this script (so that the old build can be run against
# it: DG_ROOT=<old tree>).
CRAFT="python3 $(cd "$(dirname "$0")" && pwd)/craft.py"
cd "$T" || exit 1

write_conf \
    '{default, [ping, global, replies]}.' \
    '{peer, "adm*@*", [allow_all]}.' \
    '{bans, [{failures, 0}]}.'
dg_start || exit 1
node_start b -kernel net_ticktime 4 || exit 1
B="b@$HOST"

PROBE="erpc:call(Node, fun() -> {erlang:system_info(atom_count), erlang:memory(total), element(1, erlang:statistics(runtime)), [whereis(P) || P <- [global_name_server, net_kernel, rex, application_controller, code_server]]} end)"
# probe NAME: sets ATOMS MEM RUNTIME KPIDS from b
probe() {
	local r
	r=$(node_eval "$1" "$PROBE" -kernel net_ticktime 4 | tr -d '\n ')
	ATOMS=$(sed -n 's/^{\([0-9]*\),.*/\1/p' <<<"$r")
	MEM=$(sed -n 's/^{[0-9]*,\([0-9]*\),.*/\1/p' <<<"$r")
	RUNTIME=$(sed -n 's/^{[0-9]*,[0-9]*,\([0-9]*\),.*/\1/p' <<<"$r")
	KPIDS=$(sed -n 's/^{[0-9]*,[0-9]*,[0-9]*,\(.*\)}$/\1/p' <<<"$r")
}
probe adm1
atoms0=$ATOMS mem0=$MEM kpids0=$KPIDS
check "b measured: $atoms0 atoms, $mem0 bytes, kernel pids $kpids0" [ -n "$kpids0" ]

# ---- 1. a million monitors ---------------------------------------------------
cat > "$T/dgmon.erl" <<'ERL'
-module(dgmon).
-export([run/2]).
%% N monitors of {global_name_server, Target}, as fast as they go; the
%% DOWN messages that come back are thrown away every 10,000.  Then it
%% stays connected (b keeps what it holds) until killed.
run(Target, N) ->
    true = net_kernel:connect_node(Target),
    T0 = erlang:monotonic_time(millisecond),
    loop(Target, N),
    io:format("mon done ~b in ~b ms~n",
              [N, erlang:monotonic_time(millisecond) - T0]),
    receive stop -> ok after 120000 -> ok end.

loop(_, 0) -> ok;
loop(Target, I) ->
    erlang:monitor(process, {global_name_server, Target}),
    I rem 10000 =:= 0 andalso flush(),
    loop(Target, I - 1).

flush() ->
    receive {'DOWN', _, _, _, _} -> flush() after 0 -> ok end.
ERL
erlc -o "$T" "$T/dgmon.erl" || not_ok "erlc dgmon"
timeout -k 2 180 erl -sname mon1 "${ERL_COMMON[@]}" -kernel net_ticktime 4 \
    -eval "dgmon:run('$B', 1000000)" > "$T/mon1.log" 2>&1 &
MON=$!
PIDS+=("$MON")
wait_for "$T/mon1.log" "^mon done" 150
r=$(grep "^mon done" "$T/mon1.log")
check "the peer made its 1,000,000 monitor requests (${r:-$(tail -n 2 "$T/mon1.log" | cut -c1-200)})" [ -n "$r" ]
probe adm2
grow=$(( ${MEM:-999999999999} - ${mem0:-0} ))
echo "# b's memory with the monitoring peer still connected: $mem0 -> ${MEM:-?} (+$((grow / 1048576)) MiB)"
check "b is alive after the monitors" kill -0 "$PID_b"
check "b answers and reads its atom count ($ATOMS)" [ -n "$ATOMS" ]
check "b's kernel processes kept their pids" same "$KPIDS" "$kpids0"
check "b's memory grew by less than 64 MiB (+$((grow / 1048576)) MiB)" [ "$grow" -lt 67108864 ]
check "an alert at the threshold (filter.held_budget, 5000)" \
    grep -q '"filter.held_budget".*"peer":"mon1@.*alert at 5000' "$ALERTS"
check "an alert at the bound, the connection closed (filter.held_budget)" \
    grep -q '"filter.held_budget".*"peer":"mon1@.*refused MONITOR_P.*bound is 10000; connection closed' "$ALERTS"
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null

# ---- 2. a tick flood ---------------------------------------------------------
LB=$($CRAFT port_please "$EPMD_PORT" b); LB=${LB#port }
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
BEAM=$(pgrep -P "$PID_b" -f beam | head -n 1)
probe adm3
rt0=$RUNTIME dg0=$(cpu_of "$DG_PID") beam0=$(cpu_of "$BEAM")
r=$($CRAFT tickflood "$LB" "tick1@$HOST" "$COOKIE" 5)
dg1=$(cpu_of "$DG_PID") beam1=$(cpu_of "$BEAM")
probe adm4
hz=$(getconf CLK_TCK)
dg_ms="" beam_ms=""
[ -n "$dg0" ] && [ -n "$dg1" ] && dg_ms=$(( (dg1 - dg0) * 1000 / hz ))
[ -n "$beam0" ] && [ -n "$beam1" ] && beam_ms=$(( (beam1 - beam0) * 1000 / hz ))
echo "# $r; distguard CPU ${dg_ms:-?} ms, b's beam CPU ${beam_ms:-?} ms (its runtime $(( ${RUNTIME:-0} - ${rt0:-0} )) ms, two probes included)"
check "the tick flood ran ($r)" grep -q "^tickflood sent" <<<"$r"
check "distguard closed the flooding connection" grep -q "closed 1$" <<<"$r"
check "an alert names it (filter.tick_flood)" \
    grep -q '"filter.tick_flood".*"peer":"tick1@.*more than 100 ticks in a second' "$ALERTS"
# CPU from /proc (utime + stime, clock ticks) around the flood alone.
check "b's beam spent under 300 ms of CPU during the flood" \
    below "$beam_ms" 300
check "distguard spent under 300 ms of CPU during the flood" \
    below "$dg_ms" 300
check "b is alive after the tick flood" kill -0 "$PID_b"
check "b's kernel processes kept their pids" same "$KPIDS" "$kpids0"
echo "# b's atom count: $atoms0 -> $ATOMS"

# ---- 3. legitimate ticks -----------------------------------------------------
r=$(node_eval tk1 "true = net_kernel:connect_node(Node), erlang:monitor_node(Node, true), receive {nodedown, Node} -> down after 12000 -> up end" -kernel net_ticktime 4)
check "a peer at net_ticktime 4 stays connected through 12 s of silence ($r)" [ "$r" = up ]
check "no alert about tk1" not grep -q '"peer":"tk1@' "$ALERTS"
check "the daemon is still running" dg_alive
check "no sanitizer report" not grep -q "runtime error\|AddressSanitizer" "$T/dg.log"
done_tests
