#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `make bench` runs this with sh: switch to bash before any bash syntax.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# bench/run.sh - `make bench`: distguard against a direct connection and a
# plain relay (docs/BENCHMARKS.md).  Not a test: it prints figures.
#
#   1. filter core without sockets (bench/micro.c), timed and under callgrind;
#   2. one B node, five sender nodes reaching it five ways - direct, socat,
#      HAProxy (splice), distguard allow_all, distguard with rules -
#      measured round-robin;
#   3. throughput during a handshake flood, bans on and (nearly) off;
#   4. idle connections: distguard's RSS at 1,000 and 10,000, handshakes/s;
#      the heap per idle inbound connection and per half-open handshake
#      (malloc's own count, the control socket's "memory"), and a burst of
#      10,000 connects at once against the listen backlog.
#   2b. (after 2) the code guard and the atom budget on and off, alternating,
#      at 1 KiB and 64 KiB on the rules path.
#   5. across two hosts (bench/hosts.sh): a receiver behind a second
#      distguard in a network namespace, reached inbound, through egress,
#      and by OTP's TLS distribution, round-robin (needs root).
#   6. a cluster of hosts (bench/cluster.sh): BENCH_HOSTS hosts (32; a
#      list such as "8 16 32" runs each size) in network namespaces on a
#      bridge, a daemon and a node each, links by one cluster key, a global
#      mesh; then the same hosts with stock OTP (needs root).
#
# Loopback only, private ports picked at run time (as tests/e2e/lib.sh
# does); every process started here is stopped by PID; every wait is
# bounded.  Raw results: $OUT/*.tsv, *.txt; summary: $OUT/summary.md.
#
# Knobs: BENCH_ROUNDS (5), BENCH_SECS (2.0 per measurement), BENCH_OLD
# (another distguard binary, measured as the path dg_relay_old),
# BENCH_CONNS (10000), BENCH_GUARD_REPS (5), DG_BUILD (build);
# BENCH_ONLY=guards runs sections 1, 2b and the summary only;
# BENCH_ONLY=relay section 2 (the round-robin paths) and the summary only
# (BENCH_STRACE=1: then the daemon's system calls per 1 KiB message);
# BENCH_ONLY=conns section 4 (B and distguard only) and the summary only;
# BENCH_ONLY=hosts section 5 and the summary only; BENCH_HOSTS=0 skips 5
# and 6; BENCH_ONLY=cluster section 6 and the summary only;
# BENCH_LINK=1 asks section 5 for issue 13's link path too (bench/hosts.sh).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DG_BUILD:-build}
DG="$ROOT/$BUILD/distguard"
OUT=${BENCH_OUT:-$ROOT/build/bench}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-2.0}
CONNS=${BENCH_CONNS:-10000}
W=$(mktemp -d /tmp/dg-bench.XXXXXX)
HOST=$(hostname -s)
COOKIE=benchcookie
PIDS=()

unset ERL_EPMD_PORT ERL_EPMD_ADDRESS

MAIN_PID=$$
cleanup() {
	local p
	# a subshell that exits must not tear the run down
	[ "${BASHPID:-$$}" = "$MAIN_PID" ] || return 0
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "# work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*"; }

[ -x "$DG" ] || { echo "bench: $DG missing: run make first" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*.tsv "$OUT"/*.txt "$OUT"/summary.md

# 10,000 proxied connections need 20,000+ descriptors in distguard and
# 10,000 in B and in the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd_limit $(ulimit -n)" > "$OUT/machine.txt"
# distguard holds two descriptors per proxied connection: with a hard limit
# below 2 x BENCH_CONNS, measure as many as fit.
FDCAP=$((($(ulimit -n) - 100) / 2))
[ "$CONNS" -le "$FDCAP" ] || { echo "# fd limit $(ulimit -n): $CONNS connections do not fit, measuring $FDCAP"; CONNS=$FDCAP; }
{
	echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- core conf link handshake filter epmd proxy daemon 2>/dev/null || echo "+local changes")"
	echo "nproc $(nproc)"
	echo "cpu $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel $(uname -r)"
	echo "otp $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')"
	echo "socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')"
	echo "haproxy $(haproxy -v 2>/dev/null | sed -n 's/^HA-\{0,1\}Proxy version \([^ ]*\).*/\1/p')"
	echo "mem_total_kb $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
} >> "$OUT/machine.txt"
cat "$OUT/machine.txt"

. "$ROOT/tests/e2e/ports.sh"	# free_port, wait_for, pick_range

# ---- 5. across two hosts, alone ------------------------------------------------

hosts_section() {
	say "across two hosts (bench/hosts.sh)"
	BENCH_OUT="$OUT" DG_BUILD="$BUILD" BENCH_ROUNDS="$ROUNDS" BENCH_SECS="$SECS" \
	    bash "$ROOT/bench/hosts.sh"
}
if [ "${BENCH_ONLY:-}" = hosts ]; then
	hosts_section || exit 1
	python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
	exit 0
fi

# ---- 6. a cluster of hosts, alone ----------------------------------------------

cluster_section() {
	say "a cluster of hosts (bench/cluster.sh)"
	BENCH_OUT="$OUT" DG_BUILD="$BUILD" BENCH_HOSTS="${BENCH_HOSTS:-32}" \
	    bash "$ROOT/bench/cluster.sh"
}
if [ "${BENCH_ONLY:-}" = cluster ]; then
	cluster_section || exit 1
	python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
	exit 0
fi

# ---- 1. the filter core ----------------------------------------------------

micro_section() {
say "filter core micro-benchmark"
EI_DIR=$(ls -d /usr/lib/erlang/lib/erl_interface-* 2>/dev/null | sort -V | tail -n 1)
MICRO="$W/micro"
${CC:-cc} -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
    -I"$ROOT/include" -I"$ROOT" -I"$ROOT/core" -I"$ROOT/conf" -I"$ROOT/link" \
    -I"$ROOT/epmd" -I"$ROOT/handshake" -I"$ROOT/daemon" \
    -I"$ROOT/filter" -I"$ROOT/proxy" -I"$EI_DIR/include" -fno-strict-aliasing \
    -o "$MICRO" "$ROOT/bench/micro.c" "$ROOT/$BUILD/libdistguard.a" \
    -L"$EI_DIR/lib" -lei -lev -lsodium -lnettle -lpthread -lm || exit 1
VEC="$ROOT/tests/vectors/flagstrip/strip_DIST_HDR_ATOM_CACHE"
for i in 1 2 3; do "$MICRO" "$VEC" 1.0; done | tee "$OUT/micro.txt"
# What audit mode costs a decision (issue 22): enforce without the seen
# table, with it, audit mode, and {default, deny} in audit mode.
for i in 1 2 3; do "$MICRO" "$VEC" 1.0 0 "" audit; done |
    grep -v "^micro sizeof" | tee "$OUT/micro_audit.txt"
# The whole verdict as the relay runs it (filter/verdict.c: the decoder and
# rules above, plus the guard's work: seen table, atom books, held, global's
# sync), every guard on.
for i in 1 2 3; do "$MICRO" "$VEC" 1.0 0 "" verdict; done |
    grep -v "^micro sizeof" | tee "$OUT/micro_verdict.txt"
if command -v valgrind >/dev/null; then
	for wl in capture:200:on regsend:20:on capture:200:verdict; do
		w=${wl%%:*}; n=${wl#*:}; mode=${n#*:}; n=${n%%:*}
		# only the passes count: pass (decoder and rules) or
		# pass_verdict (the whole verdict; gcc may name its clone
		# pass_verdict.constprop.0)
		toggle=pass; [ "$mode" = verdict ] && toggle='pass_verdict*'
		( cd "$W" && valgrind --tool=callgrind --toggle-collect="$toggle" \
		    --callgrind-out-file="$W/cg.$w" "$MICRO" "$VEC" 0 "$n" "$w" "$mode" \
		    > "$W/cg.$w.stdout" 2> "$W/cg.$w.stderr" )
		[ "$mode" = verdict ] && w=${w}_verdict &&
		    mv "$W/cg.${wl%%:*}" "$W/cg.$w" &&
		    mv "$W/cg.${wl%%:*}.stdout" "$W/cg.$w.stdout" &&
		    mv "$W/cg.${wl%%:*}.stderr" "$W/cg.$w.stderr"
		ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/cg.$w.stderr")
		dec=$(sed -n "s/^micro ${wl%%:*} .* decisions \([0-9]*\) .*/\1/p" "$W/cg.$w.stdout")
		[ -n "$ir" ] && [ "${dec:-0}" -gt 0 ] || { echo "callgrind $w failed"; continue; }
		echo "callgrind $w instructions $ir decisions $dec per_decision $((ir / dec))" |
		    tee -a "$OUT/micro.txt"
		callgrind_annotate "$W/cg.$w" 2>/dev/null | sed -n '/file:function/,$p' |
		    sed -n '3,16p' > "$OUT/callgrind_$w.txt"
		callgrind_annotate --tree=caller "$W/cg.$w" 2>/dev/null |
		    grep -E '< .*\([0-9,]+x\)' | head -n 40 > "$OUT/callgrind_${w}_callers.txt"
	done
fi
}
# BENCH_ONLY=relay: the relay's paths alone (section 2), for its figures
# (issue 24 item 3) without the minutes the other sections take;
# BENCH_ONLY=conns: section 4 alone.
if [ "${BENCH_ONLY:-}" != relay ] && [ "${BENCH_ONLY:-}" != conns ]; then
	micro_section || exit 1
fi

# ---- 2. the end-to-end setup ------------------------------------------------

EPMD_PORT=$(free_port)
LMIN=$(pick_range) || { echo "bench: no free port range" >&2; exit 1; }
LMAX=$((LMIN + 39))
P_B=$(free_port); P_D=$(free_port); P_S=$(free_port); P_R=$(free_port)
P_A=$(free_port); P_SOCAT=$(free_port); P_H=$(free_port); P_HAP=$(free_port)
printf '%s' "$COOKIE" > "$W/cookie"; chmod 600 "$W/cookie"
CONF="$W/dg.conf"

# distguard refuses to stay root: as root it is given nobody to drop to
# (as tests/e2e/lib.sh does), and that user gets the work directory so
# that it can read its files again on reload.
DG_USER_ENTRY=""
[ "$(id -u)" -eq 0 ] && DG_USER_ENTRY='{user, "nobody"}.'

# write_conf BANS [GUARDS]: the benchmark's configuration, with the local
# guard off: the direct path, the baseline, dials B's own port, which the
# guard keeps for distguard's uid (docs/SECURITY.md 2.1).  GUARDS off:
# a@'s rules let funs through and its atom budget is off, so that the
# payload is not walked (docs/FILTER.md 11, 12).
# HS_OPTS: the handshake's limits (section 4 raises them for 10,000
# handshakes held at once).
HS_OPTS="{timeout, 7}, {max_pending, 4096}, {max_per_source, 64}"
write_conf() {
	local funs="" opts=""
	if [ "${2:-on}" = off ]; then funs=", {allow, funs}"; opts=", [{atoms, infinity}]"; fi
	cat > "$CONF" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}, {timeout, 5}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $LMAX}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$W/alerts.log"}, {per_source, 1000}]}.
{control, "$W/ctl.sock"}.
{handshake, [$HS_OPTS]}.
{bans, $1}.
$DG_USER_ENTRY
{local_guard, off}.
{peer, "a@*", [ping, global, replies,
               {allow, reg_send, [bench_sink, bench_echo]},
               {allow, spawn_request, [{erlang, node, 0}]},
               {deny, spawn_request, [{os, cmd, '_'}]}$funs]$opts}.
{peer, "r@*", [allow_all]}.
{peer, "p*@*", [ping, replies]}.
{default, deny}.
%% the senders steer with dg_steer, not distguard_epmd, and b is stock:
%% this section measures the inbound path (the egress one is hosts.sh's)
{egress, off}.
EOF
}
write_conf '[{failures, 5}, {window, 60}, {duration, 600}]'
[ "$(id -u)" -eq 0 ] && chown -R nobody: "$W"

say "starting distguard, B, socat and the senders"
"$DG" run -c "$CONF" >> "$W/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$W/dg.log" "distguard running" 10 || { cat "$W/dg.log"; exit 1; }

erlc -o "$W" "$ROOT/bench/dg_steer.erl" "$ROOT/bench/dg_bench.erl" || exit 1

# Same VM flags everywhere: schedulers do not spin waiting for work, so
# that idle BEAM threads do not take CPU from the relay on a small machine.
ERL_COMMON=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -connect_all false
	-noshell -pa "$W" +sbwt none +sbwtdcpu none +sbwtdio none)

# node NAME PORT [erl args...]: a long-lived node listening on PORT.
node() {
	local name=$1 port=$2; shift 2
	timeout -k 2 1800 erl -sname "$name" "${ERL_COMMON[@]}" \
	    -kernel inet_dist_listen_min "$port" inet_dist_listen_max "$port" \
	    "$@" > "$W/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
}

# B: up to 12,000 connections (+Q), ticks rare enough that the idle
# crafted clients (which never tick) stay connected for the whole run, and
# the longest setup time OTP takes (120 s a step), for section 4's
# half-open handshakes, which never send B a challenge reply.
node b "$P_B" +Q 65536 -kernel net_ticktime 600 -kernel net_setuptime 120 \
    -eval 'dg_bench:serve()'
wait_for "$W/b.log" "bench ready" 20 || { cat "$W/b.log"; exit 1; }
wait_for "$W/dg.log" "node b registered" 10
LPORT_B=$(timeout 10 epmd -port "$EPMD_PORT" -names | sed -n 's/^name b at port \([0-9]*\)$/\1/p')
echo "B listens on $P_B; distguard's listener for it: $LPORT_B; epmd $EPMD_PORT"
[ -n "$LPORT_B" ] || exit 1

# -b: the same 256 KiB per read as distguard (socat's default is 8 KiB).
socat -b 262144 TCP-LISTEN:"$P_SOCAT",bind=127.0.0.1,reuseaddr,fork,nodelay \
    TCP:127.0.0.1:"$P_B",nodelay > "$W/socat.log" 2>&1 &
SOCAT_PID=$!
PIDS+=("$SOCAT_PID")

# HAProxy beside socat (issue 24 item 3): one process in the foreground
# (-db), one thread, plain TCP, timeouts longer than the run (the
# connections live minutes).  Splice forced both ways: splice-auto's
# heuristic moved half of a bulk transfer by recv/send (strace -c), and
# the comparison is meant against HAProxy at its cheapest per byte.
# Its CPU (all its threads) is what the haproxy path's relay_cpu records.
HAP_ARGS=()
HAP_PATHS=""
if command -v haproxy > /dev/null; then
	cat > "$W/haproxy.cfg" <<HAPCFG
global
	nbthread 1
	maxconn 64
defaults
	mode tcp
	option splice-request
	option splice-response
	timeout connect 5s
	timeout client 1h
	timeout server 1h
frontend bench
	bind 127.0.0.1:$P_HAP
	default_backend b
backend b
	server b 127.0.0.1:$P_B
HAPCFG
	haproxy -db -f "$W/haproxy.cfg" > "$W/haproxy.log" 2>&1 &
	HAP_PID=$!
	PIDS+=("$HAP_PID")
	HAP_PATHS=h
	HAP_ARGS=(-dg_route "h@$HOST" "127.0.0.1:$P_H" -dg_haproxy "$HAP_PID")
else
	echo "# haproxy not installed (scripts/deps.sh): path haproxy not measured" | tee -a "$OUT/machine.txt"
fi

if [ "${BENCH_ONLY:-}" != conns ]; then
SENDER=(-epmd_module dg_steer -kernel net_ticktime 600 -eval 'dg_bench:idle()')
node d "$P_D" "${SENDER[@]}" -dg_route "b@$HOST" "127.0.0.1:$P_B"
node s "$P_S" "${SENDER[@]}" -dg_route "b@$HOST" "127.0.0.1:$P_SOCAT"
node r "$P_R" "${SENDER[@]}"		# through distguard's epmd
node a "$P_A" "${SENDER[@]}"
[ -n "$HAP_PATHS" ] && node h "$P_H" "${SENDER[@]}" -dg_route "b@$HOST" "127.0.0.1:$P_HAP"
for n in d s r a $HAP_PATHS; do
	wait_for "$W/$n.log" "sender ready" 20 || { cat "$W/$n.log"; exit 1; }
done

# BENCH_OLD=BINARY: a fifth path, dg_relay_old, through another distguard
# binary (an older build, to compare against in the same run, round-robin
# with the others).  It runs beside ours on its own EPMD port and range;
# B is registered with it by a held ALIVE2 (craft.py; {local_guard, off}
# and {egress, optional}: that process neither owns B's port nor speaks
# distguard_epmd), so its listener
# proxies to B's own port like ours; sender o@ is steered to it and is
# allowed all, as r@ is on ours.  Its configuration uses only entries
# every build knows.
OLD_ARGS=()
if [ -n "${BENCH_OLD:-}" ]; then
	OLD_EPMD=$(free_port)
	OLD_L=$(pick_range) || { echo "bench: no free range for BENCH_OLD" >&2; exit 1; }
	cat > "$W/old.conf" <<OLDCONF
{epmd, [{port, $OLD_EPMD}, {addresses, ["127.0.0.1"]}, {timeout, 5}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$OLD_L, $((OLD_L + 9))}}]}.
{registration_from, ["127.0.0.1"]}.
{local_guard, off}.
{egress, optional}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$W/old_alerts.log"}, {per_source, 1000}]}.
{control, "$W/old_ctl.sock"}.
{handshake, [{timeout, 7}]}.
$DG_USER_ENTRY
{peer, "o@*", [allow_all]}.
{default, deny}.
OLDCONF
	[ "$(id -u)" -eq 0 ] && chown -R nobody: "$W"
	"$BENCH_OLD" run -c "$W/old.conf" >> "$W/old.log" 2>&1 &
	OLD_PID=$!
	PIDS+=("$OLD_PID")
	wait_for "$W/old.log" "distguard running" 10 || { cat "$W/old.log"; exit 1; }
	python3 "$ROOT/tests/e2e/craft.py" alive2 "$OLD_EPMD" b "$P_B" --hold 1800 > "$W/old_reg.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/old.log" "node b registered" 10 || { cat "$W/old.log"; exit 1; }
	OLD_LB=$(python3 "$ROOT/tests/e2e/craft.py" port_please "$OLD_EPMD" b | sed -n 's/^port //p')
	P_O=$(free_port)
	node o "$P_O" "${SENDER[@]}" -dg_route "b@$HOST" "127.0.0.1:$OLD_LB"
	wait_for "$W/o.log" "sender ready" 20 || { cat "$W/o.log"; exit 1; }
	echo "# BENCH_OLD $BENCH_OLD: its listener for b $OLD_LB" | tee -a "$OUT/machine.txt"
	OLD_ARGS=(-dg_route "o@$HOST" "127.0.0.1:$P_O" -dg_old "$OLD_PID")
fi

# ctl MODE [args...]: the controller, a hidden node that reaches the
# senders directly and never listens.
ctl() {
	timeout -k 2 900 erl -sname "ctl$RANDOM" -setcookie "$COOKIE" -start_epmd false \
	    -epmd_port "$EPMD_PORT" -hidden -dist_listen false -noshell -pa "$W" \
	    -epmd_module dg_steer \
	    -dg_route "d@$HOST" "127.0.0.1:$P_D" -dg_route "s@$HOST" "127.0.0.1:$P_S" \
	    -dg_route "r@$HOST" "127.0.0.1:$P_R" -dg_route "a@$HOST" "127.0.0.1:$P_A" \
	    "${OLD_ARGS[@]}" "${HAP_ARGS[@]}" \
	    -dg_b "b@$HOST" -dg_pid "$DG_PID" -dg_socat "$SOCAT_PID" -dg_secs "$SECS" \
	    -dg_mode "$@" -eval 'dg_bench:ctl()'
}

ctl warm -dg_out "$W/warm.tsv" || { tail -n 20 "$W"/*.log; exit 1; }
grep -E "a@$HOST -> b@$HOST: up|r@$HOST -> b@$HOST: up" "$W/dg.log" | sed 's/^/# /'

if [ "${BENCH_ONLY:-}" != guards ]; then
say "round-robin: $ROUNDS rounds x $((4 + ${#HAP_PATHS})) paths x 5 workloads, ${SECS}s each"
ctl rounds -dg_rounds "$ROUNDS" -dg_out "$OUT/rounds.tsv" || exit 1
fi
if [ "${BENCH_ONLY:-}" = relay ]; then
	# BENCH_STRACE=1: the daemon's system calls during one more 1 KiB
	# throughput run on the rules path (strace -c; slowed by ptrace,
	# so only the counts per message mean anything).
	if [ "${BENCH_STRACE:-0}" = 1 ] && command -v strace > /dev/null; then
		strace -c -f -o "$OUT/strace_dg_filter_1024.txt" -p "$DG_PID" &
		ST_PID=$!
		PIDS+=("$ST_PID")
		sleep 1
		ctl one -dg_label strace -dg_path dg_filter -dg_size 1024 \
		    -dg_reps 1 -dg_out "$OUT/strace_msgs.tsv" || exit 1
		kill -INT "$ST_PID" 2>/dev/null
		wait "$ST_PID" 2>/dev/null
	fi
	python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
	exit 0
fi

# ---- 2b. the guards' cost ------------------------------------------------------

# A reload reaches the live a@ connection at its next message.
BANS_CONF='[{failures, 5}, {window, 60}, {duration, 600}]'
say "code guard and atom budget: on and off, ${BENCH_GUARD_REPS:-5} times, 1 KiB and 64 KiB"
for rep in $(seq 1 "${BENCH_GUARD_REPS:-5}"); do
	for g in on off; do
		write_conf "$BANS_CONF" "$g"
		"$DG" reload -c "$CONF" > /dev/null || exit 1
		sleep 0.5
		for size in 1024 65536; do
			ctl one -dg_label "guards_$g" -dg_path dg_filter -dg_size "$size" \
			    -dg_reps 1 -dg_out "$OUT/guards.tsv" || exit 1
		done
	done
done
write_conf "$BANS_CONF"
"$DG" reload -c "$CONF" > /dev/null
if [ "${BENCH_ONLY:-}" = guards ]; then
	python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
	exit 0
fi

# ---- 3. handshake flood -------------------------------------------------------

say "throughput during a handshake flood"
ctl one -dg_label baseline -dg_path dg_filter -dg_size 1024 -dg_reps 3 -dg_out "$OUT/flood.tsv"
# The flood alone for 5 s: how fast it goes until 127.0.0.2 is banned.
python3 "$ROOT/bench/scale.py" flood "$LPORT_B" "pf%d@$HOST" 5 4 127.0.0.2 > "$OUT/flood_alone_bans.txt"
timeout 90 python3 "$ROOT/bench/scale.py" flood "$LPORT_B" "pf%d@$HOST" 12 4 127.0.0.2 > "$OUT/flood_bans_on.txt" &
FP=$!; PIDS+=("$FP"); sleep 1
ctl one -dg_label flood_bans_on -dg_path dg_filter -dg_size 1024 -dg_reps 3 -dg_out "$OUT/flood.tsv"
wait "$FP"
# Bans can not be switched off (core/ban.c clamps failures to 1..32, see
# docs/BENCHMARKS.md): a 1 s window and 1 s bans, and the flood spread over
# 250 addresses, keep every source under 32 failures a second.
write_conf '[{failures, 1000}, {window, 1}, {duration, 1}]'
"$DG" reload -c "$CONF" | sed 's/^/# /'
sleep 2
timeout 90 python3 "$ROOT/bench/scale.py" flood "$LPORT_B" "pf%d@$HOST" 12 4 127.0.2. 250 > "$OUT/flood_bans_off.txt" &
FP=$!; PIDS+=("$FP"); sleep 1
ctl one -dg_label flood_bans_off -dg_path dg_filter -dg_size 1024 -dg_reps 3 -dg_out "$OUT/flood.tsv"
wait "$FP"
cat "$OUT"/flood_*.txt
echo "banned_alerts $(grep -c '"peer.banned"' "$W/alerts.log" 2>/dev/null)" | tee "$OUT/flood_alerts.txt"

# ---- 3b. where the daemon's time goes -------------------------------------------

if perf record -o "$W/probe.data" true >/dev/null 2>&1; then
	for size in 1024 65536; do
		say "perf profile of distguard, $size-byte messages, with rules"
		perf record -F 2000 -g -o "$W/perf.$size" -p "$DG_PID" -- sleep 8 > /dev/null 2>&1 &
		PP=$!
		ctl one -dg_label perf -dg_path dg_filter -dg_size "$size" -dg_reps 3 \
		    -dg_out "$OUT/perf_run.tsv"
		wait "$PP"
		perf report -i "$W/perf.$size" --stdio --no-children --sort symbol 2>/dev/null |
		    grep -E '^ +[0-9.]+%' | head -n 30 > "$OUT/perf_daemon_$size.txt"
		perf report -i "$W/perf.$size" --stdio --no-children --sort dso 2>/dev/null |
		    grep -E '^ +[0-9.]+%' | head -n 6 > "$OUT/perf_daemon_dso_$size.txt"
		head -n 6 "$OUT/perf_daemon_dso_$size.txt"; head -n 15 "$OUT/perf_daemon_$size.txt"
	done
fi
fi	# BENCH_ONLY != conns: the senders, sections 2, 2b, 3 and 3b

# ---- 4. idle connections ------------------------------------------------------------

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# B's beam: PID_b is timeout(1), whose child is the emulator.
beam_b=$(cat "/proc/$PID_b/task/$PID_b/children" | awk '{print $1}')
heap() { awk '/\[heap\]/ {h=1; next} h && /^Rss:/ {print $2; exit}' "/proc/$1/smaps"; }
# memq FIELD: the daemon's answer to "memory" on its control socket
# (daemon/ctl.c: malloc's bytes in use, sessions, pending handshakes).
memq() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"memory\n")
d = b""
while True:
    x = s.recv(4096)
    if not x:
        break
    d += x
for l in d.decode().splitlines():
    f = l.split()
    if len(f) == 2 and f[0] == sys.argv[2]:
        print(f[1])' "$W/ctl.sock" "$1"
}
# waitq FIELD OP N SECS: until the daemon's FIELD OP N (-le, -ge), at
# most SECS seconds; prints the seconds it took.  A daemon without the
# "memory" command (an older build): 3 s, and no figure.
waitq() {
	local t0 v
	[ -n "$(memq "$1")" ] || { sleep 3; echo "?"; return; }
	t0=$(date +%s.%N)
	for i in $(seq 1 $(($4 * 20))); do
		v=$(memq "$1")
		[ -n "$v" ] && [ "$v" "$2" "$3" ] && break
		sleep 0.05
	done
	echo "$(date +%s.%N) $t0" | awk '{printf "%.3f\n", $1 - $2}'
}
# lo_overflows: the kernel's count of connections a full accept queue
# turned away (this network namespace: the whole host's loopback).
lo_overflows() { nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/ {print $2}'; }

# 10,000 handshakes held at once (the half-open step): the handshake's
# limits raised, its step timer past the time they take.
HS_OPTS="{timeout, 300}, {max_pending, 30000}, {max_per_source, 200}"
write_conf '[{failures, 5}, {window, 60}, {duration, 600}]'
"$DG" reload -c "$CONF" > /dev/null || exit 1
sleep 1

say "idle connections: 1,000 then $CONNS"
SIG="$W/sig"; mkdir -p "$SIG"
rss0=$(rss "$DG_PID"); heap0=$(heap "$DG_PID"); brss0=$(rss "$beam_b")
mem0=$(memq heap_in_use)
N1=$((CONNS < 1000 ? CONNS : 1000))
python3 "$ROOT/bench/scale.py" conns "$LPORT_B" "$COOKIE" "$HOST" "$N1" "$CONNS" 64 "$SIG" \
    > "$OUT/conns.txt" 2>&1 &
CP=$!; PIDS+=("$CP")
for i in $(seq 1 1200); do [ -e "$SIG/up1" ] && break; sleep 0.1; done
sleep 1
rss1=$(rss "$DG_PID"); heap1=$(heap "$DG_PID"); brss1=$(rss "$beam_b")
touch "$SIG/go1"
for i in $(seq 1 3000); do [ -e "$SIG/up2" ] && break; sleep 0.1; done
sleep 1
rss2=$(rss "$DG_PID"); heap2=$(heap "$DG_PID"); brss2=$(rss "$beam_b")
mem2=$(memq heap_in_use); up2=$(memq sessions)
fds=$(ls "/proc/$DG_PID/fd" | wc -l)
touch "$SIG/go2"
wait "$CP"
cat "$OUT/conns.txt"
{
	echo "dg_rss_kb $rss0 $rss1 $rss2"
	echo "dg_heap_kb $heap0 $heap1 $heap2"
	echo "b_rss_kb $brss0 $brss1 $brss2"
	echo "dg_fds_at_peak $fds"
} | tee "$OUT/scale.txt"

# What malloc holds per connection, from its own count: the bytes in use
# with the connections up, less those before, over the connections.
say "heap per half-open handshake: $CONNS that stop after distguard's challenge"
waitq sessions -le 0 60 > /dev/null
SIGH="$W/sigh"; mkdir -p "$SIGH"
hmem0=$(memq heap_in_use); hrss0=$(rss "$DG_PID"); hheap0=$(heap "$DG_PID")
python3 "$ROOT/bench/scale.py" halfopen "$LPORT_B" "$HOST" "$CONNS" 64 "$SIGH" \
    > "$OUT/halfopen.txt" 2>&1 &
CP=$!; PIDS+=("$CP")
for i in $(seq 1 3000); do [ -e "$SIGH/up" ] && break; sleep 0.1; done
sleep 1
hmem1=$(memq heap_in_use); hrss1=$(rss "$DG_PID"); hheap1=$(heap "$DG_PID")
hpend=$(memq hs_pending)
touch "$SIGH/go"
wait "$CP"
cat "$OUT/halfopen.txt"

say "a burst of $CONNS connects at once"
waitq hs_pending -le 0 60 > /dev/null
SIGB="$W/sigb"; mkdir -p "$SIGB"
ov0=$(lo_overflows)
backlog=$(ss -lnt "sport = :$LPORT_B" | awk 'NR == 2 {print $3}')
python3 "$ROOT/bench/scale.py" burst "$LPORT_B" "$CONNS" "$SIGB" > "$OUT/burst.txt" 2>&1 &
CP=$!; PIDS+=("$CP")
accept_secs=$(waitq hs_pending -ge "$CONNS" 120)
accepted=$(memq hs_pending)
for i in $(seq 1 1500); do [ -e "$SIGB/up" ] && break; sleep 0.1; done
ov1=$(lo_overflows)
touch "$SIGB/go"
wait "$CP"
cat "$OUT/burst.txt"
{
	# malloc's count where the daemon answers "memory"; else "?"
	per() { [ -n "$2" ] && [ -n "$3" ] && [ "${1:-0}" -gt 0 ] &&
	    echo $(( ($3 - $2) / $1 )) || echo "?"; }
	echo "idle_inbound connections ${up2:-?} heap_in_use_bytes ${mem0:-?} ${mem2:-?}" \
	    "per_conn_bytes $(per "$up2" "$mem0" "$mem2")" \
	    "heap_rss_per_conn_bytes $(( (heap2 - heap0) * 1024 / CONNS ))"
	held=$(sed -n 's/^halfopen held \([0-9]*\).*/\1/p' "$OUT/halfopen.txt")
	echo "half_open handshakes ${hpend:-?} held_by_client ${held:-0}" \
	    "heap_in_use_bytes ${hmem0:-?} ${hmem1:-?}" \
	    "per_conn_bytes $(per "$hpend" "$hmem0" "$hmem1")" \
	    "rss_per_conn_bytes $(( ${held:-0} > 0 ? (hrss1 - hrss0) * 1024 / held : 0 ))" \
	    "heap_rss_per_conn_bytes $(( ${held:-0} > 0 ? (hheap1 - hheap0) * 1024 / held : 0 ))"
	echo "burst connects $CONNS accepted ${accepted:-?} accept_secs $accept_secs" \
	    "listen_backlog ${backlog:-?} listen_overflows $(( ${ov1:-0} - ${ov0:-0} ))"
} | tee "$OUT/memory.txt"

if [ "${BENCH_ONLY:-}" = conns ]; then
	python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
	exit 0
fi

# ---- 5. across two hosts ---------------------------------------------------------

if [ "${BENCH_HOSTS:-1}" != 0 ]; then
	hosts_section || echo "# the two-host section did not run to the end (see above)"
fi

# ---- 6. a cluster of hosts -------------------------------------------------------

if [ "${BENCH_HOSTS:-1}" != 0 ]; then
	cluster_section || echo "# the cluster section did not run to the end (see above)"
fi

# ---- summary -------------------------------------------------------------------------

python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/summary.md"
