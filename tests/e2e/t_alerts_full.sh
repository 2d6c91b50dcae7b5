#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the alerts file on a full filesystem (issue 23, item 8).
# A small tmpfs holds the alerts file; a filler takes the rest of it, bad
# handshakes raise alerts, the filler goes, more alerts come.  The file
# must hold only whole JSON lines (a short write is cut off, never glued to
# the next alert), the lines it did not take are counted apart
# (distguard_alerts_failed_total), and the daemon warns about them at a
# bounded rate (one line per 10 s at most) with the real cause (ENOSPC).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	not_ok "t_alerts_full needs root (it mounts a small tmpfs)"
	exit 1
fi
FULL="$T/full"
mkdir "$FULL"
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$FULL" || { not_ok "tmpfs mounted"; exit 1; }
CLEANUPS+=("umount '$FULL'")
ALERTS="$FULL/alerts.log"
LMAX=$((LBASE + 38))
MPORT=$((LBASE + 39))
write_conf '{default, deny}.' '{bans, [{failures, 0}]}.' \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}]}."
dg_start || exit 1
node_start b || exit 1
lport=$(python3 "$ROOT/tests/e2e/craft.py" port_please "$EPMD_PORT" b | awk '{print $2}')

# burst SRC COUNT: COUNT garbage handshakes from SRC, a handshake.malformed
# alert each.
burst() {
	python3 - "$lport" "$1" "$2" <<'PY'
import socket, sys
port, src, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), source_address=(src, 0))
    s.sendall(b"\x00\x05garbage")
    try:
        s.recv(16)
    except OSError:
        pass
    s.close()
PY
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
raised() { curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" | awk '$1 ~ /^distguard_alerts_total\{/ {s += $2} END {print s + 0}'; }
lines() { wc -l < "$ALERTS"; }

burst 127.0.9.1 3
sleep 0.3
# The filler takes every page left but the alerts file's own last one:
# the next lines fill that page, then one is cut short, then none fit.
dd if=/dev/zero of="$FULL/fill" bs=1k count=128 2>/dev/null
check "the filesystem is full" not dd if=/dev/zero of="$FULL/more" bs=4k count=1 status=none 2>/dev/null
rm -f "$FULL/more"
burst 127.0.9.2 200
sleep 0.5
l1=$(lines)
f1=$(metric distguard_alerts_failed_total)
check "the daemon is alive on a full disk" dg_alive
check "alerts the file did not take are counted apart (${f1:-none})" [ "${f1:-0}" -ge 100 ]
warns=$(grep -cE "alerts: (.* not written to|write to)" "$T/dg.log")
check "they are warned about once, not per alert ($warns)" [ "$warns" -eq 1 ]
check "the warning gives the cause of now (no space), not a stale errno" \
    grep -q "not written to .*: No space left on device" "$T/dg.log"
check "a line cut short by the full disk was cut off again" \
    grep -q "alerts: [0-9]* of [0-9]* bytes written, cut off again" "$T/dg.log"
check "the file is still all whole lines while full" python3 - "$ALERTS" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
sys.exit(0 if data.endswith(b"\n") and all(json.loads(l) for l in data.splitlines()) else 1)
PY
rm -f "$FULL/fill"
sleep 0.2
burst 127.0.9.3 5
sleep 0.5
l2=$(lines)
check "lines are written again once there is space ($l1 -> $l2)" [ $((l2 - l1)) -eq 5 ]
check "every line of the file is one valid JSON object" python3 - "$ALERTS" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    o = json.loads(line)
    assert isinstance(o, dict) and "event" in o
    n += 1
print("# %d lines" % n)
PY
f2=$(metric distguard_alerts_failed_total)
r=$(raised)
check "raised = written + failed ($r = $l2 + ${f2:-none})" [ "$r" -eq $((l2 + ${f2:-0})) ]
check "no further failure counted after space returned ($f1 -> $f2)" same "$f1" "$f2"
check "the daemon is alive" dg_alive
done_tests
