#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: a control socket that knows who calls (issue 25; daemon/ctl.c,
# docs/SECURITY.md).  With real processes of real users:
#   1. uid nobody, which is also the daemon's user here: no grant, no
#      revoke, no reload, through our CLI or a raw client; it may read;
#   2. a service uid of the test's own (useradd, removed at the end): its
#      processes may not grant, revoke or reload; nobody may not either;
#      a {control_users} account may; a {control_read_group} member may
#      read stats and nothing more;
#   3. a squatted /tmp path does not matter: the default socket is under
#      /run/distguard, and {control} in a world-writable directory makes
#      the daemon refuse to start, saying why;
#   4. the CLI refuses a socket that is not the daemon's user's.
# As root: CI runs as root, and the users are real.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { not_ok "needs root (real users)"; exit 1; }
DG_EGRESS=off
CS="$ROOT/tests/e2e/ctlsend.py"
# Another user's processes cannot use root's python shims: the system's.
PY=/usr/bin/python3
asu() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
dgc() { "$DG" "$1" -c "$CONF" "${@:2}"; }
reloads() { grep -c "reload: configuration from" "$T/dg.log"; }
chmod 755 "$T"

# ---- 1. uid nobody, the daemon's own user ----------------------------------------
write_conf '{default, [ping]}.'
dg_start || exit 1
out=$(dgc grant 'ops@*' '[ping]' --for 60s --reason 'root may' 2>&1)
check "root grants ($out)" [ "$out" = "granted 1" ]
r0=$(reloads)
out=$(asu 65534 "$DG" grant -c "$CONF" 'evil@*' '[allow_all]' --for 24h --reason mine 2>&1); rc=$?
check "nobody's CLI grant is refused (rc $rc: $out)" [ "$rc" -ne 0 ]
out=$(asu 65534 $PY "$CS" "$T/ctl.sock" 'grant\tevil@*\t86400\tmine\t[allow_all]')
check "nobody's raw grant is refused ($out)" grep -q "^not permitted" <<<"$out"
out=$(asu 65534 $PY "$CS" "$T/ctl.sock" 'revoke 1')
check "nobody's raw revoke is refused ($out)" grep -q "^not permitted" <<<"$out"
out=$(asu 65534 "$DG" revoke -c "$CONF" 1 2>&1); rc=$?
check "nobody's CLI revoke is refused (rc $rc)" [ "$rc" -ne 0 ]
out=$(asu 65534 $PY "$CS" "$T/ctl.sock" 'reload')
check "nobody's raw reload is refused ($out)" grep -q "^not permitted" <<<"$out"
out=$(asu 65534 "$DG" reload -c "$CONF" 2>&1); rc=$?
check "nobody's CLI reload is refused (rc $rc)" [ "$rc" -ne 0 ]
sleep 0.3
g=$(dgc grants)
only_ops() { [ "$(grep -c . <<<"$1")" = 1 ] && grep -q $'^1\tops@' <<<"$1"; }
check "only root's grant is in force" only_ops "$g"
check "and the daemon never reloaded" [ "$(reloads)" = "$r0" ]
check "each refusal is logged with the uid" grep -q "control: uid 65534 pid [0-9]* may not \"grant\": refused" "$T/dg.log"
check "and alerted (control.refused)" alert_seen control.refused 3
out=$(asu 65534 $PY "$CS" "$T/ctl.sock" 'stats')
# stats_ok TEXT: an answer of the stats command, not a refusal
stats_ok() { [ -n "$1" ] && ! grep -q "not permitted\|ERR" <<<"$1"; }
check "the daemon's own user may read stats ($(head -c 40 <<<"$out"))" stats_ok "$out"
out=$(dgc revoke 1 2>&1)
check "root revokes ($out)" [ "$out" = "revoked 1" ]
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null

# ---- 3. /tmp ----------------------------------------------------------------------
# The default path (no {control}): squatting the old /tmp name changes nothing.
sed -i "/^{control, /d" "$CONF"
give_files
SQ="/tmp/distguard.$EPMD_PORT.ctl"
RUNP="/run/distguard/distguard.$EPMD_PORT.ctl"
CLEANUPS+=("rm -f '$SQ' '$RUNP'")
dg_start || exit 1
wait_for "$T/dg.log" "distguard\\[$DG_PID\\]: info: distguard running" 10
check "the default control socket is under /run/distguard" grep -q "control socket $RUNP" "$T/dg.log"
asu 65534 $PY "$CS" squat "$SQ" 30 > "$T/squat2.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/squat2.log" squatting 5
r0=$(reloads)
out=$(dgc reload 2>&1); rc=$?
check "the operator's reload is answered ($out)" [ "$rc" -eq 0 ]
sleep 0.3
check "by the daemon, which reloaded ($(reloads) reloads, $r0 before)" [ "$(reloads)" -gt "$r0" ]
check "the squatter heard nothing" not grep -q "squatter got" "$T/squat2.log"
asu 65534 rm -f "$RUNP" 2>/dev/null
asu 65534 $PY "$CS" squat "$RUNP" 1 > /dev/null 2>&1
still_daemons() {
	[ "$(stat -c '%U %F' "$RUNP")" = "nobody socket" ] &&
	    [ "$(dgc reload 2>&1)" = reloaded ] && [ "$(reloads)" -gt "$r0" ]
}
r0=$(reloads)
check "nobody can neither remove nor take the name in /run/distguard" still_daemons
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null

# {control} in a world-writable directory: refused, with the reason.
write_conf '{default, [ping]}.'
sed -i "s|^{control, .*|{control, \"/tmp/dg-ctl.$EPMD_PORT.sock\"}.|" "$CONF"
CLEANUPS+=("rm -f /tmp/dg-ctl.$EPMD_PORT.sock")
"$DG" run -c "$CONF" > "$T/tmpctl.log" 2>&1 &
p=$!; PIDS+=("$p")
for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
check "the daemon refuses a control socket in /tmp" not kill -0 "$p" 2>/dev/null
check "saying why" grep -q "control socket /tmp/dg-ctl.$EPMD_PORT.sock: directory /tmp is writable by group or others" "$T/tmpctl.log"
kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
write_conf '{default, [ping]}.'

# ---- 2. a service uid of our own, an operator, a reader ------------------------------
SFX=$$
SVC="dgsvc$SFX"; OPU="dgop$SFX"; RDU="dgrd$SFX"
CLEANUPS+=("userdel $SVC" "userdel $OPU" "userdel $RDU" "groupdel $RDU")
useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$SVC" &&
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$OPU" &&
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$RDU" ||
    { not_ok "test users created"; exit 1; }
SVC_UID=$(id -u "$SVC"); OP_UID=$(id -u "$OPU"); RD_GID=$(getent group "$RDU" | cut -d: -f3)
D="$T/svc"; mkdir -p "$D"
cp "$T/cookie" "$D/cookie"
sed -e "s|{user, \"$DG_RUN_USER\"}|{user, \"$SVC\"}|" -e "s|\"$T/ctl.sock\"|\"$D/ctl.sock\"|" \
    -e "s|\"$T/cookie\"|\"$D/cookie\"|" -e "s|\"$ALERTS\"|\"$D/alerts.log\"|" "$CONF" > "$D/dg.conf"
{ echo "{control_users, [\"$OPU\"]}."; echo "{control_read_group, \"$RDU\"}."; } >> "$D/dg.conf"
chown -R "$SVC:" "$D"; chmod 755 "$D"
"$DG" run -c "$D/dg.conf" > "$D/dg.log" 2>&1 &
P2=$!; PIDS+=("$P2")
wait_for "$D/dg.log" "distguard running" 10 || { not_ok "the daemon as $SVC started"; tail -5 "$D/dg.log"; exit 1; }
rl() { grep -c "reload: configuration from" "$D/dg.log"; }
r0=$(rl)
for who in "$SVC_UID:the service's own uid" "65534:nobody"; do
	u=${who%%:*}; name=${who#*:}
	out=$(asu "$u" $PY "$CS" "$D/ctl.sock" 'grant\tevil@*\t86400\tmine\t[allow_all]')
	check "$name may not grant ($out)" grep -q "^not permitted" <<<"$out"
	out=$(asu "$u" $PY "$CS" "$D/ctl.sock" 'revoke 1')
	check "$name may not revoke ($out)" grep -q "^not permitted" <<<"$out"
	out=$(asu "$u" $PY "$CS" "$D/ctl.sock" 'reload')
	check "$name may not reload ($out)" grep -q "^not permitted" <<<"$out"
done
out=$(asu 65534 $PY "$CS" "$D/ctl.sock" 'stats')
check "nobody may not read stats either ($out)" grep -q "^not permitted" <<<"$out"
check "no grant came of them" [ "$("$DG" grants -c "$D/dg.conf" 2>&1)" = "no grants" ]
check "no reload came of them" [ "$(rl)" = "$r0" ]
out=$(asu "$OP_UID" $PY "$CS" "$D/ctl.sock" 'grant\tops@*\t60\tcontrol_users\t[ping]')
check "a control_users account may grant ($out)" [ "$out" = "granted 1" ]
check "audited with its uid" grep -q "grant 1 granted for 60s; asked by uid $OP_UID " "$D/alerts.log"
out=$(setpriv --reuid=65534 --regid=65534 --groups="$RD_GID" $PY "$CS" "$D/ctl.sock" 'stats')
check "a control_read_group member may read stats ($(head -c 40 <<<"$out"))" stats_ok "$out"
out=$(setpriv --reuid=65534 --regid=65534 --groups="$RD_GID" $PY "$CS" "$D/ctl.sock" 'revoke 1')
check "but not revoke ($out)" grep -q "^not permitted" <<<"$out"
check "the grant is still there" grep -q $'^1\tops@' <<<"$("$DG" grants -c "$D/dg.conf" 2>&1)"

# ---- 4. the CLI checks whose socket it is ------------------------------------------
# A socket at the configured path that is nobody's, not the daemon's
# user's ($SVC): the CLI does not talk to it.
kill "$P2"; wait "$P2" 2>/dev/null
rm -f "$D/ctl.sock"
asu 65534 $PY "$CS" squat "$D/ctl.sock" 20 > "$T/squat1.log" 2>&1 &
PIDS+=("$!")
chmod 777 "$D"; sleep 0.5; chmod 755 "$D"	# only the squatter's moment
wait_for "$T/squat1.log" squatting 5
out=$("$DG" reload -c "$D/dg.conf" 2>&1); rc=$?
check "the CLI refuses a socket of another user (rc $rc: $out)" \
    eval '[ "$rc" -ne 0 ] && grep -q "not a socket of the daemon.s user" <<<"$out"'
check "and sent it nothing" not grep -q "squatter got" "$T/squat1.log"
"$DG" run -c "$D/dg.conf" > "$D/dg2.log" 2>&1 &
P3=$!; PIDS+=("$P3")
for _ in $(seq 1 50); do kill -0 "$P3" 2>/dev/null || break; sleep 0.1; done
check "the daemon does not start over another user's socket" not kill -0 "$P3" 2>/dev/null
check "saying why" grep -q "control socket $D/ctl.sock: .*not a socket of root or of the daemon's user" "$D/dg2.log"
kill "$P3" 2>/dev/null; wait "$P3" 2>/dev/null

done_tests
