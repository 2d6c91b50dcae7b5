#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the runtime API (erl/distguard.erl, issue 21), Livebook's
# shape.  A server node srv restricts, through its own API, two client
# nodes that do not exist yet to reg_send to their own gateway (c1 ->
# gw1, c2 -> gw2), then starts them at run time (erl, distguard_epmd, as
# the other suites' nodes).  Each client reaches its gateway; another
# gateway, another registered name (vault), erpc, rpc and a gen_server
# call are all denied, alerted, and never delivered.  The changes raise
# policy.api alerts naming srv and are counted in the metrics.
#
# Then the time from a set_filter returning to the first judged message
# of a live connection: tp sends to tb's gateway every millisecond, tb
# turns that into a deny; no message sent after the call returned is
# delivered.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgapi.erl" || not_ok "dgapi.erl compiles"

MPORT=$((LBASE + 39))
write_conf \
    '{node, "c*@*", [{peer, "srv@*", [allow_all]}]}.' \
    '{node, "tp@*", [{peer, "tb@*", [allow_all]}]}.' \
    "{metrics, [{listen, \"127.0.0.1:$MPORT\"}]}."
dg_start || exit 1

# How srv starts a client: the suite's erl arguments, bounded in time.
{
	echo '#!/bin/bash'
	printf 'name=$1\n'
	printf 'timeout -k 2 60 erl -sname "$name"'
	printf ' %q' "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false
	printf ' -eval "dgapi:client(\\"srv@%s\\", $2, $3, \\"%s\\")"' "$HOST" "$T"
	printf ' > %q/"$name".log 2>&1 &\n' "$T"
	printf 'echo $! >> %q/client_pids\n' "$T"
} > "$T/start_client.sh"
chmod +x "$T/start_client.sh"
CLEANUPS+=("[ -f '$T/client_pids' ] && kill \$(cat '$T/client_pids')")

timeout -k 2 150 erl -sname srv "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    "${ERL_SAY_OTP[@]}" -eval "dgapi:livebook(\"$T\")" > "$T/srv.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/dg.log" "node srv registered" 15 || not_ok "srv registered"
# Without the API (the old code) nothing below can pass: stop here.
wait_for "$T/srv.log" "clients started" 20 || { not_ok "srv started its clients"; exit 1; }
otp_is "$T/srv.log"
check "srv's two add_filter calls, made before its clients exist, return ok" \
    grep -q "^filters set: \[ok,ok\]" "$T/srv.log"
check "policy() lists both filters and the file" \
    grep -q "policy: \[{filter,<<\"c.@$HOST\">>,reg_send,<<\"gw.\">>,allow},{filter,<<\"c.@$HOST\">>,reg_send,<<\"gw.\">>,allow},{file,<<\"$CONF\">>}\]" "$T/srv.log"
check "test_filter: c1 to gw1 is allowed by the API's rule" \
    grep -q "^test c1 gw1: {allow,{api,<<\"{allow, reg_send, \[Name\]}\">>}}" "$T/srv.log"
check "test_filter: c1 to gw2 is denied" grep -q "^test c1 gw2: {deny," "$T/srv.log"
check "test_filter: c1's erlang:node() by spawn_request is denied" \
    grep -q "^test c1 rpc: {deny," "$T/srv.log"

for c in c1 c2; do
	wait_for "$T/$c@$HOST.result" "." 40 || not_ok "$c finished"
done
want='[reached,not_reached,not_reached,denied,denied,denied,reached].'
r1=$(cat "$T/c1@$HOST.result" 2>/dev/null)
r2=$(cat "$T/c2@$HOST.result" 2>/dev/null)
echo "# c1: $r1"
echo "# c2: $r2"
check "c1 reaches gw1 (twice) and nothing else: gw2, vault, erpc, rpc, gen_server:call" same "$r1" "$want"
check "c2 reaches gw2 (twice) and nothing else" same "$r2" "$want"
check "gw1 got c1's two hellos" [ "$(grep -c "^gw1 got hello from c1@" "$T/srv.log")" = 2 ]
check "gw2 got c2's two hellos" [ "$(grep -c "^gw2 got hello from c2@" "$T/srv.log")" = 2 ]
check "gw2 never got anything from c1, gw1 nothing from c2" \
    not grep -qE "^gw2 got .*c1@|^gw1 got .*c2@" "$T/srv.log"
check "vault got nothing at all" not grep -q "^vault got" "$T/srv.log"
check "the denials are alerted (filter.denied, node srv, peer c1)" \
    grep -q "\"event\":\"filter.denied\".*\"peer\":\"c1@$HOST\".*\"node\":\"srv@$HOST\"\|\"event\":\"filter.denied\".*\"node\":\"srv@$HOST\".*\"peer\":\"c1@$HOST\"" "$ALERTS"
check "each change raised policy.api naming srv" \
    [ "$(grep '"event":"policy.api"' "$ALERTS" | grep -c "\"node\":\"srv@$HOST\".*add_filter: peer c.@$HOST, reg_send gw. allow")" = 2 ]
touch "$T/stats_now"
wait_for "$T/srv.log" "^stats: " 10
check "stats() counts c1's allowed reg_sends" grep -q "{<<\"c1@$HOST\">>,reg_send,allow,[2-9]}" "$T/srv.log"
check "stats() counts c1's denied reg_sends" grep -q "{<<\"c1@$HOST\">>,reg_send,deny,[0-9]*}" "$T/srv.log"
m=$(curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" | grep '^distguard_api_changes_total')
check "the metrics count the changes ($m)" same "$m" "distguard_api_changes_total 2"

# ---- time from set_filter returning to the first judged message ----
timeout -k 2 60 erl -sname tb "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    -eval "dgapi:timing(\"tp@$HOST\", \"$T\")" > "$T/tb.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/tb.log" "b ready" 20 || not_ok "tb ready"
timeout -k 2 60 erl -sname tp "${ERL_COMMON[@]}" "${ERL_MOD[@]}" -connect_all false \
    -eval "dgapi:timing_peer(\"tb@$HOST\", \"$T\")" > "$T/tp.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/timing" "." 30 || not_ok "tb measured"
for _ in $(seq 1 100); do [ -s "$T/sent" ] && break; sleep 0.2; done
read -r t0 t1 last < "$T/timing"
echo "# set_filter called at $t0, returned at $t1, last delivered seq $last"
late=$(awk -v t1="$t1" -v last="$last" '$1 <= last && $2 > t1' "$T/sent" | wc -l)
check "no message sent after set_filter returned was delivered ($late)" [ "$late" = 0 ]
next=$(awk -v last="$last" '$1 == last + 1 {print $2}' "$T/sent")
firstafter=$(awk -v t1="$t1" '$2 > t1 {print $2; exit}' "$T/sent")
check "the message after the last delivered one was sent ($next)" [ -n "$next" ]
echo "# set_filter took $(( t1 - t0 )) us; the first message judged by the new rule (seq $((last + 1))) left $(( ${next:-0} - t1 )) us after it returned; the first message sent after it returned left $(( ${firstafter:-0} - t1 )) us after"
check "tb's gateway denial is alerted" grep -q "\"event\":\"filter.denied\".*tp@$HOST" "$ALERTS"

# ---- Elixir calls the module as it is ----
# Under DG_OTP the Elixir of that release's root (forky's 1.20 on OTP 29);
# trixie's root has none, and the host's runs on OTP 25, which make test
# covers: the check is skipped there, visibly and not counted as a pass.
if [ -n "${DG_OTP:-}" ] && [ ! -x "$(sh "$ROOT/scripts/otp-root.sh" "$DG_OTP" path)/usr/bin/elixir" ]; then
	echo "# skip - Elixir calls :distguard.set_filter and test_filter with no wrapper (no Elixir in OTP $DG_OTP's root)"
elif command -v elixir > /dev/null; then
	timeout -k 2 60 elixir --sname ex --cookie "$COOKIE" --erl "${ERL_COMMON[*]} ${ERL_MOD[*]}" -e '
	    IO.puts("ex api: #{inspect(:distguard.set_filter(:"pz@'"$HOST"'", :reg_send, :reject))} #{inspect(:distguard.test_filter(:"pz@'"$HOST"'", :reg_send, :gateway))} #{inspect(:distguard.policy())}")' \
	    > "$T/ex.log" 2>&1
	sed 's/^/# /' "$T/ex.log" | head -n 5
	check "Elixir calls :distguard.set_filter and test_filter with no wrapper" \
	    grep -q 'ex api: :ok {:deny, {:api, "{deny, reg_send}"}} \[{:filter, "pz@'"$HOST"'", :reg_send, :_, :deny}' "$T/ex.log"
else
	not_ok "elixir is installed (scripts/deps.sh)"
fi

touch "$T/stop"
check "the daemon is alive" dg_alive
done_tests
