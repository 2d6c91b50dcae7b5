# SPDX-License-Identifier: Apache-2.0
# tests/e2e/lib.sh - shared by every end-to-end test (sourced, bash).
#
# Each test script gets its own work directory, its own ports (free ones,
# picked at run time, loopback only), and a trap that stops every process
# it started, by PID.  Results are "ok - ..." / "not ok - ..." lines that
# tests/run.sh counts.  Every wait is bounded.

set -u
ROOT=${DG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${DG_BUILD:-build}
DG="$ROOT/$BUILD/distguard"
HELPERS="$ROOT/$BUILD/tests"
T=$(mktemp -d /tmp/dg-e2e.XXXXXX)
HOST=$(hostname -s)
COOKIE=e2ecookie
PIDS=()
FAILS=0

# Nodes find distguard through -epmd_port alone.
unset ERL_EPMD_PORT
unset ERL_EPMD_ADDRESS

# Commands cleanup runs after the processes are gone (a namespace to
# delete, say): tests append to it.
CLEANUPS=()

cleanup() {
	local p c
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for c in "${CLEANUPS[@]}"; do eval "$c" 2>/dev/null; done
	if [ "${DG_KEEP:-0}" = 1 ] || [ "$FAILS" -ne 0 ]; then
		echo "# work directory kept: $T"
		[ -f "$T/dg.log" ] && { echo "# last lines of dg.log:"; tail -n 30 "$T/dg.log" | sed 's/^/#   /'; }
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
# check "name" cmd...: ok when the command succeeds
check()  { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
# not CMD...: succeeds when CMD fails (for check)
not()    { ! "$@"; }
# same A B: A is set and B equals it (one command, for check: a `[ ] && [ ]`
# after check would leave its second half out of the check)
same()   { [ -n "$1" ] && [ "$1" = "$2" ]; }
# below A N: A is set and less than N
below()  { [ -n "$1" ] && [ "$1" -lt "$2" ]; }
# grew_below A B N: both set and B - A < N
grew_below() { [ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -lt "$3" ]; }

. "$ROOT/tests/e2e/ports.sh"

# state_field N: field N of b's last "state" line (tests/e2e/dgotp.erl
# watch(): 3 the kernel servers' pids, 4 the atom count, 5 global's answer).
state_field() { grep '^state ' "$T/b.log" | tail -n 1 | awk -v f="$1" '{print $f}'; }
# b_unharmed PATTERN: after the attacks, b lives, its log has no PATTERN,
# its kernel servers keep the pids of $pids0, global answers, its atom count
# grew by less than 300 from $atoms0, and distguard lives.
b_unharmed() {
	local pids1 atoms1
	sleep 1
	check "b is alive" kill -0 "$PID_b"
	check "b's kernel did not terminate" not grep -q "$1" "$T/b.log"
	pids1=$(state_field 3); atoms1=$(state_field 4)
	check "global_name_server, net_kernel, rex, application_controller, code_server keep their pids" \
	    same "$pids0" "$pids1"
	check "global:registered_names() answers within a second" [ "$(state_field 5)" = ok ]
	check "b's atom count stays bounded ($atoms0 -> $atoms1)" \
	    grew_below "$atoms0" "$atoms1" 300
	check "distguard is alive" dg_alive
}

EPMD_PORT=$(free_port)
LBASE=$(pick_range)
LMIN=$LBASE
LMAX=$((LBASE + 39))
# The nodes' own distribution ports: a block of their own below 32768,
# rather than whatever ephemeral port the kernel would give them.
# (Nothing listens on the listeners' block yet, so keep clear of it.)
NBASE=$(pick_range 100)
while [ "$NBASE" -le "$LMAX" ] && [ $((NBASE + 99)) -ge "$LMIN" ]; do
	NBASE=$(pick_range 100)
done
printf '%s' "$COOKIE" > "$T/cookie"; chmod 600 "$T/cookie"
ALERTS="$T/alerts.log"
CONF="$T/dg.conf"

# The daemon refuses to stay root (daemon/privdrop.c).  As root the tests
# give it a user to drop to: nobody, which every Debian system has
# (DG_RUN_USER names another).  After the drop that user reads the
# configuration and cookie files again on reload and removes the control
# socket at exit, so it owns the work directory and what is in it
# (give_files, called by write_conf and dg_start).  Not as root there is
# nothing to drop and no user is configured.
if [ "$(id -u)" -eq 0 ]; then
	DG_RUN_USER=${DG_RUN_USER:-nobody}
	DG_USER_ENTRY="{user, \"$DG_RUN_USER\"}."
else
	DG_RUN_USER=$(id -un)
	DG_USER_ENTRY=""
fi
give_files() {
	[ "$(id -u)" -eq 0 ] || return 0
	chown -R "$DG_RUN_USER:" "$T"
}

# write_conf [extra entries...]: the base configuration plus the policy
# and options a test needs.  The base admits nothing by itself.  It
# leaves {egress, ...} and {exposed, ...} at the daemon's defaults
# (required, refuse: nodes need distguard_epmd and a loopback port) unless
# the suite sets DG_EGRESS / DG_EXPOSED (saying why) or passes the entry.
write_conf() {
	local e has_egress=0 has_exposed=0 has_lguard=0
	for e in "$@"; do
		case $e in
		"{egress,"*) has_egress=1 ;;
		"{exposed,"*) has_exposed=1 ;;
		"{local_guard,"*) has_lguard=1 ;;
		esac
	done
	{
		echo "{epmd, [{port, $EPMD_PORT}, {addresses, [\"127.0.0.1\", \"::1\"]}, {timeout, ${EPMD_TIMEOUT:-5}}]}."
		echo "{listen, [{address, \"127.0.0.1\"}, {ports, {$LMIN, $LMAX}}]}."
		echo "{registration_from, [\"127.0.0.1\", \"::1\"]}."
		echo "{cookie, {file, \"$T/cookie\"}}."
		echo "{alerts, [{file, \"$ALERTS\"}, {per_source, ${ALERTS_PER_SOURCE:-1000}}]}."
		echo "{control, \"$T/ctl.sock\"}."
		[ -n "$DG_USER_ENTRY" ] && echo "$DG_USER_ENTRY"
		[ -n "${DG_EGRESS:-}" ] && [ $has_egress = 0 ] && echo "{egress, $DG_EGRESS}."
		[ -n "${DG_EXPOSED:-}" ] && [ $has_exposed = 0 ] && echo "{exposed, $DG_EXPOSED}."
		# Not root, the daemon cannot change the packet filter, so the
		# default {local_guard, required} would refuse every node: such
		# runs check everything else and say so (t_localguard needs root).
		[ "$(id -u)" -ne 0 ] && [ $has_lguard = 0 ] && echo "{local_guard, off}."
		for e in "$@"; do echo "$e"; done
	} > "$CONF"
	give_files
}

# dg_start: runs the daemon on $CONF; waits until it serves.
dg_start() {
	give_files
	"$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
	DG_PID=$!
	PIDS+=("$DG_PID")
	wait_for "$T/dg.log" "distguard running" 10 || { not_ok "daemon started"; return 1; }
}

dg_alive() { kill -0 "$DG_PID" 2>/dev/null; }

# DG_OTP=27 or 29 (make interop: tests/interop/t_api27.sh): the suite's
# nodes run that OTP release, chrooted in the Debian root that
# scripts/otp-root.sh keeps; distguard stays on the host.  Rather than
# a second set of node functions, every erl, erlc and elixir the suite
# runs by name goes through tests/interop/shim/ (first on PATH), which
# runs the root's own with $T and the repository bound at their paths
# and keeps the PID the suite kills the node's.  Unset (make test), none
# of this happens.
if [ -n "${DG_OTP:-}" ]; then
	export DG_OTP DG_OTP_BINDS="$T $ROOT"
	PATH="$ROOT/tests/interop/shim:$PATH"
fi

# Compiles the test node module once per run.
erlc -o "$T" "$ROOT/tests/e2e/dgt.erl" >/dev/null 2>&1 || echo "# erlc failed"

ERL_COMMON=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}'
	-kernel inet_dist_listen_min "$NBASE" inet_dist_listen_max "$((NBASE + 99))"
	-noshell -pa "$T")

# distguard_epmd, the EPMD module of protected nodes (built by make).
EBIN="$ROOT/$BUILD/erl/ebin"
ERL_MOD=(-epmd_module distguard_epmd -pa "$EBIN")
# Under DG_OTP, the library as that release's erlc compiles it (as an
# operator on that release would), and the flag OTP 27 and later
# document: -epmd_module is deprecated there.
if [ -n "${DG_OTP:-}" ]; then
	mkdir -p "$T/ebin"
	erlc -Wall +warnings_as_errors -o "$T/ebin" "$ROOT/erl/distguard_epmd.erl" "$ROOT/erl/distguard.erl" 2>&1 |
	    sed "s/^/# erlc (OTP $DG_OTP): /"
	cp "$EBIN/distguard.app" "$T/ebin/" 2>/dev/null
	EBIN="$T/ebin"
	ERL_MOD=(-kernel epmd_module distguard_epmd -pa "$EBIN")
fi
[ -f "$EBIN/distguard_epmd.beam" ] || echo "# distguard_epmd.beam missing in $EBIN"

# ERL_SAY_OTP: erl arguments for a suite's protected node, so that its
# log says which release runs it; otp_is LOG checks that line against
# DG_OTP (the proof that the nodes are that release's; node_start does
# it for its nodes).  Without DG_OTP both are empty, and the suite's
# checks are make test's as before.
ERL_SAY_OTP=()
if [ -n "${DG_OTP:-}" ]; then
	ERL_SAY_OTP=(-eval 'io:format("otp_release ~s~n", [erlang:system_info(otp_release)])')
fi
otp_is() {
	[ -n "${DG_OTP:-}" ] || return 0
	check "the protected node reports otp_release \"$DG_OTP\" ($(basename "$1" .log): $(grep -m 1 '^otp_release' "$1"))" \
	    grep -q "^otp_release $DG_OTP\$" "$1"
}

# node_start NAME [erl args...]: a long-lived node running dgt:serve(),
# registered with distguard; waits until epmd knows it.  Its output goes
# to $T/NAME.log; it halts by itself after 120 s at the latest.  These
# are the suites' protected nodes: they run distguard_epmd (mediated,
# their own connections go through egress sessions) unless the suite sets
# NODE_MOD=0, saying why.
node_start() {
	local name=$1; shift
	local mod=()
	[ "${NODE_MOD:-1}" = 1 ] && mod=("${ERL_MOD[@]}")
	timeout -k 2 150 erl -sname "$name" "${ERL_COMMON[@]}" "${mod[@]}" "${ERL_SAY_OTP[@]}" "$@" \
	    -eval "dgt:serve()" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/dg.log" "node $name registered" 15 || { not_ok "node $name registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
	otp_is "$T/$name.log"
}

# node_eval NAME EXPR [erl args...]: a short-lived node that evaluates
# EXPR (Erlang, may use the variable Node = the target node set by
# DG_TARGET, default b@HOST), prints its value with ~p and halts.
node_eval() {
	local name=$1 expr=$2; shift 2
	local target=${DG_TARGET:-b@$HOST}
	timeout -k 2 ${EVAL_TIMEOUT:-40} erl -sname "$name" "${ERL_COMMON[@]}" "$@" \
	    -eval "Node = '$target', R = begin $expr end, io:format(\"~p~n\", [R]), halt()." 2>&1
}

# stock_epmd ARGS...: the stock epmd client against our port.
stock_epmd() { timeout 10 epmd -port "$EPMD_PORT" "$@" 2>&1; }

# alert_seen EVENT [SECONDS]
alert_seen() { wait_for "$ALERTS" "\"event\":\"$1\"" "${2:-5}"; }

# done_tests: the script's exit status
done_tests() { [ "$FAILS" -eq 0 ]; }
