#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/link_idle.sh - the memory of idle link legs (issue 24, item 2: at
# most 8 KiB of heap per idle link leg).  Not a test: it prints figures.
#
# One daemon D with a link listener on 127.0.0.1 and its node L = l@127.0.0.1
# (distguard_epmd, a protected node); bench/link_idle.c plays another host's
# daemon: per connection the key exchange, then the hello for a node
# k<i>@127.0.0.1 towards L, so that D runs the Erlang handshake with L and
# the session reaches the relay; then the connection stays open, idle.
# D's VmRSS and [heap] Rss (/proc/PID/smaps) are read before, after
# LINK_IDLE_N1 (1,000) legs and after LINK_IDLE_N (10,000, or as many as
# the descriptor limit allows); the per-leg figures are the differences.
#
#   bash bench/link_idle.sh        (root: the daemon drops to nobody)
# Knobs: DG_BUILD (build), BENCH_OUT (build/bench), LINK_IDLE_N, LINK_IDLE_N1.
# Loopback only; everything started here is stopped by PID.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DG_BUILD:-build}
DG="$ROOT/$BUILD/distguard"
EBIN="$ROOT/$BUILD/erl/ebin"
OUT=${BENCH_OUT:-$ROOT/build/bench}
N=${LINK_IDLE_N:-10000}
N1=${LINK_IDLE_N1:-1000}
COOKIE=benchcookie
W=$(mktemp -d /tmp/dg-bench-linkidle.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "link_idle: $*" >&2; exit 1; }

[ -x "$DG" ] || die "$DG missing: run make first"
[ "$(id -u)" -eq 0 ] || die "needs root (the daemon's {user, nobody})"
mkdir -p "$OUT"
. "$ROOT/tests/e2e/ports.sh"

# Three descriptors per leg here (D: the link and L's leg; L: one), one
# in the tool: the limit decides how many legs fit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FDCAP=$((($(ulimit -n) - 200) / 2))
[ "$N" -le "$FDCAP" ] || { echo "# fd limit $(ulimit -n): $N legs do not fit, measuring $FDCAP"; N=$FDCAP; }
[ "$N1" -le "$N" ] || N1=$N

cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$ROOT/include" -I"$ROOT" -I"$ROOT/link" \
    -o "$W/link_idle" "$ROOT/bench/link_idle.c" "$ROOT/$BUILD/libdistguard.a" \
    -lev -lsodium -lnettle -lm || die "cannot build bench/link_idle.c"

BASE=$(pick_range 10) || die "no free ports"
EPMD_PORT=$BASE; LINK_PORT=$((BASE + 1)); P_L=$((BASE + 2)); LBASE=$((BASE + 3))
printf '%s' "$COOKIE" > "$W/cookie"; chmod 600 "$W/cookie"
"$DG" keygen -o "$W/d.key" > "$W/d.pub" 2>/dev/null &&
"$DG" keygen -o "$W/t.key" > "$W/t.pub" 2>/dev/null || die "keygen failed"
cat > "$W/dg.conf" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LBASE, $((LBASE + 5))}}]}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$W/alerts.log"}]}.
{user, "nobody"}.
{local_guard, off}.
{default, [allow_all]}.
{handshake, [{link_max_pending, 65536}, {link_max_per_source, 65536}, {link_rate, 1000}]}.
{limits, [{max_established_per_source, 65536}]}.
{host_key, {file, "$W/d.key"}, [{listen, {"127.0.0.1", $LINK_PORT}}]}.
{link, "hostone", "$(cat "$W/t.pub")", [{names, ["*@127.0.0.1"]}]}.
EOF
chown -R nobody: "$W"; chmod 755 "$W"
chown root: "$W/t.key"	# the tool's, read as root

"$DG" run -c "$W/dg.conf" > "$W/dg.log" 2>&1 &
DG_PID=$!; PIDS+=("$DG_PID")
wait_for "$W/dg.log" "distguard running" 10 || { cat "$W/dg.log"; die "the daemon did not start"; }
timeout -k 2 1800 erl -name "l@127.0.0.1" -setcookie "$COOKIE" -noshell -connect_all false \
    -epmd_port "$EPMD_PORT" -epmd_module distguard_epmd -pa "$EBIN" +sbwt none \
    -kernel inet_dist_use_interface '{127,0,0,1}' inet_dist_listen_min "$P_L" \
    inet_dist_listen_max "$P_L" net_ticktime 3600 -eval 'io:format("L ready ~s~n", [os:getpid()])' > "$W/l.log" 2>&1 &
L_PID=$!; PIDS+=("$L_PID")
wait_for "$W/l.log" "L ready" 20 || { cat "$W/l.log"; die "L did not start"; }
PIDS+=("$(sed -n 's/^L ready //p' "$W/l.log")")	# the beam itself
wait_for "$W/dg.log" "node l registered" 10 || die "L did not register"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
heap() { awk '/\[heap\]/ {h=1; next} h && /^Rss:/ {print $2; exit}' "/proc/$1/smaps"; }
SIG="$W/sig"; mkdir -p "$SIG"
sleep 1
rss0=$(rss "$DG_PID"); heap0=$(heap "$DG_PID")
t0=$(date +%s.%N)
"$W/link_idle" "$LINK_PORT" "$W/t.key" "$(cat "$W/d.pub")" "l@127.0.0.1" 127.0.0.1 \
    "$N1" "$N" "$SIG" > "$W/tool.log" 2>&1 &
TP=$!; PIDS+=("$TP")
for _ in $(seq 1 6000); do [ -e "$SIG/up1" ] && break; kill -0 "$TP" 2>/dev/null || break; sleep 0.1; done
sleep 2
up1=$(cat "$SIG/up1" 2>/dev/null || echo 0)
rss1=$(rss "$DG_PID"); heap1=$(heap "$DG_PID")
touch "$SIG/go1"
for _ in $(seq 1 18000); do [ -e "$SIG/up2" ] && break; kill -0 "$TP" 2>/dev/null || break; sleep 0.1; done
t1=$(date +%s.%N)
sleep 2
up2=$(cat "$SIG/up2" 2>/dev/null || echo 0)
rss2=$(rss "$DG_PID"); heap2=$(heap "$DG_PID")
fds=$(ls "/proc/$DG_PID/fd" | wc -l)
sessions=$(grep -c "k[0-9]*@127.0.0.1 -> l@127.0.0.1: up" "$W/dg.log")
touch "$SIG/go2"
wait "$TP"
cat "$W/tool.log"
alerts=$(wc -l < "$W/alerts.log" 2>/dev/null || echo 0)
{
	echo "link_idle_legs $up1 $up2 (requested $N1 $N)"
	echo "link_idle_sessions_up $sessions"
	echo "link_idle_dg_rss_kb $rss0 $rss1 $rss2"
	echo "link_idle_dg_heap_kb $heap0 $heap1 $heap2"
	echo "link_idle_dg_fds $fds"
	echo "link_idle_alerts $alerts"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "link_idle_secs %.1f\n", b - a }'
	[ "$up2" -gt "$up1" ] && awk -v a="$heap1" -v b="$heap2" -v r1="$rss1" -v r2="$rss2" -v n="$((up2 - up1))" \
	    'BEGIN { printf "link_idle_per_leg heap %.2f KiB, RSS %.2f KiB (from %d to %d legs)\n", (b - a) / n, (r2 - r1) / n, 0, 0 }' |
	    sed "s/from 0 to 0/from $up1 to $up2/"
	[ "$up1" -gt 0 ] && awk -v a="$heap0" -v b="$heap1" -v r0="$rss0" -v r1="$rss1" -v n="$up1" \
	    'BEGIN { printf "link_idle_per_leg_first heap %.2f KiB, RSS %.2f KiB (the first %d legs)\n", (b - a) / n, (r1 - r0) / n, n }'
} | tee "$OUT/link_idle.txt"
[ "$alerts" -gt 0 ] && head -n 5 "$W/alerts.log"
exit 0
