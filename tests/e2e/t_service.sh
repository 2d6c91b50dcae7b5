#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: what systemd sees of the daemon (issue 23, item 3), without
# systemd: a datagram socket of the test's own stands in for systemd's
# NOTIFY_SOCKET, and a file for the journal's stream (JOURNAL_STREAM).
#  - READY=1 comes once every port is bound: the moment it arrives, the
#    EPMD port, the link listener, the metrics port and the control socket
#    all accept a connection;
#  - a reload is RELOADING=1 with MONOTONIC_USEC, then READY=1;
#  - SIGTERM sends STOPPING=1;
#  - log lines carry their priority (<6> info, <4> warning, <7> debug)
#    when stderr is the journal's stream, and are as before otherwise.
. "$(dirname "$0")/lib.sh"

"$DG" keygen -o "$T/host.key" > /dev/null 2>&1 || not_ok "keygen"
LINKPORT=$((LBASE + 38))
MPORT=$((LBASE + 39))
LMAX=$((LBASE + 37))
write_conf "{default, [ping]}." \
    "{host_key, {file, \"$T/host.key\"}, [{listen, {\"127.0.0.1\", $LINKPORT}}]}." \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}]}."

# The stand-in for systemd: records each datagram with a time stamp; on
# READY=1 it tries every port at once and records what answered.
cat > "$T/notify.py" <<'PY'
import os, socket, sys, time
path, out, epmd, link, metrics, ctl = sys.argv[1:7]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
f = open(out, "a", buffering=1)
f.write("listening\n")
def probe():
    res = []
    for name, port in (("epmd", epmd), ("link", link), ("metrics", metrics)):
        c = socket.socket()
        c.settimeout(1)
        try:
            c.connect(("127.0.0.1", int(port)))
            res.append(name + "=up")
        except OSError as e:
            res.append(name + "=down")
        c.close()
    c = socket.socket(socket.AF_UNIX)
    try:
        c.connect(ctl)
        res.append("control=up")
    except OSError:
        res.append("control=down")
    c.close()
    return " ".join(res)
s.settimeout(60)
while True:
    try:
        d = s.recv(4096).decode()
    except socket.timeout:
        break
    f.write("msg %.3f %s\n" % (time.monotonic(), d.replace("\n", "|")))
    if "READY=1" in d:
        f.write("probe " + probe() + "\n")
PY
python3 "$T/notify.py" "$T/notify.sock" "$T/notify.log" "$EPMD_PORT" \
    "$LINKPORT" "$MPORT" "$T/ctl.sock" &
PIDS+=("$!")
wait_for "$T/notify.log" "listening" 5 || { not_ok "the notify socket"; exit 1; }
give_files
touch "$T/dg.log"
JS=$(stat -c '%d:%i' "$T/dg.log")
NOTIFY_SOCKET="$T/notify.sock" JOURNAL_STREAM="$JS" "$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg.log" "distguard running" 10 || { not_ok "daemon started"; exit 1; }
check "READY=1 reaches the notify socket" wait_for "$T/notify.log" "READY=1" 5
p=$(grep -m1 '^probe' "$T/notify.log")
check "when READY=1 arrives, every port is bound ($p)" \
    [ "$p" = "probe epmd=up link=up metrics=up control=up" ]
check "READY=1 comes once, at start" [ "$(grep -c 'READY=1' "$T/notify.log")" -eq 1 ]
r=$("$DG" reload -c "$CONF" 2>&1)
check "reload ($r)" grep -q reloaded <<<"$r"
check "a reload is RELOADING=1 with MONOTONIC_USEC, then READY=1" \
    wait_for "$T/notify.log" "READY=1.*reloaded" 5
check "... in that order" bash -c "grep '^msg' '$T/notify.log' | tail -n 2 | head -n 1 | grep -Eq 'RELOADING=1\|MONOTONIC_USEC=[0-9]+$'"
mono=$(grep -o 'MONOTONIC_USEC=[0-9]*' "$T/notify.log" | cut -d= -f2)
now=$(python3 -c 'import time; print(int(time.monotonic() * 1e6))')
d=$((now - ${mono:-0}))
check "MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds ($mono, now $now)" \
    [ -n "$mono" -a "$d" -ge 0 -a "$d" -lt 10000000 ]
kill -HUP "$DG_PID"
sighup_told() { [ "$(grep -c 'READY=1.*reloaded' "$T/notify.log")" -eq 2 ]; }
for i in $(seq 50); do sighup_told && break; sleep 0.1; done
check "SIGHUP too" sighup_told
check "both reloads told ($(grep -c RELOADING=1 "$T/notify.log"))" \
    [ "$(grep -c RELOADING=1 "$T/notify.log")" -eq 2 ]
kill "$DG_PID"
check "SIGTERM sends STOPPING=1" wait_for "$T/notify.log" "STOPPING=1" 5
wait_for "$T/dg.log" "info: stopped" 5
check "stderr as the journal's stream: info lines carry <6>" \
    grep -q '^<6>.* info: distguard running' "$T/dg.log"
check "debug lines <7>" grep -q '^<7>.* debug: ' "$T/dg.log"
check "every line has a priority" not grep -qv '^<[3467]>' "$T/dg.log"

# Not under systemd: the same run without the variables.
: > "$T/dg2.log"
"$DG" run -c "$CONF" > "$T/dg2.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
check "without NOTIFY_SOCKET it runs as before" wait_for "$T/dg2.log" "distguard running" 10
kill -HUP "$DG_PID"
sleep 0.5
check "reloads" grep -q "in force" "$T/dg2.log"
kill "$DG_PID"
wait_for "$T/dg2.log" "info: stopped" 5
check "and stops" grep -q "info: stopped" "$T/dg2.log"
check "its lines have no priority prefix" not grep -q '^<' "$T/dg2.log"
check "nothing more came to the notify socket" \
    [ "$(grep -c '^msg' "$T/notify.log")" -eq 6 ]
JS2=$(stat -c '%d:%i' "$T/notify.log")
: > "$T/dg3.log"
JOURNAL_STREAM="$JS2" "$DG" check -c "$CONF" > /dev/null 2>> "$T/dg3.log"
"$DG" run -c "$CONF" 2> "$T/dg3.log" > /dev/null &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg3.log" "distguard running" 10
kill "$DG_PID"
check "a JOURNAL_STREAM that is not stderr is ignored" not grep -q '^<' "$T/dg3.log"
done_tests
