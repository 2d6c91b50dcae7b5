#!/bin/bash
# Interop: distguard_epmd on OTP 27 (Debian trixie, chrooted) as well as on
# the host's OTP 25: compiled by each release's own erlc, set with
# -kernel epmd_module (OTP 27's form) and with -epmd_module; registration
# marked mediated, reachable through distguard from both releases,
# re-registration after kill -9 and a restart of the daemon, and no route
# (and no direct dial) while the daemon has no egress sessions.
. "$(dirname "$0")/lib.sh"
interop_root || exit 1
mkdir -p "$T/ebin25" "$T/ebin27"
cp "$ROOT/erl/distguard_epmd.erl" "$T/"
erlc -o "$T/ebin25" "$T/distguard_epmd.erl" ||
    { not_ok "compiled [25] (erlc of OTP 25)"; exit 1; }
sh "$TRIXIE" exec -b "$T" -- erlc -o "$T/ebin27" "$T/distguard_epmd.erl" ||
    { not_ok "compiled [27] (erlc of OTP 27)"; exit 1; }
ok "compiled [25] (erlc of OTP 25)"
ok "compiled [27] (erlc of OTP 27)"

write_conf '{default, [ping]}.' '{egress, required}.' '{exposed, refuse}.'
dg_start || exit 1

vnode_start 27 k27 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -kernel epmd_module distguard_epmd -pa "$T/ebin27" || exit 1
vnode_start 27 f27 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -epmd_module distguard_epmd -pa "$T/ebin27" || exit 1
vnode_start 25 m25 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -epmd_module distguard_epmd -pa "$T/ebin25" || exit 1
for n in k27 f27 m25; do
	check "registers_mediated [$n] (-kernel epmd_module / -epmd_module)" \
	    grep -q "node $n registered from .*; mediated (distguard_epmd)" "$T/dg.log"
done
for pv in 25 27; do
	for n in k27 m25; do
		r=$(veval "$pv" "p$pv$n" 30 "io:format(\"=> ~p~n\", [net_adm:ping('$n@$HOST')])" \
		    -dist_listen false | sed -n 's/^=> //p')
		check "reachable [$pv->$n] (a peer pings it through distguard: $r)" [ "$r" = pong ]
	done
done

kill -9 "$DG_PID"; wait "$DG_PID" 2>/dev/null
sleep 0.5
mark=$(wc -l < "$T/dg.log")
t0=$(date +%s%N)
"$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
DG_PID=$!; PIDS+=("$DG_PID")
i=0
until [ "$(tail -n +"$((mark + 1))" "$T/dg.log" | grep -c 'node \(k27\|f27\|m25\) registered from .*; mediated')" -eq 3 ] ||
    [ $i -ge 100 ]; do sleep 0.02; i=$((i + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# registered_again NODE: registered, mediated, by the restarted daemon
registered_again() {
	tail -n +"$((mark + 1))" "$T/dg.log" | grep -q "node $1 registered from .*; mediated" &&
	    [ "$ms" -le 2000 ]
}
for n in k27 f27 m25; do
	check "reregisters [$n] (after kill -9 and a restart, within 2 s: ${ms} ms for all three)" \
	    registered_again "$n"
done
r=$(veval 25 pk27b 30 "io:format(\"=> ~p~n\", [net_adm:ping('k27@$HOST')])" -dist_listen false | sed -n 's/^=> //p')
check "reachable_after_restart [25->k27] ($r)" [ "$r" = pong ]
check "not_restarted [k27] (the OTP 27 node lived through it)" kill -0 "$PID_k27"

r=$(erl_cmd 27 && timeout -k 2 40 "${ERLV[@]}" -name a27@127.0.0.1 "${ERL_COMMON[@]}" \
    -kernel epmd_module distguard_epmd -pa "$T/ebin27" \
    -eval "io:format(\"=> ~p~n\", [net_adm:ping('r@127.0.0.9')]), timer:sleep(300), halt()." 2>&1)
echo "$r" | sed 's/^/#   /'
check "no_route [27] (ping r@127.0.0.9 without egress sessions: pang)" grep -q '^=> pang' <<<"$r"
check "no_route_logged [27] (the module logged the daemon's answer)" \
    grep -q "distguard_epmd: no route to r@127.0.0.9" <<<"$r"
check "daemon_alive [all]" dg_alive
done_tests
