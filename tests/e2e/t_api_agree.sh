#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: distguard:test_filter/3 agrees with the daemon's real
# verdict (issue 21).  Node b sets rules on peer p through its own API
# (names, MFAs, whole types, a default filter; deny, reject, drop,
# allow), then for each of 25 cases asks test_filter and has p send that
# message for real: the verdict is the counter of b's stats() that moved,
# and for reg_send whether the message was delivered.  Then b changes
# the rules (del_filter, new targets, other actions) and runs the 25
# again: 50 cases, every one must agree.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgapi.erl" || not_ok "dgapi.erl compiles"

write_conf '{node, "p@*", [{peer, "b@*", [allow_all]}]}.'
dg_start || exit 1

timeout -k 2 150 erl -sname b "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    "${ERL_SAY_OTP[@]}" -eval "dgapi:agree(\"p@$HOST\", \"$T\")" > "$T/b.log" 2>&1 &
PIDS+=("$!")
timeout -k 2 150 erl -sname p "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    -eval "dgapi:agree_peer()" > "$T/p.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/dg.log" "node b registered" 15 || not_ok "b registered"
wait_for "$T/p.log" "peer ready" 15 || not_ok "p ready"
touch "$T/peer_up"
wait_for "$T/b.log" "^phase 1 rules" 30 || { not_ok "b set its rules"; exit 1; }
otp_is "$T/b.log"
wait_for "$T/b.log" "^agree cases" 120 || not_ok "b ran the cases"
grep -E "^(case|phase|disagree)" "$T/b.log" | sed 's/^/# /'
check "phase 1's thirteen changes returned ok" \
    grep -q "^phase 1 rules: \[ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok\]" "$T/b.log"
check "phase 2's ten changes returned ok" \
    grep -q "^phase 2 rules: \[ok,ok,ok,ok,ok,ok,ok,ok,ok,ok\]" "$T/b.log"
check "50 cases, test_filter agreeing with the daemon on every one" \
    grep -q "^agree cases 50, disagreements 0" "$T/b.log"
for v in allow deny drop; do
	n=$(grep -c "^case .*daemon $v," "$T/b.log")
	check "the table holds verdicts $v ($n)" [ "$n" -ge 5 ]
done
check "some decided by the API's rules, some by the default" \
    sh -c "grep -q '^case .*{api,' '$T/b.log' && grep -q '^case .*{builtin,' '$T/b.log'"
check "the daemon is alive" dg_alive
done_tests
