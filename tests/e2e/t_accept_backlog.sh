#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the listen backlog comes from the configuration (issue 24;
# {limits, [{listen_backlog, N}]}, core/accept.c accept_backlog).  In a
# network namespace of the test's own (so that the kernel's counters are
# the test's alone), a daemon's EPMD port takes a burst of 2,000
# concurrent connects, twice: with {listen_backlog, 16}, and with the
# default (the namespace's net.core.somaxconn).  The kernel's
# TcpExtListenOverflows and TcpExtListenDrops count the connections a full
# accept queue turned away; each such client retries a second later.
#   - backlog 16: the burst overflows the queue (the check can see it);
#   - default: no overflow, no drop, every connect done within a second.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/e2e/host2.sh"
ulimit -n 20000 2>/dev/null
N=2000

host2_up || { not_ok "a network namespace of the test's own"; exit 1; }
SOMAX=$("${IN2[@]}" cat /proc/sys/net/core/somaxconn)
echo "# namespace $NS2, net.core.somaxconn $SOMAX"

# listen_drops: TcpExtListenOverflows + TcpExtListenDrops in the namespace.
listen_drops() {
	"${IN2[@]}" awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 }
	    else for (i = 1; i <= NF; i++) if (n[i] == "ListenOverflows" || n[i] == "ListenDrops") s += $i }
	    END { print s + 0 }' /proc/net/netstat
}

# burst PORT: N non-blocking connects at once; prints "done D of N, in
# the first second F, took S s".
burst() {
	"${IN2[@]}" timeout 30 python3 - "$1" "$N" <<'PY'
import selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
socks = []
t0 = time.time()
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    sel.register(s, selectors.EVENT_WRITE)
    socks.append(s)
done = first = 0
while done < n and time.time() - t0 < 10:
    for key, _ in sel.select(0.1):
        sel.unregister(key.fileobj)
        done += 1
        if time.time() - t0 < 0.9:
            first += 1
took = time.time() - t0
print("done %d of %d, in the first second %d, took %.2f s" % (done, n, first, took))
for s in socks:
    s.close()
PY
}

# run_one ENTRY: a daemon in the namespace with ENTRY (or none), a burst
# at its EPMD port; sets DROPS and FIRST.
run_one() {
	local conf="$T/h2/dg.conf" d0 d1 out
	cat > "$conf" <<EOC
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}, {max_connections, 65536}, {max_per_source, 65536}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $LMAX}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$T/h2/alerts.log"}]}.
{control, "$T/h2/ctl.sock"}.
$DG_USER_ENTRY
$1
{default, [ping]}.
EOC
	[ -f "$T/h2/dg.log" ] && mv "$T/h2/dg.log" "$T/h2/dg-$RUNS.log"
	RUNS=$((RUNS + 1))
	host2_dg "$conf" || { not_ok "distguard started in the namespace ($1)"; return 1; }
	sleep 0.3
	d0=$(listen_drops)
	out=$(burst "$EPMD_PORT")
	d1=$(listen_drops)
	echo "# ${1:-default}: $out; listen overflows and drops $d0 -> $d1"
	DROPS=$((d1 - d0))
	FIRST=$(sed -n 's/.*in the first second \([0-9]*\),.*/\1/p' <<<"$out")
	kill "$DG2_PID" 2>/dev/null
	wait "$DG2_PID" 2>/dev/null
	return 0
}

RUNS=0
if run_one "{limits, [{listen_backlog, 16}]}."; then
	check "backlog 16: a burst of $N connects overflows the accept queue ($DROPS turned away)" \
	    below 0 "$DROPS"
fi
if run_one ""; then
	check "default backlog ($SOMAX): no connect of the burst was turned away ($DROPS)" \
	    [ "$DROPS" = 0 ]
	check "default backlog: all $N connects done within the first second (${FIRST:-?})" \
	    same "$N" "$FIRST"
fi
check "no sanitizer report in the daemon's log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T"/h2/dg*.log
done_tests
