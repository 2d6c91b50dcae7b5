#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/hosts.sh - the two-host section of `make bench` (docs/BENCHMARKS.md,
# "Across two hosts"); bench/run.sh calls it, `BENCH_ONLY=hosts` runs it
# alone.  Not a test: it prints figures and never judges them.
#
# Host 2 is a network namespace made here (as tests/e2e/host2.sh does): its
# own loopback and port space, joined to this one by a veth pair with
# addresses of our own (10.250-254.x.0/30, never routed anywhere).  On it,
# behind its own distguard D2 ({default, [allow_all]}), the receiver
# R = b@H2 (dg_bench:serve, a protected node: distguard_epmd).  Paths, one
# sender each on host 1:
#
#   inbound  a stock node, dialling R through D2 alone (the reference);
#   egress   a protected node of D1 (distguard_epmd, loopback only):
#            sender -> its egress port -> D1 -> D2 -> R;
#   tls      OTP's TLS distribution (-proto_dist inet_tls, certificates
#            made here with openssl), a stock sender and a stock receiver
#            tb@H2, no distguard: the baseline of issue 13;
#   link     issue 13's encrypted link between D1 and D2 (BENCH_LINK=0
#            leaves it out): a protected sender of D1 dialling L = l@H2L,
#            a second address of host 2 that D1's {link} entry names:
#            sender -> its egress port -> D1 -> link -> D2 -> L.
#   tls29    as tls, with both nodes run by OTP 29 from the Debian root
#            of scripts/otp-root.sh (the newest TLS distribution Debian
#            ships, issue 24 item 4; BENCH_TLS29=0 leaves it out, and it
#            is left out with a note when the root or its ssl is missing).
#
# Every path's sender runs the same workloads (dg_bench: 1 KiB and 64 KiB
# throughput, ping-pong), round-robin, rotated each round.  Raw results:
# $OUT/hosts.tsv; bench/report.py makes the tables.
#
# Knobs: BENCH_ROUNDS (5), BENCH_SECS (2.0), BENCH_OUT, DG_BUILD, BENCH_KEEP,
# BENCH_LINK (1), BENCH_TLS29 (1), BENCH_PERF (0; 1: profiles, below),
# BENCH_PIN (0; 1: host 1's processes on CPU 0 and host 2's
# on CPU 1, each host one core of its own, as two machines would be).
# Needs root (ip netns).  Everything started here is stopped by PID; the
# namespace and the veth pair are deleted at exit.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DG_BUILD:-build}
DG="$ROOT/$BUILD/distguard"
EBIN="$ROOT/$BUILD/erl/ebin"
OUT=${BENCH_OUT:-$ROOT/build/bench}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-2.0}
COOKIE=benchcookie
# The paths measured; the hook for issue 13's link appends "link".
HOST_PATHS=(inbound egress tls)
[ "${BENCH_LINK:-1}" = 1 ] && HOST_PATHS+=(link)
# OTP 29's root (cached by scripts/otp-root.sh; never built here: it takes
# long and needs the network) with its ssl application.
OTPROOT=(sh "$ROOT/scripts/otp-root.sh" 29 exec)
if [ "${BENCH_TLS29:-1}" = 1 ]; then
	if [ -d "$(sh "$ROOT/scripts/otp-root.sh" 29 path 2>/dev/null)/usr/lib/erlang" ] &&
	    timeout 60 "${OTPROOT[@]}" -- erl -noshell -eval \
	    'ok = application:load(ssl), halt().' > /dev/null 2>&1; then
		HOST_PATHS+=(tls29)
	else
		echo "# hosts: no OTP 29 root with ssl (scripts/otp-root.sh 29): path tls29 left out"
	fi
fi

W=$(mktemp -d /tmp/dg-bench-hosts.XXXXXX)
PIDS=()
CLEANUPS=()
MAIN_PID=$$
cleanup() {
	local p c alive
	[ "${BASHPID:-$$}" = "$MAIN_PID" ] || return 0
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for _ in $(seq 1 30); do	# up to 3 s for the VMs to stop
		alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# Whatever still runs in host 2 was started here (the namespace is ours).
	if [ -n "${NS2:-}" ]; then
		for p in $(ip netns pids "$NS2" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	fi
	for c in "${CLEANUPS[@]}"; do eval "$c" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "# hosts: work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "== $*"; }
die() { echo "bench hosts: $*" >&2; exit 1; }

unset ERL_EPMD_PORT ERL_EPMD_ADDRESS
[ "$(id -u)" -eq 0 ] || die "needs root (ip netns); skipped"
[ -x "$DG" ] || die "$DG missing: run make first"
[ -f "$EBIN/distguard_epmd.beam" ] || die "$EBIN/distguard_epmd.beam missing: run make first"
command -v openssl > /dev/null || die "openssl missing (scripts/deps.sh installs it)"
mkdir -p "$OUT"
rm -f "$OUT/hosts.tsv" "$OUT/hosts_warm.txt" "$OUT/hosts_machine.txt"

. "$ROOT/tests/e2e/ports.sh"	# free_port, wait_for, pick_range

# ---- host 2 -------------------------------------------------------------------

# A /30 of our own that no interface here uses yet (the e2e tests pick
# theirs from 10.200-249, which this range avoids).
for _ in 1 2 3 4 5 6 7 8 9 10; do
	NET="10.$((250 + RANDOM % 5)).$((RANDOM % 250))"
	ip -o -4 addr show | grep -q " $NET\." || break
done
NS2="dgb$$"
VETH="dgbv$$"
H1="$NET.1"
H2="$NET.2"
ip netns add "$NS2" || die "ip netns add $NS2 failed"
CLEANUPS+=("ip netns del $NS2" "ip link del ${VETH}a")
ip -n "$NS2" link set lo up &&
ip link add "${VETH}a" type veth peer name "${VETH}b" &&
ip link set "${VETH}b" netns "$NS2" &&
ip addr add "$H1/30" dev "${VETH}a" &&
ip link set "${VETH}a" up &&
ip -n "$NS2" addr add "$H2/30" dev "${VETH}b" &&
ip -n "$NS2" link set "${VETH}b" up || die "veth pair ${VETH}a/b failed"
# Run in host 2.  Not a function: started in the background, a function
# would run in a forked shell, and $! would not be the process itself.
IN_H2=(ip netns exec "$NS2")
# BENCH_PIN=1: each host its own core (taskset execs: $! stays the process).
PIN1=(); PIN2=()
if [ "${BENCH_PIN:-0}" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || die "BENCH_PIN=1 needs 2 CPUs"
	PIN1=(taskset -c 0); PIN2=(taskset -c 1)
fi
IN_H2+=("${PIN2[@]}")
ip2tuple() { echo "{${1//./,}}"; }
echo "# host 1 $H1, host 2 $H2 (namespace $NS2), veth mtu $(cat /sys/class/net/${VETH}a/mtu)"

# ---- ports ----------------------------------------------------------------------

# One block of 60 ports below 32768, free on host 1's loopback now (host 2
# is a fresh port space and takes the same numbers): 40 for each daemon's
# listeners and egress ports, then the EPMD and the nodes' own.  (free_port
# in ports.sh answers from the kernel's ephemeral range, above 32767.)
BASE=$(pick_range 60) || die "no free block of 60 ports below 32768"
L1=$BASE; L2=$BASE			# the daemons' listen ranges (40 ports)
EPMD_PORT=$((BASE + 40))		# both daemons' EPMD, and D1's remote_port
EPMD_TLS=$((BASE + 41))		# stock epmd of host 2, for the TLS nodes
P_E=$((BASE + 42))			# the egress sender's distribution port
P_R=$((BASE + 43))			# R, on host 2
P_TB=$((BASE + 44))			# the TLS receiver, on host 2
C_I=$((BASE + 45)); C_E=$((BASE + 46)); C_T=$((BASE + 47))	# command sockets
P_K=$((BASE + 48))			# the link sender's distribution port
P_L=$((BASE + 49))			# L, on host 2
C_K=$((BASE + 50))			# the link sender's command socket
LINK_PORT=$((BASE + 51))		# D2's link listener
P_T29=$((BASE + 52))			# the OTP 29 TLS receiver, on host 2
C_T29=$((BASE + 53))			# the OTP 29 TLS sender's command socket
# BASE + 54 .. 59: spare
printf '%s' "$COOKIE" > "$W/cookie"; chmod 600 "$W/cookie"
mkdir -p "$W/h1" "$W/h2"

# ---- the two daemons ----------------------------------------------------------

# The local guard is off: the reference paths (OTP's TLS distribution,
# the plain daemon-to-daemon path) dial the nodes' own ports.
dg_conf() {	# dg_conf FILE DIR EPMD_ADDRS LISTEN_ADDR RANGE_BASE [extra]
	cat > "$1" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, [$3]}, {remote_port, $EPMD_PORT}, {timeout, 5}]}.
{listen, [{address, "$4"}, {ports, {$5, $(($5 + 39))}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$W/cookie"}}.
{alerts, [{file, "$2/alerts.log"}, {per_source, 1000}]}.
{control, "$2/ctl.sock"}.
{user, "nobody"}.
{egress, required}.
{exposed, refuse}.
{local_guard, off}.
{default, [allow_all]}.
${6:-}
EOF
}
# The link path: a host key each; D1 dials a link to host 2's second
# address H2L (the egress path's R, on H2, stays plain); D2 accepts links
# there.  H2L is added to host 2's veth, with a route to it from host 1.
H2L="$NET.5"	# outside the /30 (.3 is its broadcast address)
ip -n "$NS2" addr add "$H2L/32" dev "${VETH}b" && ip route add "$H2L/32" dev "${VETH}a" ||
    die "second address $H2L of host 2 failed"
LINK1="" LINK2=""
if [[ " ${HOST_PATHS[*]} " == *" link "* ]]; then
	"$DG" keygen -o "$W/k1.key" > "$W/k1.pub" 2>/dev/null &&
	"$DG" keygen -o "$W/k2.key" > "$W/k2.pub" 2>/dev/null || die "distguard keygen failed"
	LINK1="{host_key, {file, \"$W/k1.key\"}}.
{link, \"$H2L\", \"$(cat "$W/k2.pub")\", [{host, \"hosttwo\"}, {names, [\"*@$H2L\"]}, {port, $LINK_PORT}]}."
	LINK2="{host_key, {file, \"$W/k2.key\"}, [{listen, {\"$H2L\", $LINK_PORT}}]}.
{link, \"hostone\", \"$(cat "$W/k1.pub")\", [{names, [\"*@$H1\"]}]}."
fi
# Both fail closed as issue 12 asks (every node registered is mediated and
# listens on loopback), and let every message through.
# D1: its EPMD and listeners on loopback only; egress ports are always there.
dg_conf "$W/h1/dg.conf" "$W/h1" '"127.0.0.1"' 127.0.0.1 "$L1" "$LINK1"
# D2: reachable from host 1 on H2.
dg_conf "$W/h2/dg.conf" "$W/h2" "\"127.0.0.1\", \"$H2\"" "$H2" "$L2" "$LINK2"
chown -R nobody: "$W"
chmod 755 "$W"

say "hosts: starting D1, D2 (host 2), R"
"${PIN1[@]}" "$DG" run -c "$W/h1/dg.conf" >> "$W/h1/dg.log" 2>&1 &
D1_PID=$!; PIDS+=("$D1_PID")
"${IN_H2[@]}" "$DG" run -c "$W/h2/dg.conf" >> "$W/h2/dg.log" 2>&1 &
D2_PID=$!; PIDS+=("$D2_PID")
wait_for "$W/h1/dg.log" "distguard running" 10 || { cat "$W/h1/dg.log"; die "D1 did not start"; }
wait_for "$W/h2/dg.log" "distguard running" 10 || { cat "$W/h2/dg.log"; die "D2 did not start"; }

erlc -o "$W" "$ROOT/bench/dg_bench.erl" || die "erlc dg_bench failed"

# The same VM flags as bench/run.sh's nodes: no scheduler spinning.
ERL_COMMON=(-setcookie "$COOKIE" -start_epmd false -connect_all false
	-noshell -pa "$W" +sbwt none +sbwtdcpu none +sbwtdio none -kernel net_ticktime 600)

# the beam of a `timeout erl` started in the background (timeout's child)
beam_of() {
	local i
	for i in $(seq 1 50); do
		c=$(awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.1
	done
	echo 0
}
pid_in_log() { sed -n 's/.* pid \([0-9]*\)$/\1/p' "$1" | tail -n 1; }

# R: a protected node of host 2 (distguard_epmd, its port on loopback), as
# a node behind distguard is once egress is required; it never dials.
"${IN_H2[@]}" timeout -k 2 1800 erl -name "b@$H2" "${ERL_COMMON[@]}" -epmd_port "$EPMD_PORT" \
    -epmd_module distguard_epmd -pa "$EBIN" -kernel inet_dist_use_interface '{127,0,0,1}' \
    inet_dist_listen_min "$P_R" inet_dist_listen_max "$P_R" \
    -eval 'dg_bench:serve()' > "$W/h2/b.log" 2>&1 &
PIDS+=("$!")
wait_for "$W/h2/b.log" "bench ready" 20 || { cat "$W/h2/b.log"; die "R did not start"; }
wait_for "$W/h2/dg.log" "node b registered" 10 || die "R did not register with D2"
R="b@$H2"
R_PID=$(pid_in_log "$W/h2/b.log")
PIDS+=("$R_PID")	# the beam itself, should TERM to timeout(1) not reach it

# sender NAME CMDPORT [erl args]: a sender of host 1, driven through its
# command socket; sets SND_PID_NAME.
sender() {
	local name=$1 port=$2; shift 2
	"${PIN1[@]}" timeout -k 2 1800 erl -name "$name@$H1" "${ERL_COMMON[@]}" -dg_cmd "$port" "$@" \
	    -eval 'dg_bench:cmd_idle()' > "$W/h1/$name.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/h1/$name.log" "sender ready" 20 || { cat "$W/h1/$name.log"; die "sender $name did not start"; }
	eval "SND_PID_$name=$(pid_in_log "$W/h1/$name.log")"
	eval 'PIDS+=("$SND_PID_'"$name"'")'
}

HPATH_ARGS=()	# the controller's -dg_hpath entries

# ---- path: inbound ---------------------------------------------------------------
# A stock node that only dials (-dist_listen false: it registers nowhere,
# D1 never sees it); it finds R through D2's EPMD on H2, as a peer without
# distguard would.
inbound_path() {
	sender i "$C_I" -epmd_port "$EPMD_PORT" -dist_listen false
	HPATH_ARGS+=(-dg_hpath inbound "$C_I" "$R" "$SND_PID_i" "$R_PID")
}

# ---- path: egress ----------------------------------------------------------------
# A protected node of D1: distguard_epmd, its distribution port on loopback.
egress_path() {
	sender e "$C_E" -epmd_port "$EPMD_PORT" -epmd_module distguard_epmd -pa "$EBIN" \
	    -kernel inet_dist_use_interface '{127,0,0,1}' \
	    inet_dist_listen_min "$P_E" inet_dist_listen_max "$P_E"
	wait_for "$W/h1/dg.log" "node e registered" 10 || die "the egress sender did not register with D1"
	HPATH_ARGS+=(-dg_hpath egress "$C_E" "$R" "$SND_PID_e" "$R_PID")
}

# ---- path: tls ---------------------------------------------------------------------
# Certificates made now: a CA, and one key and certificate per node, each
# naming its host's address (subjectAltName IP, and the same text as DNS:
# the TLS client checks the host part of the node name as a host name), both sides verifying the
# other's chain.  Host 2 runs a stock epmd for tb@H2 (on another port than
# D2's EPMD); the sender only dials, as the inbound one.
tls_certs() {
	local d="$W/tls" n ip
	[ -f "$d/tb.conf" ] && return 0	# tls and tls29 share them
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=distguard bench CA" \
	    -keyout "$d/ca.key" -out "$d/ca.pem" > "$d/openssl.log" 2>&1 || return 1
	for n in t:"$H1" tb:"$H2"; do
		ip=${n#*:}; n=${n%%:*}
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$n@$ip" \
		    -keyout "$d/$n.key" -out "$d/$n.csr" >> "$d/openssl.log" 2>&1 &&
		printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$ip" "$ip" > "$d/$n.ext" &&
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		    -CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" >> "$d/openssl.log" 2>&1 || return 1
		cat > "$d/$n.conf" <<EOF
[{server, [{certfile, "$d/$n.pem"}, {keyfile, "$d/$n.key"}, {cacertfile, "$d/ca.pem"},
           {verify, verify_peer}, {fail_if_no_peer_cert, true}, {secure_renegotiate, true}]},
 {client, [{certfile, "$d/$n.pem"}, {keyfile, "$d/$n.key"}, {cacertfile, "$d/ca.pem"},
           {verify, verify_peer}, {secure_renegotiate, true}]}].
EOF
	done
}
tls_epmd() {
	local i
	"${IN_H2[@]}" env ERL_EPMD_ADDRESS="127.0.0.1,$H2" epmd -port "$EPMD_TLS" > "$W/h2/epmd.log" 2>&1 &
	PIDS+=("$!")
	for i in $(seq 1 50); do "${IN_H2[@]}" epmd -port "$EPMD_TLS" -names > /dev/null 2>&1 && break; sleep 0.1; done
}
tls_path() {
	tls_certs || { cat "$W/tls/openssl.log"; die "openssl failed"; }
	tls_epmd
	"${IN_H2[@]}" timeout -k 2 1800 erl -name "tb@$H2" "${ERL_COMMON[@]}" -epmd_port "$EPMD_TLS" \
	    -proto_dist inet_tls -ssl_dist_optfile "$W/tls/tb.conf" \
	    -kernel inet_dist_use_interface "$(ip2tuple "$H2")" \
	    inet_dist_listen_min "$P_TB" inet_dist_listen_max "$P_TB" \
	    -eval 'dg_bench:serve()' > "$W/h2/tb.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/h2/tb.log" "bench ready" 20 || { cat "$W/h2/tb.log"; die "the TLS receiver did not start"; }
	sender t "$C_T" -epmd_port "$EPMD_TLS" -dist_listen false \
	    -proto_dist inet_tls -ssl_dist_optfile "$W/tls/t.conf"
	TB_PID=$(pid_in_log "$W/h2/tb.log")
	PIDS+=("$TB_PID")
	HPATH_ARGS+=(-dg_hpath tls "$C_T" "tb@$H2" "$SND_PID_t" "$TB_PID")
}

# ---- path: tls29 ---------------------------------------------------------------
# The tls path's certificates, epmd and workloads, with both nodes run by
# OTP 29 in its Debian root (chrooted, the host's network namespace: host
# 2's for the receiver; $W bound in).  dg_bench.beam is the one erlc of
# this host made (OTP 29 loads it).  The receiver is tb29@H2 on its own
# port; the sender dials it through host 2's stock epmd, as t@ does.
tls29_path() {
	tls_certs || { cat "$W/tls/openssl.log"; die "openssl failed"; }
	[[ " ${HOST_PATHS[*]} " == *" tls "* ]] || tls_epmd
	"${IN_H2[@]}" timeout -k 2 1800 "${OTPROOT[@]}" -b "$W" -- erl -name "tb29@$H2" "${ERL_COMMON[@]}" \
	    -epmd_port "$EPMD_TLS" -proto_dist inet_tls -ssl_dist_optfile "$W/tls/tb.conf" \
	    -kernel inet_dist_use_interface "$(ip2tuple "$H2")" \
	    inet_dist_listen_min "$P_T29" inet_dist_listen_max "$P_T29" \
	    -eval 'dg_bench:serve()' > "$W/h2/tb29.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/h2/tb29.log" "bench ready" 30 || { cat "$W/h2/tb29.log"; die "the OTP 29 TLS receiver did not start"; }
	TB29_PID=$(pid_in_log "$W/h2/tb29.log")
	PIDS+=("$TB29_PID")
	local name=t29
	"${PIN1[@]}" timeout -k 2 1800 "${OTPROOT[@]}" -b "$W" -- erl -name "$name@$H1" "${ERL_COMMON[@]}" \
	    -dg_cmd "$C_T29" -epmd_port "$EPMD_TLS" -dist_listen false \
	    -proto_dist inet_tls -ssl_dist_optfile "$W/tls/t.conf" \
	    -eval 'dg_bench:cmd_idle()' > "$W/h1/$name.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/h1/$name.log" "sender ready" 30 || { cat "$W/h1/$name.log"; die "the OTP 29 TLS sender did not start"; }
	SND_PID_t29=$(pid_in_log "$W/h1/$name.log")
	PIDS+=("$SND_PID_t29")
	HPATH_ARGS+=(-dg_hpath tls29 "$C_T29" "tb29@$H2" "$SND_PID_t29" "$TB29_PID")
}

# ---- path: link (issue 13) ------------------------------------------------------
# L = l@H2L, a protected node of D2 like R; the sender k, a protected node
# of D1 like e.  Before a figure is taken, both daemons' logs must show the
# link up and the connection over it.
link_path() {
	"${IN_H2[@]}" timeout -k 2 1800 erl -name "l@$H2L" "${ERL_COMMON[@]}" -epmd_port "$EPMD_PORT" \
	    -epmd_module distguard_epmd -pa "$EBIN" -kernel inet_dist_use_interface '{127,0,0,1}' \
	    inet_dist_listen_min "$P_L" inet_dist_listen_max "$P_L" \
	    -eval 'dg_bench:serve()' > "$W/h2/l.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$W/h2/l.log" "bench ready" 20 || { cat "$W/h2/l.log"; die "L did not start"; }
	L_PID=$(pid_in_log "$W/h2/l.log")
	PIDS+=("$L_PID")
	sender k "$C_K" -epmd_port "$EPMD_PORT" -epmd_module distguard_epmd -pa "$EBIN" \
	    -kernel inet_dist_use_interface '{127,0,0,1}' \
	    inet_dist_listen_min "$P_K" inet_dist_listen_max "$P_K"
	wait_for "$W/h1/dg.log" "node k registered" 10 || die "the link sender did not register with D1"
	HPATH_ARGS+=(-dg_hpath link "$C_K" "l@$H2L" "$SND_PID_k" "$L_PID")
}

for p in "${HOST_PATHS[@]}"; do
	say "hosts: path $p"
	"${p}_path"
done

# Where each process may run (all CPUs unless BENCH_PIN=1).
AFFINITY=""
for np in D1:$D1_PID D2:$D2_PID R:$R_PID ${SND_PID_i:+i:$SND_PID_i} ${SND_PID_e:+e:$SND_PID_e} \
    ${SND_PID_t:+t:$SND_PID_t} ${TB_PID:+tb:$TB_PID} ${SND_PID_t29:+t29:$SND_PID_t29} ${TB29_PID:+tb29:$TB29_PID}; do
	AFFINITY="$AFFINITY ${np%%:*}=$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/${np#*:}/status" 2>/dev/null)"
done
echo "# CPUs allowed:$AFFINITY"

# ctl MODE [args]: the controller (no distribution of its own).  In the
# background and waited for, so that a signal to this script is handled at
# once, not when the controller is done.
ctl() {
	local c
	"${PIN1[@]}" timeout -k 2 1800 erl -noshell -pa "$W" "${HPATH_ARGS[@]}" \
	    -dg_d1 "$D1_PID" -dg_d2 "$D2_PID" -dg_secs "$SECS" -dg_mode "$@" \
	    -eval 'dg_bench:hosts_ctl()' &
	c=$!
	PIDS+=("$c")
	wait "$c"
}

ctl warm > "$OUT/hosts_warm.txt" 2>&1 || { cat "$OUT/hosts_warm.txt"; tail -n 20 "$W"/h*/*.log; die "warm-up failed"; }
# Proof that each path is the one it claims to be.
grep -q "b@$H2 <- egress from e@$H1: up" "$W/h1/dg.log" ||
    { tail -n 20 "$W/h1/dg.log"; die "the egress sender's connection is not an egress session of D1"; }
grep -q "i@$H1 -> b@$H2: up" "$W/h2/dg.log" ||
    { tail -n 20 "$W/h2/dg.log"; die "the inbound sender's connection is not a session of D2"; }
grep -q "e@$H1 -> b@$H2: up" "$W/h2/dg.log" ||
    { tail -n 20 "$W/h2/dg.log"; die "the egress sender's connection did not reach R through D2"; }
if [ -n "$LINK1" ]; then
	grep -q "link up with host hosttwo" "$W/h1/dg.log" &&
	grep -q "l@$H2L <- egress from k@$H1: up" "$W/h1/dg.log" &&
	grep -q "link up with host hostone" "$W/h2/dg.log" &&
	grep -q "k@$H1 -> l@$H2L: up" "$W/h2/dg.log" ||
	    { tail -n 20 "$W"/h*/dg.log; die "the link sender's connection does not run over a link"; }
fi
grep -E "(egress from [ek]@|[iek]@$H1 -> |link up).*" "$W"/h*/dg.log | sed 's/^/# /'

say "hosts: $ROUNDS rounds x ${#HOST_PATHS[@]} paths x 3 workloads, ${SECS}s each"
ctl rounds -dg_rounds "$ROUNDS" -dg_out "$OUT/hosts.tsv" || die "rounds failed"
# BENCH_PERF=1: where the daemons' time goes on the link path and on the
# plain one (egress), 64 KiB messages, after the rounds (the figures above
# are taken without it): perf of D1 and D2 together (hosts_perf_PATH.txt,
# by symbol and by shared object), then the same run under strace -c
# (hosts_strace_PATH.txt: the system calls of both daemons; strace slows
# them, so only its counts per message mean anything).
if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf > /dev/null; then
	for p in link egress; do
		[[ " ${HOST_PATHS[*]} " == *" $p "* ]] || continue
		say "hosts: perf of D1 and D2, path $p, 64 KiB"
		perf record -F 1999 -g -o "$W/perf.$p" -p "$D1_PID,$D2_PID" -- sleep 7 > /dev/null 2>&1 &
		PP=$!
		SECS=6.0 ctl one -dg_only "$p" -dg_size 65536 -dg_out "$OUT/hosts_perf.tsv"
		wait "$PP"
		{
			perf report -i "$W/perf.$p" --stdio --no-children --sort dso 2>/dev/null |
			    grep -E '^ +[0-9.]+%' | head -n 8
			echo
			perf report -i "$W/perf.$p" --stdio --no-children --sort symbol 2>/dev/null |
			    grep -E '^ +[0-9.]+%' | head -n 40
		} > "$OUT/hosts_perf_$p.txt"
		if command -v strace > /dev/null; then
			strace -c -o "$OUT/hosts_strace_$p.txt" -p "$D1_PID" -p "$D2_PID" &
			SP=$!
			sleep 0.5
			SECS=3.0 ctl one -dg_only "$p" -dg_size 65536 -dg_out "$OUT/hosts_strace.tsv"
			kill -INT "$SP"; wait "$SP"
		fi
	done
fi
{
	echo "hosts_net $H1 $H2 veth mtu $(cat /sys/class/net/${VETH}a/mtu)"
	echo "hosts_paths ${HOST_PATHS[*]}"
	echo "hosts_pin ${BENCH_PIN:-0}$([ "${BENCH_PIN:-0}" = 1 ] && echo " (host 1 on CPU 0, host 2 on CPU 1)"); CPUs allowed:$AFFINITY"
	echo "openssl $(openssl version | awk '{print $2}'), certificates RSA 2048, OTP ssl defaults;" \
	    "TLS distribution negotiated: $(sed -n 's/^tls negotiated //p' "$OUT/hosts_warm.txt")"
	[[ " ${HOST_PATHS[*]} " == *" tls29 "* ]] &&
	    echo "otp29 $("${OTPROOT[@]}" -- erl -noshell -eval 'application:load(ssl), {ok, V} = application:get_key(ssl, vsn), io:format("OTP ~s, ssl ~s", [erlang:system_info(otp_release), V]), halt().' 2>/dev/null)," \
	    "TLS distribution negotiated: $(sed -n 's/^tls29 negotiated //p' "$OUT/hosts_warm.txt")"
} > "$OUT/hosts_machine.txt"
