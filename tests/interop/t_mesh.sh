#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: a mixed global mesh through distguard.  Nine members, three each
# of OTP 25, 27 and 29, started together; each connects to the seed
# and global fills in the full mesh (members connecting to each other at
# the same time).  Every member-to-member connection crosses distguard, in
# both directions (local<->local), under an ordinary policy.  Every
# member runs distguard_epmd (the defaults refuse it otherwise), so each of
# those connections is an egress session.  Expected: a full mesh, every
# global name everywhere, no alert, no ban.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
interop_root || exit 1

write_conf \
    '{peer, "m*@*", [ping, global, replies]}.' \
    '{peer, "obs*@*", [{allow, spawn_request, [{erlang, nodes, 0}, {global, registered_names, 0}]}]}.'
dg_start || exit 1

MEMBERS=()
for i in 1 2 3; do MEMBERS+=("m25n$i" "m27n$i" "m29n$i"); done
SEED="m25n1@$HOST"
for m in "${MEMBERS[@]}"; do
	v=${m:1:2}
	erl_cmd "$v"
	timeout -k 2 150 "${ERLV[@]}" -sname "$m" "${ERL_COMMON[@]}" "${VMOD[@]}" \
	    -eval "iop:mesh_member('$SEED', 120)" > "$T/$m.log" 2>&1 &
	PIDS+=("$!")
done
for m in "${MEMBERS[@]}"; do
	wait_for "$T/$m.log" "dgt ready" 30 || not_ok "member $m started"
done
list=$(printf "'%s@$HOST'," "${MEMBERS[@]}"); list="[${list%,}]"
r=$(veval 25 obs 60 "iop:mesh_observe($list, 30)" -hidden -dist_listen false | grep '^IOP mesh')
echo "# $r" | cut -c1-600
# Simultaneous connects (both members dialling each other) are normal in a
# global mesh; issue 10 is about distguard counting them as failures.
echo "# handshakes the node answered nok (simultaneous connects): $(grep -c 'node answered nok' "$T/dg.log")"
check "full_mesh [mesh 3x25+3x27+3x29] (every member sees the 8 others and the 9 global names: $(echo "${r#IOP mesh }" | cut -c1-300))" \
    grep -q '^IOP mesh ok ' <<<"$r"
up=$(grep -Ec "m2[579]n[0-9]@$HOST (->|<- egress from) m2[579]n[0-9]@$HOST: up" "$T/dg.log")
eg=$(grep -Ec "m2[579]n[0-9]@$HOST <- egress from m2[579]n[0-9]@$HOST: up" "$T/dg.log")
echo "# of which egress sessions: $eg"
echo "# member-to-member connections that came up through distguard: $up"
check "mesh_through_distguard [mesh 3x25+3x27+3x29] (>= 36 member connections up through distguard: $up)" [ "$up" -ge 36 ]
check "mesh_egress [mesh 3x25+3x27+3x29] (all of them egress sessions, mediated both ways: $eg of $up)" \
    [ "$eg" -eq "$up" ]
sleep 1
na=$(grep -c . "$ALERTS" 2>/dev/null)
[ "${na:-0}" -gt 0 ] && sed 's/^/#   alert: /' "$ALERTS" | head -n 20
check "no_alert [mesh 3x25+3x27+3x29] (alerts: ${na:-0})" [ "${na:-0}" -eq 0 ]
nb=$(grep -c '"event":"peer.banned"' "$ALERTS" 2>/dev/null)
check "no_ban [mesh 3x25+3x27+3x29] (bans: ${nb:-0})" [ "${nb:-0}" -eq 0 ]
check "distguard_survived [mesh 3x25+3x27+3x29]" dg_alive
done_tests
