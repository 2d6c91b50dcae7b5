#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: alerts are JSON lines with the stable fields, rate-limited
# per source, and what was suppressed is counted in the next alert.
. "$(dirname "$0")/lib.sh"

# 60 alerts a minute per source: a burst of 60, then one a second.
write_conf '{default, deny}.' '{bans, [{failures, 0}]}.'
sed -i "s|{alerts, \[{file, \"$ALERTS\"}, {per_source, 1000}\]}.|{alerts, [{file, \"$ALERTS\"}, {per_source, 60}]}.|" "$CONF"
check "the rate is in the configuration" grep -q "per_source, 60" "$CONF"
dg_start || exit 1
node_start b || exit 1
lport=$(python3 "$ROOT/tests/e2e/craft.py" port_please "$EPMD_PORT" b | awk '{print $2}')

# garbage HANDSHAKES: each one is a handshake.malformed alert
burst() {	# burst SRC COUNT
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
burst 127.0.9.1 100
sleep 0.5
n1=$(grep -c '"addr":"127.0.9.1:' "$ALERTS")
check "a burst of 100 bad handshakes from one source writes at most 60 alerts ($n1)" [ "$n1" -le 60 -a "$n1" -ge 55 ]
check "the daemon logged the burst too" grep -q "alert handshake.malformed node .* addr 127.0.9.1" "$T/dg.log"
burst 127.0.9.2 3
n2=$(grep -c '"addr":"127.0.9.2:' "$ALERTS")
check "another source is not starved by the first ($n2 of 3)" [ "$n2" -eq 3 ]
sleep 1.5
burst 127.0.9.1 1
last=$(grep '"addr":"127.0.9.1:' "$ALERTS" | tail -n 1)
echo "# $last"
sup=$(sed -n 's/.*"suppressed":\([0-9]*\).*/\1/p' <<<"$last")
check "the next alert from that source reports the suppressed count ($sup)" \
    [ "${sup:-0}" -ge 35 -a "${sup:-0}" -le 45 ]
check "every line is one JSON object with the stable fields" python3 - "$ALERTS" <<'PY'
import json, sys
need = {"ts", "event", "node", "peer", "addr", "detail"}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if not need <= o.keys():
        sys.exit(1)
PY
check "the daemon is alive" dg_alive
done_tests
