#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: blame lands on the right party (issue 10).
#  - a local source (registration_from, 127.0.0.1) that fails handshake
#    after handshake under a name of its own is banned for that name only;
#    the host's real nodes still connect at once;
#  - name_denied refusals of a local node while a policy is worked out are
#    never counted: once the policy admits it, it connects;
#  - a remote source (127.0.0.x outside registration_from) that fails is
#    banned by address, as before;
#  - refusals for flags raise handshake.incompatible and ban nobody;
#  - `distguard check` refuses withholding flags a supported OTP release
#    requires, with FILE:LINE and the releases.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes and crafted registrations standing
# in for other hosts' peers and for misbehaving nodes: they register only
# because they listen, so this suite accepts unmediated registrations.
# Its protected node b runs distguard_epmd (node_start).
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"

count_alerts() { grep "\"event\":\"$1\"" "$ALERTS" 2>/dev/null | grep -Ec -- "$2"; }
lt() { [ "$(echo "$1 < $2" | bc)" = 1 ]; }
F_OTP25=0x0000000d07df7fbd
# an OTP 25 offer without V4_NC and UNLINK_ID (what OTP 26+ require)
F_NO26=$(printf '0x%x' $((F_OTP25 & ~0x400000000 & ~0x2000000)))

# ---- distguard check ---------------------------------------------------------
bad() {	# bad NAME LINE MESSAGE CONF-TEXT: check refuses it at FILE:LINE
	local f="$T/$1.conf" out rc
	printf '%b' "$4" > "$f"
	out=$("$DG" check -c "$f" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	check "check refuses $1 (exit $rc)" [ $rc -ne 0 ]
	check "check names $1.conf:$2 and what breaks" grep -qF "$f:$2: $3" <<<"$out"
}
base="{cookie, {file, \"$T/cookie\"}}.\n"
bad v4nc 3 "handshake: cannot withhold V4_NC: OTP 26, 27, 28, 29 nodes require it" \
    "$base{handshake, [{timeout, 7},\n  {withhold_flags, ['DIST_HDR_ATOM_CACHE', 'V4_NC']}]}.\n"
bad unlink 2 "handshake: cannot withhold UNLINK_ID: OTP 26, 27, 28, 29 nodes require it" \
    "$base{handshake, [{withhold_flags, ['UNLINK_ID']}]}.\n"
bad maptag 2 "handshake: cannot withhold MAP_TAG: OTP 25, 26, 27, 28, 29 nodes require it" \
    "$base{handshake, [{withhold_flags, [map_tag]}]}.\n"
bad mand30 2 "handshake: require_flags: unknown flag 'MANDATORY_30'" \
    "$base{handshake, [{require_flags, ['MANDATORY_30']}]}.\n"
printf '%b' "$base{handshake, [{require_flags, ['MANDATORY_26']},\n  {withhold_flags, ['DIST_HDR_ATOM_CACHE', 'FRAGMENTS']}]}.\n" > "$T/ok26.conf"
out=$("$DG" check -c "$T/ok26.conf" 2>&1)
check "check accepts require_flags ['MANDATORY_26'] ($out)" grep -q "configuration OK" <<<"$out"

# ---- local bans stay local ------------------------------------------------
write_conf '{handshake, [{timeout, 2}]}.' \
    '{bans, [{failures, 5}, {window, 60}, {duration, 600}]}.' \
    '{default, deny}.' \
    '{peer, "ok*@*", [ping, global, replies]}.' \
    '{peer, "evil@*", [ping]}.' \
    '{peer, "g*@*", [ping]}.' \
    '{peer, "x*@*", [ping]}.'
dg_start || exit 1
node_start b || exit 1
LP_B=$($CRAFT port_please "$EPMD_PORT" b); LP_B=${LP_B#port }

# 20 wrong-cookie handshakes in a row from 127.0.0.1 as evil@HOST
r=$($CRAFT flood "$LP_B" "evil@$HOST" 20)
echo "# local flood: $r"
n=$(count_alerts handshake.bad_digest "\"peer\":\"evil@$HOST\"")
check "the first 5 wrong digests were checked and alerted ($n)" [ "$n" -eq 5 ]
check "then evil@$HOST is throttled: the other 15 cut short ($r)" grep -q ", 15 cut short" <<<"$r"
n=$(count_alerts peer.banned "\"peer\":\"evil@$HOST\"")
check "one peer.banned, for that name ($n)" [ "$n" -eq 1 ]
check "the ban says it is for this node name only" \
    grep -q '"event":"peer.banned".*this node name banned from this local source' "$ALERTS"
r=$($CRAFT handshake "$LP_B" "evil@$HOST" "$COOKIE")
check "evil@$HOST is refused even with the right cookie ($r)" grep -q "^handshake closed" <<<"$r"
t0=$(date +%s.%N)
r=$(node_eval ok1 "net_adm:ping(Node)")
t=$(echo "$(date +%s.%N) - $t0" | bc)
check "a legitimate local node still connects at once ($r, ${t}s with node start)" \
    eval '[ "$r" = pong ] && lt "$t" 10'
r=$($CRAFT handshake "$LP_B" "ok2@$HOST" "$COOKIE")
check "another local name from 127.0.0.1 completes its handshake ($r)" \
    grep -q "^handshake up .* ack good" <<<"$r"
# (a banned source is closed at accept; this one waits for its send_name
# until the 2 s handshake timer)
r=$($CRAFT probe "$LP_B")
check "127.0.0.1 itself is never banned: a probe is not closed at accept ($r)" \
    eval '[ "${r% *}" = "probe open" ] || { [ "${r% *}" = "probe eof" ] && lt 1.5 "${r##* }"; }'

# name_denied while a policy is being worked out: never counted for a local node
for k in 1 2 3 4 5 6 7; do
	r=$(node_eval tune "net_adm:ping(Node)")
	[ "$r" = pang ] || echo "# tune attempt $k: $r"
done
n=$(count_alerts handshake.name_denied "\"peer\":\"tune@$HOST\"")
check "7 name_denied refusals of tune@$HOST are alerted ($n)" [ "$n" -eq 7 ]
n=$(count_alerts peer.banned "\"peer\":\"tune@$HOST\"")
check "and not counted towards a ban ($n)" [ "$n" -eq 0 ]
sed -i 's/{peer, "evil@\*", \[ping\]}./{peer, "evil@*", [ping]}.\n{peer, "tune@*", [ping]}./' "$CONF"
rl=$("$DG" reload -c "$CONF" 2>&1)
check "policy fixed and reloaded ($rl)" [ $? -eq 0 ]
r=$(node_eval tune "net_adm:ping(Node)")
check "tune@$HOST connects as soon as the policy admits it ($r)" [ "$r" = pong ]

# garbage from a local source: alerted, never a ban on the host
for k in 1 2 3 4 5 6 7 8; do $CRAFT raw "$LP_B" 00054e00000000 >/dev/null; done
n=$(count_alerts handshake.malformed '"addr":"127.0.0.1:')
check "8 malformed send_names from 127.0.0.1 are alerted ($n)" [ "$n" -ge 8 ]
r=$(node_eval ok3 "net_adm:ping(Node)")
check "and the host's nodes still connect ($r)" [ "$r" = pong ]
n=$(count_alerts peer.banned '"peer":"ok.*"addr":"127.0.0.1:')
check "no legitimate local name was ever banned ($n)" [ "$n" -eq 0 ]

# ---- remote sources are banned by address, as before -----------------------
r=$($CRAFT flood "$LP_B" "g@$HOST" 20 --src 127.0.0.20)
echo "# remote flood: $r"
check "a remote source failing 20 times is cut short after 5 ($r)" grep -q ", 15 cut short" <<<"$r"
n=$(count_alerts peer.banned '"addr":"127.0.0.20:')
check "and banned (peer.banned: $n)" [ "$n" -eq 1 ]
r=$($CRAFT handshake "$LP_B" "x1@$HOST" "$COOKIE" --src 127.0.0.20)
check "the ban is on the address: another name from it is refused ($r)" \
    grep -q "^handshake closed" <<<"$r"
r=$($CRAFT probe "$LP_B" --src 127.0.0.20)
check "a banned remote source is closed at once ($r)" [ "${r% *}" = "probe eof" ]

# ---- flags: handshake.incompatible, nobody banned ----------------------------
# A stand-in node that refuses like an OTP 26 node refusing a peer without
# V4_NC/UNLINK_ID (not_allowed after the send_name).
FPORT=$(free_port)
# It registers itself, as a node does: distguard registers a port only
# for the process that listens on it (local_guard).
$CRAFT fakenode "$FPORT" 40 --status not_allowed --register "$EPMD_PORT" f26 > "$T/f26.out" &
PIDS+=("$!")
wait_for "$T/dg.log" "node f26 registered" 10
LP_F=$($CRAFT port_please "$EPMD_PORT" f26); LP_F=${LP_F#port }
for k in 1 2 3 4 5 6 7; do
	r=$($CRAFT handshake "$LP_F" "x2@$HOST" "$COOKIE" --flags "$F_NO26" --src 127.0.0.21)
	[ $k = 1 ] && echo "# $r"
done
check "the peer gets the node's not_allowed ($r)" grep -q "^handshake status not_allowed" <<<"$r"
n=$(count_alerts handshake.incompatible '"addr":"127.0.0.21:.*UNLINK_ID V4_NC.*OTP 26, 27, 28.*peer does not offer them')
check "handshake.incompatible names the flags, the releases and who lacks them ($n of 7)" [ "$n" -eq 7 ]
n=$(count_alerts peer.banned '"addr":"127.0.0.21:')
check "7 refusals for flags ban nobody ($n)" [ "$n" -eq 0 ]
grep '"event":"handshake.incompatible"' "$ALERTS" | head -n 1 | sed 's/^/# /'

# A stand-in node without V4_NC/UNLINK_ID: an OTP 26+ initiator aborts on its
# challenge.  That too is incompatible, blamed on the node.
FPORT2=$(free_port)
$CRAFT fakenode "$FPORT2" 40 --status ok --challenge "$F_NO26" "f25@$HOST" --register "$EPMD_PORT" f25 > "$T/f25.out" &
PIDS+=("$!")
wait_for "$T/dg.log" "node f25 registered" 10
LP_F2=$($CRAFT port_please "$EPMD_PORT" f25); LP_F2=${LP_F2#port }
for k in 1 2 3 4 5 6; do
	r=$($CRAFT handshake "$LP_F2" "x3@$HOST" "$COOKIE" --abort --src 127.0.0.22)
done
check "the peer got a challenge without V4_NC ($r)" \
    eval '[ $(( ${r##* } & 0x400000000 )) -eq 0 ] && grep -q "^handshake aborted" <<<"$r"'
n=$(count_alerts handshake.incompatible '"addr":"127.0.0.22:.*peer gave up after the challenge.*the node does not offer them')
check "the peer's abort is handshake.incompatible, blamed on the node ($n of 6)" [ "$n" -eq 6 ]
n=$(count_alerts peer.banned '"addr":"127.0.0.22:')
check "and bans nobody ($n)" [ "$n" -eq 0 ]
check "the daemon is still running" dg_alive
done_tests
