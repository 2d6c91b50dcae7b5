#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end, issue 18 item 6 (its last point): io requests by pid go
# only to a group leader that the protected node b handed to this peer.
# b calls each peer the ways that hand it a leader (rpc:call, erpc:call,
# io:get_line through rpc, spawn/4, erlang:group_leader/2, rex's call and
# cast, net_kernel's legacy spawn), each leader a
# capture process on b, and the output must come back.  Then b shows the
# peer another io server in a plain message (disclosed, never a leader),
# and the peer sends it {io_request, self(), Ref, {put_chars, unicode,
# "x-attack\n"}}: denied with reason io protocol under the embedded
# default, a typical allow-list and an allow-list of pid capabilities,
# admitted only by {allow, send, disclosed, [io]}.  b's kernel servers,
# atom count and global stay as they were.
. "$(dirname "$0")/lib.sh"
# The peers are stock nodes that register unmediated (as in t_default.sh).
DG_EGRESS=off
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgotp.erl" "$ROOT/tests/e2e/dgio.erl" >/dev/null 2>&1 ||
    not_ok "dgotp.erl and dgio.erl compile"

# a*: the embedded default.  t*: a typical allow-list (names, an MFA).
# d*: pid capabilities without io.  e*: a rule that names io.
write_conf "{peer, \"d*\", [ping, {allow, send, disclosed}, {allow, monitor, disclosed}]}." \
    "{peer, \"t*\", [ping, global, replies, {allow, reg_send, [dgt_gs, echo]}, {allow, spawn_request, [{io, format, '_'}]}]}." \
    "{peer, \"e*\", [ping, {allow, send, disclosed, [io]}, {allow, monitor, disclosed}]}." \
    "{default, [ping, global, replies]}." "{bans, [{failures, 0}]}."
out=$("$DG" check -c "$CONF" 2>&1)
check "the configuration with {allow, send, disclosed, [io]} loads ($out)" \
    grep -q "configuration OK" <<<"$out"
check "distguard check does not warn about a disclosed rule with io" \
    not grep -q "disclosed, \[...\]} with" <<<"$out"
printf '{peer, "x*", [{allow, send, disclosed, [sys]}]}.\n' > "$T/warn.conf"
out=$("$DG" check -c "$T/warn.conf" 2>&1)
check "distguard check warns about a disclosed rule with sys ($out)" \
    grep -q "warn.conf:1: .*{allow, send, disclosed, \[...\]} with sys" <<<"$out"
printf '{peer, "x*", [{allow, link, disclosed, [io]}]}.\n' > "$T/bad.conf"
out=$("$DG" check -c "$T/bad.conf" 2>&1)
check "a protocol list on a disclosed link rule is a config error with FILE:LINE ($out)" \
    grep -q "bad.conf:1: .*fourth element" <<<"$out"
printf '{peer, "x*", [{allow, send, disclosed, [io, nonsense]}]}.\n' > "$T/bad.conf"
out=$("$DG" check -c "$T/bad.conf" 2>&1)
check "an unknown protocol of a disclosed rule is a config error ($out)" \
    grep -q "bad.conf:1: .*unknown protocol 'nonsense'" <<<"$out"
dg_start || exit 1

node_start b -eval "dgotp:watch()" -eval "dgio:on_b()" || exit 1
wait_for "$T/b.log" "^state 2 " 10 || not_ok "b: its watcher runs"
wait_for "$T/b.log" "^dgio watching" 10 || not_ok "b: dgio watches for peers"
pids0=$(state_field 3); atoms0=$(state_field 4)

# What b's own calls got back from peer P.
legit() {
	local p=$1 line
	wait_for "$T/b.log" "^ioresult $p@" 30 || { not_ok "$p: b's calls finished"; return; }
	line=$(grep "^ioresult $p@" "$T/b.log" | tail -n 1)
	echo "# $line"
	check "$p: rpc:call(P, io, format) output comes back to b" \
	    grep -q '{rpc,ok,"hello-rpc\\n"}' <<<"$line"
	check "$p: erpc:call(P, io, format) output comes back to b" \
	    grep -q '{erpc,ok,"hello-erpc\\n"}' <<<"$line"
	check "$p: rpc:call(P, io, get_line) reads from b's leader" \
	    grep -q '{get_line,"typed\\n","say> "}' <<<"$line"
	check "$p: spawn(P, io, format, ...) output comes back to b" \
	    grep -q '{spawn4,ok,"hello-spawn\\n"}' <<<"$line"
	check "$p: output to a leader set by group_leader/2 comes back to b" \
	    grep -q '{group_leader,ok,"hello-gl\\n"}' <<<"$line"
	check "$p: rex's {call, M, F, A, GL}: output comes back to b" \
	    grep -q '{rex_call,ok,"hello-rex\\n"}' <<<"$line"
	check "$p: rex's {cast, M, F, A, GL}: output comes back to b" \
	    grep -q '{rex_cast,ok,"hello-cast\\n"}' <<<"$line"
	check "$p: net_kernel's {spawn, M, F, A, GL}: output comes back to b" \
	    grep -q '{nk_spawn,true,"hello-nk\\n"}' <<<"$line"
}
victim() {
	wait_for "$T/b.log" "^victim $1@" 30 || { not_ok "$1: the victim reported"; return 1; }
	grep "^victim $1@" "$T/b.log" | tail -n 1
}

# The embedded default.
r=$(EVAL_TIMEOUT=40 node_eval a1 "dgio:peer(Node)")
echo "# a1: $r"
legit a1
v=$(victim a1); echo "# $v"
check "a1 (embedded default): io to a disclosed pid that is not a leader is not answered ($r)" \
    grep -q "{victim,no_reply}" <<<"$r"
check "a1: the victim wrote nothing ($v)" grep -q '^victim a1@[^ ]* \[\]$' <<<"$v"
check "a1: alert filter.denied, send, reason io protocol" \
    grep -q '"filter.denied".*a1@.*send.*reason io protocol' "$ALERTS"

# A typical allow-list.
r=$(EVAL_TIMEOUT=40 node_eval t1 "dgio:peer(Node)")
echo "# t1: $r"
legit t1
v=$(victim t1); echo "# $v"
check "t1 (names and an MFA allowed): io to the victim is not answered ($r)" \
    grep -q "{victim,no_reply}" <<<"$r"
check "t1: the victim wrote nothing ($v)" grep -q '^victim t1@[^ ]* \[\]$' <<<"$v"
check "t1: alert filter.denied, send, reason io protocol" \
    grep -q '"filter.denied".*t1@.*send.*reason io protocol' "$ALERTS"

# Pid capabilities without io.
r=$(EVAL_TIMEOUT=40 node_eval d1 "dgio:peer(Node)")
echo "# d1: $r"
legit d1
v=$(victim d1); echo "# $v"
check "d1 ({allow, send, disclosed}): io to the victim is not answered ($r)" \
    grep -q "{victim,no_reply}" <<<"$r"
check "d1: the victim wrote nothing ($v)" grep -q '^victim d1@[^ ]* \[\]$' <<<"$v"
check "d1: alert filter.denied, send, reason io protocol" \
    grep -q '"filter.denied".*d1@.*send.*reason io protocol' "$ALERTS"

# A rule that names io admits it.
r=$(EVAL_TIMEOUT=40 node_eval e1 "dgio:peer(Node)")
echo "# e1: $r"
v=$(victim e1); echo "# $v"
check "e1 ({allow, send, disclosed, [io]}): io to the victim is answered ($r)" \
    grep -q "{victim,replied}" <<<"$r"
check "e1: the victim wrote it ($v)" grep -q '^victim e1@[^ ]* "x-attack\\n"$' <<<"$v"

check "no false alert: nothing but the three victims' io was denied" \
    same 3 "$(grep -c '"filter.denied"' "$ALERTS")"
b_unharmed "Kernel pid terminated"

done_tests
