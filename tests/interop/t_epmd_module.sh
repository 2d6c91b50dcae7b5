#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: distguard_epmd on OTP 27 (Debian trixie, chrooted) and OTP 29
# (Debian forky, chrooted) as well as on the host's OTP 25: compiled by each
# release's own erlc, set with -kernel epmd_module (OTP 27's form) and with
# -epmd_module; registration
# marked mediated, reachable through distguard from both releases,
# re-registration after kill -9 and a restart of the daemon, and no direct
# dial: a remote node is reached through distguard's egress port or not at
# all.
. "$(dirname "$0")/lib.sh"
interop_root || exit 1
# interop_root compiled it with each release's erlc into $T/vVERSION.
for v in $OTPS; do
	check "compiled [$v] (erlc of OTP $v: $(erl_cmd "$v"; "${ERLV[@]}" -noshell -eval \
	    '{ok, {_, [{compile_info, I}]}} = beam_lib:chunks(code:which(distguard_epmd), [compile_info]),
	     io:format("~s", [proplists:get_value(version, I)]), halt().' 2>&1 | tail -n 1))" \
	    [ -f "$T/v$v/distguard_epmd.beam" ]
done

# The defaults: {egress, required}, {exposed, refuse}.  Each node below
# loads the module by the flags under test (NODE_MOD=0: not vnode_start's).
write_conf '{default, [ping]}.'
sed -i "s/{addresses, \[\"127.0.0.1\", \"::1\"\]}/&, {remote_port, $EPMD_PORT}/" "$CONF"
dg_start || exit 1
NODE_MOD=0

vnode_start 27 k27 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -kernel epmd_module distguard_epmd || exit 1
vnode_start 27 f27 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -epmd_module distguard_epmd || exit 1
vnode_start 29 k29 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -kernel epmd_module distguard_epmd || exit 1
vnode_start 29 f29 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -epmd_module distguard_epmd || exit 1
vnode_start 25 m25 100 'io:format("dgt ready~n"), timer:sleep(100000)' \
    -epmd_module distguard_epmd || exit 1
MODNODES="k27 f27 k29 f29 m25"
for n in $MODNODES; do
	check "registers_mediated [$n] (-kernel epmd_module / -epmd_module)" \
	    grep -q "node $n registered from .*; mediated (distguard_epmd)" "$T/dg.log"
done
for pv in $OTPS; do
	for n in k27 k29 m25; do
		r=$(veval "$pv" "p$pv$n" 30 "io:format(\"=> ~p~n\", [net_adm:ping('$n@$HOST')])" \
		    -dist_listen false | sed -n 's/^=> //p')
		check "reachable [$pv->$n] (a peer pings it through distguard: $r)" [ "$r" = pong ]
	done
done

kill -9 "$DG_PID"; wait "$DG_PID" 2>/dev/null
sleep 0.5
mark=$(wc -l < "$T/dg.log")
t0=$(date +%s%N)
"$DG" run -c "$CONF" -v >> "$T/dg.log" 2>&1 &
DG_PID=$!; PIDS+=("$DG_PID")
i=0
until [ "$(tail -n +"$((mark + 1))" "$T/dg.log" | grep -c 'node \(k27\|f27\|k29\|f29\|m25\) registered from .*; mediated')" -eq 5 ] ||
    [ $i -ge 100 ]; do sleep 0.02; i=$((i + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# registered_again NODE: registered, mediated, by the restarted daemon
registered_again() {
	tail -n +"$((mark + 1))" "$T/dg.log" | grep -q "node $1 registered from .*; mediated" &&
	    [ "$ms" -le 2000 ]
}
for n in $MODNODES; do
	check "reregisters [$n] (after kill -9 and a restart, within 2 s: ${ms} ms for all five)" \
	    registered_again "$n"
done
r=$(veval 25 pk27b 30 "io:format(\"=> ~p~n\", [net_adm:ping('k27@$HOST')])" -dist_listen false | sed -n 's/^=> //p')
check "reachable_after_restart [25->k27] ($r)" [ "$r" = pong ]
check "not_restarted [k27] (the OTP 27 node lived through it)" kill -0 "$PID_k27"
r=$(veval 29 pk29b 30 "io:format(\"=> ~p~n\", [net_adm:ping('k29@$HOST')])" -dist_listen false | sed -n 's/^=> //p')
check "reachable_after_restart [29->k29] ($r)" [ "$r" = pong ]
check "not_restarted [k29] (the OTP 29 node lived through it)" kill -0 "$PID_k29"

# An OTP 27 module node dials a node of "another host", 127.0.0.9, whose
# EPMD (the daemon's remote_port, this test's EPMD port there) nobody
# serves: the egress port is distguard's, and its session is the one that
# asks 127.0.0.9 (and fails).
r=$(erl_cmd 27 && timeout -k 2 40 "${ERLV[@]}" -name a27@127.0.0.1 "${ERL_COMMON[@]}" \
    -kernel epmd_module distguard_epmd \
    -eval "io:format(\"=> ~p~n\", [net_adm:ping('r@127.0.0.9')]), timer:sleep(300), halt()." 2>&1)
echo "$r" | sed 's/^/#   /'
check "egress_route [27] (ping r@127.0.0.9, nobody there: pang)" grep -q '^=> pang' <<<"$r"
check "egress_port [27] (distguard gave the node its egress port for r@127.0.0.9)" \
    grep -q "egress port [0-9]* for r@127.0.0.9" "$T/dg.log"
check "egress_session [27] (the egress session asked 127.0.0.9's EPMD)" \
    grep -q "r@127.0.0.9 -> a27@127.0.0.1: closed: r@127.0.0.9: its host's EPMD" "$T/dg.log"
# ---- a mix release with the README's blocks (embedded mode) ---------------
# The OTP library as the package installs it, found through ERL_LIBS here
# (the package puts it in OTP's own lib directory).
readme_block() {
	awk -v first="$1" '
	    /^```/ { if (inb) { if (want) exit; inb = 0; next } inb = 1; start = 1; next }
	    inb && start { start = 0; if ($0 == first) want = 1 }
	    inb && want { print }
	' "$ROOT/README.md"
}
if command -v mix >/dev/null 2>&1; then
	VMARGS=$(readme_block '## rel/vm.args.eex and rel/remote.vm.args.eex (the same lines in both)')
	VMMOD=$(readme_block '## distguard_epmd: add to rel/vm.args.eex (mix), or to config/vm.args')
	REMARGS=$(readme_block '## rel/remote.vm.args.eex: add, for the rpc/remote helper nodes')
	MIXREL=$(readme_block '# mix.exs, in project/0: the library goes into the release, loaded, not started' | grep -v '^#')
	check "recipe_blocks [release] (README blocks found)" \
	    eval '[ -n "$VMARGS" ] && [ -n "$VMMOD" ] && [ -n "$REMARGS" ] && [ -n "$MIXREL" ]'
	make -s -C "$ROOT" BUILD="$BUILD" install-erlang DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>&1
	mkdir -p "$T/proj" "$T/home"
	(
		cd "$T/proj" && export HOME="$T/home" MIX_ENV=prod &&
		mix new app > "$T/mix_new.log" 2>&1 && cd app && mkdir -p rel &&
		sed -i "s|deps: deps()|deps: deps(),\n      $MIXREL|" mix.exs &&
		printf '%s\n%s\n' "$VMARGS" "$VMMOD" > rel/vm.args.eex &&
		printf '%s\n%s\n' "$VMARGS" "$REMARGS" > rel/remote.vm.args.eex &&
		printf 'export RELEASE_DISTRIBUTION=sname\n' > rel/env.sh.eex &&
		DISTGUARD_EPMD_PORT=$EPMD_PORT ERL_LIBS="$T/inst/usr/lib/erlang/lib" \
		    timeout 300 mix release --quiet > "$T/mix_release.log" 2>&1
	)
	REL="$T/proj/app/_build/prod/rel/app"
	check "release_builds [release] (distguard-VERSION is one of its libraries)" \
	    eval 'ls -d "$REL"/lib/distguard-* >/dev/null 2>&1'
	HOME="$T/home" RELEASE_COOKIE=$COOKIE timeout -k 2 60 "$REL/bin/app" start > "$T/app.log" 2>&1 &
	PIDS+=("$!")
	check "release_mediated [release] (the embedded release node registers mediated)" \
	    wait_for "$T/dg.log" "node app registered from .*; mediated" 30
	r=$(veval 25 prel 30 "io:format(\"=> ~p~n\", [net_adm:ping('app@$HOST')])" -dist_listen false | sed -n 's/^=> //p')
	check "release_reachable [25->release] ($r)" [ "$r" = pong ]
	# bin/app start leaves beam.smp as the child of the timeout above;
	# stop it by its own pid.
	relpid=$(pgrep -f -- "-root $REL " | head -n 1)
	[ -n "$relpid" ] && PIDS+=("$relpid")
else
	not_ok "mix is installed (Debian's elixir package; scripts/deps.sh interop installs it) [release]"
fi
check "daemon_alive [all]" dg_alive
done_tests
