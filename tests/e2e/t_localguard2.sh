#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the local guard's identity checks (issue 20), beyond
# t_localguard.sh.  The daemon drops to `daemon` (uid 1); protected nodes
# run as root; the local attacker is uid nobody (setpriv).  Checked:
#  - identity comes from sock_diag (the registration's log line);
#  - the same process: a process of nobody registering, with the mark, a
#    port another process of nobody listens on is refused (epmd.not_owner,
#    both pids in the log); the one listening registers it;
#  - the mark and 'E' count only from the port's owner: an 'E' on the
#    owner's registration connection is answered; under optional, a
#    non-owner's marked registration is accepted unmediated and its 'E'
#    is refused;
#  - {node, Pattern, [{uid, User}]}: errors at their line in `distguard
#    check`; a name bound there is refused to nobody with
#    epmd.wrong_user, and its user registers it;
#  - a mix release registers through distguard_epmd, mediated and
#    guarded: nobody cannot reach its own port, a peer pings it through
#    distguard, it restarts and registers again.
DG_RUN_USER=daemon
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v setpriv >/dev/null; then
	not_ok "t_localguard2 needs root, nft and setpriv"
	exit 1
fi
PROBE="/usr/bin/python3 $ROOT/tests/e2e/lgprobe.py"
as_nobody() { timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
TABLE="inet distguard_$EPMD_PORT"
table_has() { nft list table $TABLE 2>/dev/null | grep -Eq "elements = \{[^}]*\b$1\b"; }
node_port() { sed -n "s/.*node $1 registered from [^ ]*: port \([0-9]*\),.*/\1/p" "$T/dg.log" | tail -n 1; }
count_alerts() { grep -c "\"event\":\"$1\"" "$ALERTS" 2>/dev/null; }
CLEANUPS+=("nft delete table $TABLE 2>/dev/null")
APORT=$(pick_range 6)

# ---- the check command: {uid, User} errors at their line -------------------
write_conf '{default, [ping]}.' '{node, "x*", [{default, deny},' \
    '{uid, "no_such_user_dg"}]}.' '{uid, "root"}.'
r=$("$DG" check -c "$CONF" 2>&1)
check "distguard check: an unknown uid user is an error at its line" \
    grep -q "dg.conf:$(grep -n no_such_user_dg "$CONF" | cut -d: -f1): uid: user \"no_such_user_dg\": no such user" <<<"$r"
check "... and a top-level uid at its own" \
    grep -q "dg.conf:$(grep -n '^{uid, "root"}' "$CONF" | cut -d: -f1): uid belongs inside {node, Pattern" <<<"$r"
write_conf '{default, [ping, replies]}.' \
    '{node, "dbn*", [{uid, "root"}]}.'
r=$("$DG" check -c "$CONF" 2>&1)
check "... a good one is OK ($r)" grep -q "configuration OK" <<<"$r"
dg_start || exit 1

# ---- the node's user: b registers, by its own process -----------------------
node_start b || exit 1
BP=$(node_port b)
check "b registered, the owner checked by uid and process" \
    grep -Eq "node b registered from .*mediated \(distguard_epmd\); owner checked: same uid, same process" "$T/dg.log"
BPID=$(sed -n 's/.*node b: registered by pid \([0-9]*\).*/\1/p' "$T/dg.log" | tail -n 1)
check "... the pid the helper found is b's beam ($BPID)" \
    eval '[ -n "$BPID" ] && grep -q beam "/proc/$BPID/comm"'
check "... no fallback to /proc/net/tcp: sock_diag answered" not grep -q "read /proc/net/tcp{,6} instead" "$T/dg.log"

# ---- the same process -------------------------------------------------------
# Process A (nobody) listens; process B (nobody too, so the uid matches)
# registers A's port with the mark.
as_nobody $PROBE hold "$APORT" 15 > "$T/hold.out" 2>&1 &
PIDS+=("$!")
wait_for "$T/hold.out" "holding" 10
HPID=$(awk '{print $3}' "$T/hold.out")
n0=$(count_alerts epmd.not_owner)
r=$(as_nobody $PROBE register "$EPMD_PORT" other1 "$APORT" --mark)
check "as nobody, a marked ALIVE2 for a port another process of nobody holds fails ($r)" [ "$r" = "alive2 result 1" ]
check "... with an epmd.not_owner alert" [ "$(count_alerts epmd.not_owner)" -gt "${n0:-0}" ]
check "... the log names the holder, pid $HPID, and the registering pid" \
    grep -Eq "ALIVE2_REQ for other1 refused: not the port's owner: port $APORT is held by pid $HPID, the registration comes from pid [0-9]+" "$T/dg.log"
check "... not registered, the port not guarded" eval "! grep -q 'node other1 registered' '$T/dg.log' && ! table_has $APORT"

# The owner itself: one process listens and registers; its 'E' is answered.
r=$(as_nobody $PROBE regegress "$EPMD_PORT" own1 "$((APORT + 1))" "r@127.0.0.9" --listen --mark)
check "as nobody, its own port by its own process registers, and 'E' on it is answered ($r)" \
    grep -Eq '^alive2 result 0; egress result [0-9]+$' <<<"$r"
check "... the owner checked by uid and process" \
    grep -Eq "node own1 registered .*mediated \(distguard_epmd\); owner checked: same uid, same process" "$T/dg.log"

# ---- {node, Pattern, [{uid, User}]} -----------------------------------------
n0=$(count_alerts epmd.wrong_user)
r=$(as_nobody $PROBE register "$EPMD_PORT" dbn1 "$((APORT + 2))" --mark --listen)
check "as nobody, dbn1 (bound to root by its {node, ...} scope) fails ($r)" [ "$r" = "alive2 result 1" ]
check "... with an epmd.wrong_user alert" [ "$(count_alerts epmd.wrong_user)" -gt "${n0:-0}" ]
check "... and the log says where the binding is" \
    grep -q "ALIVE2_REQ for dbn1 refused: wrong user: its {node, ...} uid binds it to root" "$T/dg.log"
r=$($PROBE register "$EPMD_PORT" dbn2 "$((APORT + 3))" --mark --listen)
check "as root, dbn2 registers ($r)" [ "$r" = "alive2 result 0" ]

# ---- a mix release ----------------------------------------------------------
if command -v mix >/dev/null && command -v elixir >/dev/null; then
	export HOME="$T/home" MIX_ENV=prod
	mkdir -p "$HOME" "$T/proj"
	( cd "$T/proj" && timeout 60 mix new relapp > "$T/mix_new.log" 2>&1 &&
	    cd relapp && timeout 150 nice mix release --quiet > "$T/mix_rel.log" 2>&1 )
	APP="$T/proj/relapp/_build/prod/rel/relapp/bin/relapp"
	check "a mix release builds" [ -x "$APP" ] || tail -n 5 "$T/mix_rel.log" | sed 's/^/# /'
	# The release sets its cookie itself (RELEASE_COOKIE): a second
	# -setcookie from ERL_COMMON would leave OTP 25 with neither.
	rel_start() {
		local n0
		n0=$(grep -c "node relapp registered" "$T/dg.log")
		timeout -k 2 120 env RELEASE_DISTRIBUTION=sname RELEASE_NODE=relapp RELEASE_MODE=interactive \
		    RELEASE_COOKIE="$COOKIE" ELIXIR_ERL_OPTIONS="${ERL_COMMON[*]:2} ${ERL_MOD[*]}" \
		    "$APP" start >> "$T/rel.log" 2>&1 &
		PIDS+=("$!")
		PID_rel=$!
		for i in $(seq 1 300); do
			[ "$(grep -c "node relapp registered" "$T/dg.log")" -gt "$n0" ] && break
			sleep 0.1
		done
	}
	rel_start
	check "the release node registers, mediated, the owner checked by uid and process" \
	    grep -Eq "node relapp registered .*mediated \(distguard_epmd\); owner checked: same uid, same process" "$T/dg.log"
	RP=$(node_port relapp)
	check "... its own port $RP is guarded" table_has "$RP"
	r=$(as_nobody $PROBE connect "$RP")
	check "... as nobody, connecting to it fails ($r)" [ "${r%% *}" = refused ]
	out=$(DG_TARGET="relapp@$HOST" EVAL_TIMEOUT=30 node_eval p1 "net_adm:ping(Node)" "${ERL_MOD[@]}")
	r=$(tail -n 1 <<<"$out")
	check "... a peer pings it through distguard ($r)" [ "$r" = pong ] || sed 's/^/#   /' <<<"$out"
	# timeout's child is the beam: the start script execs down to it.
	kill "$PID_rel" 2>/dev/null
	wait_for "$T/dg.log" "node relapp unregistered" 15
	sleep 0.3
	check "... gone, its port left the table" not table_has "$RP"
	rel_start
	RP2=$(node_port relapp)
	check "... restarted, it registers again (port $RP2), guarded" table_has "$RP2"
	r=$(as_nobody $PROBE connect "$RP2")
	check "... and nobody is kept off again ($r)" [ "${r%% *}" = refused ]
	kill "$PID_rel" 2>/dev/null
else
	not_ok "a mix release (mix and elixir are not on this host)"
fi

# ---- what a registration costs ----------------------------------------------
# N registrations, one at a time, each by a process listening on its
# port, as root (the scan reads every root process's descriptors) and as
# nobody; then the same with the guard off.  Figures, not bounds: the
# check is that every registration went through.
N=${LG_COST_N:-200}
cost() {
	local who=$1 r
	if [ "$who" = nobody ]; then
		r=$(as_nobody timeout 100 $PROBE regloop "$EPMD_PORT" "$N" "c$2")
	else
		r=$(timeout 100 $PROBE regloop "$EPMD_PORT" "$N" "c$2")
	fi
	echo "# cost: local_guard $3, as $who: $r" >&2
	check "$N registrations as $who, local_guard $3 ($r)" grep -q "^registered $N of $N in" <<<"$r"
}
restart_dg() {
	kill "$DG_PID"
	for i in $(seq 1 50); do dg_alive || break; sleep 0.1; done
	write_conf "$@"
	cp "$T/dg.log" "$T/dg.$RANDOM.log"
	: > "$T/dg.log"
	dg_start || exit 1
}
kill "$PID_b" 2>/dev/null
cost root r1 required
cost nobody n1 required
echo "# cost: the last scans read$(grep -o "node c[rn]1199: registered by pid .*" "$T/dg.log" | sed 's/.*(the scan read/,/; s/)$//' | tr '\n' ' ')" >&2
restart_dg '{default, [ping]}.' '{local_guard, off}.'
cost root r2 off
cost nobody n2 off

# ---- optional: a non-owner's mark does not count ----------------------------
kill "$DG_PID"
for i in $(seq 1 50); do dg_alive || break; sleep 0.1; done
write_conf '{default, [ping]}.' '{local_guard, optional}.' '{egress, optional}.'
cp "$T/dg.log" "$T/dg1.log"
: > "$T/dg.log"; : > "$ALERTS"
dg_start || exit 1
as_nobody $PROBE hold "$((APORT + 4))" 10 > "$T/hold2.out" 2>&1 &
PIDS+=("$!")
wait_for "$T/hold2.out" "holding" 10
r=$(as_nobody $PROBE regegress "$EPMD_PORT" other2 "$((APORT + 4))" "r@127.0.0.9" --mark)
check "optional: a non-owner's marked ALIVE2 is accepted, its 'E' refused ($r)" \
    [ "$r" = "alive2 result 0; closed" ]
check "... with epmd.not_owner saying the mark does not count" \
    grep -q '"event":"epmd.not_owner".*accepted without the mediated mark' "$ALERTS"
check "... registered unmediated" grep -Eq "node other2 registered .*unmediated" "$T/dg.log"
check "... the log says the mark was ignored" grep -q "ALIVE2_REQ for other2: the mediated mark ignored: not from the port's owner" "$T/dg.log"
check "daemon still running" dg_alive
done_tests
