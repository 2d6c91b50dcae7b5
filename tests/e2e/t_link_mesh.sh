#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: simultaneous connects over links settle as OTP settles them
# (the regression test of commit 2d1d6cc, link refuse status 4, nok).
#
# Six hosts: six network namespaces of our own, each with one veth on a
# bridge that lives in a seventh namespace (nothing touches the machine's
# own network), addresses 10.190-199.x.0/24, never routed anywhere.  On
# each host a distguard daemon (DG_BUILD) with a host key and a
# certificate signed by one cluster key, {trust, Key}, {plaintext, deny}:
# every node-to-node connection crosses a link.  One protected node per
# host (distguard_epmd).  A lean copy of bench/cluster.sh's set-up.
#
# Rounds: every node waits for the round's "go" file and pings all the
# others at once, so that pairs dial each other at the same moment; the
# name that compares greater answers nok and the other side must wait for
# the winning connection.  Before the fix the daemons turned that nok into
# a refusal, the loser's ping answered pang (and at 16 hosts global tore
# the mesh down).  After each round but the last, every node disconnects
# all, so the next round connects afresh.  Checks: every ping pong, every
# node sees the 5 others, global:sync returns, all 6 global names (last
# round), no alert, no daemon died, no sanitizer report, and the daemons'
# debug lines show simultaneous connects (an answering daemon's "node
# answered nok") settled (a dialling daemon's "peer answered nok", and no
# "the other daemon refused"); the test fails when no simultaneous connect
# happened in any round: it would then not have tested the case.  About
# 30 s (release build).
. "$(dirname "$0")/lib.sh"

N=6
ROUNDS=3
EPMD_PORT=4369		# each host is a port space of its own
LINK_PORT=4368
LMIN=21000
NODE_PORT=21100
METRICS_PORT=9369
[ "$(id -u)" -eq 0 ] || { not_ok "link mesh: needs root (ip netns)"; exit 1; }
[ -x "$DG" ] || { not_ok "link mesh: $DG missing"; exit 1; }
EBIN="$ROOT/$BUILD/erl/ebin"
chmod 755 "$T"
printf '%s' "$COOKIE" > "$T/cookie"; chmod 600 "$T/cookie"

# The node program: rounds of simultaneous pings.
cat > "$T/dglm.erl" <<'ERL'
-module(dglm).
-export([member/1]).
member([Dir, NA, RA]) ->
    N = list_to_integer(NA), R = list_to_integer(RA),
    io:format("dglm ready ~s pid ~s~n", [node(), os:getpid()]),
    Others = others(Dir),
    [round(Dir, N, I, I =:= R, Others) || I <- lists:seq(1, R)],
    wait_file(filename:join(Dir, "stop"), 60000),
    halt().
round(Dir, N, I, Last, Others) ->
    Go = wait_file(filename:join(Dir, "go" ++ integer_to_list(I)), 120000),
    Self = self(),
    Ps = [spawn_link(fun() -> Self ! {pinged, self(), O, net_adm:ping(O)} end)
          || O <- Others],
    Res = [receive {pinged, P, O, A} -> {O, A} end || P <- Ps],
    Pangs = [O || {O, pang} <- Res],
    Mesh = wait(fun() -> length(nodes()) >= N - 1 end, 30000),
    Sync = sync(30000),
    Names = case Last of
                true ->
                    global:register_name({dglm, node()}, spawn(fun() -> receive stop -> ok end end)),
                    wait(fun() -> length(names()) >= N end, 30000);
                false -> skipped
            end,
    io:format("dglm round ~b ~s go ~w pongs ~b pangs ~w nodes ~b mesh ~w sync ~w "
              "names ~b ~w~n", [I, node(), Go, length(Res) - length(Pangs), Pangs,
                                length(nodes()), Mesh, Sync, length(names()), Names]),
    Last orelse disconnect(Dir, I).
disconnect(Dir, I) ->
    wait_file(filename:join(Dir, "disc" ++ integer_to_list(I)), 60000),
    [erlang:disconnect_node(X) || X <- nodes()],
    Gone = wait(fun() -> nodes() =:= [] end, 20000),
    io:format("dglm disc ~b ~s ~p~n", [I, node(), Gone]).
others(Dir) ->
    {ok, Bin} = file:read_file(filename:join(Dir, "nodes")),
    [list_to_atom(L) || L <- string:lexemes(binary_to_list(Bin), "\n")] -- [node()].
names() -> [X || {dglm, _} = X <- global:registered_names()].
sync(Ms) ->
    Self = self(),
    P = spawn(fun() -> Self ! {synced, self(), global:sync()} end),
    receive {synced, P, R} -> R after Ms -> exit(P, kill), timeout end.
wait_file(Path, Ms) -> wait(fun() -> filelib:is_regular(Path) end, Ms).
wait(Cond, Ms) when Ms =< 0 -> Cond();
wait(Cond, Ms) ->
    case Cond() of
        true -> true;
        false -> receive after 20 -> wait(Cond, Ms - 20) end
    end.
ERL
erlc -o "$T" "$T/dglm.erl" || { not_ok "link mesh: erlc dglm"; exit 1; }

in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }
host_ns() { echo "dglm$$h$1"; }
SW="dglm$$sw"
NET="10.$((190 + RANDOM % 10)).$((RANDOM % 250))"

# net_up: the bridge's namespace, N host namespaces with a veth each.
net_up() {
	local k ns
	ip netns add "$SW" || return 1
	CLEANUPS+=("ip netns del $SW")
	ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up || return 1
	for k in $(seq 1 $N); do
		ns=$(host_ns "$k")
		ip netns add "$ns" || return 1
		CLEANUPS+=("ip netns del $ns")
		ip -n "$ns" link set lo up &&
		ip -n "$SW" link add "h$k" type veth peer name eth0 netns "$ns" &&
		ip -n "$SW" link set "h$k" master br0 &&
		ip -n "$SW" link set "h$k" up &&
		ip -n "$ns" addr add "$NET.$k/24" dev eth0 &&
		ip -n "$ns" link set eth0 up || return 1
	done
}

# dg_up: one cluster key; a host key, a certificate and a daemon per host.
DPIDS=()
dg_up() {
	local k pk d
	"$DG" keygen -o "$T/cluster.key" > "$T/cluster.pub" 2>/dev/null || return 1
	for k in $(seq 1 $N); do
		d="$T/h$k"; mkdir -p "$d"
		pk=$("$DG" keygen -o "$d/host.key" 2>/dev/null) || return 1
		"$DG" sign --cluster-key "$T/cluster.key" --host "$NET.$k" --pubkey "$pk" \
		    --days 1 -o "$d/host.cert" > /dev/null 2>&1 || return 1
		cat > "$d/dg.conf" <<EOF
{epmd, [{port, $EPMD_PORT}, {addresses, ["127.0.0.1"]}, {timeout, 5}]}.
{listen, [{address, "127.0.0.1"}, {ports, {$LMIN, $((LMIN + 39))}}]}.
{registration_from, ["127.0.0.1"]}.
{cookie, {file, "$T/cookie"}}.
{alerts, [{file, "$d/alerts.log"}]}.
{control, "$d/ctl.sock"}.
{metrics, "127.0.0.1:$METRICS_PORT"}.
{user, "nobody"}.
{egress, required}.
{host_key, {file, "$d/host.key"}, [{certificate, {file, "$d/host.cert"}},
                                   {listen, {"$NET.$k", $LINK_PORT}}]}.
{trust, "$(cat "$T/cluster.pub")"}.
{plaintext, deny}.
{default, [ping, global, replies]}.
EOF
		echo "n$k@$NET.$k" >> "$T/nodes"
	done
	chown -R nobody: "$T"
	for k in $(seq 1 $N); do
		nsenter --net="/var/run/netns/$(host_ns "$k")" \
		    "$DG" run -c "$T/h$k/dg.conf" -v >> "$T/h$k/dg.log" 2>&1 &
		PIDS+=("$!"); DPIDS+=("$!")
	done
	for k in $(seq 1 $N); do wait_for "$T/h$k/dg.log" "distguard running" 30 || return 1; done
}

nodes_up() {
	local k
	for k in $(seq 1 $N); do
		nsenter --net="/var/run/netns/$(host_ns "$k")" \
		    timeout -k 2 170 erl -name "n$k@$NET.$k" +S 1:1 +SDcpu 1:1 +SDio 1 +A 1 \
		    +sbwt none +sbwtdcpu none +sbwtdio none \
		    -setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT" \
		    -epmd_module distguard_epmd -pa "$EBIN" -pa "$T" -noshell \
		    -kernel inet_dist_use_interface '{127,0,0,1}' \
		    -kernel inet_dist_listen_min $NODE_PORT inet_dist_listen_max $NODE_PORT \
		    -run dglm member "$T" "$N" "$ROUNDS" > "$T/h$k/node.log" 2>&1 &
		PIDS+=("$!")
	done
	for k in $(seq 1 $N); do
		wait_for "$T/h$k/node.log" "^dglm ready" 60 || return 1
		PIDS+=("$(sed -n 's/^dglm ready .* pid \([0-9]*\)$/\1/p' "$T/h$k/node.log")")
		wait_for "$T/h$k/dg.log" "registered from" 30 || return 1
	done
}

# gone PID: the process has exited (a child of ours stays a zombie until
# waited for, and kill -0 would still find it).
gone() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ]
}
# lines PATTERN KIND: the count of PATTERN over the N files h*/KIND.
lines() { cat "$T"/h*/"$2" 2>/dev/null | grep -c -- "$1"; }
# A simultaneous connect, as the daemons log it: the answering daemon's
# node said nok (it dials too and wins); the dialling daemon passes the
# nok on to its node (the fix); before the fix it closed the connection
# on a refusal instead.
NODENOK='node answered nok: a simultaneous connect'
PEERNOK='peer answered nok: a simultaneous connect'
REFUSED='the other daemon refused'

if ! net_up; then not_ok "link mesh: the namespaces and bridge"; exit 1; fi
if ! dg_up; then not_ok "link mesh: $N daemons start"; tail -n 5 "$T"/h*/dg.log | sed 's/^/# /'; exit 1; fi
if ! nodes_up; then not_ok "link mesh: $N nodes start"; tail -n 5 "$T"/h*/node.log | sed 's/^/# /'; exit 1; fi
ok "link mesh: $N hosts on $NET.0/24, $N daemons, $N nodes registered"

SIMUL=0 SETTLED=0 REFUSALS=0
for r in $(seq 1 $ROUNDS); do
	nn0=$(lines "$NODENOK" dg.log); pn0=$(lines "$PEERNOK" dg.log); ref0=$(lines "$REFUSED" dg.log)
	touch "$T/go$r"
	for k in $(seq 1 $N); do wait_for "$T/h$k/node.log" "^dglm round $r " 75 || echo "# round $r: n$k did not report"; done
	rl=$(cat "$T"/h*/node.log | grep "^dglm round $r ")
	sleep 0.5
	nn=$(( $(lines "$NODENOK" dg.log) - nn0 )); pn=$(( $(lines "$PEERNOK" dg.log) - pn0 ))
	ref=$(( $(lines "$REFUSED" dg.log) - ref0 ))
	SIMUL=$((SIMUL + nn)); SETTLED=$((SETTLED + pn)); REFUSALS=$((REFUSALS + ref))
	pongs=$(echo "$rl" | awk '$7 == "pongs" {s += $8} END {print s + 0}')
	echo "# round $r: $pongs pongs of $((N * (N - 1))); simultaneous connects (a node answered nok): $nn;" \
	    "nok passed on by the dialling daemon: $pn; turned into a refusal: $ref"
	[ "$nn" -gt 0 ] || echo "# round $r: no simultaneous connect happened in this round"
	echo "$rl" | grep -v "pangs \[\] nodes $((N - 1)) mesh true sync ok" | sed 's/^/# /'
	check "round $r: every ping answered pong ($pongs of $((N * (N - 1))))" [ "$pongs" -eq $((N * (N - 1))) ]
	check "round $r: every node sees $((N - 1)) nodes and global:sync returns" \
	    [ "$(echo "$rl" | grep -c "pangs \[\] nodes $((N - 1)) mesh true sync ok")" -eq $N ]
	if [ "$r" -lt $ROUNDS ]; then
		touch "$T/disc$r"
		for k in $(seq 1 $N); do wait_for "$T/h$k/node.log" "^dglm disc $r " 30 || echo "# round $r: n$k did not disconnect"; done
		gone=$(cat "$T"/h*/node.log | grep -c "^dglm disc $r .* true$")
		echo "# round $r: $gone of $N nodes down to nodes() = [] after the disconnect"
		sleep 1
	else
		check "round $r: every node sees all $N global names" \
		    [ "$(echo "$rl" | grep -c " names $N true$")" -eq $N ]
	fi
done
check "simultaneous connects happened ($SIMUL over $ROUNDS rounds)" [ "$SIMUL" -gt 0 ]
check "the dialling daemons passed nok on ($SETTLED) and never refused ($REFUSALS)" \
    [ "$SETTLED" -gt 0 -a "$REFUSALS" -eq 0 ]

dead=0
for p in "${DPIDS[@]}"; do gone "$p" && dead=$((dead + 1)); done
check "every daemon still running ($dead died)" [ "$dead" -eq 0 ]
for k in $(seq 1 $N); do
	in_ns "$(host_ns "$k")" python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())
' "$METRICS_PORT" > "$T/h$k/metrics.txt" 2>/dev/null
done
normal=$(cat "$T"/h*/metrics.txt 2>/dev/null | awk '$1 == "distguard_handshakes_total{outcome=\"normal\"}" {s += $2} END {print s + 0}')
hsok=$(cat "$T"/h*/metrics.txt 2>/dev/null | awk '$1 == "distguard_handshakes_total{outcome=\"ok\"}" {s += $2} END {print s + 0}')
echo "# metrics over the $N daemons: handshakes ok $hsok, normal (nok and other ordinary ends) $normal"
check "the metrics count the settled connects (handshakes normal $normal >= $((SIMUL + SETTLED)))" \
    [ "$normal" -ge $((SIMUL + SETTLED)) -a "$SIMUL" -gt 0 ]
al=$(cat "$T"/h*/alerts.log 2>/dev/null | wc -l)
[ "$al" -eq 0 ] || cat "$T"/h*/alerts.log | head -n 10 | sed 's/^/# alert: /'
check "no alert from any daemon ($al)" [ "$al" -eq 0 ]
# Stop the nodes, then each daemon on SIGTERM, so that a sanitizer's
# report at exit (leaks) is in the logs too.
touch "$T/stop"
sleep 1
for p in "${DPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
left=0
for p in "${DPIDS[@]}"; do
	for _ in $(seq 1 100); do gone "$p" && break; sleep 0.1; done
	gone "$p" || left=$((left + 1))
done
check "every daemon stops on SIGTERM within 10 s ($left left)" [ "$left" -eq 0 ]
san=$(cat "$T"/h*/dg.log | grep -cE "ERROR: (Address|Leak)Sanitizer|runtime error")
check "no sanitizer report in the daemons' logs ($san)" [ "$san" -eq 0 ]

if [ "$FAILS" -ne 0 ]; then
	for k in $(seq 1 $N); do cp "$T/h$k/dg.log" "$T/dg$k.log" 2>/dev/null; done
	cp "$T/h1/dg.log" "$T/dg.log" 2>/dev/null
fi
done_tests
