#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end (issue 23, item 8): a link entry by address with
# {names, [...]} and no {host, Name}.  `check` accepts it, so it must
# work: the key is the peer's identity and the names are what the link
# may carry (docs/LINKS.md, "Who is at the other end").  Before the fix
# every dial through it failed with link.bad_key (the entry had no host
# to compare with the one dialled).  A node the names leave out is still
# refused (link.name_not_bound).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/e2e/host2.sh"

[ -f "$EBIN/distguard_epmd.beam" ] || { not_ok "distguard_epmd.beam in $EBIN"; exit 1; }
host2_up || { not_ok "host 2 (a network namespace) is up"; exit 1; }
echo "# host 1 $H1, host 2 $H2 (namespace $NS2)"
chmod 755 "$T"
for k in k1 k2; do
	"$DG" keygen -o "$T/$k.key" > /dev/null 2>&1 || not_ok "keygen $k"
done
PK1=$("$DG" pubkey "$T/k1.key"); PK2=$("$DG" pubkey "$T/k2.key")
LPORT=$(free_port)

# ---- host 2: D2 knows host 1 by address, by its names alone too ----------------
D2CONF="$T/h2/dg.conf"
cat > "$D2CONF" <<EOF2
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $LMAX}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$T/h2/alerts.log"}]}.
{control, "$T/h2/ctl.sock"}.
$DG_USER_ENTRY
{host_key, {file, "$T/k2.key"}, [{listen, {"$H2", $LPORT}}]}.
{link, "$H1", "$PK1", [{names, ["*@$H1"]}]}.
{default, [allow_all]}.
EOF2
host2_dg "$D2CONF" || { not_ok "host 2's distguard started"; exit 1; }
H2_ARGS=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T"
	-epmd_module distguard_epmd -pa "$EBIN")
for n in r q; do
	"${IN2[@]}" timeout -k 2 100 erl -name "$n@$H2" "${H2_ARGS[@]}" \
	    -eval "dgt:serve(90)" > "$T/h2/$n.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/h2/dg.log" "node $n registered" 15 || { not_ok "node $n on host 2"; exit 1; }
done

# ---- host 1: the entry under test, by address, names and no host ----------------
LINK="{link, \"$H2\", \"$PK2\", [{names, [\"r@$H2\"]}, {port, $LPORT}]}."
write_conf "{host_key, {file, \"$T/k1.key\"}}." "$LINK" \
    "{peer, \"ctl*@*\", [allow_all]}." "{peer, \"*@$H2\", [allow_all]}." \
    "{default, [ping, replies]}."
h1_open
r=$("$DG" check -c "$CONF" 2>&1)
check "check accepts {link, Address, Key, [{names, ...}]} without a host" \
    grep -q "configuration OK" <<<"$r"
dg_start || exit 1
h1_node b 90 || exit 1
B="b@$H1"; R="r@$H2"

r=$(ctl "erpc:call(B, net_adm, ping, [R])")
check "B pings R over the link authenticated by key alone ($r)" [ "$r" = pong ]
check "D1 brought the link up" grep -q "link up with host" "$T/dg.log"
check "no link.bad_key on D1" not grep -q '"event":"link.bad_key"' "$ALERTS"
r=$(ctl "erpc:call(B, erpc, call, [R, erlang, node, []])")
check "erpc from B to R over it ($r)" [ "$r" = "'$R'" ]
r=$(ctl "erpc:call(B, net_adm, ping, ['q@$H2'])")
check "a node of host 2 the entry's names leave out is refused ($r)" [ "$r" = pang ]
check "D1 alerts link.name_not_bound for it" \
    wait_for "$ALERTS" '"event":"link.name_not_bound"' 5
check "D1 is still running" dg_alive
check "D2 is still running" kill -0 "$DG2_PID"
check "no sanitizer report in either log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log" "$T/h2/dg.log"
done_tests
