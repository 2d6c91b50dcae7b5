#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the embedded default policy against real nodes (issue: the
# embedded default let any cookie holder run code on a node).
#
# The policy is the {default, ...} line of examples/distguard.conf, taken
# from the file so that this suite follows what `make run` runs.  Four
# protected nodes g1..g4 form a global mesh using only what the default
# lets through (dgt:gpeer/3): global names, global:send, replies to their
# own gen_server and erpc calls.  Then a peer that holds the cookie tries
# what used to work: code through global's registrar, global's info call,
# rex and every other process reached by guessed pids.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected node b runs distguard_epmd (node_start).
DG_EGRESS=off
cd "$T" || exit 1

DEFAULT=$(grep '^{default,' "$ROOT/examples/distguard.conf")
check "the embedded default policy is a profile list ($DEFAULT)" \
    [ "$DEFAULT" = "{default, [ping, global, replies]}." ]
# Bans are issue 10's subject (simultaneous connects in a mesh); alerts are
# limited per source as in the embedded default (30 a minute).
ALERTS_PER_SOURCE=30 write_conf "$DEFAULT" "{bans, [{failures, 0}]}."
dg_start || exit 1

gpeer() {	# gpeer NAME CONNECT CALLS
	local name=$1
	timeout -k 2 200 erl -sname "$name" "${ERL_COMMON[@]}" \
	    -eval "dgt:gpeer(180, $2, $3)" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/$name.log" "gpeer ready" 20 || not_ok "node $name ready"
}
G1="'g1@$HOST'"
for n in g2 g3 g4; do gpeer $n "[]" "[$G1]"; done
gpeer g1 "['g2@$HOST', 'g3@$HOST', 'g4@$HOST']" "[]"

# ---- legitimate traffic under the default -----------------------------------
for n in g1 g2 g3 g4; do
	check "$n: the global mesh forms (3 other nodes)" \
	    wait_for "$T/$n.log" "^mesh 3$" 30
done
for n in g1 g2 g3 g4; do
	for o in g1 g2 g3 g4; do
		[ "$n" = "$o" ] && continue
		check "$n: global:send from $o to {gp, $n} arrives" \
		    wait_for "$T/$n.log" "got hello_from $o@" 20
	done
done
for n in g2 g3 g4; do
	check "$n: its gen_server call to g1 gets the reply" \
	    wait_for "$T/$n.log" "gs_call g1@$HOST pong" 10
	check "$n: its erpc call to g1 gets the reply" \
	    wait_for "$T/$n.log" "erpc g1@$HOST g1@$HOST" 10
done
r=$(node_eval pinger "net_adm:ping('g2@$HOST')")
check "ping under the default ($r)" [ "$r" = "pong" ]
check "no legitimate message was denied" \
    not grep -q '"filter.denied"' "$ALERTS"
check "no sender was taken for a spoofer" \
    not grep -q '"filter.spoofed_sender"' "$ALERTS"

# ---- what a cookie holder tried --------------------------------------------
# Each attack runs on a visible peer that syncs global with g2 first, so
# it has what a real attacker has: the pids in g2's global names.
ATTACK="true = net_kernel:connect_node(Node), ok = global:sync(),
    Mark = fun(F) -> \"touch $T/\" ++ F end,
    R1 = (catch gen_server:call({global_name_server, Node},
        {registrar, fun(_) -> os:cmd(Mark(\"m_registrar\")) end}, 3000)),
    R2 = (catch gen_server:call({global_name_server, Node}, info, 3000)),
    Known = global:whereis_name({gp, Node}),
    N = dgt:spray(Known, 200, {self(), {call, os, cmd, [Mark(\"m_rex\")], user}}),
    timer:sleep(2000),
    {element(1, R1), element(1, R2), is_pid(Known), N}"
r=$(DG_TARGET="g2@$HOST" EVAL_TIMEOUT=60 node_eval mallory "$ATTACK")
check "the attacks ran to their end ($r)" \
    [ "$r" = "{'EXIT','EXIT',true,199}" ]
check "the registrar fun did not run" [ ! -e "$T/m_registrar" ]
check "the registrar call is alerted (a fun to global_name_server: filter.code)" \
    grep -q '"filter.code".*a fun in the payload of a send to global_name_server' "$ALERTS"
check "global's info call is denied and alerted" \
    grep -q '"filter.denied".*reg_send to global_name_server.*reason not global' "$ALERTS"
check "rex reached by a guessed pid did not run os:cmd" [ ! -e "$T/m_rex" ]
check "sends to guessed pids are alerted as undisclosed" \
    grep -q '"filter.denied".*send by profile.*reason undisclosed\|"filter.denied".*send by default.*reason undisclosed' "$ALERTS"
sleep 1
for n in g1 g2 g3 g4; do
	check "$n is alive after the spray" kill -0 "$(eval echo \$PID_$n)"
done
r=$(node_eval pinger2 "net_adm:ping('g2@$HOST')")
check "g2 still answers a ping ($r)" [ "$r" = "pong" ]
check "g2's kernel did not die" not grep -q "Kernel pid terminated" "$T/g2.log"

# Every one of the 199 sends was denied, though alerts are rate-limited.
timeout 5 "$DG" stats -c "$CONF" --json > "$T/stats.json" 2>&1
denied=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(r["types"]["send"]["deny"] for r in d["peers"]
          if r["peer"].startswith("mallory@") and r["node"] == "g2"))' < "$T/stats.json" 2>&1)
check "the guessed sends were denied (stats: $denied)" [ "${denied:-0}" -ge 190 ]
alerts=$(grep -c '"filter.denied"' "$ALERTS")
check "alerts stayed near the per-source limit of 30 a minute ($alerts)" [ "$alerts" -le 40 ]

# ---- the dry run says the same --------------------------------------------
r=$("$DG" test -c "$CONF" "mallory@$HOST" send)
check "distguard test: a send to a pid never disclosed is denied ($r)" \
    grep -q '^deny .*reason undisclosed$' <<<"$r"
r=$("$DG" test -c "$CONF" --disclosed "mallory@$HOST" send)
check "distguard test --disclosed: the same send is allowed ($r)" \
    grep -q '^allow profile' <<<"$r"

done_tests
