#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# examples/demo/run.sh - `make demo`: the seed RFC's scenario, twice.
#
# Three nodes, foo, bar and baz.  bar pings baz; then foo runs
#     erpc:cast(bar, fun Halt() -> erpc:multicast(nodes(), Halt),
#                                   erlang:halt(1) end)
# (demo:halt_fun/0, see demo.erl for why the fun lives in a module).
#   (a) with a stock epmd: the fun spreads and all three nodes halt;
#   (b) behind distguard, where foo may only send to `gateway` and bar and
#       baz trust each other: the spawn is denied, bar and baz live on.
#       bar and baz are protected nodes (distguard_epmd, so their
#       connection to each other is judged both ways); foo, the attacker,
#       is a stock node that distguard lets register only because this
#       demo says {egress, optional} (it alerts epmd.unmediated).
# Everything runs on 127.0.0.1, on free ports, and stops by itself.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${DG_BUILD:-${BUILD:-build}}
DG="$ROOT/$BUILD/distguard"
W=$(mktemp -d /tmp/dg-demo.XXXXXX)
HOST=$(hostname -s)
COOKIE=democookie
PIDS=()
unset ERL_EPMD_PORT ERL_EPMD_ADDRESS

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ "${DG_KEEP:-0}" = 1 ] && echo "demo: files kept in $W" || rm -rf "$W"
}
trap cleanup EXIT

say() { echo "demo: $*"; }
. "$ROOT/tests/e2e/ports.sh"	# free_port (below 32768), wait_for
alive() { kill -0 "$1" 2>/dev/null; }

[ -x "$DG" ] || { say "no $DG: run make first"; say "FAILED"; exit 1; }
erlc -o "$W" "$ROOT/examples/demo/demo.erl" || { say "erlc failed"; say "FAILED"; exit 1; }

# node NAME EPMDPORT: starts demo:main on a node; its output goes to
# $W/$RUN.NAME.log, its pid to PID_NAME.  bar and baz get $PROTECT (the
# EPMD module, in run (b)).
PROTECT=()
node() {
	local mod=()
	[ "$1" != foo ] && mod=("${PROTECT[@]}")
	timeout -k 2 40 erl -sname "$1" -setcookie "$COOKIE" -noshell -pa "$W" \
	    -start_epmd false -epmd_port "$2" "${mod[@]}" \
	    -kernel inet_dist_use_interface '{127,0,0,1}' \
	    -eval "demo:main([$1, '$HOST'])" > "$W/$RUN.$1.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$1=$!"
	disown
	wait_for "$W/$RUN.$1.log" ": up" 15
}

# scenario EPMDPORT: baz, bar (pings baz), foo (casts the fun); then
# waits up to 5 s and prints which nodes are still running.
scenario() {
	node baz "$1"
	node bar "$1"
	wait_for "$W/$RUN.bar.log" "net_adm:ping" 10
	sed 's/^/    /' "$W/$RUN.bar.log"
	node foo "$1"
	local i=0
	while [ $i -lt 50 ] && { alive "$PID_bar" || alive "$PID_baz"; }; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.5
	for n in foo bar baz; do
		eval "p=\$PID_$n"
		if alive "$p"; then echo "    $n: running"; else echo "    $n: HALTED"; fi
	done
}

# ---- (a) stock epmd ---------------------------------------------------------
RUN=stock
P=$(free_port)
say "(a) three nodes with a stock epmd on 127.0.0.1:$P"
epmd -port "$P" -address 127.0.0.1 > "$W/epmd.log" 2>&1 &
EPMD_PID=$!
PIDS+=("$EPMD_PID")
disown
sleep 0.5
scenario "$P"
a_ok=1
for n in foo bar baz; do eval "p=\$PID_$n"; alive "$p" && a_ok=0; done
if [ $a_ok = 1 ]; then
	say "(a) one erpc:cast from foo halted foo, bar and baz"
else
	say "(a) not every node halted; the attack did not spread as expected"
fi
kill "$EPMD_PID" 2>/dev/null
for n in foo bar baz; do eval "p=\$PID_$n"; kill "$p" 2>/dev/null; done

# ---- (b) distguard ----------------------------------------------------------
RUN=dg
P=$(free_port)
LMIN=$(( ($(free_port) % 200) * 100 + 20000 ))
printf '%s' "$COOKIE" > "$W/cookie"; chmod 600 "$W/cookie"
cat > "$W/distguard.conf" <<EOF
%% The demo's policy.
{epmd, [{port, $P}, {addresses, ["127.0.0.1"]}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $((LMIN + 20))}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$W/alerts.log"}]}.
{control, "$W/ctl.sock"}.
$( [ "$(id -u)" -eq 0 ] && echo '%% distguard refuses to stay root: it drops to this user once set up.' && echo '{user, "nobody"}.')
%% bar and baz run distguard_epmd; foo, the attacker, is a stock node,
%% let in with an epmd.unmediated alert (the default refuses it).
{egress, optional}.
%% bar and baz trust each other.
{node, "bar@*", [{peer, "baz@*", [allow_all]}]}.
{node, "baz@*", [{peer, "bar@*", [allow_all]}]}.
%% foo may send to a process registered as gateway, and nothing else.
{peer, "foo@*", [{allow, reg_send, [gateway]}]}.
{default, deny}.
EOF
say "(b) the same three nodes behind distguard (epmd port $P), policy:"
grep -v '^%%\|^{epmd\|^{listen\|^{registration\|^{cookie\|^{alerts\|^{control\|^{user' \
    "$W/distguard.conf" | sed 's/^/    /'
[ "$(id -u)" -eq 0 ] && chown -R nobody: "$W"
PROTECT=(-epmd_module distguard_epmd -pa "$ROOT/$BUILD/erl/ebin")
"$DG" run -c "$W/distguard.conf" > "$W/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
disown
wait_for "$W/dg.log" "distguard running" 10 || { cat "$W/dg.log"; say "FAILED"; exit 1; }
scenario "$P"
say "distguard's alert for foo's registration (a stock node: no distguard_epmd):"
grep '"epmd.unmediated".*"node":"foo"' "$W/alerts.log" | sed 's/^/    /'
say "distguard's alert for foo's attempt:"
grep '"filter.denied".*"foo@.*spawn_request' "$W/alerts.log" | sed 's/^/    /'
n=$(grep -c '"filter.denied".*"foo@' "$W/alerts.log")
say "(and $((n - 1)) more denials for foo: the global/rex sync every visible"
say " connection starts with, which foo's policy does not allow either)"
b_ok=1
alive "$PID_bar" || b_ok=0
alive "$PID_baz" || b_ok=0
grep -q '"filter.denied".*"foo@.*spawn_request.*erlang:apply/2' "$W/alerts.log" || b_ok=0
grep -q 'gateway: hello from foo@' "$W/dg.bar.log" || b_ok=0
if [ $b_ok = 1 ]; then
	say "(b) foo's spawn was denied and alerted; foo's message to gateway went through; bar and baz are running"
fi

if [ $a_ok = 1 ] && [ $b_ok = 1 ]; then
	say "stopped the halt"
	exit 0
fi
say "FAILED"
exit 1
