#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the seed RFC's halt scenario behind distguard (the second
# half of `make demo`, examples/demo/run.sh).  foo may only send to
# gateway; bar and baz trust each other.  bar pings baz, then foo runs
# erpc:cast(bar, fun Halt() -> erpc:multicast(nodes(), Halt),
# erlang:halt(1) end) (demo:halt_fun/0).  Nobody may halt.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
erlc -o "$T" "$ROOT/examples/demo/demo.erl" || { not_ok "demo.erl compiles"; exit 1; }

# As in examples/demo/run.sh: bar and baz are protected nodes (the EPMD
# module); foo, the attacker, and probe are stock nodes, let in by
# {egress, optional} with an epmd.unmediated alert.
write_conf '{egress, optional}.' \
    '{node, "bar@*", [{peer, "baz@*", [allow_all]}]}.' \
    '{node, "baz@*", [{peer, "bar@*", [allow_all]}]}.' \
    '{peer, "foo@*", [{allow, reg_send, [gateway]}]}.' \
    '{peer, "probe@*", [ping]}.'
dg_start || exit 1

demo_node() {
	local mod=()
	[ "$1" != foo ] && mod=("${ERL_MOD[@]}")
	timeout -k 2 45 erl -sname "$1" "${ERL_COMMON[@]}" "${mod[@]}" \
	    -eval "demo:main([$1, '$HOST'])" > "$T/$1.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$1=$!"
	wait_for "$T/$1.log" ": up" 15
}
alive() { kill -0 "$1" 2>/dev/null; }

demo_node baz
demo_node bar
check "bar pings baz through distguard" wait_for "$T/bar.log" "net_adm:ping.*-> pong" 10
check "... through an egress session (both directions judged)" \
    grep -q "baz@$HOST <- egress from bar@$HOST: up" "$T/dg.log"
demo_node foo
check "foo, a stock node, registered with an epmd.unmediated alert" \
    wait_for "$ALERTS" '"event":"epmd.unmediated".*"node":"foo"' 5
check "foo sent the halt fun" wait_for "$T/foo.log" "erpc:cast" 10
check "foo's spawn is denied and alerted (erlang:apply/2)" \
    wait_for "$ALERTS" '"filter.denied".*"peer":"foo@.*spawn_request mfa erlang:apply/2' 5
check "foo's allowed message reached bar's gateway" \
    wait_for "$T/bar.log" "gateway: hello from foo@" 5
sleep 3
check "bar is still running" alive "$PID_bar"
check "baz is still running" alive "$PID_baz"
check "foo is still running" alive "$PID_foo"
r=$(DG_TARGET=bar@$HOST node_eval probe 'net_adm:ping(Node)' | tail -n 1)
check "bar still answers a ping from another node ($r)" [ "$r" = pong ]
check "foo's connection was not cut (the policy has no disconnect)" \
    not grep -q "foo@$HOST -> bar@$HOST: closed" "$T/dg.log"
check "bar and baz are still connected 17 s later" \
    wait_for "$T/bar.log" "still alive after 17 s, connected to .*baz@" 20
check "the daemon is alive" dg_alive
done_tests
