#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the distribution handshake terminated on both legs (issue:
# Terminate the distribution handshake on both legs).  Real nodes, a C
# node, and crafted clients from several loopback source addresses (so
# that one test's failures do not ban the next one's address).
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes and crafted registrations (stand-in
# nodes without the distguard_epmd mark): they register only because they
# listen, so this suite accepts unmediated registrations.  Its protected
# nodes run distguard_epmd (node_start).
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
ulimit -n 4096 2>/dev/null

# alert_for EVENT REGEX [SECONDS]: an alert line of that event matching.
alert_for() {
	local ev=$1 re=$2 t=${3:-5} i=0
	while [ $i -lt $((t * 10)) ]; do
		grep "\"event\":\"$ev\"" "$ALERTS" 2>/dev/null | grep -Eq -- "$re" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# count_alerts EVENT REGEX
count_alerts() { grep "\"event\":\"$1\"" "$ALERTS" 2>/dev/null | grep -Ec -- "$2"; }
lt() { [ "$(echo "$1 < $2" | bc)" = 1 ]; }

SPECIAL="$T/special.cookie"
printf 'specialcookie\n' > "$SPECIAL"; chmod 600 "$SPECIAL"
F_OTP25=0x0000000d07df7fbd
# Without MANDATORY_25_DIGEST (it stands for the set) and BIG_CREATION.
F_NOBIG=$(printf '0x%x' $((F_OTP25 & ~0x4000000 & ~0x40000)))

# ---- phase 1: admission, cookies, crafted clients (no bans) -------------
write_conf '{handshake, [{timeout, 1}]}.' \
    '{bans, [{failures, 1000}, {window, 60}, {duration, 600}]}.' \
    "{cookie, \"special@*\", {file, \"$SPECIAL\"}}." \
    '{default, [ping, global, replies]}.' \
    '{peer, "e@*", [allow_all]}.' \
    '{peer, "cnode*@*", [allow_all]}.' \
    '{node, "d@*", [{default, deny}, {peer, "a@*", [ping]}]}.'
dg_start || exit 1
node_start b -kernel logger_level info || exit 1
node_start d || exit 1
LP_B=$($CRAFT port_please "$EPMD_PORT" b); LP_B=${LP_B#port }
LP_D=$($CRAFT port_please "$EPMD_PORT" d); LP_D=${LP_D#port }
REAL_B=$(sed -n 's/.*node b registered from .*: port \([0-9]*\),.*/\1/p' "$T/dg.log" | tail -n 1)
echo "# listener of b: $LP_B, of d: $LP_D; b's own port: $REAL_B"

# Visible and hidden nodes ping through.
r=$(node_eval a "net_adm:ping(Node)")
check "a visible node pings b through distguard ($r)" [ "$r" = pong ]
check "its connection is up as visible, through the listener" \
    wait_for "$T/dg.log" "a@$HOST -> b@$HOST: up, flags .*\(visible\)" 3
flags=$(sed -n "s/.*a@$HOST -> b@$HOST: up, flags \(0x[0-9a-f]*\).*/\1/p" "$T/dg.log" | tail -n 1)
check "DIST_HDR_ATOM_CACHE is withheld from the negotiated flags ($flags)" \
    [ -n "$flags" -a $(( ${flags:-0x2000} & 0x2000 )) -eq 0 ]
r=$(node_eval h "net_adm:ping(Node)" -hidden)
check "a hidden node pings b through distguard ($r)" [ "$r" = pong ]
check "its connection is up as hidden" \
    wait_for "$T/dg.log" "h@$HOST -> b@$HOST: up, flags .*\(hidden\)" 3

# erpc works for a peer the policy allows everything; not for the default.
r=$(node_eval e "erpc:call(Node, erlang, node, [], 5000)")
check "erpc:call from an allow_all peer returns b's name ($r)" [ "$r" = "b@$HOST" ]
r=$(node_eval f "try erpc:call(Node, erlang, node, [], 3000) catch C:E -> {C, E} end")
check "erpc:call from a default peer is refused ($r)" [ "$r" != "b@$HOST" -a -n "$r" ]

# Wrong cookie: refused by distguard; B never sees a digest.
r=$(node_eval w "erlang:set_cookie(node(), wrong), net_adm:ping(Node)")
check "a node with the wrong cookie gets pang ($r)" [ "$r" = pang ]
check "handshake.bad_digest is alerted for it" \
    alert_for handshake.bad_digest "\"peer\":\"w@$HOST\""
check "b never checked a wrong digest (no 'Invalid challenge reply' in its log)" \
    not grep -q "Invalid challenge reply" "$T/b.log"

# A name nothing admits (node d: {default, deny} + a@*).
r=$(DG_TARGET=d@$HOST node_eval z "net_adm:ping(Node)")
check "a name the policy does not admit gets pang ($r)" [ "$r" = pang ]
check "handshake.name_denied is alerted" \
    alert_for handshake.name_denied "\"peer\":\"z@$HOST\""
r=$(DG_TARGET=d@$HOST node_eval a "net_adm:ping(Node)")
check "the admitted name a reaches d ($r)" [ "$r" = pong ]

# Per-peer cookie.
r=$(node_eval special "erlang:set_cookie(node(), specialcookie), net_adm:ping(Node)")
check "special with its own cookie is admitted ($r)" [ "$r" = pong ]
r=$(node_eval special "net_adm:ping(Node)")
check "special with the default cookie is refused ($r)" [ "$r" = pang ]
check "that refusal is handshake.bad_digest" \
    alert_for handshake.bad_digest "\"peer\":\"special@$HOST\""
LOOSE="$T/loose.cookie"
printf 'loosecookie\n' > "$LOOSE"; chmod 644 "$LOOSE"
cp "$CONF" "$T/bad.conf"
echo "{cookie, \"loose@*\", {file, \"$LOOSE\"}}." >> "$T/bad.conf"
line=$(wc -l < "$T/bad.conf")
out=$("$DG" check -c "$T/bad.conf" 2>&1); rc=$?
echo "# distguard check: $out"
check "distguard check refuses a 0644 cookie file (rc $rc)" [ "$rc" -ne 0 ]
check "the error names file:line and the cookie file" \
    grep -q "bad.conf:$line:.*$LOOSE" <<<"$out"
chmod 600 "$LOOSE"
out=$("$DG" check -c "$T/bad.conf" 2>&1); rc=$?
check "the same file at 0600 passes the check ($out)" [ "$rc" -eq 0 ]

# Crafted clients.  Each from its own source address.
r=$($CRAFT handshake "$LP_B" "y@$HOST" "$COOKIE" --src 127.0.0.2)
check "a crafted correct handshake comes up ($r)" grep -q "^handshake up .* ack good" <<<"$r"
fl=$(sed -n 's/^handshake up flags \(0x[0-9a-f]*\).*/\1/p' <<<"$r")
check "the crafted peer was offered no DIST_HDR_ATOM_CACHE ($fl)" \
    [ -n "$fl" -a $(( ${fl:-0x2000} & 0x2000 )) -eq 0 ]
r=$($CRAFT raw "$LP_B" 00054e00000000 --src 127.0.0.2)
check "a malformed send_name is closed without an answer ($r)" grep -q "^raw reply 0 " <<<"$r"
check "handshake.malformed is alerted for it" \
    alert_for handshake.malformed '"addr":"127.0.0.2:.*send_name'
r=$($CRAFT raw "$LP_B" ffff4e --src 127.0.0.4 --time)
t=$(sed -n 's/^raw closed after //p' <<<"$r")
check "an oversized length (0xffff) is closed at once, in ${t}s" \
    eval 'grep -q "^raw reply 0 " <<<"$r" && lt "${t:-9}" 0.2'
check "and alerted as malformed framing" \
    alert_for handshake.malformed '"addr":"127.0.0.4:.*framing'
r=$($CRAFT handshake "$LP_B" "y@$HOST" "$COOKIE" --flags "$F_NOBIG" --src 127.0.0.2)
check "missing mandatory flags get status not_allowed ($r)" \
    [ "$r" = "handshake status not_allowed" ]
check "handshake.bad_flags is alerted, naming the flag" \
    alert_for handshake.bad_flags "BIG_CREATION"
r=$($CRAFT handshake "$LP_B" "y@$HOST" "$COOKIE" --reflect --src 127.0.0.5)
check "a reflected challenge is refused ($r)" [ "$r" = "handshake closed after reply" ]
check "handshake.reflected_challenge is alerted" \
    alert_for handshake.reflected_challenge '"addr":"127.0.0.5:'
r=$($CRAFT handshake "$LP_B" "y@$HOST" "$COOKIE" --bad-digest --src 127.0.0.5)
check "a crafted wrong digest is refused ($r)" [ "$r" = "handshake closed after reply" ]

# A stall at each of P's steps, in parallel (timeout 1 s, stalls 4 s).
stalls=()
for st in name partial reply; do
	case $st in name) src=127.0.0.6 ;; partial) src=127.0.0.7 ;; reply) src=127.0.0.8 ;; esac
	$CRAFT handshake "$LP_B" "s$st@$HOST" "$COOKIE" --stall $st --stall-secs 4 \
	    --src $src > "$T/stall_$st.out" 2>&1 &
	stalls+=("$!"); PIDS+=("$!")
done
check "stall before send_name: handshake.timeout within 3 s" \
    alert_for handshake.timeout '"addr":"127.0.0.6:.*waiting for the peer.s send_name' 3
check "stall inside send_name: handshake.timeout within 3 s" \
    alert_for handshake.timeout '"addr":"127.0.0.7:.*waiting for the peer.s send_name' 3
check "stall before the reply: handshake.timeout within 3 s" \
    alert_for handshake.timeout '"addr":"127.0.0.8:.*waiting for the peer.s challenge reply' 3
wait "${stalls[@]}"
for st in name partial reply; do
	r=$(cat "$T/stall_$st.out")
	check "the stalled client ($st) found the connection closed ($r)" grep -q closed <<<"$r"
done

# A stall on B's side: a stand-in node that never answers, or answers only
# its status.  B's slowness is not the peer's fault.
FK1=$(free_port); FK2=$(free_port)
# They register themselves, as nodes do: distguard registers a port only
# for the process that listens on it (local_guard).
$CRAFT fakenode "$FK1" 8 --register "$EPMD_PORT" fk1 > "$T/fk1.out" 2>&1 &
PIDS+=("$!")
$CRAFT fakenode "$FK2" 8 --status ok --register "$EPMD_PORT" fk2 > "$T/fk2.out" 2>&1 &
PIDS+=("$!")
wait_for "$T/dg.log" "node fk2 registered" 5
wait_for "$T/dg.log" "node fk1 registered" 5
for n in 1 2; do
	lp=$($CRAFT port_please "$EPMD_PORT" fk$n); lp=${lp#port }
	r=$($CRAFT handshake "$lp" "q$n@$HOST" "$COOKIE" --src 127.0.0.2)
	check "peer of a node that stalls (fk$n) is closed ($r)" grep -q "closed" <<<"$r"
done
check "node stall before its status: handshake.timeout" \
    alert_for handshake.timeout "\"peer\":\"q1@$HOST\".*waiting for the node.s status"
check "node stall before its challenge: handshake.timeout" \
    alert_for handshake.timeout "\"peer\":\"q2@$HOST\".*waiting for the node.s challenge"
check "the stand-in node got a send_name" grep -q "fakenode got N" "$T/fk1.out"

# Name collision: b's name from outside registration_from.
r=$($CRAFT handshake "$LP_B" "b@$HOST" "$COOKIE" --src 127.0.0.3)
check "a peer claiming b@$HOST from 127.0.0.3 is refused ($r)" \
    [ "$r" = "handshake status not_allowed" ]
check "handshake.name_collision is alerted" \
    alert_for handshake.name_collision '"addr":"127.0.0.3:'
r=$($CRAFT handshake "$LP_B" "x3@$HOST" "$COOKIE" --src 127.0.0.3)
check "another name from 127.0.0.3 comes up ($r)" grep -q "^handshake up .* ack good" <<<"$r"

# The C node (ei): hidden, 112 framing, no SPAWN/ALIAS.
r=$(ERL_EPMD_PORT=$EPMD_PORT timeout -k 2 20 "$HELPERS/cnode" cnode1 "$COOKIE" "b@$HOST" echo 8000 2>&1)
echo "$r" | sed 's/^/# /'
check "the C node connects through distguard" grep -q "^cnode connected" <<<"$r"
check "the C node's reg_send is answered" grep -q "^cnode reply {echo,cnode_hello}" <<<"$r"
check "its connection is up as hidden" \
    wait_for "$T/dg.log" "cnode1@[^ ]* -> b@$HOST: up, flags .*\(hidden\)" 3
r=$(ERL_EPMD_PORT=$EPMD_PORT timeout -k 2 20 "$HELPERS/cnode" cnode2 wrongcookie "b@$HOST" echo 5000 2>&1)
check "a C node with the wrong cookie fails ($r)" grep -q "^cnode failed" <<<"$r"
check "and is alerted as handshake.bad_digest" alert_for handshake.bad_digest '"peer":"cnode2@'

# Control: b does log a wrong digest it checks itself (direct, not via
# distguard), so the absence above means something.
check "b was still clean before the control" not grep -q "Invalid challenge reply" "$T/b.log"
# b's own port answers distguard's user alone (local_guard): the control
# dials it as that user.
as_dg=()
[ "$(id -u)" -eq 0 ] && as_dg=(setpriv --reuid="$DG_RUN_USER" --regid="$(id -g "$DG_RUN_USER")" --clear-groups)
r=$("${as_dg[@]}" /usr/bin/python3 "$ROOT/tests/e2e/craft.py" handshake "$REAL_B" "ctl@$HOST" "$COOKIE" --bad-digest)
check "control: b's log shows 'Invalid challenge reply' for a direct wrong digest" \
    wait_for "$T/b.log" "Invalid challenge reply" 5
check "the daemon survived phase 1" dg_alive

# ---- phase 2: bans (defaults: 5 failures in 60 s, 600 s) ------------------
# The nodes until they are gone (with distguard_epmd they would register
# again with the next daemon by themselves, holding their names there).
kill "$DG_PID" "$PID_b" "$PID_d" 2>/dev/null
wait "$DG_PID" "$PID_b" "$PID_d" 2>/dev/null
sleep 0.5
mv "$ALERTS" "$T/alerts1.log"
write_conf '{handshake, [{timeout, 2}]}.' \
    '{bans, [{failures, 5}, {window, 60}, {duration, 600}]}.' \
    '{default, [ping, global, replies]}.'
dg_start || exit 1
node_start b || exit 1
LP_B=$($CRAFT port_please "$EPMD_PORT" b); LP_B=${LP_B#port }

r=$($CRAFT flood "$LP_B" "g@$HOST" 20 --src 127.0.0.9)
echo "# $r"
check "20 wrong digests from one address: 15 cut short ($r)" grep -q ", 15 cut short" <<<"$r"
n=$(count_alerts handshake.bad_digest '"addr":"127.0.0.9:')
check "only 5 of them reached a digest check ($n)" [ "$n" -eq 5 ]
check "peer.banned is alerted" alert_for peer.banned '"addr":"127.0.0.9:'
n=$(count_alerts peer.banned '"addr":"127.0.0.9:')
check "once ($n)" [ "$n" -eq 1 ]
first=$(grep -n '"event":"peer.banned"' "$ALERTS" | head -n 1 | cut -d: -f1)
before=$(head -n "${first:-0}" "$ALERTS" | grep -c '"event":"handshake.bad_digest".*"addr":"127.0.0.9:')
check "the ban came right after the 5th failure ($before before it)" [ "$before" -eq 5 ]
r=$($CRAFT probe "$LP_B" --src 127.0.0.9)
t=${r##* }
check "a banned source is closed at once ($r)" eval '[ "${r% *}" = "probe eof" ] && lt "$t" 0.2'
r=$($CRAFT handshake "$LP_B" "g@$HOST" "$COOKIE" --src 127.0.0.9)
check "even with the right cookie ($r)" grep -q closed <<<"$r"
r=$($CRAFT handshake "$LP_B" "g@$HOST" "$COOKIE" --src 127.0.0.10)
check "another source still comes up ($r)" grep -q "^handshake up .* ack good" <<<"$r"
r=$(node_eval a "net_adm:ping(Node)")
check "real nodes from 127.0.0.1 still ping ($r)" [ "$r" = pong ]
check "the daemon survived phase 2" dg_alive

# ---- phase 3: the documented range of failures (0..1000, 0: never) -------
# restart_with BANS-ENTRY: a fresh daemon and node b on that configuration.
restart_with() {
	kill "$DG_PID" "$PID_b" 2>/dev/null
	wait "$DG_PID" "$PID_b" 2>/dev/null
	sleep 0.5
	mv "$ALERTS" "$ALERTS.$(date +%s%N)"
	# A fresh log too: dg_start and node_start wait for lines that the
	# previous daemon's log already has, and would return before the new
	# daemon serves and b is registered (port_please then got noport).
	mv "$T/dg.log" "$T/dg.log.$(date +%s%N)"
	write_conf '{handshake, [{timeout, 2}]}.' "$1" '{default, [ping]}.'
	dg_start || return 1
	node_start b || return 1
	LP_B=$($CRAFT port_please "$EPMD_PORT" b); LP_B=${LP_B#port }
}
restart_with '{bans, [{failures, 40}, {window, 60}, {duration, 600}]}.' || exit 1
r=$($CRAFT flood "$LP_B" "g@$HOST" 39 --src 127.0.0.31)
check "failures 40: 39 wrong digests are all checked ($r)" grep -q ", 0 cut short" <<<"$r"
n=$(count_alerts peer.banned '"addr":"127.0.0.31:')
check "failures 40: no ban after 39 failures ($n bans)" [ "$n" -eq 0 ]
restart_with '{bans, [{failures, 0}, {window, 60}, {duration, 600}]}.' || exit 1
r=$($CRAFT flood "$LP_B" "g@$HOST" 10 --src 127.0.0.32)
check "failures 0 (never ban): 10 wrong digests are all checked ($r)" grep -q ", 0 cut short" <<<"$r"
n=$(count_alerts peer.banned '"addr":"127.0.0.32:')
check "failures 0: no ban ($n bans)" [ "$n" -eq 0 ]
check "the daemon survived everything" dg_alive
done_tests
