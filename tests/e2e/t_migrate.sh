#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: docs/SERVICE.md, "Migrating a host that runs the stock epmd",
# as written.  A node registered with the stock epmd keeps running when
# epmd is replaced by distguard (as the unit's Conflicts= does), is no
# longer found, and registers again without a restart with the two calls
# the document gives; a new peer then reaches it through distguard.
. "$(dirname "$0")/lib.sh"
# The running node has no distguard_epmd yet: step 1 of the document.
DG_EGRESS=optional
cd "$T" || exit 1

# The stock epmd on this test's port, and a node registered with it.  The
# node runs the document's step 2 itself once told to (a file appears),
# standing in for an operator's remote shell.
epmd -port "$EPMD_PORT" > "$T/epmd.log" 2>&1 &
EPID=$!
PIDS+=("$EPID")
sleep 0.5
timeout -k 2 120 erl -sname m "${ERL_COMMON[@]}" -eval "spawn(fun() ->
	W = fun W() -> case filelib:is_file(\"$T/go\") of
	    true ->
		R = (catch begin
		    {ok, {r4, Name, Port}} = gen_server:call(erl_epmd, client_info_req),
		    erl_epmd:register_node(Name, Port)
		end),
		io:format(\"connected ~0p~nreregister ~0p~n\", [nodes(), R]);
	    false -> timer:sleep(100), W()
	    end end,
	W() end), dgt:serve(110)" > "$T/m.log" 2>&1 &
PIDS+=("$!")
wait_for "$T/m.log" "dgt ready" 15
check "m registered with the stock epmd" sh -c "timeout 5 epmd -port $EPMD_PORT -names | grep -q '^name m at port'"
r=$(DG_TARGET="m@$HOST" node_eval x1 'net_adm:ping(Node)')
check "a peer reaches m through the stock epmd ($r)" [ "$r" = pong ]
# k: a peer connected to m before the switch, and staying.
timeout -k 2 100 erl -sname k "${ERL_COMMON[@]}" \
    -eval "io:format(\"k ~p~n\", [net_adm:ping('m@$HOST')]), timer:sleep(90000)" \
    > "$T/k.log" 2>&1 &
PIDS+=("$!")
check "k connects to m before the switch" wait_for "$T/k.log" "^k pong" 15

# distguard replaces the stock epmd (the unit's Conflicts= stops it).
kill "$EPID"; wait "$EPID" 2>/dev/null
write_conf '{default, [ping, replies]}.'
dg_start || exit 1
check "m is still running" grep -q "dgt ready" "$T/m.log"
out=$(stock_epmd -names)
check "m is no longer registered ($(tr '\n' ' ' <<<"$out"))" not grep -q '^name m ' <<<"$out"

# Step 2: m registers again, without a restart.
touch "$T/go"
wait_for "$T/m.log" "^reregister" 10
check "m kept its connection to k over the switch ($(grep '^connected' "$T/m.log"))" \
    grep -q "^connected .*k@$HOST" "$T/m.log"
check "m's erl_epmd registers again ($(grep '^reregister' "$T/m.log"))" grep -q "^reregister {ok," "$T/m.log"
check "distguard has m registered, unmediated (the alert says so)" \
    wait_for "$T/dg.log" "node m registered.*unmediated" 5
r=$(DG_TARGET="m@$HOST" node_eval x2 'net_adm:ping(Node)')
check "a new peer reaches m, now through distguard ($r)" [ "$r" = pong ]
check "... through its filtering listener" grep -q "x2@$HOST -> m@$HOST: up" "$T/dg.log"
check "the daemon is alive" dg_alive
done_tests
