#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: a rebar3 release (OTP 29, Debian forky, chrooted) under the
# local guard (issue 20).  A new project from `rebar3 new release`, its
# vm.args naming the node and the cookie, distguard's flags in ERL_FLAGS
# (distguard_epmd by -kernel epmd_module, as OTP 29 wants it).  The
# release's beam listens and registers from one process, so distguard
# takes its port: registered mediated, its owner checked by uid and
# process, its own port reset for another local user (nobody), reached by
# an OTP 25 peer through distguard, and registered again after a restart.
# The daemon drops to `daemon`; the release runs as root.
DG_RUN_USER=daemon
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
OTPS="25 29"
ROOT_27=""	# only 25 and 29 here (interop_root reads it)
interop_root || exit 1
if ! command -v nft >/dev/null || ! command -v setpriv >/dev/null; then
	not_ok "rebar3_guard [rebar3-29] (needs nft and setpriv)"
	exit 1
fi
PROBE="/usr/bin/python3 $ROOT/tests/e2e/lgprobe.py"
as_nobody() { timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
TABLE="inet distguard_$EPMD_PORT"
table_has() { nft list table $TABLE 2>/dev/null | grep -Eq "elements = \{[^}]*\b$1\b"; }
node_port() { sed -n "s/.*node $1 registered from [^ ]*: port \([0-9]*\),.*/\1/p" "$T/dg.log" | tail -n 1; }
EXEC=(sh "$OTP_ROOT" forky exec -b "$T" --)
# r3 DIR -- CMD...: CMD in the forky root, in DIR, with a HOME of its own.
r3() {
	local dir=$1; shift 2
	"${EXEC[@]}" env HOME="$T/home" sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
}
mkdir -p "$T/home" "$T/r3"

write_conf '{default, [ping, replies]}.'
dg_start || exit 1

r3 "$T/r3" -- timeout 120 rebar3 new release relapp > "$T/r3_new.log" 2>&1
printf -- '-sname relapp\n-setcookie %s\n' "$COOKIE" > "$T/r3/relapp/config/vm.args"
r3 "$T/r3/relapp" -- timeout 200 rebar3 release > "$T/r3_rel.log" 2>&1
APP="$T/r3/relapp/_build/default/rel/relapp/bin/relapp"
check "rebar3_release_builds [rebar3-29]" [ -x "$APP" ] ||
    { tail -n 5 "$T/r3_rel.log" | sed 's/^/# /'; exit 1; }

FLAGS="-start_epmd false -epmd_port $EPMD_PORT -kernel inet_dist_use_interface {127,0,0,1}
    -kernel inet_dist_listen_min $NBASE inet_dist_listen_max $((NBASE + 99))
    -kernel epmd_module distguard_epmd -pa $T/v29"
rel_start() {
	local n0
	n0=$(grep -c "node relapp registered" "$T/dg.log")
	# Interactive: distguard_epmd comes from -pa, not from the boot script.
	timeout -k 2 150 "${EXEC[@]}" env HOME="$T/home" ERL_FLAGS="$FLAGS" \
	    CODE_LOADING_MODE=interactive "$APP" foreground \
	    >> "$T/relapp.log" 2>&1 &
	PIDS+=("$!")
	PID_rel=$!
	for i in $(seq 1 300); do
		[ "$(grep -c "node relapp registered" "$T/dg.log")" -gt "$n0" ] && return 0
		sleep 0.1
	done
	return 1
}
rel_start
check "rebar3_registers [rebar3-29] (mediated, the owner checked by uid and process)" \
    grep -Eq "node relapp registered .*mediated \(distguard_epmd\); owner checked: same uid, same process" "$T/dg.log" ||
    tail -n 10 "$T/relapp.log" | sed 's/^/# /'
RP=$(node_port relapp)
check "rebar3_port_guarded [rebar3-29] (its own port $RP is in the table)" table_has "$RP"
r=$(as_nobody $PROBE connect "$RP")
check "rebar3_nobody_refused [rebar3-29] (nobody connecting to port $RP: $r)" [ "${r%% *}" = refused ]
out=$(DG_TARGET="relapp@$HOST" EVAL_TIMEOUT=30 node_eval p1 "net_adm:ping(Node)" "${ERL_MOD[@]}")
r=$(tail -n 1 <<<"$out")
check "rebar3_ping [25->rebar3-29] (an OTP 25 peer pings it through distguard: $r)" [ "$r" = pong ] ||
    sed 's/^/#   /' <<<"$out"
# The exec chain ends in the release's beam: the PID is the node's.
kill "$PID_rel" 2>/dev/null
wait_for "$T/dg.log" "node relapp unregistered" 20
sleep 0.3
check "rebar3_unguarded_after [rebar3-29] (gone, port $RP left the table)" not table_has "$RP"
rel_start
RP2=$(node_port relapp)
check "rebar3_reregisters [rebar3-29] (restarted, registered again on port $RP2, guarded)" table_has "$RP2"
kill "$PID_rel" 2>/dev/null
check "daemon_alive [rebar3-29]" dg_alive
done_tests
