#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the handshake's names are atoms of the node (issue 18,
# item 4).  OTP's dist_util makes an atom of a peer's node name as soon as
# it reads send_name, before any cookie is checked.  Before the fix
# distguard forwarded every admitted name, uncounted: 55,000 handshakes
# under new names, without a cookie, grew b's atom table by 55,000.  Now
# each new name is charged to b's atom budget and to its source address's
# share (50,000) before b is dialled; past it a new name is refused.
#
# The flood comes from 127.0.0.1, a registration_from address: failures
# from there are counted by name (core/ban.c), so new names are never
# banned - the case a budget has to hold.
. "$(dirname "$0")/lib.sh"
DG_EGRESS=off
CRAFT="python3 $(cd "$(dirname "$0")" && pwd)/craft.py"
cd "$T" || exit 1

write_conf '{default, [ping, global, replies]}.' '{peer, "adm*@*", [allow_all]}.'
dg_start || exit 1
node_start b || exit 1
B="b@$HOST"
LB=$($CRAFT port_please "$EPMD_PORT" b); LB=${LB#port }

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

r=$(timeout -k 2 150 $CRAFT names "$LB" "nc@$HOST" 55000 8)
echo "# $r"
check "55,000 handshakes without a cookie, each under a new name ($r)" grep -q "^names ok" <<<"$r"
probe adm2
grow=$(( ${ATOMS:-9999999} - ${atoms0:-0} ))
echo "# b's atom_count: $atoms0 -> ${ATOMS:-?} (+$grow)"
check "b is alive" kill -0 "$PID_b"
check "b answers and reads its atom count (${ATOMS:-none})" [ -n "$ATOMS" ]
check "b's kernel processes kept their pids" same "$KPIDS" "$kpids0"
check "b's atom table grew by at most source_atoms (50,000) + 100: +$grow" [ "$grow" -le 50100 ]
check "new names were refused once the share was spent (filter.atom_flood)" \
    grep -q '"filter.atom_flood".*a new name, and the atom budget of the source address is spent' "$ALERTS"
r=$(node_eval adm3 "net_adm:ping(Node)" -dist_listen false)
check "an allow_all peer still reaches b ($r)" [ "$r" = pong ]
check "the daemon is still running" dg_alive
check "no sanitizer report" not grep -q "runtime error\|AddressSanitizer" "$T/dg.log"
done_tests
