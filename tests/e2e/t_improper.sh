#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: an argument list is judged at the arity ERTS runs (issue 26,
# item 1).  ERTS decodes a LIST_EXT whose tail is another list as one
# proper list, and LIST_EXT(0, T) as T; an MFA rule with a fixed arity
# must not admit another arity of the same function that way.
#
# The policy admits file:make_dir/1, and file:write_file/0 and /1 (which
# do not exist: admitting them runs nothing).  tests/e2e/improper.py, a
# crafted peer, asks b through SPAWN_REQUEST, erpc and rex for
# make_dir/1 (the control: it must run), and for file:write_file/2
# written as [P | [D]] and as LIST_EXT(0, [P, D]), and for [P | D].
# Before the fix distguard read the first header's count (1 and 0) and
# let write_file/2 run, which wrote the files.
. "$(dirname "$0")/lib.sh"
# The crafted peer and the stock one register only because they connect:
# this suite accepts unmediated peers.  b runs distguard_epmd.
DG_EGRESS=off
CRAFT="python3 $ROOT/tests/e2e/craft.py"
cd "$T" || exit 1

RULES='[{allow, spawn_request, [{file, make_dir, 1}, {file, write_file, 0}, {file, write_file, 1}]}]'
write_conf "{peer, \"x*@*\", $RULES}." "{peer, \"a*@*\", $RULES}."
dg_start || exit 1
node_start b || exit 1
LB=$($CRAFT port_please "$EPMD_PORT" b | sed -n 's/^port //p')
[ -n "$LB" ] || { not_ok "b's listener port"; exit 1; }

OUT="$T/out"
mkdir -p "$OUT"; chmod 777 "$OUT"
timeout -k 2 40 python3 "$ROOT/tests/e2e/improper.py" "$LB" "x1@$HOST" \
    "$COOKIE" "$OUT" > "$T/improper.log" 2>&1
check "the crafted peer sent its 12 requests" \
    [ "$(grep -c '^sent ' "$T/improper.log")" -eq 12 ]

for via in spawn erpc rex; do
	check "$via: make_dir/1 as a proper list runs (the control)" \
	    [ -d "$OUT/ok_$via" ]
	check "$via: write_file/2 as [P | [D]] does not run" \
	    [ ! -e "$OUT/tail_$via" ]
	check "$via: write_file/2 as LIST_EXT(0, [P, D]) does not run" \
	    [ ! -e "$OUT/empty_$via" ]
	check "$via: [P | D] does not run" [ ! -e "$OUT/improper_$via" ]
done

# The alerts name what ran: the arity ERTS builds, or the reason.
n=$(grep -c '"filter.denied".*spawn_request mfa file:write_file/2 .*op SPAWN_REQUEST' "$ALERTS" 2>/dev/null)
check "spawn and erpc: 4 alerts name file:write_file/2 ($n)" [ "${n:-0}" -eq 4 ]
n=$(grep -c '"filter.denied".*spawn_request to rex mfa file:write_file/2 .*op REG_SEND' "$ALERTS" 2>/dev/null)
check "rex: 2 alerts name file:write_file/2 ($n)" [ "${n:-0}" -eq 2 ]
n=$(grep -c '"filter.denied".*mfa file:write_file/-1 .*reason argument list that is not a proper list' "$ALERTS" 2>/dev/null)
check "[P | D]: 3 alerts give the reason ($n)" [ "${n:-0}" -eq 3 ]
check "no alert admits make_dir as denied" \
    not grep -q '"filter.denied".*make_dir' "$ALERTS"

# A stock node's erpc and rpc of the allowed MFA still pass; another
# arity of write_file does not.
r=$(node_eval a1 "D = \"$OUT/stock\", {erpc:call(Node, file, make_dir, [D ++ \"_erpc\"]), rpc:call(Node, file, make_dir, [D ++ \"_rpc\"])}" -hidden)
check "stock erpc:call and rpc:call of file:make_dir/1 pass ($r)" \
    [ "$r" = "{ok,ok}" ]
r=$(node_eval a2 "catch erpc:call(Node, file, write_file, [\"$OUT/stock_w\", <<\"x\">>], 5000)" -hidden)
check "stock erpc:call of file:write_file/2 is refused" [ ! -e "$OUT/stock_w" ]
check "b is alive" kill -0 "$PID_b"
check "the daemon is alive" dg_alive

done_tests
