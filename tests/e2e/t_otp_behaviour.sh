#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end, issue 18 item 6: OTP's behaviour protocols are not "a
# message to a name".  A typical allow-list names a gen_server and a
# supervisor; through them a peer used to read a server's state
# (sys:get_state), freeze it (sys:suspend), kill it with a forged
# {'EXIT', Parent, kill}, and make a supervisor run an MFA of its choice
# (supervisor:start_child).  Now each is denied with its reason, unless
# the rule names the protocol ({allow, reg_send, [Name], [sys]}), and
# `distguard check` warns about the OTP server in the list.
. "$(dirname "$0")/lib.sh"
# The peers are stock nodes that register unmediated (as in t_default.sh).
DG_EGRESS=off
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgotp.erl" >/dev/null 2>&1 || not_ok "dgotp.erl compiles"

write_conf "{peer, \"m*\", [ping, global, replies, {allow, reg_send, [dgt_gs, kernel_sup]}]}." \
    "{peer, \"s*\", [ping, global, replies, {allow, reg_send, [dgt_gs], [sys]}]}." \
    "{default, [ping, global, replies]}." "{bans, [{failures, 0}]}."
out=$("$DG" check -c "$CONF" 2>&1)
check "distguard check warns: kernel_sup is an OTP server" \
    grep -q "reg_send} of kernel_sup for peer \"m\*\": an OTP server" <<<"$out"
check "distguard check warns: a rule that admits sys" \
    grep -q "with sys for peer \"s\*\"" <<<"$out"
check "distguard check does not warn about dgt_gs as an OTP server" \
    not grep -q "of dgt_gs for" <<<"$out"
r=$("$DG" test -c "$CONF" --term '{system, x, get_state}' "m1@$HOST" reg_send dgt_gs 2>&1)
check "distguard test: sys to an allowed name is denied ($r)" \
    grep -q "^deny .*reason sys protocol" <<<"$r"
r=$("$DG" test -c "$CONF" --term '{system, x, get_state}' "s1@$HOST" reg_send dgt_gs 2>&1)
check "distguard test: ... and allowed where the rule names sys ($r)" \
    grep -q "^allow {allow, reg_send, \[Name\]}" <<<"$r"
printf '{peer, "x*", [{allow, reg_send, [a], [sys, nonsense]}]}.\n' > "$T/bad.conf"
out=$("$DG" check -c "$T/bad.conf" 2>&1)
check "an unknown protocol is a config error with FILE:LINE ($out)" \
    grep -q "bad.conf:1: .*unknown protocol 'nonsense'" <<<"$out"
dg_start || exit 1

node_start b -eval "dgotp:watch()" || exit 1
wait_for "$T/b.log" "^state 2 " 10 || not_ok "b: its watcher runs"
pids0=$(state_field 3); atoms0=$(state_field 4)

r=$(EVAL_TIMEOUT=40 node_eval m1 "dgotp:behaviours(Node, \"$T/marker\")")
echo "# $r"
check "sys:get_state through an allowed name is refused" grep -q "{sys_get_state,refused}" <<<"$r"
check "sys:suspend through an allowed name is refused" grep -q "{sys_suspend,refused}" <<<"$r"
check "supervisor:start_child through an allowed name is refused" grep -q "{start_child,refused}" <<<"$r"
check "supervisor:which_children through an allowed name is refused" grep -q "{which_children,refused}" <<<"$r"
check "the server still answers after a forged {'EXIT', Parent, kill}" grep -q "{ping_after,answered}" <<<"$r"
check "the child spec's MFA did not run" [ ! -e "$T/marker" ]
check "alert: sys protocol" grep -q '"filter.denied".*reg_send to dgt_gs.*reason sys protocol' "$ALERTS"
check "alert: supervisor protocol" grep -q '"filter.denied".*reg_send to kernel_sup.*reason supervisor protocol' "$ALERTS"
check "alert: a signal forged as a message" grep -q '"filter.denied".*reg_send to dgt_gs.*reason a signal forged as a message' "$ALERTS"

r=$(EVAL_TIMEOUT=30 node_eval s1 "dgotp:sys_allowed(Node)")
check "a rule that names sys admits sys:get_state ($r)" [ "$r" = "#{}" ]

b_unharmed "Kernel pid terminated"

done_tests
