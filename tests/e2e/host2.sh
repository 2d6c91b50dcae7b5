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
