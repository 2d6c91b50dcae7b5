#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the message handlers (issue 21 item 1, docs/FILTER.md 26),
# with real OTP nodes.  {handler, reg_send | send | alias_send |
# group_leader, dgt_handler}: an allowed message of the type runs
# dgt_handler:Type(Node, From, To, Msg) in a new process of b, which
# answers {handled, ...} to the sender; the real target gets nothing,
# the node's SPAWN_REPLY is swallowed, and whatever the filter refuses
# (rules, code guard, atom budget, fragments) never reaches a handler.
#
# Local node b runs dgt:serve/1 behind distguard.  Peers, by name:
#   hr*   reg_send handler: gateway allowed, vault denied
#   hs*   send handler (to pids of owner/1, which it may spawn)
#   ha*   alias_send handler
#   hg*   group_leader handler
#   hb*   reg_send handler and an atom budget of 200
#   xapi* no handler in the file: b sets one through distguard:set_handler
#   adm*  allow_all, no handler: looks at b from the inside
. "$(dirname "$0")/lib.sh"
# The peers are stock OTP nodes standing in for peers of other hosts
# (as t_guard.sh's): they register only because they listen.
DG_EGRESS=off
cd "$T" || exit 1

erlc -o "$T" "$ROOT/tests/e2e/dgt_handler.erl" >/dev/null 2>&1 || not_ok "erlc dgt_handler"
export DGT_HANDLER_LOG="$T/handler.log"
: > "$DGT_HANDLER_LOG"
export DGT_B="b@$HOST"
B="b@$HOST"
OWNER='{allow, spawn_request, [{dgt_handler, owner, 1}]}'

write_conf \
    '{peer, "adm*@*", [allow_all]}.' \
    '{peer, "hr*@*", [{allow, reg_send, [gateway]}],
                     [{handler, reg_send, dgt_handler}]}.' \
    "{peer, \"hs*@*\", [$OWNER, {allow, send}], [{handler, send, dgt_handler}]}." \
    "{peer, \"ha*@*\", [$OWNER, {allow, alias_send}], [{handler, alias_send, dgt_handler}]}." \
    "{peer, \"hg*@*\", [$OWNER, {allow, send}, {allow, group_leader}],
                      [{handler, group_leader, dgt_handler}]}." \
    '{peer, "hb*@*", [{allow, reg_send, [gateway]}],
                     [{atoms, 200}, {handler, reg_send, dgt_handler}]}.' \
    '{peer, "xapi*@*", [{allow, reg_send, [gateway]}]}.'
dg_start || exit 1
node_start b -eval "dgt:serve(170)" || exit 1

# ev0 NAME EXPR: node_eval's, its value printed on one line.
ev0() {
	timeout -k 2 40 erl -sname "$1" "${ERL_COMMON[@]}" \
	    -eval "Node = '$B', R = begin $2 end, io:format(\"~0p~n\", [R]), halt()." 2>&1 | tail -n 1
}
# hcall NAME CALL: a peer NAME runs dgt_handler:CALL.
hcall() { ev0 "$1" "dgt_handler:$2"; }
handled_log() { grep -c "$1" "$DGT_HANDLER_LOG" 2>/dev/null; }

# ---- 1. each type: the handler runs with (Node, From, To, Msg) -------------
r=$(hcall hr1 "peer_reg_send()")
check "reg_send: {gateway, b} ! M and gen_server:call(gateway) reach the handler, replies reach the caller, nothing else does ($r)" \
    [ "$r" = "{ok,ok,[]}" ]
check "reg_send: the handler ran on b with (hr1, From, gateway, dg_m1)" \
    grep -q "^handled reg_send '\?hr1@$HOST'\? <[0-9.]*> gateway dg_m1$" "$DGT_HANDLER_LOG"
check "reg_send: the gen_server call's message as sent ('\$gen_call')" \
    grep -q "^handled reg_send '\?hr1@$HOST'\? <[0-9.]*> gateway {'\$gen_call',{<[0-9.]*>,\[alias|#Ref<[0-9.]*>\]},dg_req}$" "$DGT_HANDLER_LOG"
r=$(hcall hs1 "peer_by_pid(send)")
check "send: Pid ! M reaches the handler, not the target; no stray message ($r)" \
    [ "$r" = "{ok,[]}" ]
check "send: the handler ran with (hs1, From, Pid, dg_m2)" \
    grep -q "^handled send '\?hs1@$HOST'\? <[0-9.]*> <[0-9.]*> dg_m2$" "$DGT_HANDLER_LOG"
r=$(hcall ha1 "peer_by_pid(alias)")
check "alias_send: Alias ! M reaches the handler, not the target ($r)" \
    [ "$r" = "{ok,[]}" ]
check "alias_send: the handler ran with (ha1, From, Alias, dg_m2)" \
    grep -q "^handled alias_send '\?ha1@$HOST'\? <[0-9.]*> #Ref<[0-9.]*> dg_m2$" "$DGT_HANDLER_LOG"
r=$(hcall hg1 "peer_group_leader()")
check "group_leader: group_leader(Self, Pid) runs the handler, Pid's group leader is unchanged ($r)" \
    [ "$r" = "{ok,unchanged,[]}" ]
check "group_leader: the handler ran with (hg1, GroupLeader, Pid)" \
    grep -q "^handled group_leader '\?hg1@$HOST'\? <[0-9.]*> <[0-9.]*>$" "$DGT_HANDLER_LOG"
r=$(node_eval adm1 "{gateway, Node} ! {self(), count}, receive {count, N} -> N after 5000 -> timeout end" | tail -n 1)
check "the real target (gateway) received none of the handled messages ($r)" [ "$r" = "0" ]
check "no filter.handler alert so far: every reply swallowed quietly" \
    not grep -q '"filter.handler"' "$ALERTS"

# The wire seen by a crafted peer: the handler's answer arrives, the node's
# SPAWN_REPLY to the spawn the guard made in its name does not.  The
# control: a spawn the peer makes itself (adm*, allow_all) is answered.
LPORT_B=$(stock_epmd -names | sed -n 's/^name b at port \([0-9]*\)$/\1/p')
HP="python3 $ROOT/tests/e2e/hmsg_peer.py"
r=$(timeout 30 $HP "$LPORT_B" "hr6@$HOST" "$COOKIE" regsend 2>&1 | tail -n 1)
check "a crafted peer gets the handler's answer and no SPAWN_REPLY: swallowed ($r)" \
    [ "$r" = "spawn_reply=0 handled=1 eof=0" ]
check "... the handler ran for it" \
    grep -q "^handled reg_send '\?hr6@$HOST'\? <[0-9.]*> gateway dg_crafted$" "$DGT_HANDLER_LOG"
r=$(timeout 30 $HP "$LPORT_B" "adm9@$HOST" "$COOKIE" spawn 2>&1 | tail -n 1)
check "the control: the peer's own spawn request is answered, SPAWN_REPLY seen ($r)" \
    [ "$r" = "spawn_reply=1 handled=0 eof=0" ]

# ---- 2. a handler that crashes ----------------------------------------------
timeout -k 2 40 erl -sname hr2 "${ERL_COMMON[@]}" \
    -eval "R = dgt_handler:peer_crash(), io:format(\"~0p~n\", [R]), halt()." > "$T/hr2.log" 2>&1
r=$(tail -n 1 "$T/hr2.log")
check "a crashing handler leaves the connection up, the next message is handled, the peer gets nothing else ($r)" \
    [ "$r" = "{true,ok,[],true}" ]
check "the handler did run with the message that crashed it" \
    grep -q "^handled reg_send '\?hr2@$HOST'\? <[0-9.]*> gateway crash$" "$DGT_HANDLER_LOG"
# Its group leader is the sender: the crash report goes to the peer's node,
# as any process's whose group leader lives there (docs/FILTER.md 26).
check "the crash is reported where its group leader lives (the peer's node)" \
    grep -q "dgt_handler_crash" "$T/hr2.log"
r=$(node_eval adm2 "erpc:call(Node, erlang, node, [], 5000)" | tail -n 1)
check "b is still up ($r)" [ "$r" = "$B" ]

# ---- 2b. the handler processes a peer keeps alive are bounded --------------
# Each handler's spawn links it to the sender; its slot stays in the
# guard's table (1,024 per connection) until its exit signal: 1,300 handlers that sleep
# 4 s, sent within a second, run 1,024 at most, the rest are denied; once they
# ended, the connection's next message is handled again.
r=$(hcall hr7 "peer_flood(1300, 4000)")
n=$(handled_log '^sleeper$')
check "1,300 sleeping handlers sent within a second: at most 1,024 ran ($n)" \
    [ "${n:-0}" -le 1024 -a "${n:-0}" -ge 1000 ]
check "... the others were denied: filter.handler, too many handler spawns in flight" \
    grep -q '"filter.handler".*"peer":"hr7@.*too many handler spawns in flight' "$ALERTS"
check "... once they ended (their exit signals), the next message is handled ($r)" \
    grep -q "^{{handled,reg_send,'\?hr7@$HOST'\?,<[0-9.]*>,gateway,dg_after},true}$" <<<"$r"
r=$(node_eval adm6 "erpc:call(Node, erlang, node, [], 5000)" | tail -n 1)
check "b is still up ($r)" [ "$r" = "$B" ]
# The link ends a handler when its peer's connection goes: a peer that
# leaves and comes back (or another name) finds none of its old ones.
n0=$(handled_log '^sleeper$')
r=$(hcall hr8 "peer_leave(50, 60000)")
n=$(handled_log '^sleeper$')
check "50 handlers that sleep a minute ran ($((n - n0)); connected: $r)" [ "$((n - n0))" = 50 -a "$r" = true ]
for i in $(seq 1 8); do
	left=$(node_eval adm7 "erpc:call(Node, dgt_handler, count_handlers, [], 5000)" | tail -n 1)
	[ "$left" = 0 ] && break
	sleep 1
done
check "... and none outlives the peer's connection (alive after it left: $left)" [ "$left" = 0 ]

# ---- 3. what the filter refuses never reaches a handler --------------------
r=$(hcall hr3 "peer_denied()")
check "a send the rules deny is not handed to the handler ($r)" [ "$r" = "{timeout,[]}" ]
check "... it is alerted filter.denied" \
    grep -q '"filter.denied".*"peer":"hr3@.*reg_send to vault' "$ALERTS"
check "... and no handler ran for it" [ "$(handled_log dg_denied)" = "0" ]
r=$(hcall hr4 "peer_fun()")
check "a fun under a handler: no reply ($r)" [ "$r" = "{timeout,[]}" ]
check "... the code guard refused it (filter.code)" \
    grep -q '"filter.code".*"peer":"hr4@' "$ALERTS"
check "... before any rewrite: no handler ran" [ "$(handled_log dg_fun)" = "0" ]
r=$(hcall hb1 "peer_atoms(1000)")
check "1,000 fresh atoms under a handler with a budget of 200: no reply ($r)" \
    grep -q "^{timeout," <<<"$r"
check "... the atom budget refused it (filter.atom_flood)" \
    grep -q '"filter.atom_flood".*"peer":"hb1@' "$ALERTS"
check "... before any rewrite: no handler ran" [ "$(handled_log dg_hb_)" = "0" ]
r=$(hcall hr5 "peer_large()")
check "a message in fragments under a handler is denied, the next is handled ($r)" \
    grep -q "^{timeout,{handled,reg_send,'\?hr5@$HOST'\?,<[0-9.]*>,gateway,dg_small}}$" <<<"$r"
check "... alerted filter.handler with the reason" \
    grep -q '"filter.handler".*"peer":"hr5@.*deny reg_send to gateway: handler dgt_handler not applied: a message in fragments' "$ALERTS"
check "... and no handler ran for it" [ "$(handled_log dg_large)" = "0" ]

# ---- 4. set through the API on a live connection -----------------------------
timeout -k 2 40 erl -sname xapi1 "${ERL_COMMON[@]}" \
    -eval "R = dgt_handler:peer_live(\"$T/api_set\"), io:format(\"~0p~n\", [R]), halt()." \
    > "$T/xapi1.log" 2>&1 &
PIDS+=("$!")
XAPI=$!
wait_for "$T/xapi1.log" "^phase1" 20 || not_ok "xapi1 sent its first message"
check "before set_handler, the message reached gateway itself" grep -q "^phase1 {count,0}" "$T/xapi1.log"
r=$(node_eval adm3 "erpc:call(Node, distguard, set_handler, ['xapi1@$HOST', reg_send, dgt_handler], 5000)" | tail -n 1)
check "distguard:set_handler(xapi1, reg_send, dgt_handler) on b returns ok ($r)" [ "$r" = "ok" ]
r=$(ev0 adm4 "erpc:call(Node, distguard, policy, [], 5000)")
check "policy() shows the handler ($r)" \
    grep -q "{handler,<<\"xapi1@$HOST\">>,reg_send,<<\"dgt_handler\">>}" <<<"$r"
r=$(node_eval adm5 "erpc:call(Node, distguard, set_handler, ['xapi9@$HOST', monitor, dgt_handler], 5000)" | tail -n 1)
check "set_handler of a type no handler takes is refused ($r)" grep -q "^{error," <<<"$r"
touch "$T/api_set"
wait $XAPI 2>/dev/null
r=$(tail -n 1 "$T/xapi1.log")
check "the live connection's next message runs the handler set through the API ($r)" \
    [ "$r" = "{{count,0},handled,true}" ]

# ---- 5. configuration errors --------------------------------------------------
cat > "$T/bad.conf" <<EOF
{peer, "x@*", [ping], [{handler, monitor, dgt_handler}]}.
{handler, reg_send, "dgt_handler"}.
{handler, send, a}.
{handler, send, b}.
{node, "n@*", [{handler, exit, m}]}.
EOF
out=$("$DG" check -c "$T/bad.conf" 2>&1)
check "check: an unknown handler type in a peer entry gives FILE:LINE" \
    grep -q "^$T/bad.conf:1: unknown handler type" <<<"$out"
check "check: a module that is not an atom gives FILE:LINE" \
    grep -q "^$T/bad.conf:2: handler module must be an atom" <<<"$out"
check "check: a type's handler given twice in a scope gives FILE:LINE" \
    grep -q "^$T/bad.conf:4: handler of send given twice" <<<"$out"
check "check: an unknown handler type in a node scope gives FILE:LINE" \
    grep -q "^$T/bad.conf:5: unknown handler type" <<<"$out"
out=$("$DG" check -c "$CONF" 2>&1)
check "check: the suite's configuration loads and shows its message handlers" \
    grep -q "handler.*reg_send.*dgt_handler:reg_send/4" <<<"$out"

r=$("$DG" test -c "$CONF" "hr1@$HOST" reg_send gateway 2>&1)
check "distguard test says an allowed reg_send runs the handler ($r)" \
    grep -q "^allow .*; runs dgt_handler:reg_send/4 in a new process instead of reaching its target" <<<"$r"
r=$("$DG" test -c "$CONF" "hr1@$HOST" reg_send vault 2>&1)
check "... and a denied one does not ($r)" not grep -q "runs dgt_handler" <<<"$r"

check "b stayed up through it all" kill -0 "$PID_b"
check "the daemon stayed up" dg_alive
done_tests
