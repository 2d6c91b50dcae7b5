#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the metrics endpoint under slow clients from one source
# (issue 25; daemon/metrics.c through the shared gate, net_admit).  One
# source (127.0.0.2) opens 12 connections and sends nothing, as slowly as
# it likes: it gets {max_per_source, 2} of the 8 slots and the rest are
# closed at once; a scrape from another source (127.0.0.1) is answered
# while they hang, and the slow ones are closed at the deadline.
# The configuration is the defaults' (max_connections 8, max_per_source
# 2, timeout 5 s): nothing here is tuned for the test.
. "$(dirname "$0")/lib.sh"
LMAX=$((LBASE + 38))
MPORT=$((LBASE + 39))
write_conf "{metrics, [{listen, \"0.0.0.0:$MPORT\"}]}." '{default, [ping]}.'
dg_start || exit 1

python3 - "$MPORT" > "$T/slow.out" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(12):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metr")        # and never the rest
    socks.append(s)
time.sleep(1.0)
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("slow: %d opened, %d closed at once, %d hanging" %
      (len(socks), closed, len(socks) - closed), flush=True)
time.sleep(6)
PY
SP=$!; PIDS+=("$SP")
wait_for "$T/slow.out" "^slow:" 5
cat "$T/slow.out" | sed 's/^/# /'
t0=$(date +%s.%N)
code=$(curl -s -o "$T/m.txt" -w '%{http_code}' --max-time 3 "http://127.0.0.1:$MPORT/metrics")
t1=$(date +%s.%N)
check "a scrape from another source is answered while they hang ($code, $(echo "$t1 - $t0" | bc)s)" \
    [ "$code" = 200 ]
check "with the daemon's counters" grep -q '^# TYPE distguard_messages_total counter' "$T/m.txt"
hang=$(sed -n 's/.* \([0-9]*\) hanging/\1/p' "$T/slow.out")
check "the slow source holds at most 2 connections (${hang:-?} hanging)" \
    bash -c "[ -n '$hang' ] && [ '$hang' -le 2 ]"
check "its others were refused, logged" \
    grep -q "metrics 127.0.0.2:[0-9]*: too many metrics connections from this source (2): closed" "$T/dg.log"
check "the hanging ones are closed at the deadline (5 s)" \
    wait_for "$T/dg.log" "metrics 127.0.0.2:[0-9]*: no complete exchange within 5s: closed" 8
wait "$SP" 2>/dev/null
check "the daemon is alive" dg_alive
done_tests
