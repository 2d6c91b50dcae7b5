#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the control socket out of file descriptors (issue 19 item
# 6; core/accept.c).  A daemon limited to 64 descriptors; 100 idle EPMD
# clients take them all; then local processes connect to the control
# socket and wait.  The control socket's acceptor must take them off its
# queue on the spare descriptor and close them, pause instead of
# spinning (the daemon's CPU stays low), and answer again once the idle
# clients are gone.  Before, the control socket had no spare descriptor:
# its watcher woke the loop at once, forever.
. "$(dirname "$0")/lib.sh"
CRAFT="python3 $ROOT/tests/e2e/craft.py"
CS="$ROOT/tests/e2e/ctlsend.py"
ulimit -n 20000 2>/dev/null

EPMD_TIMEOUT=60 write_conf '{default, [ping]}.'
( ulimit -n 64; exec "$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 ) &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg.log" "distguard running" 10 || { not_ok "daemon started"; exit 1; }
check "the daemon runs with 64 descriptors" \
    grep -q "^Max open files *64 " /proc/"$DG_PID"/limits
ctl_stats() { timeout 10 python3 "$CS" "$T/ctl.sock" stats 2>&1; }
out=$(ctl_stats)
check "the control socket answers before" \
    bash -c '[ -n "$1" ] && ! grep -q "^ERR" <<<"$1"' _ "$out"

# CPU seconds (user + system) the daemon used so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' /proc/"$DG_PID"/stat; }
HZ=$(getconf CLK_TCK)

$CRAFT idle "$EPMD_PORT" 100 14 --src-base 127.0.2. > "$T/idle.out" 2>&1 &
idle=$!
PIDS+=("$idle")
wait_for "$T/idle.out" "idle opened" 20
echo "# $(head -n 1 "$T/idle.out")"
check "the idle clients ran the daemon out of descriptors" \
    wait_for "$T/dg.log" "epmd: out of file descriptors" 10

# Local processes connect to the control socket while no descriptor is
# left, and wait for an answer for up to 5 s.
timeout 20 python3 - "$T/ctl.sock" > "$T/ctlq.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
print("ctl queued %d" % len(socks), flush=True)
closed, end = 0, time.time() + 5
for s in socks:
    s.settimeout(max(0.05, end - time.time()))
    try:
        if s.recv(1) == b"":
            closed += 1
    except OSError:
        pass
print("ctl closed by the daemon %d of %d" % (closed, len(socks)), flush=True)
PY
ctlq=$!
PIDS+=("$ctlq")
wait_for "$T/ctlq.out" "ctl queued" 5
t0=$(ticks)
sleep 3
t1=$(ticks)
cpu=$(( (t1 - t0) * 100 / (3 * HZ) ))
echo "# daemon CPU while out of descriptors, with control clients queued: ${cpu}% of one core"
check "the daemon does not spin while out of descriptors (${cpu}% of one core over 3 s)" \
    below "$cpu" 15
check "the control socket says it ran out (log)" \
    grep -q "control socket: out of file descriptors" "$T/dg.log"
wait "$ctlq"
sed 's/^/# /' "$T/ctlq.out"
check "the queued control connections were closed, not left waiting" \
    grep -q "ctl closed by the daemon 5 of 5" "$T/ctlq.out"
check "the daemon is alive without descriptors" dg_alive

wait "$idle"
sed -n 2p "$T/idle.out" | sed 's/^/# /'
ok_after=0
for _ in $(seq 1 10); do
	out=$(ctl_stats)
	if [ -n "$out" ] && ! grep -q "^ERR" <<<"$out"; then ok_after=1; break; fi
	sleep 0.5
done
check "after the idle clients left, the control socket answers again" [ "$ok_after" = 1 ]
t0=$(ticks); sleep 2; t1=$(ticks)
cpu=$(( (t1 - t0) * 100 / (2 * HZ) ))
check "and the daemon is idle again (${cpu}% of one core)" below "$cpu" 10
check "the daemon survived" dg_alive
check "no sanitizer report in the daemon's log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log"
done_tests
