#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end, issue 18 item 5: spawn_request options are judged.  A
# typical allow-list admits one MFA; a peer used to add options to the
# request that the node applied as given: {min_heap_size, 1 bsl 36}
# halted it (eheap_alloc), {priority, max}, max_heap_size and
# message_queue_data passed unjudged, and so did a third node's group
# leader.  Now only link and monitor pass by default, a rule can name
# further options with bounds, a process of the node itself is never the
# group leader, and {group_leader, peer} refuses a third node's (which
# chained rpc and erpc send, so the default admits it: t_egress.sh).
. "$(dirname "$0")/lib.sh"
# The peers are stock nodes that register unmediated (as in t_default.sh).
DG_EGRESS=off
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgotp.erl" >/dev/null 2>&1 || not_ok "dgotp.erl compiles"

write_conf "{peer, \"m*\", [ping, global, replies, {allow, spawn_request, [{dgotp, probe, 0}], [{group_leader, peer}]}]}." \
    "{peer, \"o*\", [ping, global, replies, {allow, spawn_request, [{dgotp, probe, 0}], [{min_heap_size, 100000}, {priority, high}]}]}." \
    "{default, [ping, global, replies]}." "{bans, [{failures, 0}]}."
printf '{peer, "x*", [{allow, spawn_request, [{m, f, 0}], [{min_heap_size, 0}]}]}.\n' > "$T/bad.conf"
out=$("$DG" check -c "$T/bad.conf" 2>&1)
check "a heap bound out of range is a config error with FILE:LINE ($out)" \
    grep -q "bad.conf:1: min_heap_size bound must be 1\.\." <<<"$out"
dg_start || exit 1

node_start b -eval "dgotp:watch()" || exit 1
wait_for "$T/b.log" "^state 2 " 10 || not_ok "b: its watcher runs"
pids0=$(state_field 3); atoms0=$(state_field 4)

# The halting one last: on the old code nothing after it would run.
CASES="[{plain_monitor, [monitor]}, {link_monitor, [link, monitor]},
  {priority_max, [monitor, {priority, max}]},
  {max_heap_size, [monitor, {max_heap_size, 100000}]},
  {message_queue_data, [monitor, {message_queue_data, off_heap}]},
  {third_node_gl, {gl, 'c@$HOST'}},
  {min_heap_size_huge, [monitor, {min_heap_size, 1 bsl 36}]}]"
r=$(EVAL_TIMEOUT=60 node_eval m1 "dgotp:spawns(Node, $CASES)")
echo "# $r" | tr '\n' ' '; echo
check "spawn_request with [monitor] passes" grep -q "{plain_monitor,spawned}" <<<"$r"
check "spawn_request with [link, monitor] passes" grep -q "{link_monitor,spawned}" <<<"$r"
for c in priority_max max_heap_size message_queue_data third_node_gl min_heap_size_huge; do
	check "spawn_request with $c is refused" grep -q "{$c,refused}" <<<"$r"
done
check "alert: a spawn option the rule does not name" \
    grep -q '"filter.denied".*spawn_request mfa dgotp:probe/0.*reason a spawn option the rule does not name' "$ALERTS"
check "alert: a group leader of another node" \
    grep -q '"filter.denied".*spawn_request mfa dgotp:probe/0.*reason a group leader of another node' "$ALERTS"

# A rule that names bounds admits what is within them, and no more.
r=$(EVAL_TIMEOUT=40 node_eval o1 "dgotp:spawns(Node, [{heap_in, [monitor, {min_heap_size, 5000}]}, {prio_high, [monitor, {priority, high}]}, {prio_max, [monitor, {priority, max}]}, {heap_out, [monitor, {min_heap_size, 1 bsl 36}]}, {own_gl, {gl, Node}}, {third_gl, {gl, 'c@$HOST'}}])")
echo "# $r" | tr '\n' ' '; echo
check "a named bound admits {min_heap_size, 5000}" grep -q "{heap_in,spawned}" <<<"$r"
check "a named priority admits {priority, high}" grep -q "{prio_high,spawned}" <<<"$r"
check "... but not {priority, max}" grep -q "{prio_max,refused}" <<<"$r"
check "... nor a heap past the bound" grep -q "{heap_out,refused}" <<<"$r"
check "a process of b itself as group leader is refused" grep -q "{own_gl,refused}" <<<"$r"
check "without {group_leader, peer} a third node's group leader passes (chained rpc)" \
    grep -q "{third_gl,spawned}" <<<"$r"
check "alert: a group leader of this node" \
    grep -q "reason a group leader of this node" "$ALERTS"
check "alert: a spawn heap size past the rule's bound" \
    grep -q "reason a spawn heap size past the rule's bound" "$ALERTS"

# The legacy code requests: net_kernel's spawn_opt carries options too,
# and its and rex's group leader is judged as a SPAWN_REQUEST's (on the
# code before, the huge heap halted b through net_kernel as it did
# through spawn_request).  The halting one last.
r=$(EVAL_TIMEOUT=60 node_eval o2 "GL = group_leader(), dgotp:legacy(Node, [
    {nk_heap_in, net_kernel, {spawn_opt, dgotp, probe, [], [{min_heap_size, 5000}], no_link, GL}},
    {nk_prio_max, net_kernel, {spawn_opt, dgotp, probe, [], [{priority, max}], no_link, GL}},
    {nk_own_gl, net_kernel, {spawn, dgotp, probe, [], own_pid}},
    {rex_in, rex, {call, dgotp, probe, [], GL}},
    {rex_own_gl, rex, {call, dgotp, probe, [], own_pid}},
    {nk_heap_huge, net_kernel, {spawn_opt, dgotp, probe, [], [{min_heap_size, 1 bsl 36}], no_link, GL}}])")
echo "# $r" | tr '\n' ' '; echo
check "net_kernel spawn_opt within the rule's bound passes" grep -q "{nk_heap_in,spawned}" <<<"$r"
check "rex call with the peer's group leader passes" grep -q "{rex_in,spawned}" <<<"$r"
for c in nk_prio_max nk_own_gl rex_own_gl nk_heap_huge; do
	check "legacy request $c is refused" grep -q "{$c,refused}" <<<"$r"
done
check "alert: net_kernel spawn options judged" \
    grep -q '"filter.denied".*net_kernel.*reason a spawn heap size past the rule' "$ALERTS"

b_unharmed "Kernel pid terminated\\|eheap_alloc"

done_tests
