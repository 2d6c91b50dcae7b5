#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: a legitimate cluster never trips the defences (issue 10).
# Nine OTP 25 nodes on this host, all behind one distguard, under the
# embedded default handshake and ban settings and the default policy
# [ping, global, replies]: a hub pings the eight others and global's
# connect_all builds the full mesh, with the simultaneous connects that
# come with it.  Three rounds on one daemon (bans would pile up across
# them).  Each round: every node sees the 8 others, every node sees the 9
# global names, and distguard raised no peer.banned and no handshake.*
# alert at all.
. "$(dirname "$0")/lib.sh"

MEMBERS=8
N=$((MEMBERS + 1))
ROUNDS=3
erlc -o "$T" "$ROOT/tests/e2e/dgmesh.erl" >/dev/null 2>&1 || echo "# erlc dgmesh failed"
# Every node is a protected node of this host: all run distguard_epmd
# (the defaults refuse them otherwise), so each member-to-member
# connection is an egress session, both directions judged.
ERL_COMMON+=("${ERL_MOD[@]}")

write_conf \
    '{handshake, [{timeout, 7}, {max_pending, 512}, {max_per_source, 32},
                  {withhold_flags, ['"'"'DIST_HDR_ATOM_CACHE'"'"']},
                  {require_flags, ['"'"'MANDATORY_25'"'"']}]}.' \
    '{bans, [{failures, 5}, {window, 60}, {duration, 600}]}.' \
    '{default, [ping, global, replies]}.'
dg_start || exit 1

count() { grep -c -- "$1" "$2" 2>/dev/null; }

# mesh_node NAME ROUND: one member, in the background.
mesh_node() {
	timeout -k 2 120 erl -sname "$1" "${ERL_COMMON[@]}" \
	    -run dgmesh member "$N" "$2" "hub@$HOST" > "$T/$1.r$2.log" 2>&1 &
	PIDS+=("$!")
	MPIDS+=("$!")
}

for round in $(seq 1 $ROUNDS); do
	MPIDS=()
	regs_before=$(count "registered from" "$T/dg.log")
	for i in $(seq 1 $MEMBERS); do mesh_node "m$i" "$round"; done
	# all eight registered with distguard and ready
	k=0
	while [ $k -lt 300 ]; do
		[ $(( $(count "registered from" "$T/dg.log") - regs_before )) -ge $MEMBERS ] &&
		    [ "$(cat "$T"/m*.r$round.log 2>/dev/null | grep -c 'dgmesh member .* ready')" -ge $MEMBERS ] && break
		sleep 0.1; k=$((k + 1))
	done
	members=""
	for i in $(seq 1 $MEMBERS); do members="$members m$i@$HOST"; done
	t0=$(date +%s.%N)
	timeout -k 2 100 erl -sname hub "${ERL_COMMON[@]}" \
	    -run dgmesh hub "$N" "$round" $members > "$T/hub.r$round.log" 2>&1
	t1=$(date +%s.%N)
	for p in "${MPIDS[@]}"; do wait "$p" 2>/dev/null; done
	logs=("$T"/m*.r$round.log "$T/hub.r$round.log")
	sed 's/^/# /' "$T/hub.r$round.log"
	pongs=$(grep -o pong "$T/hub.r$round.log" | wc -l)
	check "round $round: the hub's $MEMBERS pings are answered ($pongs pong)" \
	    [ "$pongs" -eq $MEMBERS ]
	mesh=$(cat "${logs[@]}" | grep -c "dgmesh .* mesh true nodes $MEMBERS$")
	check "round $round: the full mesh forms, length(nodes()) = $MEMBERS on $mesh of $N nodes" \
	    [ "$mesh" -eq $N ]
	names=$(cat "${logs[@]}" | grep -c "dgmesh .* names true seen $N$")
	check "round $round: all $N global names are seen from $names of $N nodes" \
	    [ "$names" -eq $N ]
	check "round $round: every node reported ok to the hub" \
	    grep -q "dgmesh hub all_ok true $N" "$T/hub.r$round.log"
	banned=$(count '"event":"peer.banned"' "$ALERTS")
	hsalerts=$(count '"event":"handshake\.' "$ALERTS")
	check "after round $round: 0 peer.banned alerts ($banned)" [ "${banned:-0}" -eq 0 ]
	check "after round $round: 0 handshake.* alerts ($hsalerts)" [ "${hsalerts:-0}" -eq 0 ]
	up=$(count ": up, flags" "$T/dg.log")
	nok=$(count "node answered nok" "$T/dg.log")
	gaveup=$(count "peer gave up while\|node gave up while" "$T/dg.log")
	echo "# round $round: $(echo "$t1 - $t0" | bc) s; so far $up connections up," \
	    "$nok settled by nok, $gaveup attempts given up (all logged at debug)"
	# every member has halted (the hub went): the names are free again
done

# The simultaneous connects were real and settled as OTP settles them.
check "simultaneous connects happened and were passed through (nok: $nok, given up: $gaveup)" \
    [ $((nok + gaveup)) -gt 0 ]
check "they were logged at debug level, not as failures" \
    not grep -Eq ": (info|warning): .*(node answered nok|gave up while)" "$T/dg.log"
check "no source is banned" \
    not grep -q "banned" "$ALERTS"
eg=$(grep -c " <- egress from .*: up" "$T/dg.log")
check "the mesh's connections were egress sessions ($eg up), none went around distguard" \
    eval '[ "$eg" -ge $((MEMBERS * ROUNDS)) ] && ! grep -q "unmediated" "$T/dg.log"'
check "the daemon is still running" dg_alive
done_tests
