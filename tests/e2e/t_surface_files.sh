#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the daemon's own files (issue 25, docs/SECURITY.md "The
# daemon's own files").  The state directory and the alerts directory
# belong to the daemon's user, so any process of that user can plant
# things there; root must never follow them.
#   1. a symlink at the state file's temporary path (Path.tmp) pointing
#      at a root-only file: the file is not touched, at start nor at a
#      save; the state file is written as a plain file of the user;
#   2. a planted state file: an [allow_all] grant for ten years "asked by
#      uid 0 pid 1": cut to max_duration with policy.state_clamped, the
#      who-asked labelled unverified; a bad entry refused with
#      policy.state_refused; a state file of another owner refused whole;
#   3. a symlink at the alerts file's path: the target is not touched and
#      the daemon refuses to start, saying why.
# As root (the daemon drops to $DG_RUN_USER, nobody by default).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { not_ok "needs root (the attack is root following a user's link)"; exit 1; }

# A root-only file outside the work directory: what the attacker aims at.
V=$(mktemp -d /tmp/dg-victim.XXXXXX)
CLEANUPS+=("rm -rf '$V'")
chmod 700 "$V"
printf 'root only\n' > "$V/secret"; chmod 600 "$V/secret"
vsum() { stat -c '%s %Y %U' "$V/secret"; sha256sum < "$V/secret"; }
V0=$(vsum)

ST="$T/state"
mkdir -p "$ST"
dgc() { "$DG" "$1" -c "$CONF" "${@:2}"; }
conf() { write_conf '{default, [ping]}.' \
    "{grants, [{max_duration, 3600}, {state_file, \"$ST/grants.state\"}]}." "$@"; }

# ---- 1. a symlink at Path.tmp ------------------------------------------------
conf
# A state file from an earlier run: read back, then saved at start.
printf '{grant, 5, "old@*", %d, 0, 1, "earlier run", "[ping]"}.\n' \
    $(( $(date +%s) + 600 )) > "$ST/grants.state"
chmod 600 "$ST/grants.state"
ln -s "$V/secret" "$ST/grants.state.tmp"
chown -h "$DG_RUN_USER:" "$ST/grants.state.tmp"
dg_start || exit 1
check "at start (restore, then save): the root-only file is untouched" \
    [ "$(vsum)" = "$V0" ]
out=$(dgc grant 'ops@*' '[ping]' --for 60s --reason 'symlink test' 2>&1)
check "a grant is saved ($out)" [ "$out" = "granted 6" ]
ln -sf "$V/secret" "$ST/grants.state.tmp"	# planted again, before a save
chown -h "$DG_RUN_USER:" "$ST/grants.state.tmp"
out=$(dgc grant 'ops2@*' '[ping]' --for 60s --reason 'symlink test 2' 2>&1)
check "a second grant is saved ($out)" [ "$out" = "granted 7" ]
check "after the saves: the root-only file is untouched" [ "$(vsum)" = "$V0" ]
check "the state file is a plain file of $DG_RUN_USER, mode 600 ($(stat -c '%F %U %a' "$ST/grants.state" 2>&1))" \
    [ "$(stat -c '%F %U %a' "$ST/grants.state")" = "regular file $DG_RUN_USER 600" ]
check "and holds the three grants" bash -c "grep -c '^{grant' '$ST/grants.state' | grep -qx 3"
check "no temporary file is left behind" [ ! -e "$ST/grants.state.tmp" ] 
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null

# ---- 2. a planted state file ---------------------------------------------------
now=$(date +%s)
cat > "$ST/grants.state" <<EOS
{grant, 7, "evil@*", $((now + 315360000)), 0, 1, "routine", "[allow_all]"}.
{grant, 8, "bad@*", $((now + 60)), 0, 1, "bad rules", "[{allow, no_such_type}]"}.
{grant, 9, "fine@*", $((now + 120)), 0, 1, "fine", "[ping]"}.
EOS
chown "$DG_RUN_USER:" "$ST/grants.state"; chmod 600 "$ST/grants.state"
: > "$ALERTS"
dg_start || exit 1
wait_for "$T/dg.log" "distguard\\[$DG_PID\\]: info: distguard running" 10
g=$(dgc grants 2>&1)
echo "$g" | sed 's/^/# grants: /'
left=$(awk -F'\t' '$1 == 7 { sub(/s left/, "", $3); print $3 }' <<<"$g")
at_most() { [ -n "$1" ] && [ "$1" -le "$2" ]; }
check "the ten-year grant is cut to max_duration (${left:-none}s left <= 3600)" \
    at_most "$left" 3600
check "with an alert policy.state_clamped" \
    alert_seen policy.state_clamped 3
check "its who-asked is the file's word, labelled unverified (alert)" \
    grep -q '"event":"policy.grant".*grant 7 restored.*asked by state file says uid 0 pid 1 (unverified)' "$ALERTS"
check "and in the listing" grep -q $'^7\t.*uid 0 pid 1 (state file, unverified)' <<<"$g"
check "the entry with bad rules is refused" not grep -q $'^8\t' <<<"$g"
check "with an alert policy.state_refused naming the line" \
    grep -q '"event":"policy.state_refused".*grants.state:2: refused' "$ALERTS"
check "the good entry is kept" grep -q $'^9\tfine@\*' <<<"$g"
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null

# A state file that is not the daemon's user's (root's, group-writable).
chown root: "$ST/grants.state"; chmod 664 "$ST/grants.state"
: > "$ALERTS"
dg_start || exit 1
wait_for "$T/dg.log" "distguard\\[$DG_PID\\]: info: distguard running" 10
check "a group-writable state file is refused whole" [ "$(dgc grants 2>&1)" = "no grants" ]
check "with policy.state_refused" alert_seen policy.state_refused 3
kill "$DG_PID"; wait "$DG_PID" 2>/dev/null

# ---- 3. a symlink at the alerts file -----------------------------------------------
rm -f "$ALERTS"
ln -s "$V/secret" "$ALERTS"
chown -h "$DG_RUN_USER:" "$ALERTS"
"$DG" run -c "$CONF" > "$T/alerts-link.log" 2>&1 &
p=$!
PIDS+=("$p")
for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
kill -0 "$p" 2>/dev/null && { kill "$p"; not_ok "the daemon refuses an alerts file that is a symlink (it ran)"; } ||
    ok "the daemon refuses an alerts file that is a symlink"
check "saying why" grep -q "alerts file $ALERTS cannot be opened" "$T/alerts-link.log"
# One failed handshake would have been appended through the link: none.
check "the root-only file is untouched" [ "$(vsum)" = "$V0" ]
rm -f "$ALERTS"
done_tests
