#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the link listener refuses through the same path as the
# nodes' listeners (issue 19 item 6; core/accept.c, core/net.c
# net_gate_pass).  A daemon with a link listener on loopback, capped at 4
# pending links per source, no bans (so that the cap, not a ban, is what
# refuses); a flood of held connections from 127.0.0.5, then one link
# from 127.0.0.6:
#   - the flood is capped: link.refused alerts, at most 4 open at once;
#   - each refusal is counted like a node listener's: handshakes_total
#     {outcome="refused"}, accepts_total{listener="link",outcome="refused"}
#     at least as many as the alerts, and logged ("link: ADDR: closed:");
#   - the other source is still admitted (accepts_total admitted grows,
#     its connection stays open).
. "$(dirname "$0")/lib.sh"

"$DG" keygen -o "$T/k1.key" > /dev/null 2>&1 || not_ok "keygen k1"
"$DG" keygen -o "$T/k2.key" > /dev/null 2>&1 || not_ok "keygen k2"
PK2=$("$DG" pubkey "$T/k2.key")
LPORT=$((LMAX))
MPORT=$((LMAX - 1))
write_conf "{host_key, {file, \"$T/k1.key\"}, [{listen, {\"127.0.0.1\", $LPORT}}]}." \
    "{link, \"otherhost\", \"$PK2\", [{names, [\"*@otherhost\"]}]}." \
    "{handshake, [{link_max_per_source, 4}, {link_rate, 1000}]}." \
    "{bans, [{failures, 0}]}." \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}]}." \
    "{default, [ping]}."
dg_start || exit 1
wait_for "$T/dg.log" "link: listening on 127.0.0.1 port $LPORT" 5 ||
    { not_ok "the link listener is up"; exit 1; }
FLOOD=(timeout 30 nice -n 10 python3 "$ROOT/tests/e2e/linkflood.py")
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}
# ge A N: A is set and at least N
ge() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
ADM='distguard_accepts_total{listener="link",outcome="admitted"}'
REF='distguard_accepts_total{listener="link",outcome="refused"}'
adm0=$(metric "$ADM")

"${FLOOD[@]}" hold 127.0.0.1 "$LPORT" 40 4 --src 127.0.0.5 > "$T/hold5.log" 2>&1
sed 's/^/# 127.0.0.5 /' "$T/hold5.log"
nalerts=$(grep -c '"event":"link.refused",.*"addr":"127.0.0.5' "$ALERTS")
check "the flood from 127.0.0.5 was capped (link.refused: $nalerts alerts)" \
    [ "$nalerts" -gt 0 ]
most=$(sed -n 's/.* \([0-9]*\) open at most.*/\1/p' "$T/hold5.log")
check "at most link_max_per_source (4) of its links were open at once (${most:-?})" \
    below "$most" 5
check "the alerts carry direction link and the reason" \
    grep -q '"event":"link.refused",.*"direction":"link".*too many pending links from this source (4)' "$ALERTS"
ref=$(metric "$REF")
echo "# $REF ${ref:-absent}"
check "the refusals are counted per listener (accepts_total refused ${ref:-absent} >= $nalerts alerts)" \
    ge "$ref" "$nalerts"
hsref=$(metric 'distguard_handshakes_total{outcome="refused"}')
check "and as refused handshakes, as the nodes' listeners count them (${hsref:-absent})" \
    ge "$hsref" "$nalerts"
check "each refusal is logged like a node listener's (link: 127.0.0.5: closed: ...)" \
    grep -Eq "link: 127.0.0.5:[0-9]+: closed: too many pending links from this source" "$T/dg.log"

"${FLOOD[@]}" hold 127.0.0.1 "$LPORT" 1 2 --src 127.0.0.6 > "$T/hold6.log" 2>&1
sed 's/^/# 127.0.0.6 /' "$T/hold6.log"
check "another source is still admitted (its link stayed open)" \
    grep -q "0 closed by the daemon; 1 open at most" "$T/hold6.log"
check "no refusal for it" not grep -q '"event":"link.refused",.*"addr":"127.0.0.6' "$ALERTS"
adm1=$(metric "$ADM")
check "its link is counted admitted (${adm0:-absent} -> ${adm1:-absent})" \
    ge "$adm1" $((${adm0:-0} + 1))
check "the daemon is alive" dg_alive
check "no sanitizer report in the daemon's log" \
    not grep -qE "ERROR: AddressSanitizer|runtime error" "$T/dg.log"
done_tests
