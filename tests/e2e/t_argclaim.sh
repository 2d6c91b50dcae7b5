#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: an argument list that runs past the 68 KiB window is judged
# on the count its header states, and the walk verifies the claim (issue
# 26, docs/FILTER.md 10).
#
# The policy admits file:write_file/2.  Before the fix a call with a
# 100 KiB binary argument was opaque ("argument list not seen whole") and
# denied, through spawn_request, erpc and rex alike.  Now it runs; the
# same request whose list goes on past the window ([P, B | [[]]]: ERTS
# runs write_file/3) or ends improperly does not, the connection is
# closed before the message's last bytes reach b, and an alert names why.
. "$(dirname "$0")/lib.sh"
# The crafted peer and the stock one register only because they connect:
# this suite accepts unmediated peers.  b runs distguard_epmd.
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
cd "$T" || exit 1

RULES='[{allow, spawn_request, [{file, write_file, 2}]}]'
write_conf "{peer, \"x*@*\", $RULES}." "{peer, \"a*@*\", $RULES}."
dg_start || exit 1
node_start b || exit 1
LB=$($CRAFT port_please "$EPMD_PORT" b | sed -n 's/^port //p')
[ -n "$LB" ] || { not_ok "b's listener port"; exit 1; }

OUT="$T/out"
mkdir -p "$OUT"; chmod 777 "$OUT"
size() { stat -c %s "$1" 2>/dev/null || echo none; }
i=0
for via in spawn erpc rex; do
	for kind in ok extended improper; do
		i=$((i + 1))
		timeout -k 2 30 python3 "$ROOT/tests/e2e/argclaim.py" "$LB" \
		    "x$i@$HOST" "$COOKIE" "$OUT" "$via" "$kind" \
		    > "$T/claim_$i.log" 2>&1
		echo "# $via $kind: $(tr '\n' ' ' < "$T/claim_$i.log")"
	done
	sleep 1
	check "$via: write_file/2 with a 100 KiB binary runs ($(size "$OUT/ok_$via"))" \
	    [ "$(size "$OUT/ok_$via")" = 100000 ]
	check "$via: the list extended past the window (write_file/3) does not run" \
	    [ ! -e "$OUT/extended_$via" ]
	check "$via: the improper list past the window does not run" \
	    [ ! -e "$OUT/improper_$via" ]
done
n=$(grep -c '"filter.denied".*argument list past the part judged is not the proper list' "$ALERTS" 2>/dev/null)
check "6 alerts name the broken claim ($n)" [ "${n:-0}" -eq 6 ]
check "no alert for the proper calls" \
    not grep -q '"peer":"x[147]@' "$ALERTS"

# A stock node's erpc and rpc calls of the allowed MFA with 100 KiB pass.
r=$(node_eval a1 "B = binary:copy(<<\"q\">>, 100000), D = \"$OUT/stock\",
    {erpc:call(Node, file, write_file, [D ++ \"_erpc\", B]),
     rpc:call(Node, file, write_file, [D ++ \"_rpc\", B])}" -hidden)
check "stock erpc:call and rpc:call of write_file/2 with 100 KiB pass ($r)" \
    [ "$r" = "{ok,ok}" ]
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive

done_tests
