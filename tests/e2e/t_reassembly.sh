#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: reassembly is bounded where it lands (issue 26, item 3).
#
# A receiving ERTS keeps every fragment of a message until its last one.
# A crafted peer (tests/e2e/fragflood.py) allowed to send to one name
# opens 64 fragmented sends whose first fragments pass (they end inside a
# binary), then feeds them 160 MiB of continuation fragments and never a
# last one.  With {max_fragment_open, 32 MiB} distguard must close the
# connection with a filter.reassembly alert once the bytes it let through
# in open sequences would pass 32 MiB, so that b's memory grows by far
# less than what was sent.  Before the fix b took all of it.
#
# Legitimate fragmented traffic still passes under the same bounds: a
# 5 MiB binary, a 20 MiB list and 1 MiB messages echoed by b.
. "$(dirname "$0")/lib.sh"
# The crafted peer and the stock one register only because they connect:
# this suite accepts unmediated peers.  b runs distguard_epmd.
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
cd "$T" || exit 1

BOUND=$((32 << 20))
RULES=('{peer, "x*@*", [{allow, reg_send, [gateway]}]}.' '{peer, "a*@*", [allow_all]}.')
write_conf "${RULES[@]}" \
    "{limits, [{max_fragment_open, $BOUND}, {max_fragment_node, $((64 << 20))}]}."
# A build without these limits (the code before them) refuses the
# entry: it then runs with its own, and the checks below say what it does.
if ! "$DG" check -c "$CONF" > "$T/check.log" 2>&1 &&
    grep -q max_fragment_open "$T/check.log"; then
	not_ok "this build knows max_fragment_open"
	write_conf "${RULES[@]}"
fi
dg_start || exit 1
node_start b || exit 1
LB=$($CRAFT port_please "$EPMD_PORT" b | sed -n 's/^port //p')
[ -n "$LB" ] || { not_ok "b's listener port"; exit 1; }

# b's emulator: the beam process whose command line names it.
BEAM=$(pgrep -f "beam.*-sname b .*-epmd_port $EPMD_PORT" | head -n 1)
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$BEAM"/status 2>/dev/null; }
grep -q beam "/proc/$BEAM/cmdline" 2>/dev/null || echo "# b's emulator not found ($BEAM)"

sleep 2
R0=$(rss_kb)
FRAGFLOOD_HOLD=3 timeout -k 2 90 python3 "$ROOT/tests/e2e/fragflood.py" "$LB" \
    "x1@$HOST" "$COOKIE" gateway 64 160 > "$T/flood.log" 2>&1 &
FP=$!
PIDS+=("$FP")
# b's memory, sampled while the flood runs (it may free what it held
# once the connection closes).
PEAK=$R0
for _ in $(seq 1 120); do
	r=$(rss_kb); [ -n "$r" ] && [ "$r" -gt "$PEAK" ] && PEAK=$r
	kill -0 "$FP" 2>/dev/null || break
	sleep 0.25
done
wait "$FP" 2>/dev/null
echo "# flood: $(tr '\n' ' ' < "$T/flood.log"); b VmRSS ${R0} kB before, peak ${PEAK} kB"
sent=$(sed -n 's/^sent //p' "$T/flood.log")
check "the flood ran (sent ${sent:-0} bytes)" [ "${sent:-0}" -gt "$BOUND" ]
check "distguard closed the connection before 160 MiB went through" \
    grep -qx closed "$T/flood.log"
check "the close raised filter.reassembly" \
    alert_seen filter.reassembly 5
GROW=$(( (PEAK - R0) / 1024 ))
check "b grew by ${GROW} MiB: within 2 x the 32 MiB bound + 16 MiB" \
    [ "$GROW" -lt 80 ]
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive
r=$(node_eval a0 'net_adm:ping(Node)' -hidden)
check "b still answers a ping ($r)" [ "$r" = pong ]

# Legitimate large messages, after the flood (b's memory was measured
# on a fresh node): they must pass these bounds.  Each is
# echoed by b (dgt:echo/0) and compared with what was sent.
N_REASM=$(grep -c '"filter.reassembly"' "$ALERTS" 2>/dev/null)
ECHO='Echo = fun(T) -> {echo, Node} ! {self(), T},
    receive {echo, T2} -> T2 =:= T after 40000 -> timeout end end'
r=$(EVAL_TIMEOUT=60 node_eval a1 "$ECHO, true = net_kernel:connect_node(Node),
    Echo(binary:copy(crypto:strong_rand_bytes(1024), 5 bsl 10))" -hidden)
check "a 5 MiB binary is echoed ($r)" [ "$r" = true ]
r=$(EVAL_TIMEOUT=60 node_eval a2 "$ECHO, true = net_kernel:connect_node(Node),
    Echo(lists:duplicate(10 bsl 20, 7))" -hidden)
check "a 20 MiB list (10 Mi small integers) is echoed ($r)" [ "$r" = true ]
r=$(EVAL_TIMEOUT=60 node_eval a3 "$ECHO, true = net_kernel:connect_node(Node),
    lists:usort([Echo(crypto:strong_rand_bytes(1 bsl 20)) || _ <- lists:seq(1, 16)])" -hidden)
check "16 messages of 1 MiB are echoed ($r)" [ "$r" = "[true]" ]
check "no reassembly alert for legitimate traffic" \
    [ "$(grep -c '"filter.reassembly"' "$ALERTS")" = "$N_REASM" ]


# One first fragment that announces 2^40 fragments: ERTS sets them all up
# at once (40 bytes each on OTP 25), which halted b before the fix.
timeout -k 2 30 python3 "$ROOT/tests/e2e/fragflood.py" "$LB" \
    "x2@$HOST" "$COOKIE" gateway 1 1 $((1 << 40)) > "$T/bigid.log" 2>&1
check "a first fragment announcing 2^40 fragments is refused" \
    grep -qx closed "$T/bigid.log"
check "... with a filter.reassembly alert" \
    wait_for "$ALERTS" '"filter.reassembly".*more than the connection' 5
sleep 1
check "b is alive after it" kill -0 "$PID_b"

done_tests
