# SPDX-License-Identifier: Apache-2.0
# tests/e2e/host2.sh - "another host" for the end-to-end tests (sourced
# after lib.sh, bash, as root): a network namespace with its own loopback
# and its own port space, joined to this one by a veth pair with the
# test's own addresses (10.200-249.x.0/30, never routed anywhere).  Its
# nodes register on its 127.0.0.1 as on a real host.  lib.sh's cleanup
# deletes it.
#
#   host2_up        make it: sets NS2, H1 (this side's address), H2 (its)
#   in_host2 CMD... run CMD inside it
#   host2_dg CONF   start a distguard inside it (log $T/h2/dg.log)

host2_up() {
	local net="10.$((200 + RANDOM % 50)).$((RANDOM % 250))"
	NS2="dgt$$"
	VETH2="dgv$$"
	H1="$net.1"
	H2="$net.2"
	[ "$(id -u)" -eq 0 ] || { echo "# host2: needs root for ip netns"; return 1; }
	ip netns add "$NS2" || return 1
	CLEANUPS+=("ip netns del $NS2" "ip link del ${VETH2}a")
	ip -n "$NS2" link set lo up &&
	ip link add "${VETH2}a" type veth peer name "${VETH2}b" &&
	ip link set "${VETH2}b" netns "$NS2" &&
	ip addr add "$H1/30" dev "${VETH2}a" &&
	ip link set "${VETH2}a" up &&
	ip -n "$NS2" addr add "$H2/30" dev "${VETH2}b" &&
	ip -n "$NS2" link set "${VETH2}b" up || return 1
	mkdir -p "$T/h2"
	IN2=(nsenter --net="/var/run/netns/$NS2")
}

# nsenter execs the command itself (ip netns exec forks and waits).  For
# a command in the background use "${IN2[@]}" CMD &, not in_host2 CMD &
# (a function in the background runs in a subshell): then $! is the
# command's PID, which signals reach and cleanup stops.
in_host2() { nsenter --net="/var/run/netns/$NS2" "$@"; }

# host2_dg CONF: distguard inside host 2, as the same user as ours.
host2_dg() {
	give_files
	"${IN2[@]}" "$DG" run -c "$1" -v >> "$T/h2/dg.log" 2>&1 &
	DG2_PID=$!
	PIDS+=("$DG2_PID")
	wait_for "$T/h2/dg.log" "distguard running" 10
}

# ---- host 1, as the two-host suites run it ------------------------------------
# h1_open: our daemon's EPMD and listeners reachable at H1 too (nodes of
# host 1 are named NAME@H1, and a driver reaches them there).
h1_open() {
	sed -i -e "s/{addresses, \[\"127.0.0.1\", \"::1\"\]}/{addresses, [\"127.0.0.1\", \"::1\", \"$H1\"]}/" \
	    -e "s/{listen, \[{address, \"127.0.0.1\"}/{listen, [{address, \"0.0.0.0\"}/" "$CONF"
}

H1_ARGS=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T")
MOD=(-epmd_module distguard_epmd -pa "$ROOT/$BUILD/erl/ebin")

# h1_node NAME [SECS]: a protected node of ours, NAME@H1 unless NAME has
# its own host part (the module, loopback only), serving SECS seconds.
h1_node() {
	local name=$1 secs=${2:-140} alive
	case $name in *@*) ;; *) name="$name@$H1" ;; esac
	alive=${name%%@*}
	timeout -k 2 $((secs + 10)) erl -name "$name" "${H1_ARGS[@]}" "${MOD[@]}" \
	    -eval "dgt:serve($secs)" > "$T/$alive.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/dg.log" "node $alive registered" 15 ||
	    { not_ok "node $name registered"; return 1; }
	wait_for "$T/$alive.log" "dgt ready" 15 || { not_ok "node $name ready"; return 1; }
}

# ctl EXPR: a hidden stock node of host 1 that drives B ($B; R is $R if
# set) and prints EXPR's value on one line (an exception as {Class,
# Reason}).  It does not listen, so it needs no registration (the default
# {egress, required} refuses stock nodes) and comes in through B's
# listener as a peer.
ctl() {
	timeout -k 2 "${CTL_TIMEOUT:-60}" erl -name "ctl$RANDOM@$H1" "${H1_ARGS[@]}" \
	    -hidden -dist_listen false \
	    -eval "B = '$B', R = '${R:-none}', Res = try begin $1 end catch C:E -> {C, E} end,
		io:format(\"~0p~n\", [Res]), halt()." 2>&1 | tail -n 1
}
