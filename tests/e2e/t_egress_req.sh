#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: EGRESS_REQ only from the node it serves (issue 18, item 8).
#
# Before the fix distguard answered 'E' for any process that connected
# from a registration_from address, registered or not, and took the ports
# from the listeners' range: 40 requests by uid nobody, without a cookie,
# took every port, and then no node could register.  Now 'E' is answered
# only on a mediated node's registration connection (distguard_epmd sends
# it there), the ports come from their own pool, and one node holds at
# most egress_per_node (32) targets.
#
# b and c are protected nodes (distguard_epmd); adm* is an allow_all peer
# that measures b, started without a listener of its own (it does not
# register: egress stays required, the default).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

write_conf '{peer, "adm*@*", [allow_all]}.' '{default, [ping, global, replies]}.'
dg_start || exit 1
node_start b || exit 1
B="b@$HOST"

PROBE="erpc:call(Node, fun() -> {erlang:system_info(atom_count), [whereis(P) || P <- [global_name_server, net_kernel, rex, application_controller, code_server]]} end)"
probe() {	# probe NAME: sets ATOMS KPIDS from b
	local r
	r=$(node_eval "$1" "$PROBE" -dist_listen false | tr -d '\n ')
	ATOMS=$(sed -n 's/^{\([0-9]*\),.*/\1/p' <<<"$r")
	KPIDS=$(sed -n 's/^{[0-9]*,\(.*\)}$/\1/p' <<<"$r")
}
probe adm1
atoms0=$ATOMS kpids0=$KPIDS
check "b measured: $atoms0 atoms, kernel pids $kpids0" [ -n "$kpids0" ]

# ---- 1. requests from processes that are not nodes ---------------------------
# egress_req TARGET: one EGRESS_REQ on a fresh connection from 127.0.0.1;
# prints the reply in hex, or "closed".
cat > "$T/ereq.py" <<'PY'
import socket, struct, sys
port, n, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
answered = closed = 0
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = b"E" + ("%s%d@10.9.%d.%d" % (prefix, i, i // 250, i % 250 + 1)).encode()
    s.sendall(struct.pack(">H", len(body)) + body)
    try:
        d = s.recv(6)
    except OSError:
        d = b""
    if len(d) == 6 and d[0] == ord("e") and d[1] == 0:
        answered += 1
    else:
        closed += 1
    s.close()
print("answered %d closed %d" % (answered, closed))
PY
if [ "$(id -u)" -eq 0 ]; then
	r=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$T/ereq.py" "$EPMD_PORT" 45 nb 2>&1 | tail -n 3)
	who="uid 65534"
else
	r=$(python3 "$T/ereq.py" "$EPMD_PORT" 45 nb)
	who="uid $(id -u)"
fi
check "45 EGRESS_REQs from a plain client ($who): none answered ($r)" [ "$r" = "answered 0 closed 45" ]
check "... each refused with an alert naming the reason" \
    grep -q '"epmd.refused".*EGRESS_REQ: egress request not on a mediated node.s registration connection' "$ALERTS"
check "... and no egress port was opened for them" not grep -q "egress port [0-9]* for nb" "$T/dg.log"
node_start c || exit 1
check "after them a node still registers (c)" grep -q "node c registered" "$T/dg.log"

# ---- 2. the node's own requests, on its registration connection --------------
r=$(node_eval adm2 "erpc:call(Node, net_adm, ping, ['c@$HOST'])" -dist_listen false)
check "b pings c through its egress port ($r)" [ "$r" = pong ]
ep=$(sed -n "s/.*egress port \([0-9]*\) for c@$HOST$/\1/p" "$T/dg.log" | head -n 1)
check "that port (${ep:-none}) was asked by b on its registration connection" \
    grep -q "egress: node b asked for c@$HOST" "$T/dg.log"
check "... and is not in the listeners' range $LMIN..$LMAX" \
    eval '[ -n "$ep" ] && { [ "$ep" -lt "$LMIN" ] || [ "$ep" -gt "$LMAX" ]; }'
# 40 more targets from b itself: b holds at most 32 (egress_per_node).
r=$(node_eval adm3 "erpc:call(Node, fun() -> length([ok || I <- lists:seq(1, 40), {ok, _, _, _} <- [distguard_epmd:address_please(\"x\" ++ integer_to_list(I), \"10.9.9.9\", inet)]]) end)" -dist_listen false)
check "b's own 40 requests for new targets are answered ($r)" [ "$r" = 40 ]
n=$(grep -c "given up for x" "$T/dg.log")
check "b holds at most 32 targets: its own oldest ports were given up ($n times)" [ "$n" -ge 8 ]
check "the registration of b survived its requests" not grep -q "epmd: node b unregistered" "$T/dg.log"
r=$(node_eval adm4 "erpc:call(Node, net_adm, ping, ['c@$HOST'])" -dist_listen false)
check "b still reaches c afterwards ($r)" [ "$r" = pong ]

probe adm5
check "b is alive, reads its atom count ($atoms0 -> $ATOMS)" [ -n "$ATOMS" ]
check "b's kernel processes kept their pids" same "$KPIDS" "$kpids0"
check "the daemon is still running" dg_alive
check "no sanitizer report" not grep -q "runtime error\|AddressSanitizer" "$T/dg.log"
done_tests
