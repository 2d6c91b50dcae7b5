#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: an encrypted, key-authenticated link between two distguard
# hosts (docs/LINKS.md).  Host 1 is this namespace, host 2 a network
# namespace of the test's own (host2.sh); each runs a daemon with a host
# key, and nodes behind it.  B (host 1, distguard_epmd) reaches R (host 2)
# through B's egress port, D1, the link, D2, and R's own handshake with
# D2: each daemon runs the Erlang handshake with its own node only.
#
# Between the daemons sits linkrelay.py (in host 2), which records every
# byte that crosses, and for one connection flips a bit: what it records
# must hold none of the cookie, the node names, a known marker.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/e2e/host2.sh"

EBIN="$ROOT/$BUILD/erl/ebin"
[ -f "$EBIN/distguard_epmd.beam" ] || { not_ok "distguard_epmd.beam in $EBIN"; exit 1; }
host2_up || { not_ok "host 2 (a network namespace) is up"; exit 1; }
echo "# host 1 $H1, host 2 $H2 (namespace $NS2)"
chmod 755 "$T"
mkdir -p "$T/rec" "$T/rec2"

# Keys: one per host, a wrong one, a cluster key and another signer.
for k in k1 k2 k3 k4 ck ck2; do
	"$DG" keygen -o "$T/$k.key" > "$T/$k.pub" 2>/dev/null || not_ok "keygen $k"
done
pub() { "$DG" pubkey "$T/$1.key"; }
# (now: once the daemons' user owns the files, root may not read them)
PK1=$(pub k1); PK2=$(pub k2); PK3=$(pub k3); PK4=$(pub k4); CK=$(pub ck)
"$DG" sign --cluster-key "$T/ck.key" --host "$H1" --pubkey "$PK4" --days 1 \
    -o "$T/good.cert" 2>"$T/good.id" || not_ok "sign a certificate"
"$DG" sign --cluster-key "$T/ck2.key" --host "$H1" --pubkey "$PK4" --days 1 \
    -o "$T/other.cert" 2>/dev/null || not_ok "sign with another key"
"$DG" sign --cluster-key "$T/ck.key" --host "$H1" --pubkey "$PK4" --days 1 \
    --start $(( $(date +%s) - 3 * 86400 )) -o "$T/expired.cert" 2>/dev/null ||
    not_ok "sign an expired certificate"

LPORT=$(free_port)		# D2's link port (inside host 2)
RPORT=$(free_port)		# the recording relay in front of it
FPORT=$(free_port)		# the relay that flips a bit

# ---- host 2 -----------------------------------------------------------------
D2CONF="$T/h2/dg.conf"
d2_conf() {
	cat > "$D2CONF" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $LMAX}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$T/h2/alerts.log"}]}.
{control, "$T/h2/ctl.sock"}.
$DG_USER_ENTRY
{host_key, {file, "$T/k2.key"}, [{listen, {"$H2", $LPORT}}]}.
$1
{default, [allow_all]}.
EOF
	give_files
}
# By name, not by network: the relay in front of D2 makes every link
# come from host 2's own address.
d2_conf "{link, \"hostone\", \"$PK1\", [{names, [\"*@$H1\"]}]}."
host2_dg "$D2CONF" || { not_ok "host 2's distguard started"; exit 1; }
check "D2 listens for links" wait_for "$T/h2/dg.log" "link: listening on $H2 port $LPORT" 3

# Host 2's nodes are protected nodes of D2 (which fails closed as ours).
H2_ARGS=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T"
	-epmd_module distguard_epmd -pa "$EBIN")
for n in r; do
	"${IN2[@]}" timeout -k 2 170 erl -name "$n@$H2" "${H2_ARGS[@]}" \
	    -eval "dgt:serve(160)" > "$T/h2/$n.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/h2/dg.log" "node $n registered" 15 || { not_ok "node $n on host 2"; exit 1; }
done
"${IN2[@]}" python3 "$ROOT/tests/e2e/linkrelay.py" "$H2" "$RPORT" "$H2" "$LPORT" \
    "$T/rec" > "$T/h2/relay.log" 2>&1 &
PIDS+=("$!")
"${IN2[@]}" python3 "$ROOT/tests/e2e/linkrelay.py" "$H2" "$FPORT" "$H2" "$LPORT" \
    "$T/rec2" --flip 20000 > "$T/h2/flip.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/h2/relay.log" "relay ready" 5 && wait_for "$T/h2/flip.log" "relay ready" 5 ||
    { not_ok "the relays started"; exit 1; }

# ---- host 1 -----------------------------------------------------------------
# d1_entries KEY LINK: D1's key and link entries.
d1_entries() {
	echo "{host_key, {file, \"$T/$1.key\"}}."
	echo "$2"
}
write_conf "$(d1_entries k1 "{link, \"$H2\", \"$PK2\", [{host, \"$H2\"}, {port, $RPORT}]}.")" \
    "{peer, \"ctl*@*\", [allow_all]}." \
    "{peer, \"r@*\", [allow_all]}." \
    "{default, [ping, replies]}."
# The controlling node reaches B at its name's address.
h1_open
dg_start || exit 1
h1_node b 160 || exit 1
B="b@$H1"; R="r@$H2"

# fresh_ping NODE: B drops any connection to NODE, then pings it.
fresh_ping() {
	ctl "erpc:call(B, erlang, disconnect_node, ['$1']), timer:sleep(200),
	    erpc:call(B, net_adm, ping, ['$1'])"
}

# ---- traffic over the link ------------------------------------------------------
r=$(ctl "erpc:call(B, net_adm, ping, [R])")
check "B pings R over the link ($r)" [ "$r" = pong ]
check "D1 brought the link up, authenticated as host $H2" \
    grep -q "link up with host $H2" "$T/dg.log"
check "D2 too, as host hostone" grep -q "link up with host hostone" "$T/h2/dg.log"
# Records: suite 2 (AES-256-GCM) where the CPU has AES in hardware, else
# suite 1 (issue 24; docs/LINKS.md, the record layer).
want_suite=1; grep -qw aes /proc/cpuinfo && want_suite=2
both_suite() {
	grep -q "link up with host $H2, suite $want_suite" "$T/dg.log" &&
	grep -q "link up with host hostone, suite $want_suite" "$T/h2/dg.log"
}
check "both ends run record suite $want_suite" both_suite
check "D2 ran the handshake with R itself" grep -q "b@$H1 -> r@$H2: up" "$T/h2/dg.log"
r=$(ctl "erpc:call(B, erpc, call, [R, erlang, node, []])")
check "erpc from B to R ($r)" [ "$r" = "'$R'" ]
r=$(ctl "erpc:call(B, gen_server, call, [{dgt_gs, R}, ping])")
check "a gen_server call from B to R ($r)" [ "$r" = pong ]
r=$(CTL_TIMEOUT=90 ctl "erpc:call(B, dgt, big_echo, [R, 5242880])")
check "a 5 MiB binary, echoed and digested intact ($r)" [ "$r" = "{true,true,5242880}" ]
r=$(CTL_TIMEOUT=120 ctl "erpc:call(B, dgt, csum_send, [R, 100000, 64], 100000)")
check "100,000 checksummed messages, none lost or reordered ($r)" [ "$r" = "{ok,100000}" ]
MARKER="dg-link-marker-0123456789abcdef!"	# 32 bytes
r=$(ctl "erpc:call(B, erlang, send, [{sink, R}, <<\"$MARKER\">>])")
check "the marker reaches R's sink" wait_for "$T/h2/r.log" "$MARKER" 5

# ---- nothing readable on the wire ---------------------------------------------
cat "$T"/rec/*.c2s "$T"/rec/*.s2c > "$T/wire.bin" 2>/dev/null
echo "# $(wc -c < "$T/wire.bin") bytes recorded between the daemons"
check "the recording holds the link's traffic (> 5 MiB)" \
    [ "$(wc -c < "$T/wire.bin")" -gt 5242880 ]
for secret in "$COOKIE" "$B" "$R" "$MARKER"; do
	check "the recording holds no \"$secret\"" not grep -aqF -- "$secret" "$T/wire.bin"
done

# ---- tampering: one bit flipped mid-stream ----------------------------------------
# D1 is pointed at the flipping relay; a fresh connection (to r2) crosses it.
"${IN2[@]}" timeout -k 2 120 erl -name "r2@$H2" "${H2_ARGS[@]}" -eval "dgt:serve(110)" \
    > "$T/h2/r2.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/h2/dg.log" "node r2 registered" 15
sed -i "s/{port, $RPORT}/{port, $FPORT}/" "$CONF"
sed -i 's/{peer, "r@\*"/{peer, "r*@*"/' "$CONF"
give_files
r=$("$DG" reload -c "$CONF" 2>&1)
check "D1 reloaded towards the flipping relay ($r)" grep -q reloaded <<<"$r"
# The relay flips a bit of byte 20,000 from D1: inside a 60 KB message B
# sends r2's sink once the connection is up.
r=$(ctl "pong = erpc:call(B, net_adm, ping, ['r2@$H2']),
	erpc:call(B, erlang, send, [{sink, 'r2@$H2'}, binary:copy(<<\"tamper\">>, 10000)]),
	timer:sleep(500), sent")
check "the connection that crosses the flipping relay came up, and B sent ($r)" [ "$r" = sent ]
check "D2 closed it with link.integrity" \
    wait_for "$T/h2/alerts.log" '"event":"link.integrity"' 5
check "r2 got nothing of the altered message" not grep -q "sink got" "$T/h2/r2.log"
r=$(ctl "erpc:call(B, erpc, call, [R, erlang, node, []])")
check "the untampered connection to R is unaffected ($r)" [ "$r" = "'$R'" ]

# ---- replay: a recorded link session, sent again --------------------------------
r=$(in_host2 python3 "$ROOT/tests/e2e/linkrelay.py" --replay "$T/rec/1.c2s" "$H2" "$LPORT")
echo "# $r"
check "the replayed session is refused with link.replay" \
    wait_for "$T/h2/alerts.log" '"event":"link.replay"' 5
check "nothing of it reached a node" not grep -q "replay.*up" "$T/h2/dg.log"

# ---- a name the link does not carry ----------------------------------------------
timeout -k 2 60 erl -name "x@hostA" "${H1_ARGS[@]}" "${MOD[@]}" \
    -eval "io:format(\"x ping ~p~n\", [net_adm:ping('$R')]), halt()." > "$T/x.log" 2>&1
r=$(sed -n 's/^x ping //p' "$T/x.log")
check "x@hostA is refused over hostone's link ($r)" [ "$r" = pang ]
check "D2 alerts link.name_not_bound" \
    wait_for "$T/h2/alerts.log" '"event":"link.name_not_bound"' 5

# ---- a wrong key --------------------------------------------------------------------
# D1 pins host 2 to another key than the one D2 proves it holds.
sed -i "s/{port, $FPORT}/{port, $LPORT}/; s|\"$PK2\"|\"$PK3\"|" "$CONF"
give_files
r=$("$DG" reload -c "$CONF" 2>&1)
check "D1 reloaded, pinning host 2 to another key ($r)" grep -q reloaded <<<"$r"
r=$(fresh_ping "r2@$H2")
check "a link whose peer proves another key fails ($r)" [ "$r" = pang ]
check "D1 alerts link.bad_key" wait_for "$ALERTS" '"event":"link.bad_key"' 5
sed -i "s|\"$PK3\"|\"$PK2\"|" "$CONF"

# ---- certificates: no {link} entry for host 1, a trusted cluster key ---------------
d2_conf "{trust, \"$CK\"}."
kill -HUP "$DG2_PID"
wait_for "$T/h2/dg.log" "reloaded|new configuration" 5
# certified CERT: D1 with key k4 and that certificate (no entry for it on D2)
certified() {
	sed -i "s|^{host_key, .*|{host_key, {file, \"$T/k4.key\"}, [{certificate, {file, \"$T/$1\"}}]}.|" "$CONF"
	give_files
	"$DG" reload -c "$CONF" >/dev/null 2>&1
}
since() { tail -n +"$(($1 + 1))" "$T/h2/alerts.log" | grep -q "\"event\":\"$2\""; }
certified good.cert
r=$(fresh_ping "r2@$H2")
check "a host with a certificate by the cluster key connects unlisted ($r)" [ "$r" = pong ]
certified other.cert
m=$(wc -l < "$T/h2/alerts.log")
r=$(fresh_ping "r2@$H2")
check "a certificate signed by another key is refused ($r)" [ "$r" = pang ]
check "as link.unknown_host" since "$m" link.unknown_host
certified expired.cert
m=$(wc -l < "$T/h2/alerts.log")
r=$(fresh_ping "r2@$H2")
check "an expired certificate is refused ($r)" [ "$r" = pang ]
check "with a link alert naming the expiry" bash -c "tail -n +$((m + 1)) '$T/h2/alerts.log' | grep '\"event\":\"link\.' | grep -qi expired"
ID=$(sed -n 's/.*cert:\([0-9a-f]*\).*/\1/p' "$T/good.id" | head -n 1)
d2_conf "{trust, \"$CK\"}. {revoked, [\"cert:$ID\"]}."
kill -HUP "$DG2_PID"
sleep 0.5
certified good.cert
m=$(wc -l < "$T/h2/alerts.log")
r=$(fresh_ping "r2@$H2")
check "a revoked certificate is refused ($r)" [ "$r" = pang ]
check "with a link alert" bash -c "tail -n +$((m + 1)) '$T/h2/alerts.log' | grep -q '\"event\":\"link\.'"

check "D1 is still running" dg_alive
check "D2 is still running" kill -0 "$DG2_PID"
check "no sanitizer report in either log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log" "$T/h2/dg.log"
done_tests
