#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: local processes cannot go around distguard (issue 20).
# The daemon drops to `daemon` (uid 1); the protected node b runs as root;
# the local attacker is uid nobody (setpriv).  Checked: b's own
# distribution port answers distguard only (nftables, epmd/localguard.c);
# a name bound to another user, a marked ALIVE2 for a port the registrant
# does not own, and an 'E' request from a process that is not the node are
# refused; b restarts and registers again; the table follows the nodes and
# goes with the daemon; where the guard cannot be set up, required refuses
# with the reason and optional accepts with an alert.
DG_RUN_USER=daemon
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v setpriv >/dev/null; then
	not_ok "t_localguard needs root, nft and setpriv"
	exit 1
fi
PROBE="/usr/bin/python3 $ROOT/tests/e2e/lgprobe.py"
as_nobody() { timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_daemon() { timeout 20 setpriv --reuid=1 --regid=1 --clear-groups "$@"; }
TABLE="inet distguard_$EPMD_PORT"
table_has() { nft list table $TABLE 2>/dev/null | grep -Eq "elements = \{[^}]*\b$1\b"; }
# node_port NAME: its own port, from the registration line (the last one)
node_port() { sed -n "s/.*node $1 registered from [^ ]*: port \([0-9]*\),.*/\1/p" "$T/dg.log" | tail -n 1; }
count_alerts() { grep -c "\"event\":\"$1\"" "$ALERTS" 2>/dev/null; }
PN=0
ping_b() {
	PN=$((PN + 1))
	local out
	out=$(EVAL_TIMEOUT=30 node_eval "p$PN" "net_adm:ping(Node)" "${ERL_MOD[@]}")
	[ "$(tail -n 1 <<<"$out")" = pong ] || sed 's/^/#   /' <<<"$out" >&2
	tail -n 1 <<<"$out"
}
# Attacker ports: free, below 32768, outside the nodes' block.
APORT=$(pick_range 4)

# ---- a stale table from an earlier run goes ---------------------------------
nft -f - <<NFT
table $TABLE {
	set ports { type inet_service; elements = { 9 } }
}
NFT
CLEANUPS+=("nft delete table $TABLE")

write_conf '{default, [ping, replies]}.' '{local_users, [{"db*", "root"}]}.'
dg_start || exit 1
check "the daemon put its table in place" grep -q "local guard: nftables table inet distguard_$EPMD_PORT in place" "$T/dg.log"
check "... replacing the stale one (no port 9)" not table_has 9

# ---- b's own port answers distguard only ------------------------------------
node_start b || exit 1
BP=$(node_port b)
check "b registered with its own port $BP guarded" table_has "$BP"
r=$(as_nobody $PROBE connect "$BP")
check "as nobody, connecting to b's own port $BP fails ($r)" [ "${r%% *}" = refused ]
r=$($PROBE connect "$BP")
check "as root too: only distguard's uid passes ($r)" [ "${r%% *}" = refused ]
r=$(as_daemon $PROBE connect "$BP")
check "as distguard's user the port answers ($r)" [ "$r" = connected ]
r=$(ping_b)
check "a peer reaches b through distguard ($r)" [ "$r" = pong ]

# ---- registrations by nobody ------------------------------------------------
n0=$(count_alerts epmd.wrong_user)
r=$(as_nobody $PROBE register "$EPMD_PORT" db1 "$APORT" --mark --listen)
check "as nobody, registering db1 (bound to root) on its own port fails ($r)" [ "$r" = "alive2 result 1" ]
check "... with an epmd.wrong_user alert" [ "$(count_alerts epmd.wrong_user)" -gt "${n0:-0}" ]
check "... and the log line" grep -q "ALIVE2_REQ for db1 refused: wrong user: local_users binds it to root" "$T/dg.log"

n0=$(count_alerts epmd.not_owner)
r=$(as_nobody $PROBE register "$EPMD_PORT" evil1 "$BP" --mark)
check "as nobody, a marked ALIVE2 for b's port fails ($r)" [ "$r" = "alive2 result 1" ]
r=$(as_nobody $PROBE register "$EPMD_PORT" evil2 "$((APORT + 1))" --mark)
check "as nobody, a marked ALIVE2 for a port nobody listens on fails ($r)" [ "$r" = "alive2 result 1" ]
check "... both with epmd.not_owner alerts" [ "$(count_alerts epmd.not_owner)" -ge $((${n0:-0} + 2)) ]
check "... the log says whose port it is" grep -Eq "ALIVE2_REQ for evil1 refused: not the port's owner: port $BP listens for uid 0, the registration comes from uid 65534" "$T/dg.log"
check "... neither was registered" not grep -Eq "node evil[12] registered" "$T/dg.log"

r=$(as_nobody $PROBE register "$EPMD_PORT" mine "$((APORT + 2))" --mark --listen)
check "as nobody, its own free name on its own port registers ($r)" [ "$r" = "alive2 result 0" ]
# Two names for one port: the port stays guarded until both are gone.
as_nobody $PROBE twice "$EPMD_PORT" two1 two2 "$((APORT + 3))" > "$T/twice.out" 2>&1 &
PIDS+=("$!")
wait_for "$T/twice.out" "held" 10
check "two names for one port: both registered ($(head -n 1 "$T/twice.out"))" grep -q "results 0 0" "$T/twice.out"
check "... one gone, the port is still guarded" table_has "$((APORT + 3))"
wait_for "$T/dg.log" "node two2 unregistered" 10
sleep 0.3
check "... both gone, it is not" not table_has "$((APORT + 3))"

# Answered only on a mediated node's registration connection (issue 18,
# branch budgets); a process that is not the node has none.
r=$(as_nobody $PROBE egress "$EPMD_PORT" "r@127.0.0.9")
check "as nobody, an 'E' request on a fresh connection gets no port ($r)" [ "$r" = closed ]

# ---- b restarts and registers again -----------------------------------------
kill "$PID_b"
wait_for "$T/dg.log" "node b unregistered" 10
sleep 0.3
check "b gone: its port left the table" not table_has "$BP"
node_start b || exit 1
BP2=$(node_port b)
check "b registered again (port $BP2), guarded" table_has "$BP2"
r=$(as_nobody $PROBE connect "$BP2")
check "... and nobody is kept off again ($r)" [ "${r%% *}" = refused ]
r=$(ping_b)
check "... and peers reach it through distguard ($r)" [ "$r" = pong ]

# ---- the table goes with the daemon -----------------------------------------
kill "$PID_b"
kill "$DG_PID"
for i in $(seq 1 50); do dg_alive || break; sleep 0.1; done
sleep 0.3
check "the daemon stopped and its table is gone" not nft list table $TABLE

# ---- ... even when the daemon and its helper are killed ------------------------
# A SIGKILL to the whole group (timeout(1), an operator's kill -9) leaves
# the helper no chance to delete the table: the kernel must drop it with
# the helper's netlink socket, or the dead run's table keeps refusing
# connections to ports a later daemon hands out.
table_there() { nft list table $TABLE >/dev/null 2>&1; }
dg_start || exit 1
# dg.log holds the first run's lines too: wait for this run's helper and
# table themselves.
helper=
for i in $(seq 1 100); do
	helper=$(cat "/proc/$DG_PID/task/$DG_PID/children" 2>/dev/null | awk '{print $1}')
	[ -n "$helper" ] && table_there && break
	sleep 0.1
done
check "the daemon's nftables helper runs (pid ${helper:-none})" [ -n "$helper" ]
check "... and the table is back" table_there
kill -9 "$DG_PID" $helper
wait "$DG_PID" 2>/dev/null
for i in $(seq 1 30); do table_there || break; sleep 0.1; done
check "daemon and helper killed by SIGKILL: the table is gone with them" not table_there

# ---- where the guard cannot be set up ---------------------------------------
# Not root, the daemon cannot touch the packet filter.
start_unprivileged() {
	give_files
	setpriv --reuid=1 --regid=1 --clear-groups "$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
	DG_PID=$!
	PIDS+=("$DG_PID")
	wait_for "$T/dg.log" "distguard running" 10 || { not_ok "daemon started"; return 1; }
}
write_conf '{default, [ping]}.'
sed -i '/^{user,/d' "$CONF"
: > "$T/dg.log"
start_unprivileged || exit 1
check "as uid 1 the guard is not available, said at start" grep -q "local guard: not available: distguard was not started as root" "$T/dg.log"
timeout -k 2 60 erl -sname u1 "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -eval "dgt:serve()" > "$T/u1.log" 2>&1 &
PIDS+=("$!"); PID_u1=$!
wait_for "$T/dg.log" "ALIVE2_REQ for u1 refused: local guard" 15
check "required: u1 is refused, with the reason in the log" grep -q "ALIVE2_REQ for u1 refused: local guard: port [0-9]* cannot be kept from other local users: distguard was not started as root" "$T/dg.log"
check "... and an epmd.unguarded alert" grep -q '"event":"epmd.unguarded".*refused' "$ALERTS"
check "... u1 was never registered" not grep -q "node u1 registered" "$T/dg.log"
kill "$PID_u1" 2>/dev/null; kill "$DG_PID"
for i in $(seq 1 50); do dg_alive || break; sleep 0.1; done

write_conf '{default, [ping]}.' '{local_guard, optional}.'
sed -i '/^{user,/d' "$CONF"
: > "$T/dg.log"; : > "$ALERTS"
start_unprivileged || exit 1
node_start u2 || exit 1
check "optional: u2 is accepted" grep -q "node u2 registered" "$T/dg.log"
check "... with an epmd.unguarded alert" grep -q '"event":"epmd.unguarded".*accepted: local_guard optional' "$ALERTS"
check "daemon still running" dg_alive
done_tests
