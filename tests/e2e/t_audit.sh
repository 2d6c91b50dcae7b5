#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: audit mode and a policy suggested from real traffic (issue
# 22; docs/FILTER.md 22).
#
# 1. Under {default, deny} with {mode, audit}, a stock peer runs a
#    legitimate battery against b (tests/e2e/dgaudit.erl: ping, gen_server
#    call, erpc, spawn_request, link, monitor, global register/whereis, pg
#    join/get_members, rpc of io:format with the output coming back, a
#    1 MiB message): every step passes, would_deny counts move, and
#    filter.would_deny alerts name what would have been refused.
# 2. Audit mode keeps a crash protection: a spawn_request with
#    {min_heap_size, 1 bsl 36} is still refused, and b lives.
# 3. `distguard suggest` prints a policy; `distguard check` takes it as it
#    is; with {mode, enforce} it is loaded (reload) and the battery runs
#    again: every step passes, no denial.
# 4. Under the suggested policy the catalogue's attacks from the same peer
#    are denied: os:cmd through rex and through erpc, erpc:cast of
#    fun erlang:halt/0, a fun past the part of a message judged (which
#    audit mode forwarded, alerting); b lives.
# Where mix is installed, a mix release (rapp) runs as a protected node
# too, and its `bin/rapp rpc` and `bin/rapp remote` (helpers named
# rpc-XXXX-rapp@host and rem-XXXX-rapp@host) are part of the battery;
# without mix that part is skipped and says so (not counted as a pass).
. "$(dirname "$0")/lib.sh"
# The peers are stock nodes standing in for peers of other hosts.
DG_EGRESS=off
cd "$T" || exit 1
erlc -o "$T" "$ROOT/tests/e2e/dgaudit.erl" >/dev/null 2>&1 || not_ok "dgaudit.erl compiles"
erlc -o "$T" "$ROOT/tests/e2e/dgotp.erl" >/dev/null 2>&1 || not_ok "dgotp.erl compiles"

write_conf '{default, deny}.' '{mode, audit}.'
check "a configuration with {mode, audit} is accepted" "$DG" check -c "$CONF"
dg_start || exit 1
node_start b -eval 'dgaudit:serve(), dgotp:watch()' || exit 1
wait_for "$T/b.log" "^state 2 " 10 || not_ok "b: its watcher runs"
pids0=$(state_field 3); atoms0=$(state_field 4)

# ---- a mix release, protected, with its rpc and remote helpers -------------
MIX=0
if command -v mix >/dev/null 2>&1; then
	if (cd "$T" && HOME="$T" MIX_HOME="$T/.mix" timeout 60 mix new rapp >/dev/null 2>&1 &&
	    cd rapp && HOME="$T" MIX_HOME="$T/.mix" MIX_ENV=prod timeout 120 mix release --quiet >/dev/null 2>&1); then
		MIX=1
	else
		not_ok "mix release of a new project"
	fi
else
	echo "# mix not installed: the release's rpc and remote are left to the interop suite"
fi
REL="$T/rapp/_build/prod/rel/rapp/bin/rapp"
ERL_DIST="-start_epmd false -epmd_port $EPMD_PORT -kernel inet_dist_use_interface {127,0,0,1} -kernel inet_dist_listen_min $NBASE inet_dist_listen_max $((NBASE + 99))"
rel() {	# rel ARGS...: the release's script, our cookie and EPMD; the helpers stock
	RELEASE_COOKIE=$COOKIE RELEASE_NODE=rapp ELIXIR_ERL_OPTIONS="$ERL_DIST" \
	    timeout -k 2 30 "$REL" "$@"
}
if [ $MIX = 1 ]; then
	RELEASE_COOKIE=$COOKIE RELEASE_NODE=rapp RELEASE_MODE=interactive \
	    ELIXIR_ERL_OPTIONS="$ERL_DIST -epmd_module distguard_epmd -pa $EBIN" \
	    timeout -k 2 150 "$REL" start > "$T/rapp.log" 2>&1 &
	PIDS+=("$!")
	wait_for "$T/dg.log" "node rapp registered" 30 || not_ok "the release registered"
fi
rel_battery() {	# rel_battery LABEL
	[ $MIX = 1 ] || return 0
	local r
	r=$(rel rpc 'IO.puts("rpc #{node()}")' 2>&1)
	check "$1: the release's rpc runs ($(tail -n 1 <<<"$r"))" grep -q "^rpc rapp@$HOST" <<<"$r"
	# IEx ignores --remsh without a terminal: script(1) gives it one.
	r=$( (sleep 4; printf 'IO.puts("remote #{node()}")\r'; sleep 3) |
	    RELEASE_COOKIE=$COOKIE RELEASE_NODE=rapp ELIXIR_ERL_OPTIONS="$ERL_DIST" \
	    timeout -k 2 12 script -qec "$REL remote" /dev/null 2>&1)
	check "$1: the release's remote runs" grep -q "remote rapp@$HOST" <<<"$r"
}

# would_deny: the sum of the counts `distguard stats` prints
would_deny() { "$DG" stats -c "$CONF" 2>/dev/null |
	awk '{for (i = 1; i < NF; i++) if ($i == "would_deny") s += $(i + 1)} END {print s + 0}'; }

battery() {	# battery NODE-NAME LABEL: runs it, one check per step
	local r s
	r=$(EVAL_TIMEOUT=60 node_eval "$1" "dgaudit:battery(Node)")
	for s in ping gen_server erpc spawn_request link monitor global pg remote_io large_message; do
		check "$2: $s passes" grep -q "^step $s ok" <<<"$r"
	done
	check "$2: no step failed" not grep -q "^step .* failed" <<<"$r"
	grep "failed" <<<"$r" | sed 's/^/# /' | head -n 5
}

# ---- 1. the battery in audit mode ------------------------------------------
wd0=$(would_deny)
battery a "audit"
rel_battery "audit" 1
wd1=$(would_deny)
check "would_deny counts moved ($wd0 -> $wd1)" [ "$wd1" -gt "$wd0" ]
check "stats json has would_deny" grep -q '"would_deny":[1-9]' <<<"$("$DG" stats -c "$CONF" --json)"
check "filter.would_deny names the gen_server's name" \
    grep -q '"filter.would_deny".*"peer":"a@.*reg_send to dgt_gs by ' "$ALERTS"
check "filter.would_deny names erpc's MFA" \
    grep -q '"filter.would_deny".*spawn_request mfa erlang:node/0\|"filter.would_deny".*spawn_request to erlang:node/0' "$ALERTS"
check "nothing from a was denied in audit mode" \
    not grep -q '"filter.denied".*"peer":"a@\|"filter.code".*"peer":"a@' "$ALERTS"
# The code guard past the part judged (the relay's walk): audited too.
FUNMSG='{echo, Node} ! {self(), {binary:copy(<<9>>, 100000), fun(X) -> X end}},
    receive {echo, _} -> arrived after 5000 -> timeout end'
r=$(node_eval a "$FUNMSG")
check "audit: a fun 100 KB into a message arrives ($(tail -n 1 <<<"$r"))" [ "$(tail -n 1 <<<"$r")" = arrived ]
# Judged whole (the frame came in one read) or walked as it streamed: the
# fun is named either way.
check "audit: filter.would_deny names the fun (past the part judged, or in the message)" \
    grep -q '"filter.would_deny".*"peer":"a@.*\(a fun past the part\|a fun in \)' "$ALERTS"
# An Elixir release helper's name: collapsed by suggest.
r=$(node_eval rpc-1a2b-app "pong = net_adm:ping(Node), erpc:call(Node, erlang, node, [])")
check "a release helper's ping and erpc pass in audit mode" [ "$(tail -n 1 <<<"$r")" = "b@$HOST" ]

# ---- 2. a crash protection keeps enforcing ----------------------------------
r=$(EVAL_TIMEOUT=30 node_eval x1 "dgotp:spawns(Node, [{plain, [monitor]}, {huge, [monitor, {min_heap_size, 1 bsl 36}]}])")
echo "# $r" | tr '\n' ' '; echo
check "audit: a plain spawn_request passes" grep -q "{plain,spawned}" <<<"$r"
check "audit: spawn_request with {min_heap_size, 1 bsl 36} is refused" grep -q "{huge,refused}" <<<"$r"
check "audit: its alert is filter.denied with the spawn option's reason" \
    grep -q '"filter.denied".*"peer":"x1@.*spawn_request.*reason a spawn' "$ALERTS"
check "b is alive after the huge heap request" kill -0 "$PID_b"

# ---- 3. suggest, check, enforce -----------------------------------------------
"$DG" suggest -c "$CONF" > "$T/suggested.conf" 2> "$T/suggest.err"
check "distguard suggest succeeds" [ $? -eq 0 ]
sed 's/^/# /' "$T/suggested.conf"
check "distguard check accepts the suggestion as it is" "$DG" check -c "$T/suggested.conf"
check "the suggestion has a scope for b" grep -q "^{node, \"b@$HOST\", \[" "$T/suggested.conf"
check "the suggestion names dgt_gs with a count" grep -q "{allow, reg_send, \[dgt_gs\]}.*% [0-9]* message" "$T/suggested.conf"
check "the suggestion names erlang:node/0" grep -q "{allow, spawn_request, \[{erlang, node, 0}\]}" "$T/suggested.conf"
check "the suggestion marks an OTP server's name as risky" grep -q "\[pg\]}.*RISKY" "$T/suggested.conf"
check "the release helper collapses to rpc-*-app@*" grep -q '{peer, "rpc-\*-app@\*"' "$T/suggested.conf"
if [ $MIX = 1 ]; then
	check "the release's helpers collapse to rpc-*-rapp@* and rem-*-rapp@*" \
	    grep -q '{peer, "rem-\*-rapp@\*"' "$T/suggested.conf"
	check "the release's rpc_eval is marked risky" \
	    grep -q "rpc_eval, 1}\]}.*RISKY" "$T/suggested.conf"
fi
check "what a protection refused is not suggested" grep -q "not suggested: .* refused spawn_request" "$T/suggested.conf"
check "no allow_all, no {allow, spawn_request} without MFAs" \
    not grep -q "allow_all\|{allow, spawn_request}" "$T/suggested.conf"
check "--help describes suggest" grep -q "smallest policy" <<<"$("$DG" suggest --help)"
check "a usage error is one line" [ "$("$DG" suggest --bogus 2>&1 | wc -l)" -eq 1 ]

write_conf '{default, deny}.' '{mode, enforce}.' "$(cat "$T/suggested.conf")"
check "the suggested policy in enforce mode checks" "$DG" check -c "$CONF"
check "reload with the suggested policy" grep -q reloaded <<<"$("$DG" reload -c "$CONF")"
den0=$(grep -c '"filter.denied"\|"filter.code"' "$ALERTS")
wd2=$(would_deny)
battery a "enforce, suggested"
rel_battery "enforce, suggested" 2
sleep 0.5
den1=$(grep -c '"filter.denied"\|"filter.code"' "$ALERTS")
check "the battery under the suggested policy: 0 denials ($den0 -> $den1)" [ "$den1" -eq "$den0" ]
check "no would_deny in enforce mode ($wd2 -> $(would_deny))" [ "$(would_deny)" -eq "$wd2" ]

# ---- 4. the catalogue's attacks under the suggested policy -----------------
r=$(node_eval a "rpc:call(Node, os, cmd, [\"touch $T/pwned_rex\"], 5000)")
check "os:cmd through rex is refused ($(tail -n 1 <<<"$r" | cut -c1-60))" not [ -e "$T/pwned_rex" ]
check "alert: os:cmd through rex denied" \
    grep -q '"filter.denied".*"peer":"a@.*spawn_request mfa os:cmd/1' "$ALERTS"
r=$(node_eval a "catch erpc:call(Node, os, cmd, [\"touch $T/pwned_erpc\"], 5000)")
check "os:cmd through erpc is refused" not [ -e "$T/pwned_erpc" ]
r=$(node_eval a "erpc:cast(Node, fun erlang:halt/0), timer:sleep(1000), ok")
sleep 1
check "erpc:cast(N, fun erlang:halt/0) is denied" \
    grep -q '"filter.\(denied\|code\)".*"peer":"a@.*spawn_request.*erlang:apply/2\|"filter.\(denied\|code\)".*"peer":"a@.*fun' "$ALERTS"
r=$(node_eval a "$FUNMSG")
check "enforce: the same fun past the part judged does not arrive ($(tail -n 1 <<<"$r"))" [ "$(tail -n 1 <<<"$r")" = timeout ]
check "enforce: filter.code names it" grep -q '"filter.code".*"peer":"a@.*\(a fun past the part\|a fun in \)' "$ALERTS"
b_unharmed "Kernel pid terminated\\|eheap_alloc"

done_tests
