#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the privilege drop (daemon/privdrop.c).  Started as root, the
# daemon binds its sockets and reads its cookie, then becomes the
# configured user; it still opens listeners for nodes registering later,
# relays and filters, writes alerts, answers its control socket, reloads
# (reading files again as that user) and removes its socket at exit.  As
# root without a user it refuses to run.
. "$(dirname "$0")/lib.sh"
# The peers here are stock OTP nodes standing in for peers of other
# hosts: they register only because they listen, so this suite accepts
# unmediated registrations.  Its protected node b runs distguard_epmd (node_start).
DG_EGRESS=off

if [ "$(id -u)" -ne 0 ]; then
	# Nothing to drop without root: the test needs root to mean anything.
	not_ok "t_privdrop needs root (it checks the drop from root to a user)"
	exit 1
fi

# status_ids PID FIELD: the ids of a /proc/PID/status line, space separated.
status_ids() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s ' \t' ' ' | sed 's/ *$//'; }
U=$DG_RUN_USER
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
# A group other than the user's own, to show {group, Name} is obeyed.
G=daemon
GID_G=$(getent group "$G" | cut -d: -f3)
PN=0
ping_b() {	# ping_b [erl args]: net_adm:ping from a fresh peer
	PN=$((PN + 1))
	EVAL_TIMEOUT=30 node_eval "p$PN" "net_adm:ping(Node)" "$@" | tail -n 1
}

# ---- refused: root and no user ----------------------------------------------
write_conf '{default, [ping]}.'
sed -i '/^{user,/d' "$CONF"
out=$(timeout 10 "$DG" run -c "$CONF" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "as root with no {user, Name} the daemon refuses to run (rc $rc)" \
    [ "$rc" -eq 1 ]
check "it says why, naming the file" \
    grep -q "refusing to run as root: $CONF has no {user, Name} entry" <<<"$out"
check "it never announced itself running" not grep -q "distguard running" <<<"$out"
check "its epmd port is free again" not bash -c "exec 3<>/dev/tcp/127.0.0.1/$EPMD_PORT" 2>/dev/null

# ---- refused: listeners the user could not open -----------------------------
if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 1001 ]; then
	write_conf '{default, [ping]}.'
	sed -i "s/{ports, {$LMIN, $LMAX}}/{ports, {1000, 1001}}/" "$CONF"
	out=$(timeout 10 "$DG" run -c "$CONF" 2>&1); rc=$?
	check "a listen range below the unprivileged ports is refused at start (rc $rc)" \
	    [ "$rc" -eq 1 ]
	check "naming the range and the user" grep -q "listen ports 1000..1001 start below .* user $U could not open" <<<"$out"
else
	# Not counted as a pass: the check did not run.
	echo "# skipped: this kernel lets anyone bind port 1000 (ip_unprivileged_port_start)"
fi

# ---- config errors name FILE:LINE -------------------------------------------
write_conf '{default, [ping]}.' '{user, "no-such-user-dg"}.'
sed -i "0,/^{user, \"$U\"}\./{/^{user, \"$U\"}\./d}" "$CONF"
out=$("$DG" check -c "$CONF" 2>&1)
check "an unknown user is a FILE:LINE error ($out)" \
    grep -q "^$CONF:[0-9]*: user \"no-such-user-dg\": no such user" <<<"$out"

# ---- the drop ---------------------------------------------------------------
printf 'latecookie' > "$T/late.cookie"; chmod 600 "$T/late.cookie"
write_conf "{group, \"$G\"}." \
    '{default, [ping]}.' \
    '{peer, "p*@*", [ping, replies]}.'
dg_start || exit 1
check "the daemon logged the drop" \
    grep -q "privileges dropped: user $U (uid $UID_U), group $G (gid $GID_G)" "$T/dg.log"
ids=$(status_ids "$DG_PID" Uid)
check "/proc/PID/status Uid is $U's, real/effective/saved/fs ($ids)" \
    [ "$ids" = "$UID_U $UID_U $UID_U $UID_U" ]
ids=$(status_ids "$DG_PID" Gid)
check "/proc/PID/status Gid is the configured group's ($ids)" \
    [ "$ids" = "$GID_G $GID_G $GID_G $GID_G" ]
ids=$(status_ids "$DG_PID" Groups)
check "no supplementary group but that one ($ids)" [ "$ids" = "$GID_G" ]
ids=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$DG_PID/status")
check "no capability left ($ids)" [ "$ids" = 0000000000000000 ]
check "the control socket belongs to $U, no access for group or others ($(stat -c '%U %a' "$T/ctl.sock"))" \
    [ "$(stat -c '%U %a' "$T/ctl.sock")" = "$U 700" ]

# A node registering now gets a listener opened by the unprivileged daemon.
node_start b || exit 1
check "node b registered after the drop" grep -q "node b registered" "$T/dg.log"
r=$(ping_b)
check "a peer pings b through the listener opened after the drop ($r)" [ "$r" = pong ]
r=$(PN=$((PN + 1)); EVAL_TIMEOUT=30 node_eval "w$PN" \
    "erlang:set_cookie(node(), wrong), net_adm:ping(Node)" | tail -n 1)
check "a wrong cookie is still refused ($r)" [ "$r" = pang ]
check "and its alert reaches the alerts file opened before the drop" \
    alert_seen handshake.bad_digest 5
st=$("$DG" stats -c "$CONF" 2>&1)
echo "$st" | sed 's/^/# stats: /'
check "root still talks to the control socket (stats)" grep -q "<- p1@$HOST: connections 1" <<<"$st"

# ---- reload as the unprivileged user ----------------------------------------
# A cookie file the user cannot read: root-owned 0600.  The reload is
# refused, citing FILE:LINE and why, and the old configuration stays.
write_conf "{group, \"$G\"}." \
    '{default, [ping]}.' \
    '{peer, "p*@*", [ping, replies]}.' \
    "{cookie, \"late*@*\", {file, \"$T/late.cookie\"}}."
chown root:root "$T/late.cookie"
rl=$("$DG" reload -c "$CONF" 2>&1); rc=$?
echo "$rl" | sed 's/^/# /'
check "a reload whose cookie file the user cannot read fails (rc $rc)" [ "$rc" -ne 0 ]
check "the error names FILE:LINE, the file and the user" \
    grep -q "^$CONF:[0-9]*: cookie file $T/late.cookie: Permission denied (distguard has run as user $U" <<<"$rl"
check "the daemon logged that the old configuration stays" \
    grep -q "reload: 1 error(s) in $CONF; the old configuration stays in force" "$T/dg.log"
r=$(ping_b)
check "the old configuration still serves ($r)" [ "$r" = pong ]
r=$(EVAL_TIMEOUT=30 node_eval late1 "erlang:set_cookie(node(), latecookie), net_adm:ping(Node)" | tail -n 1)
check "the new per-peer cookie is not in force ($r)" [ "$r" = pang ]

# Given to the user, the same file reloads, by SIGHUP and by the command.
chown "$U:" "$T/late.cookie"
kill -HUP "$DG_PID"
wait_for "$T/dg.log" "reload: configuration from $CONF in force" 5
check "SIGHUP reloads once the user can read the cookie" \
    grep -q "reload: configuration from $CONF in force" "$T/dg.log"
rl=$("$DG" reload -c "$CONF" 2>&1); rc=$?
check "distguard reload succeeds as well ($rl)" [ "$rc" -eq 0 ]
r=$(EVAL_TIMEOUT=30 node_eval late2 "erlang:set_cookie(node(), latecookie), net_adm:ping(Node)" | tail -n 1)
check "the cookie read after the drop is in force: late@ gets in with it ($r)" [ "$r" = pong ]

# A new alerts file where the user may not create one: refused likewise.
mkdir -m 0755 "$T/rootonly"; chown root:root "$T/rootonly"
sed -i "s|{file, \"$ALERTS\"}|{file, \"$T/rootonly/alerts.log\"}|" "$CONF"
rl=$("$DG" reload -c "$CONF" 2>&1); rc=$?
echo "$rl" | sed 's/^/# /'
check "a reload to an alerts file the user cannot create fails (rc $rc)" [ "$rc" -ne 0 ]
check "naming FILE:LINE, the file and the reason" grep -q "^$CONF:[1-9][0-9]*: alerts file $T/rootonly/alerts.log: Permission denied" <<<"$rl"
sed -i "s|{file, \"$T/rootonly/alerts.log\"}|{file, \"$ALERTS\"}|" "$CONF"
check "the daemon is alive after the refused reloads" dg_alive
ids=$(status_ids "$DG_PID" Uid)
check "and still $U after them ($ids)" [ "$ids" = "$UID_U $UID_U $UID_U $UID_U" ]

# ---- stop: the unprivileged daemon removes its own socket ------------------
kill -TERM "$DG_PID"
wait_for "$T/dg.log" "info: stopped" 5
check "SIGTERM stops it" grep -q "info: stopped" "$T/dg.log"
check "it removed its control socket" [ ! -e "$T/ctl.sock" ]
kill "$PID_b" 2>/dev/null

# ---- the user's own group by default ----------------------------------------
mv "$T/dg.log" "$T/dg-1.log"
write_conf '{default, [ping]}.'
dg_start || exit 1
ids=$(status_ids "$DG_PID" Gid)
check "without {group, ...} the user's login group ($ids)" \
    [ "$ids" = "$GID_U $GID_U $GID_U $GID_U" ]
kill -TERM "$DG_PID"
wait_for "$T/dg.log" "info: stopped" 5

# ---- not started as root: nothing to drop -----------------------------------
# Run as the user itself (setpriv, util-linux): it keeps its uid, warns
# about a {user, ...} naming someone else, and serves.
mv "$T/dg.log" "$T/dg-2.log"
write_conf '{default, [ping]}.'
sed -i "s/^{user, \"$U\"}\./{user, \"daemon\"}./" "$CONF"
give_files
setpriv --reuid="$U" --regid="$GID_U" --clear-groups "$DG" run -c "$CONF" >> "$T/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg.log" "distguard running" 10
check "not started as root it warns that {user, ...} cannot apply" \
    grep -q "not started as root, so {user, \"daemon\"} cannot apply; running on as uid $UID_U" "$T/dg.log"
check "and serves" dg_alive
kill -TERM "$DG_PID"
wait_for "$T/dg.log" "info: stopped" 5
done_tests
