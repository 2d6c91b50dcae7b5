#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/hs_guess.sh - cookie guessing and handshake throughput, for the
# closing note of "Terminate the distribution handshake on both legs".
# Not a test: prints figures.  Loopback only; everything it starts is
# stopped by PID on exit (tests/e2e/lib.sh's trap).
#
#   DG_BUILD=build/h5 bash bench/hs_guess.sh        [SECS=5] [GUESSES=2000]
#
# 1. one client flooding wrong digests at distguard, bans at their defaults
#    (5 failures in 60 s -> 600 s): attempts/s, and how many attempts
#    reached the digest comparison at all;
# 2. the same flood kept under the ban threshold (30 guesses from each of
#    20 sources): distguard's raw digest-check rate;
# 3. the same flood straight at the stock node's own port (what a node
#    without distguard offers an attacker);
# 4. complete, correct handshakes per second through distguard to a real
#    node, and straight to that node for reference.
. "$(dirname "$0")/../tests/e2e/lib.sh"
CRAFT="python3 $ROOT/tests/e2e/craft.py"
SECS=${SECS:-5}
GUESSES=${GUESSES:-2000}
ulimit -n 4096 2>/dev/null

start_all() {	# start_all BANS-ENTRY
	write_conf '{default, [ping, global, replies]}.' "$1"
	dg_start || exit 1
	node_start b || exit 1
	LP_B=$($CRAFT port_please "$EPMD_PORT" b); LP_B=${LP_B#port }
	REAL_B=$(sed -n 's/.*node b registered from .*: port \([0-9]*\),.*/\1/p' "$T/dg.log" | tail -n 1)
}
stop_all() {
	kill "$DG_PID" "$PID_b" 2>/dev/null
	wait "$DG_PID" 2>/dev/null
	sleep 0.5
	mv "$ALERTS" "$ALERTS.$1" 2>/dev/null
}
# flood SRC PORT N: prints the flood line; sets F_N F_DT
flood() {
	local r
	r=$($CRAFT flood "$2" "g@$HOST" "$3" --src "$1")
	F_N=$(sed -n 's/^flood \([0-9]*\) guesses.*/\1/p' <<<"$r")
	F_DT=$(sed -n 's/^flood [0-9]* guesses in \([0-9.]*\)s.*/\1/p' <<<"$r")
	F_CUT=$(sed -n 's/.*, \([0-9]*\) cut short$/\1/p' <<<"$r")
	echo "  $r"
}
checks() { grep '"event":"handshake.bad_digest"' "$ALERTS" 2>/dev/null | grep -c "\"peer\":\"$1:"; }

echo "# hs_guess: $GUESSES guesses per flood, ${SECS}s handshake loops, OTP $(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]), halt().')"

# 1. default bans.
start_all '{bans, [{failures, 5}, {window, 60}, {duration, 600}]}.'
echo "1. distguard, default bans (5 failures / 60 s -> banned 600 s), one source:"
flood 127.0.0.21 "$LP_B" "$GUESSES"
c=$(checks 127.0.0.21)
echo "  digest checks reached: $c of $F_N attempts in ${F_DT}s" \
    "(refused at accept: $F_CUT)"
echo "  => $(echo "scale=1; $F_N / $F_DT" | bc) attempts/s, $(echo "scale=2; $c / $F_DT" | bc) digest checks/s during the run;" \
    "sustained at most 5 per 600 s = $(echo "scale=4; 5 / 600" | bc)/s per source address"

# 4 (through distguard), while this daemon runs.
echo "4. good handshakes, ${SECS}s loop, one client:"
r=$($CRAFT hsloop "$LP_B" "good%d@$HOST" "$COOKIE" "$SECS" --src 127.0.0.22)
echo "  through distguard to node b: $r"
r=$($CRAFT hsloop "$REAL_B" "direct%d@$HOST" "$COOKIE" "$SECS")
echo "  straight to node b (stock):  $r"

# 3. the stock node, same flood.
echo "3. stock node b on its own port, same flood (no distguard):"
flood 127.0.0.1 "$REAL_B" "$GUESSES"
inv=$(grep -c "Invalid challenge reply" "$T/b.log")
echo "  node b logged $inv 'Invalid challenge reply'"
echo "  => $(echo "scale=1; ($F_N - $F_CUT) / $F_DT" | bc) digest checks/s, unlimited"
stop_all 1

# 2. bans as loose as they go.  core/ban.c clamps failures to 32 (and
# treats 0, documented as "never ban", as 1), so the raw rate is measured
# with 30 guesses from each of 20 sources: none of them reaches a ban.
start_all '{bans, [{failures, 1000}, {window, 1}, {duration, 1}]}.'
echo "2. distguard, bans not reached (30 guesses from each of 20 sources):"
tot=0; dt=0; cut=0
for i in $(seq 1 20); do
	flood "127.0.1.$i" "$LP_B" 30 > /dev/null
	tot=$((tot + F_N)); cut=$((cut + F_CUT)); dt=$(echo "$dt + $F_DT" | bc)
done
echo "  $tot guesses, $cut cut short, in ${dt}s of flooding"
echo "  => $(echo "scale=1; ($tot - $cut) / $dt" | bc) digest checks/s"
stop_all 2
FAILS=0
