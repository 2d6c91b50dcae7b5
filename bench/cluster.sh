#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/cluster.sh - the cluster section of `make bench` (docs/BENCHMARKS.md,
# "A cluster of hosts"); bench/run.sh calls it, `BENCH_ONLY=cluster` runs
# it alone.  Not a test: it prints figures and never judges them, but it
# fails loudly when the cluster does not form.
#
# N hosts are N network namespaces made here, each with one veth on one
# Linux bridge (the bridge lives in a namespace of its own, so nothing of
# this touches the machine's own network), addresses of our own in
# 10.240-249.x.0/24, never routed anywhere.  On each host:
#
#   - a distguard daemon (the release build, DG_BUILD) with a host key and
#     a certificate for it signed by ONE cluster key, {trust, ClusterKey}
#     and {plaintext, deny}: every connection to another host goes over a
#     link, authenticated by the certificates alone (no {link} entries);
#     policy {default, [ping, global, replies]}, the rest the defaults;
#   - one protected OTP node nK@ADDR (distguard_epmd, its port on the
#     host's loopback), with small VM settings so that 32 fit a small
#     machine.
#
# Every node waits for one "go" file, pings every other node (parallel, or
# BENCH_CLUSTER_PING=seq), waits until nodes() holds the N-1 others and
# global:sync() returns, registers a global name and waits for all N
# (bench/dg_cluster.erl).  Figures:
#
#   - the time to the full mesh: the last node's "mesh" time less the
#     first node's start of pings (the same clock: one machine);
#   - link key exchanges and Erlang handshakes, from the daemons' own
#     counters (metrics) and log lines, per second of that time;
#   - each daemon's memory per link: VmRSS, RssAnon and [heap] after the
#     mesh less before the go, over its links (sessions open);
#   - every alert of every daemon (the figure must be 0; they are listed).
#
# Raw results: $OUT/cluster.tsv (one row per N), cluster_daemons.tsv,
# cluster_nodes.tsv, cluster_alerts.txt, cluster_machine.txt;
# bench/report.py makes the table.
#
# Then, as the reference, the same N hosts with stock OTP and no distguard
# (a stock epmd per host, the nodes on the hosts' addresses).
#
# Knobs: BENCH_HOSTS (32; a list such as "8 16 32" runs each size in turn),
# BENCH_CLUSTER_PING (parallel | seq), BENCH_CLUSTER_PLAIN (1; 0 leaves the
# stock OTP reference out), BENCH_OUT, DG_BUILD, BENCH_KEEP.
# Needs root (ip netns).  Everything started here is stopped by PID; the
# namespaces (and with them the bridge and the veths) are deleted at the
# end of each size and at exit.  Every wait is bounded.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DG_BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DG="$BUILD/distguard"
EBIN="$BUILD/erl/ebin"
OUT=${BENCH_OUT:-$ROOT/build/bench}
SIZES=${BENCH_HOSTS:-32}
MODE=${BENCH_CLUSTER_PING:-parallel}
REF=${BENCH_CLUSTER_PLAIN:-1}
W=$(mktemp -d /tmp/dg-cluster.XXXXXX)
COOKIE=clustercookie
PIDS=()
NSS=()

# Fixed ports: every host is a fresh port space of our own.
EPMD_PORT=4369		# each daemon's EPMD (the nodes' -epmd_port)
LINK_PORT=4368		# the link listener: {plaintext, deny} dials this default
LMIN=21000		# each daemon's listener range (40 ports)
NODE_PORT=21100		# each node's own distribution port, on its loopback
METRICS_PORT=9369

say() { echo "== $*"; }
die() { echo "bench cluster: $*" >&2; exit 1; }

stop_all() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for _ in $(seq 1 20); do
		n=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	PIDS=()
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	NSS=()
}
MAIN_PID=$$
cleanup() {
	[ "${BASHPID:-$$}" = "$MAIN_PID" ] || return 0
	stop_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "# cluster: work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset ERL_EPMD_PORT ERL_EPMD_ADDRESS
[ "$(id -u)" -eq 0 ] || die "needs root (ip netns)"
[ -x "$DG" ] || die "$DG missing: run make first"
[ -f "$EBIN/distguard_epmd.beam" ] || die "$EBIN/distguard_epmd.beam missing: run make first"
case $MODE in parallel|seq) ;; *) die "BENCH_CLUSTER_PING is parallel or seq" ;; esac
for n in $SIZES; do
	[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 2 ] && [ "$n" -le 250 ] ||
	    die "BENCH_HOSTS: sizes of 2..250 hosts ($n)"
done
mkdir -p "$OUT"
rm -f "$OUT"/cluster.tsv "$OUT"/cluster_daemons.tsv "$OUT"/cluster_nodes.tsv \
    "$OUT"/cluster_alerts.txt "$OUT"/cluster_machine.txt
erlc -o "$W" "$ROOT/bench/dg_cluster.erl" || die "erlc dg_cluster failed"
printf '%s' "$COOKIE" > "$W/cookie"; chmod 600 "$W/cookie"
ulimit -n 65536 2>/dev/null || true

# Small VMs: one scheduler of each kind, few processes and ports; no
# scheduler spinning (as the other sections).
ERL_SMALL=(+S 1:1 +SDcpu 1:1 +SDio 1 +A 1 +P 4096 +Q 1024
	+sbwt none +sbwtdcpu none +sbwtdio none)
CLK=$(getconf CLK_TCK)

# ---- helpers --------------------------------------------------------------------

in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }
# For a process in the background, not in_ns: a function in the background
# runs in a forked shell, and $! would not be the process itself (nsenter
# execs the command): "${NSX[@]}" CMD & after nsx NS.
nsx() { NSX=(nsenter --net="/var/run/netns/$1"); }

# wait_all SECS CMD...: CMD (a shell test) until it holds, at most SECS.
wait_all() {
	local secs=$1 i; shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# count_files PATTERN FILE...: how many of the files hold PATTERN.
count_files() { local p=$1; shift; grep -l -- "$p" "$@" 2>/dev/null | wc -l; }

# proc_mem PID: "VmRSS RssAnon heap" in KiB.
proc_mem() {
	local rss anon heap
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	heap=$(awk '/\[heap\]/ {h = 1; next} /^[0-9a-f]+-/ {h = 0} h && /^Rss:/ {s += $2} END {print s + 0}' \
	    "/proc/$1/smaps" 2>/dev/null)
	echo "${rss:-0} ${anon:-0} ${heap:-0}"
}
# proc_cpu PID: utime + stime in seconds.
proc_cpu() {
	awk -v clk="$CLK" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / clk}' "/proc/$1/stat" 2>/dev/null
}
# scrape NS FILE: the daemon's /metrics; metric NAME FILE: one value (0 if absent).
scrape() {
	in_ns "$1" python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())
' "$METRICS_PORT" > "$2" 2>/dev/null
}
metric() { awk -v m="$1" '$1 == m {v = $2} END {print v + 0}' "$2"; }

# ---- one cluster of N hosts ------------------------------------------------------

host_ns() { echo "dgc$$n$N${KIND}h$1"; }

# net_up N: the switch namespace with the bridge, N host namespaces with a
# veth each on it; sets NET (the /24's first three octets) and SW.
net_up() {
	local k ns
	NET="10.$((240 + RANDOM % 10)).$((RANDOM % 250))"
	SW="dgcsw$$n$N$KIND"
	ip netns add "$SW" || die "ip netns add $SW failed"
	NSS+=("$SW")
	ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up ||
	    die "the bridge failed"
	for k in $(seq 1 "$N"); do
		ns=$(host_ns "$k")
		ip netns add "$ns" || die "ip netns add $ns failed"
		NSS+=("$ns")
		ip -n "$ns" link set lo up &&
		ip -n "$SW" link add "h$k" type veth peer name eth0 netns "$ns" &&
		ip -n "$SW" link set "h$k" master br0 &&
		ip -n "$SW" link set "h$k" up &&
		ip -n "$ns" addr add "$NET.$k/24" dev eth0 &&
		ip -n "$ns" link set eth0 up || die "host $k's veth failed"
	done
}

# dg_up: one cluster key; a host key, a certificate and a daemon per host.
dg_up() {
	local k pk
	"$DG" keygen -o "$D/cluster.key" > "$D/cluster.pub" 2>/dev/null || die "keygen (cluster) failed"
	for k in $(seq 1 "$N"); do
		pk=$("$DG" keygen -o "$D/h$k/host.key" 2>/dev/null) || die "keygen (host $k) failed"
		"$DG" sign --cluster-key "$D/cluster.key" --host "$NET.$k" --pubkey "$pk" \
		    --days 1 -o "$D/h$k/host.cert" 2> "$D/h$k/cert.id" > /dev/null ||
		    die "sign (host $k) failed"
		cat > "$D/h$k/dg.conf" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}, {timeout, 5}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $((LMIN + 39))}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$D/h$k/alerts.log"}]}.
{control, "$D/h$k/ctl.sock"}.
{metrics, "127.0.0.1:$METRICS_PORT"}.
{user, "nobody"}.
{egress, required}.
{host_key, {file, "$D/h$k/host.key"}, [{certificate, {file, "$D/h$k/host.cert"}},
                                       {listen, {"$NET.$k", $LINK_PORT}}]}.
{trust, "$(cat "$D/cluster.pub")"}.
{plaintext, deny}.
{default, [ping, global, replies]}.
EOF
	done
	chown -R nobody: "$D"
	chown nobody: "$W/cookie"

	say "cluster ($KIND): $N daemons"
	for k in $(seq 1 "$N"); do
		nsx "$(host_ns "$k")"
		"${NSX[@]}" "$DG" run -c "$D/h$k/dg.conf" >> "$D/h$k/dg.log" 2>&1 &
		PIDS+=("$!")
		eval "DPID_$k=$!"
	done
	wait_all 30 eval '[ "$(count_files "distguard running" "${dlogs[@]}")" -ge "$N" ]' || {
		for k in $(seq 1 "$N"); do grep -q "distguard running" "$D/h$k/dg.log" || tail -n 5 "$D/h$k/dg.log"; done
		die "not every daemon started"
	}
}

# plain_up: the reference, no distguard: a stock epmd per host.
plain_up() {
	local k
	for k in $(seq 1 "$N"); do
		nsx "$(host_ns "$k")"
		"${NSX[@]}" epmd -port "$EPMD_PORT" > "$D/h$k/epmd.log" 2>&1 &
		PIDS+=("$!")
	done
	for k in $(seq 1 "$N"); do
		wait_all 10 in_ns "$(host_ns "$k")" epmd -port "$EPMD_PORT" -names > /dev/null 2>&1 ||
		    die "host $k's epmd did not start"
	done
}

# nodes_up: one node per host; a protected one (distguard_epmd, its port
# on the host's loopback) or, for the reference, a stock one on the
# host's address.
nodes_up() {
	local k a
	say "cluster ($KIND): $N nodes"
	for k in $(seq 1 "$N"); do
		if [ "$KIND" = dg ]; then
			a=(-epmd_module distguard_epmd -pa "$EBIN"
			    -kernel inet_dist_use_interface '{127,0,0,1}')
		else
			a=(-kernel inet_dist_use_interface "{${NET//./,},$k}")
		fi
		nsx "$(host_ns "$k")"
		"${NSX[@]}" timeout -k 2 1200 erl -name "n$k@$NET.$k" "${ERL_SMALL[@]}" \
		    -setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT" \
		    -pa "$W" -noshell "${a[@]}" \
		    -kernel inet_dist_listen_min "$NODE_PORT" inet_dist_listen_max "$NODE_PORT" \
		    -run dg_cluster member "$D" "$N" "$MODE" > "$D/h$k/node.log" 2>&1 &
		PIDS+=("$!")
	done
	wait_all $((60 + 3 * N)) eval '[ "$(count_files "dg_cluster ready" "${nlogs[@]}")" -ge "$N" ] &&
	    { [ "$KIND" = plain ] || [ "$(count_files "registered from" "${dlogs[@]}")" -ge "$N" ]; }' || {
		for k in $(seq 1 "$N"); do grep -q "dg_cluster ready" "$D/h$k/node.log" || tail -n 5 "$D/h$k/node.log"; done
		die "not every node started (and registered)"
	}
	for k in $(seq 1 "$N"); do
		PIDS+=("$(sed -n 's/^dg_cluster ready .* pid \([0-9]*\)$/\1/p' "$D/h$k/node.log")")
	done
}

# daemons_before / daemons_after: memory, CPU and metrics of each daemon.
daemons_before() {
	local k
	for k in $(seq 1 "$N"); do
		eval "MEM0_$k=\"$(proc_mem "$(eval echo "\$DPID_$k")")\""
		eval "CPU0_$k=$(proc_cpu "$(eval echo "\$DPID_$k")")"
		scrape "$(host_ns "$k")" "$D/h$k/metrics0.txt" || die "host $k's metrics did not answer"
	done
}
daemons_after() {
	local k dp m0 m1 c1 links kx up hsok hsn eg in al cpu
	S_KX=0 S_UP=0 S_HSOK=0 S_HSN=0 S_EG=0 S_IN=0 S_CPU=0 S_ALERTS=0 LINKS=()
	for k in $(seq 1 "$N"); do
		scrape "$(host_ns "$k")" "$D/h$k/metrics1.txt" || die "host $k's metrics did not answer"
		dp=$(eval echo "\$DPID_$k")
		m0=$(eval echo "\$MEM0_$k")
		m1=$(proc_mem "$dp")
		c1=$(proc_cpu "$dp")
		links=$(( $(metric 'distguard_sessions{direction="egress"}' "$D/h$k/metrics1.txt") +
		    $(metric 'distguard_sessions{direction="inbound"}' "$D/h$k/metrics1.txt") ))
		kx=$(metric distguard_links_admitted_total "$D/h$k/metrics1.txt")
		hsok=$(metric 'distguard_handshakes_total{outcome="ok"}' "$D/h$k/metrics1.txt")
		hsn=$(metric 'distguard_handshakes_total{outcome="normal"}' "$D/h$k/metrics1.txt")
		eg=$(metric 'distguard_sessions_total{direction="egress"}' "$D/h$k/metrics1.txt")
		in=$(metric 'distguard_sessions_total{direction="inbound"}' "$D/h$k/metrics1.txt")
		up=$(grep -c "link up with host" "$D/h$k/dg.log")
		al=$(cat "$D/h$k/alerts.log" 2>/dev/null | wc -l)
		cpu=$(awk -v a="$(eval echo "\$CPU0_$k")" -v b="$c1" 'BEGIN {printf "%.2f", b - a}')
		set -- $m0 $m1
		# n host rss0 rss1 anon0 anon1 heap0 heap1 (KiB) links kx link_up
		# hs_ok hs_normal sessions cpu_s alerts
		printf '%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\n' \
		    "$N" "$k" "$1" "$4" "$2" "$5" "$3" "$6" "$links" "$kx" "$up" "$hsok" "$hsn" \
		    "$((eg + in))" "$cpu" "$al" >> "$OUT/cluster_daemons.tsv"
		S_KX=$((S_KX + kx)); S_UP=$((S_UP + up)); S_HSOK=$((S_HSOK + hsok))
		S_HSN=$((S_HSN + hsn)); S_EG=$((S_EG + eg)); S_IN=$((S_IN + in)); S_ALERTS=$((S_ALERTS + al))
		S_CPU=$(awk -v a="$S_CPU" -v b="$cpu" 'BEGIN {printf "%.2f", a + b}')
		if [ "$al" -gt 0 ]; then sed "s/^/n=$N host $k: /" "$D/h$k/alerts.log" >> "$OUT/cluster_alerts.txt"; fi
		LINKS+=("$links")
	done
}

# cluster_run N KIND: KIND dg (a daemon per host, links) or plain (stock
# OTP, no distguard: the reference, the same namespaces and bridge).
cluster_run() {
	local k t_go bad load0 load1
	N=$1 KIND=$2
	D="$W/n$N$KIND"
	mkdir -p "$D"
	net_up
	say "cluster ($KIND): $N hosts on $NET.0/24, pings $MODE"
	dlogs=(); nlogs=()
	for k in $(seq 1 "$N"); do
		mkdir -p "$D/h$k"
		echo "n$k@$NET.$k" >> "$D/nodes"
		dlogs+=("$D/h$k/dg.log"); nlogs+=("$D/h$k/node.log")
	done
	chmod 755 "$W" "$D"
	if [ "$KIND" = dg ]; then dg_up; else plain_up; fi
	nodes_up
	# let the boots' CPU settle before the "before" figures
	sleep 3
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	[ "$KIND" = dg ] && daemons_before

	say "cluster ($KIND): go"
	t_go=$(date +%s%6N)
	echo "$t_go" > "$D/go.tmp" && mv "$D/go.tmp" "$D/go"
	wait_all $((120 + 10 * N)) eval '[ "$(count_files "dg_cluster done" "${nlogs[@]}")" -ge "$N" ]' || {
		echo "# nodes that did not report:"
		for k in $(seq 1 "$N"); do grep -q "dg_cluster done" "$D/h$k/node.log" || { echo "# n$k:"; tail -n 5 "$D/h$k/node.log"; }; done
		die "the cluster ($KIND) of $N hosts did not form: $(count_files "dg_cluster done" "${nlogs[@]}") of $N nodes reported"
	}
	# every node saw all N-1 others and all N global names
	bad=0
	for k in $(seq 1 "$N"); do
		grep -Eq "^dg_cluster done .* nodes $((N - 1)) mesh true names $N true$" "$D/h$k/node.log" ||
		    { bad=$((bad + 1)); echo "# n$k: $(grep "dg_cluster done" "$D/h$k/node.log")"; }
	done
	[ "$bad" -eq 0 ] || die "the cluster ($KIND) of $N hosts did not form: $bad nodes short of the full mesh"
	sleep 1
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	S_KX=- S_UP=- S_HSOK=- S_HSN=- S_EG=- S_IN=- S_CPU=- S_ALERTS=- LINKS=()
	[ "$KIND" = dg ] && daemons_after
	for k in $(seq 1 "$N"); do
		# n kind host node start_us mesh_us names_us pongs nodes
		sed -n "s/^dg_cluster done \([^ ]*\) start_us \([0-9]*\) mesh_us \([0-9]*\) names_us \([0-9]*\) pongs \([0-9]*\) nodes \([0-9]*\) .*/$N\t$KIND\t$k\t\1\t\2\t\3\t\4\t\5\t\6/p" \
		    "$D/h$k/node.log" >> "$OUT/cluster_nodes.tsv"
	done
	{
		echo "cluster_n${N}_$KIND net $NET.0/24, bridge br0 in namespace $SW; pings $MODE; go at $t_go us"
		echo "cluster_n${N}_$KIND load before $load0, after $load1; $(nproc) CPUs; $(free -m | awk '/^Mem:/ {print "memory used " $3 " MiB of " $2}') with the cluster up"
		echo "cluster_n${N}_$KIND node beam VmRSS KiB (median): $(for p in $(sed -n 's/^dg_cluster ready .* pid \([0-9]*\)$/\1/p' "${nlogs[@]}"); do awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null; done | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
		[ "$KIND" = dg ] && echo "cluster_n${N}_$KIND links per daemon (daemons x links): $(printf '%s\n' "${LINKS[@]}" | sort -n | uniq -c | awk '{printf "%s x %s  ", $1, $2}')"
	} >> "$OUT/cluster_machine.txt"
	# n kind mode mesh_s names_s first_mesh_s go_lag_s pongs kx link_up hs_ok
	# hs_normal sessions_egress sessions_inbound daemon_cpu_s alerts
	awk -F'\t' -v n="$N" -v kind="$KIND" -v mode="$MODE" -v go="$t_go" \
	    -v rest="$S_KX	$S_UP	$S_HSOK	$S_HSN	$S_EG	$S_IN	$S_CPU	$S_ALERTS" '
	$1 == n && $2 == kind {
		if (min == "" || $5 < min) min = $5
		if ($6 > max) max = $6
		if ($7 > nmax) nmax = $7
		if (firstm == "" || $6 < firstm) firstm = $6
		pongs += $8
	}
	END {
		printf "%d\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%s\n", n, kind, mode,
		    (max - min) / 1e6, (nmax - min) / 1e6, (firstm - min) / 1e6, (min - go) / 1e6,
		    pongs, rest
	}' "$OUT/cluster_nodes.tsv" >> "$OUT/cluster.tsv"
	echo "# $(tail -n 1 "$OUT/cluster.tsv")"

	# stop: the nodes halt on the stop file; the rest by PID
	touch "$D/stop"
	sleep 2
	stop_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then cp -a "$D" "$OUT/cluster_n${N}${KIND}_work" 2>/dev/null; fi
	return 0
}

{
	echo "cluster_sizes $SIZES; pings $MODE; stock OTP reference $REF"
	echo "cluster_commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
	echo "cluster_erl ${ERL_SMALL[*]}"
} >> "$OUT/cluster_machine.txt"
for n in $SIZES; do
	cluster_run "$n" dg
	if [ "$REF" = 1 ]; then cluster_run "$n" plain; fi
done
