#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: hostile input against a running distguard with real nodes
# behind it (issue: fuzzing and the hostile-input suite, part 2).
#
# After each attack, `healthy` checks that the daemon is alive (kill -0),
# that node b is alive and a legitimate node still gets pong through the
# listener, that the daemon's VmRSS stays under RSS_MAX_KB, and - where one
# is due - that the attack raised its alert.  Hostile clients use their own
# loopback source addresses (127.0.3.x and up), so bans and per-source caps
# they trigger never hit the legitimate nodes on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
# The hostile clients include stock nodes and a crafted registration
# (no distguard_epmd mark), so this suite accepts unmediated
# registrations.  Its protected node b runs distguard_epmd.
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
ulimit -n 20000 2>/dev/null

# Memory bound.  The daemon allocates per connection only a bounded request
# buffer (EPMD) or handshake/queue buffers (sessions); nothing is sized by
# a peer's declared length.  64 MiB leaves room for 2000 EPMD connections
# at their 3 KiB buffer and the 320 KiB relay scratch space, and is far
# below what any buffering-by-declared-length bug costs (a 4 GiB frame, a
# 256 MiB fragment sequence).  Under ASan, redzones, shadow memory and the
# quarantine of freed blocks inflate RSS: the bound there is 1 GiB (still
# far below 4 GiB).
RSS_MAX_KB=${RSS_MAX_KB:-65536}

F_OTP25=0x0000000d07df7fbd
# Flags of a hidden peer: with FRAGMENTS (header mode), without it
# (pass-through mode).
FL_HDR=$(printf '%x' $((F_OTP25 & ~1)))
FL_PASS=$(printf '%x' $((F_OTP25 & ~1 & ~0x800000)))

EPMD_TIMEOUT=5 write_conf \
    '{default, [ping, global, replies]}.' \
    '{peer, "p*@*", [ping, replies, {allow, reg_send, [dgt_gs, echo]}]}.' \
    '{handshake, [{timeout, 1}]}.' \
    '{limits, [{max_fragment_bytes, 8388608}]}.'
# Registration only from 127.0.0.1 (127.0.0.5 is loopback but not
# "local" here); EPMD caps low enough for a 10,000-connection swarm to hit.
sed -i -e 's/{registration_from, \[.*\]}/{registration_from, ["127.0.0.1"]}/' \
    -e 's/{timeout, 5}]}/{timeout, 5}, {max_connections, 2000}, {max_per_source, 16}]}/' \
    "$CONF"
grep -q 'max_per_source, 16' "$CONF" || echo "# conf edit failed"
dg_start || exit 1
if grep -q libasan /proc/"$DG_PID"/maps 2>/dev/null; then
	RSS_MAX_KB=${RSS_MAX_ASAN_KB:-1048576}
	echo "# ASan build: RSS bound ${RSS_MAX_KB} kB"
fi

# b ticks every 2 s and drops a silent connection after 8 s: a session
# that only ticks stays up only if distguard forwards its ticks.
# node_start_long NAME [erl args]: node_start for a suite that outlives
# dgt:serve()'s 120 s: the node serves for 500 s at most.
node_start_long() {
	local name=$1; shift
	timeout -k 2 520 erl -sname "$name" "${ERL_COMMON[@]}" "${ERL_MOD[@]}" "$@" \
	    -eval "dgt:serve(500)" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/dg.log" "node $name registered" 15 || { not_ok "node $name registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
}
node_start_long b -kernel net_ticktime 8 || exit 1
LB=$($CRAFT port_please "$EPMD_PORT" b | sed -n 's/^port //p')
[ -n "$LB" ] || { not_ok "b's listener port"; exit 1; }
echo "# b's listener port: $LB"

rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$DG_PID"/status 2>/dev/null; }
b_alive() { kill -0 "$PID_b" 2>/dev/null; }

# Alerts raised since the last `mark`.
ALERT_MARK=0
mark() { ALERT_MARK=$(wc -l < "$ALERTS" 2>/dev/null || echo 0); }
# alert_new EVENT [PEER-ADDRESS]: an alert EVENT (from that address) since mark
alert_new() {
	local ev=$1 src=${2:-} i
	for i in $(seq 1 30); do
		tail -n +"$((ALERT_MARK + 1))" "$ALERTS" 2>/dev/null |
		    grep -E "\"event\":\"$ev\"" | grep -q "\"addr\":\"$src" && return 0
		sleep 0.1
	done
	return 1
}

PN=0
# healthy WHAT [EVENT [PEER-ADDRESS]]
healthy() {
	local what=$1 ev=${2:-} src=${3:-} r rss
	check "$what: daemon alive" dg_alive
	dg_alive || { echo "# daemon died: giving up"; exit 1; }
	PN=$((PN + 1))
	r=$(EVAL_TIMEOUT=30 node_eval "p$PN" "net_adm:ping(Node)" | tail -n 1)
	check "$what: b alive and a legitimate node still pings it ($r)" \
	    eval 'b_alive && [ "$r" = pong ]'
	rss=$(rss_kb)
	check "$what: daemon VmRSS ${rss:-?} kB <= $RSS_MAX_KB kB" \
	    [ "${rss:-999999999}" -le "$RSS_MAX_KB" ]
	[ -n "$ev" ] && check "$what: alert $ev${src:+ from $src}" alert_new "$ev" "$src"
	return 0
}

healthy "baseline"

# ---- EPMD ----------------------------------------------------------------

mark
r=$($CRAFT raw "$EPMD_PORT" 0000 --src 127.0.3.1)
check "epmd zero length: closed without a reply ($r)" grep -q "raw reply 0 " <<<"$r"
healthy "epmd zero length" epmd.refused 127.0.3.1

mark
r=$($CRAFT raw "$EPMD_PORT" ffff78 --src 127.0.3.2)
check "epmd length 65535: closed at once ($r)" grep -q "raw reply 0 " <<<"$r"
healthy "epmd length 65535" epmd.refused 127.0.3.2

mark
r=$($CRAFT raw "$EPMD_PORT" "0bf278$(head -c 3057 /dev/zero | od -An -v -tx1 | tr -d ' \n')" --src 127.0.3.3)
check "epmd length 3058 (one past the largest request): closed ($r)" grep -q "raw reply 0 " <<<"$r"
healthy "epmd length 3058" epmd.refused 127.0.3.3

# The largest legal length, filled with garbage: parsed and refused.
mark
r=$($CRAFT raw "$EPMD_PORT" "0bf178$(head -c 3056 /dev/urandom | od -An -v -tx1 | tr -d ' \n')" --src 127.0.3.4)
check "epmd 3057-byte garbage ALIVE2: closed ($r)" grep -q "raw reply 0 " <<<"$r"
healthy "epmd 3057-byte garbage" epmd.refused 127.0.3.4

# Slowloris at byte positions of an ALIVE2 request (19 bytes).  The parser
# has three states that can wait (epmd_srv.c on_request_bytes ->
# epmd_parse): inside the 2-byte length (positions 0, 1), length read and
# body short (2 .. 18, one DG_AGAIN test `avail < len` whatever the body
# holds), and the deadline is absolute from accept, independent of the
# bytes received.  0, 1, 2, 3 (after the request code), 10 (inside the
# fixed fields), 15 (inside the name) and 18 (all but the last byte) cover
# every state and both ends of the body range.
REQ=00117800014d00000600050004736c6f770000
r=$($CRAFT stall "$EPMD_PORT" "$REQ" 0,1,2,3,10,15,18 9 --src-base 127.0.4.)
echo "$r" | sed 's/^/# /'
for pos in 0 1 2 3 10 15 18; do
	t=$(sed -n "s/^stall pos $pos closed after \([0-9.]*\)s$/\1/p" <<<"$r")
	check "epmd stall at byte $pos: cut at the 5 s deadline (${t:-open})" \
	    awk -v t="${t:-99}" 'BEGIN { exit !(t >= 4 && t <= 7) }'
done
healthy "epmd slowloris"

# 10,000 connections from 200 addresses (127.1.0.1 ...): the caps
# (max_connections 2000, max_per_source 16) hold, and a node registers
# afterwards.
mark
# Sources fill one after another (50 attempts each): the first ones hit
# max_per_source, and after 125 sources x 16 the total hits max_connections.
r=$($CRAFT swarm "$EPMD_PORT" 10000 1 --src-prefix 127.1. --sources 200)
echo "$r" | sed 's/^/# /'
kept=$(sed -n 's/^swarm kept \([0-9]*\) .*/\1/p' <<<"$r")
perk=$(sed -n 's/^swarm kept .* max_per_source \([0-9]*\)$/\1/p' <<<"$r")
check "10000 connections: at most max_connections (2000) kept (${kept:-?})" \
    [ "${kept:-99999}" -le 2000 -a "${kept:-0}" -gt 0 ]
check "10000 connections: at most max_per_source (16) kept per address (${perk:-?})" \
    [ "${perk:-99999}" -le 16 ]
check "the per-source refusals are alerted" alert_new epmd.refused 127.1.
check "the max_connections refusals are logged" \
    grep -q "refused: 2000 connections open (max_connections)" "$T/dg.log"
node_start e
check "after the swarm a node registers" grep -q "node e registered" "$T/dg.log"
healthy "epmd 10000 connections"
kill "$PID_e" 2>/dev/null

# Every request type from 127.0.0.5: loopback, but outside
# registration_from ["127.0.0.1"].
for kind in alive2 names dump kill stop; do
	mark
	r=$($CRAFT epmd_req "$EPMD_PORT" $kind --src 127.0.0.5 --name b)
	check "$kind from 127.0.0.5 is refused ($r)" [ "$r" = "$kind closed" ]
	healthy "$kind from 127.0.0.5" epmd.refused 127.0.0.5
done
r=$($CRAFT epmd_req "$EPMD_PORT" port_please --src 127.0.0.5 --name b)
check "PORT_PLEASE2 from 127.0.0.5 is answered with the listener port ($r)" \
    [ "$r" = "port_please port $LB" ]
r=$($CRAFT port_please "$EPMD_PORT" b)
check "b is still registered after the refused requests ($r)" [ "$r" = "port $LB" ]

# ---- handshake -------------------------------------------------------------
# {handshake, [{timeout, 1}]}: a stall at any step is cut within ~1 s.
i=0
for kind in garbage biglen trunc_len trunc_name trunc_reply \
    stall_name stall_midname stall_reply stall_midreply; do
	i=$((i + 1))
	src=127.0.5.$i
	mark
	r=$($CRAFT hs_attack "$LB" "x$i@$HOST" "$COOKIE" $kind --src $src --secs 6)
	t=$(sed -n 's/.* closed after \([0-9.]*\)s$/\1/p' <<<"$r")
	check "handshake $kind: closed by distguard within 3 s ($r)" \
	    awk -v t="${t:-99}" 'BEGIN { exit !(t <= 3) }'
	case $kind in
	stall_*) ev=handshake.timeout ;;
	*) ev=handshake.malformed ;;
	esac
	healthy "handshake $kind" $ev $src
done

# ---- after the handshake --------------------------------------------------
# craft.py completes a real handshake with the right cookie as hidden
# peer hN@host (admitted by the default [ping, global, replies]), then
# sends crafted frames.  Each session comes from its own address.
i=0
# session_attack ATTACK EXPECT EVENT [craft args]: EXPECT closed|pong
session_attack() {
	local attack=$1 expect=$2 ev=$3 r
	shift 3
	i=$((i + 1))
	mark
	r=$($CRAFT session "$LB" "h$i@$HOST" "$COOKIE" "$attack" --src 127.0.6.$i "$@")
	echo "$r" | sed 's/^/# /'
	check "session $attack ${*:+($*) }: handshake completed" grep -q "^session up" <<<"$r"
	if [ "$expect" = closed ]; then
		check "session $attack: distguard disconnects the peer" \
		    grep -q "^session $attack sent [0-9]*: closed" <<<"$r"
	else
		check "session $attack: connection kept, b answers ping on it" \
		    grep -q "^session $attack sent [0-9]*: open, ping pong" <<<"$r"
	fi
	LAST=$r
	healthy "session $attack${*:+ $*}" "$ev" 127.0.6.$i
}

session_attack none pong ""
session_attack garbage closed filter.malformed
session_attack garbage closed filter.malformed --flags $FL_PASS
session_attack biglen closed filter.oversized
session_attack biglen closed filter.oversized --flags $FL_PASS
session_attack atom_cache closed filter.atom_cache_violation
session_attack frag_many closed filter.fragment_violation --count 100
session_attack frag_endless closed filter.oversized --count 400
check "endless continuations: cut before 8 MiB + 64 KiB were sent ($(sed -n 's/.* sent \([0-9]*\):.*/\1/p' <<<"$LAST") frames of 64 KiB)" \
    awk -v n="$(sed -n 's/.* sent \([0-9]*\):.*/\1/p' <<<"$LAST")" 'BEGIN { exit !(n < 400) }'
session_attack frag_badid closed filter.fragment_violation
session_attack frag_unknown closed filter.fragment_violation
session_attack frag_zero closed filter.fragment_violation
session_attack deep pong filter.invalid
session_attack deep pong filter.invalid --flags $FL_PASS
# A 200,000-atom control tuple, a rex argument list claiming 2^32-1
# elements in a few bytes, a tuple claiming 2^32-1 elements.
session_attack atoms pong "filter.(invalid|undecidable)"
check "atoms: an impossible list count is not taken as an arity (spec 4.7: bound counts by the bytes left)" \
    not grep -q '"addr":"127.0.6.'"$i"':.*/2147483647' "$ALERTS"
session_attack atoms pong "filter.(invalid|undecidable)" --flags $FL_PASS
session_attack unknown_op pong filter.invalid
session_attack spoof pong filter.spoofed_sender
check "spoofed-sender pings were not answered" grep -q "spoofed_pings_answered 0" <<<"$LAST"
# A burst of 200,000 ticks is a flood (docs/FILTER.md 20): closed.  Then
# only ticks, two a second for 14 s, longer than b's net_ticktime: b
# stays connected only if they reach it.
session_attack ticks closed filter.tick_flood --count 200000 --secs 14
session_attack ticks pong "" --count 0 --secs 14
check "ticks: b's own ticks reached the peer" \
    awk -v n="$(sed -n 's/.*ticks from B \([0-9]*\).*/\1/p' <<<"$LAST")" 'BEGIN { exit !(n >= 3) }'
# denied requests whose answers the peer never reads: distguard stops
# reading the peer instead of queueing answers without bound
session_attack unread pong filter.denied --count 2000000 --ping-secs 30
check "unread: distguard stopped reading the peer (its sends blocked)" \
    grep -q "blocked after" <<<"$LAST"

# ---- one misbehaving peer must not slow the others -------------------------
LAT_EXPR='gen_server:call({dgt_gs, Node}, ping),
  L = [element(1, timer:tc(fun() -> gen_server:call({dgt_gs, Node}, ping) end))
       || _ <- lists:seq(1, 400)],
  S = lists:sort(L), {lists:nth(200, S), lists:nth(360, S)}'
lat() { EVAL_TIMEOUT=60 node_eval "$1" "$LAT_EXPR" | tail -n 1 | tr -d '{}' ; }
base=$(lat plat0)
echo "# call latency without a hostile peer (p50,p90 us): $base"
mark
$CRAFT session "$LB" "hflood@$HOST" "$COOKIE" flood --secs 25 --src 127.0.7.1 \
    > "$T/flood.out" 2>&1 &
flood=$!
PIDS+=("$flood")
wait_for "$T/flood.out" "^session up" 10
sleep 1
loaded=$(lat plat1)
echo "# call latency while a peer floods 60 KB denied messages (p50,p90 us): $loaded"
kill "$flood" 2>/dev/null
wait "$flood" 2>/dev/null
b50=${base%%,*}; l50=${loaded%%,*}; b90=${base##*,}; l90=${loaded##*,}
# Bound: p50 within 10x the unloaded p50 + 2 ms, p90 within 10x + 5 ms.
# A loop that served the flooding socket until it ran dry, or buffered
# its frames, would add whole seconds.
check "a flooding peer does not slow a legitimate one (p50 $b50 -> $l50 us, p90 $b90 -> $l90 us)" \
    awk -v b50="${b50:-0}" -v l50="${l50:-999999999}" -v b90="${b90:-0}" -v l90="${l90:-999999999}" \
    'BEGIN { exit !(l50 <= 10 * b50 + 2000 && l90 <= 10 * b90 + 5000) }'
check "the flood's denied messages were alerted" alert_new filter.denied 127.0.7.1
healthy "flooding peer"

# Many hostile peers at once, while a legitimate one pings.
mark
many=()
for j in $(seq 1 8); do
	$CRAFT session "$LB" "hm$j@$HOST" "$COOKIE" unknown_op --src 127.0.8.$j > "$T/m$j.out" 2>&1 &
	many+=("$!")
	$CRAFT hs_attack "$LB" "hg$j@$HOST" "$COOKIE" garbage --src 127.0.9.$j > "$T/g$j.out" 2>&1 &
	many+=("$!")
done
PIDS+=("${many[@]}")
healthy "8 hostile sessions and 8 garbage handshakes at once"
wait "${many[@]}"
check "all 8 hostile sessions were served" \
    [ "$(cat "$T"/m*.out | grep -c 'open, ping pong')" -eq 8 ]

# Last, because an answered NAMES_REQ is where the UBSan build dies
# (epmd_srv.c reply_and_close(c, NULL, 0) -> memcpy from NULL): the
# attacks above still run under ASan.
r=$($CRAFT epmd_req "$EPMD_PORT" names --src 127.0.0.1)
check "NAMES from 127.0.0.1 is answered ($r)" grep -q "names reply" <<<"$r"
sleep 0.3
check "the daemon survived everything" dg_alive
check "b survived everything" b_alive
grep -E "ERROR: AddressSanitizer|runtime error" "$T/dg.log" | head -n 5 | sed 's/^/# /'
check "no sanitizer report in the daemon's log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log"
done_tests
