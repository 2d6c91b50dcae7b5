#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: Elixir behind distguard.  EXV says which: 25 (the default) is
# Debian's elixir on the host's OTP 25 (Elixir 1.14); 29 is Debian forky's
# Elixir 1.20 on OTP 29, chrooted in the root scripts/otp-root.sh builds
# (t_elixir29.sh).  Columns of the 29 run carry "29" (ex29, release29).
#  - an `elixir --sname` node, reached by OTP 25, 27 and 29 peers (allowed
#    and denied calls, the halt attack), itself pinging an OTP 25 node;
#  - a `mix release` of a new project configured only by the README's
#    recipe (the blocks of "An Elixir release behind distguard", extracted
#    verbatim), with `bin/app rpc` and `bin/app remote` through distguard
#    under the README's policy and ops cookie.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
interop_root || exit 1
EXV=${EXV:-25}
case $EXV in
25) X=""; EXEC=()
    for c in elixir mix; do
	command -v $c >/dev/null 2>&1 ||
	    { not_ok "$c is installed (Debian's elixir package; scripts/deps.sh interop installs it)"; exit 1; }
    done ;;
29) X=29; EXEC=(sh "$OTP_ROOT" forky exec -b "$T" --) ;;
*) not_ok "EXV=$EXV: Elixir runs on OTP 25 or 29 here"; exit 1 ;;
esac
# ex DIR [VAR=VALUE...] -- CMD...: CMD of this Elixir, run in DIR with
# those variables (the root's commands start with an empty environment).
ex() {
	local dir=$1; shift
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	"${EXEC[@]}" env "${vars[@]}" sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
}
echo "# elixir: $(ex "$T" -- elixir --version 2>&1 | grep -i elixir)"
README="$ROOT/README.md"

# readme_block FIRSTLINE: the fenced block of README.md whose first line is
# FIRSTLINE, without the fences.
readme_block() {
	awk -v first="$1" '
	    /^```/ { if (inb) { if (want) exit; inb = 0; next } inb = 1; start = 1; next }
	    inb && start { start = 0; if ($0 == first) want = 1 }
	    inb && want { print }
	' "$README"
}
VMARGS=$(readme_block '## rel/vm.args.eex and rel/remote.vm.args.eex (the same lines in both)')
VMMOD=$(readme_block '## distguard_epmd: add to rel/vm.args.eex (mix), or to config/vm.args')
REMARGS=$(readme_block '## rel/remote.vm.args.eex: add, for the rpc/remote helper nodes')
MIXREL=$(readme_block '# mix.exs, in project/0: the library goes into the release, loaded, not started' | grep -v '^#')
ENVSH=$(readme_block '# rel/env.sh.eex')
DGCONF=$(readme_block '%% distguard.conf: the release app@host, its ops tools')
for b in VMARGS VMMOD REMARGS MIXREL ENVSH DGCONF; do
	check "recipe_block_$b [recipe$X] (README block found)" [ -n "${!b}" ]
done

printf 'opscookie' > "$T/ops.cookie"; chmod 600 "$T/ops.cookie"
printf '%s' "$COOKIE" > "$T/notops.cookie"; chmod 600 "$T/notops.cookie"
# ex1 is a protected node: the module, as the README's flags table says.
erl_cmd "$EXV"
ERLFLAGS="-start_epmd false -epmd_port $EPMD_PORT -kernel inet_dist_use_interface {127,0,0,1} ${VMOD[*]} -pa $T/v$EXV"
# The peers (veval) do not listen: they stand in for peers of other hosts,
# register nowhere, and come in through the listeners.  distguard runs on
# its defaults, {egress, required} and {exposed, refuse}, as an operator's
# would.
PEER=(-dist_listen false)

write_conf \
    "$(sed "s#/etc/distguard/ops.cookie#$T/ops.cookie#g" <<<"$DGCONF")" \
    "{peer, \"p*@*\", [ping, {allow, spawn_request, [{erlang, node, 0}, {'Elixir.String', upcase, 1}]}]}." \
    '{peer, "ex*@*", [ping, global, replies]}.' \
    '{peer, "n*@*", [ping, global, replies]}.'
"$DG" check -c "$CONF" >/dev/null 2>&1 || { "$DG" check -c "$CONF" | sed 's/^/# /'; not_ok "recipe_policy_check [recipe$X] (the README's distguard policy passes distguard check)"; exit 1; }
ok "recipe_policy_check [recipe$X] (the README's distguard policy passes distguard check)"
dg_start || exit 1
vnode_start 25 n25 200 'iop:protected(200)' || exit 1

# ---- an elixir --sname node ------------------------------------------------
timeout -k 2 150 "${EXEC[@]}" elixir --sname ex1 --cookie "$COOKIE" --erl "$ERLFLAGS" -e '
    IO.puts("dgt ready")
    IO.puts("ex1 pings n25: #{Node.ping(:"n25@'"$HOST"'")}")
    IO.puts("ex1 api: #{inspect(:distguard.set_filter(:"pz@'"$HOST"'", :reg_send, :reject))} #{inspect(:distguard.test_filter(:"pz@'"$HOST"'", :reg_send, :gateway))}")
    Process.sleep(120_000)' > "$T/ex1.log" 2>&1 &
PIDS+=("$!"); PID_ex1=$!
wait_for "$T/dg.log" "node ex1 registered" 30 || not_ok "node ex1 registered with distguard [ex$X]"
wait_for "$T/ex1.log" "dgt ready" 30 || not_ok "ex1 ready [ex$X]"
check "ping [ex$X->25] (the elixir node pings an OTP 25 node through distguard)" \
    wait_for "$T/ex1.log" "ex1 pings n25: pong" 15
check "api [ex$X] (Elixir calls :distguard.set_filter and test_filter with no wrapper)" \
    wait_for "$T/ex1.log" 'ex1 api: :ok {:deny, {:api, "{deny, reg_send}"}}' 15
for pv in $OTPS; do
	col="$pv->ex$X"
	marker="$T/ex_marker_$pv"
	r=$(veval "$pv" "p${pv}ex" 40 "N = 'ex1@$HOST',
	    P = net_adm:ping(N),
	    U = erpc:call(N, 'Elixir.String', upcase, [<<\"abc\">>], 5000),
	    {Ms, D} = dgt:timed(fun() -> erpc:call(N, 'Elixir.System', cmd, [<<\"touch\">>, [<<\"$marker\">>]], 5000) end),
	    erpc:cast(N, fun erlang:halt/0),
	    spawn(N, erlang, halt, []),
	    timer:sleep(1500),
	    io:format(\"=> ~w~n\", [{P, U, Ms < 1000, D, net_adm:ping(N)}])" "${PEER[@]}" | sed -n 's/^=> //p')
	check "ping [$col] ($r)" grep -q '^{pong,' <<<"$r"
	check "erpc_allowed [$col] ('Elixir.String':upcase/1: $r)" grep -q '^{pong,<<65,66,67>>,' <<<"$r"
	check "erpc_denied [$col] ('Elixir.System':cmd/2 refused fast: $r)" \
	    grep -q ',true,{caught,error,{erpc,notsup}},' <<<"$r"
	check "erpc_denied_marker [$col] (the command never ran: no $marker)" [ ! -e "$marker" ]
	check "halt_attack [$col] (ex1 still answers, its process is alive)" \
	    eval 'grep -q ",pong}$" <<<"$r" && kill -0 $PID_ex1'
done

# ---- a mix release from the README's recipe --------------------------------
mkdir -p "$T/proj" && cd "$T/proj" || exit 1
export HOME="$T/home" MIX_ENV=prod; mkdir -p "$HOME"
ex "$T/proj" HOME="$HOME" -- mix new app > "$T/mix_new.log" 2>&1 ||
    { tail -n 5 "$T/mix_new.log"; not_ok "mix new app [release$X]"; exit 1; }
cd app && mkdir -p rel
printf '%s\n%s\n' "$VMARGS" "$VMMOD" > rel/vm.args.eex
printf '%s\n%s\n' "$VMARGS" "$REMARGS" > rel/remote.vm.args.eex
printf '%s\n' "$ENVSH" > rel/env.sh.eex
sed -i "s|deps: deps()|deps: deps(),\n      $MIXREL|" mix.exs
# The OTP library as the package installs it, found through ERL_LIBS here
# (the package puts it in OTP's own lib directory).
make -s -C "$ROOT" BUILD="$BUILD" install-erlang DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>&1
# ... with the beam of this release's erlc (OTP 29 refuses OTP 25's).
cp "$T/v$EXV/distguard_epmd.beam" "$T"/inst/usr/lib/erlang/lib/distguard-*/ebin/
t0=$(date +%s)
ex "$T/proj/app" HOME="$HOME" MIX_ENV=prod DISTGUARD_EPMD_PORT=$EPMD_PORT \
    ERL_LIBS="$T/inst/usr/lib/erlang/lib" -- timeout 300 mix release --quiet > "$T/mix_release.log" 2>&1
rc=$?
echo "# mix release: rc $rc in $(( $(date +%s) - t0 )) s"
[ $rc -eq 0 ] || tail -n 15 "$T/mix_release.log" | sed 's/^/# /'
check "mix_release_builds [ops->release$X] (with the README's rel/ files)" [ $rc -eq 0 ] || exit 1
APP="$T/proj/app/_build/prod/rel/app/bin/app"
check "vm_args_flags [ops->release$X] (the built vm.args carries distguard's flags)" \
    eval 'grep -q -- "-epmd_port $EPMD_PORT" "$T/proj/app/_build/prod/rel/app/releases/0.1.0/vm.args" &&
	grep -q -- "-epmd_module distguard_epmd" "$T/proj/app/_build/prod/rel/app/releases/0.1.0/vm.args"'
check "remote_vm_args [ops->release$X] (the helper nodes' remote.vm.args: -dist_listen false)" \
    grep -q -- "-dist_listen false" "$T/proj/app/_build/prod/rel/app/releases/0.1.0/remote.vm.args"

timeout -k 2 150 "${EXEC[@]}" env HOME="$HOME" RELEASE_COOKIE="$COOKIE" "$APP" start > "$T/app.log" 2>&1 &
PIDS+=("$!"); PID_app=$!
check "release_registers [ops->release$X] (the release node app registers with distguard, mediated)" \
    wait_for "$T/dg.log" "node app registered from .*; mediated" 30
r=$(veval 25 p25app 30 "io:format(\"~p~n\", [net_adm:ping('app@$HOST')])" "${PEER[@]}")
check "ping [25->release$X] (an OTP 25 peer pings the release node: $r)" grep -q pong <<<"$r"

# bin/app rpc, with the ops cookie (the README's env.sh picks it)
# app_cmd COOKIEFILE ARGS...: bin/app ARGS, as an operator with that
# cookie file runs it; 40 s at most.
app_cmd() {
	local c=$1; shift
	timeout -k 2 40 "${EXEC[@]}" env HOME="$HOME" DISTGUARD_OPS_COOKIE="$c" "$APP" "$@"
}
r=$(app_cmd "$T/ops.cookie" rpc \
    "IO.puts(node()); File.write!(\"$T/rpc_marker\", Atom.to_string(node()))" 2>&1)
echo "# bin/app rpc: $r"
check "rpc [ops->release$X] (bin/app rpc evaluates on app@$HOST: $r)" \
    eval '[ "$r" = "app@$HOST" ] && [ "$(cat "$T/rpc_marker" 2>/dev/null)" = "app@$HOST" ]'
check "rpc_hidden [ops->release$X] (the rpc-XXXX-app node came up hidden through distguard)" \
    grep -q "rpc-[0-9a-f]*-app@$HOST -> app@$HOST: up, flags .*(hidden)" "$T/dg.log"
r=$(app_cmd "$T/ops.cookie" pid 2>&1)
check "rpc_pid [ops->release$X] (bin/app pid goes through rpc too, and names the release's beam: $r)" \
    eval '[ -n "$r" ] && [ "$r" -gt 0 ] 2>/dev/null && tr "\\0" " " < "/proc/$r/cmdline" | grep -q -- "-sname app "' 
r=$(app_cmd "$T/notops.cookie" rpc 'IO.puts(:reached)' 2>&1)
check "rpc_needs_ops_cookie [ops->release$X] (with the cluster cookie instead, refused: $(echo "$r" | head -c 80))" \
    eval '! grep -q "^reached" <<<"$r"'
check "rpc_needs_ops_cookie_alert [ops->release$X] (handshake.bad_digest for rpc-*-app)" \
    wait_for "$ALERTS" "\"handshake.bad_digest\".*\"peer\":\"rpc-[0-9a-f]*-app@$HOST\"" 5

# bin/app remote: an interactive IEx shell, which needs a terminal (without
# one IEx ignores --remsh).  pty_drive.py is the person at the terminal: it
# waits for the release node's prompt, types one expression, waits for its
# answer, and ends the shell; 40 s at most.
r=$(timeout -k 2 50 python3 "$ROOT/tests/interop/pty_drive.py" 40 \
    "iex\\(app@$HOST\\)1> " "File.write!(\"$T/remote_marker\", Atom.to_string(node())); :wrote" \
    "^:wrote" -- "${EXEC[@]}" env HOME="$HOME" TERM=xterm DISTGUARD_OPS_COOKIE="$T/ops.cookie" "$APP" remote 2>&1)
echo "$r" | grep . | tail -n 6 | sed 's/^/# remote: /'
check "remote_prompt [ops->release$X] (bin/app remote shows the release node's prompt iex(app@$HOST)1>)" \
    grep -q "iex(app@$HOST)1>" <<<"$r"
# Elixir 1.20 on OTP 29: the shell's line editor runs on the rem- node and
# answers the release node's get_until with funs of IEx.Evaluator in an
# io_reply, which the README's {allow, funs, [{io_reply, ...}]} admits.
check "remote [ops->release$X] (bin/app remote evaluated on app@$HOST: $(cat "$T/remote_marker" 2>/dev/null))" \
    [ "$(cat "$T/remote_marker" 2>/dev/null)" = "app@$HOST" ]
check "remote_hidden [ops->release$X] (the rem-XXXX-app node came up through distguard)" \
    grep -q "rem-[0-9a-f]*-app@$HOST -> app@$HOST: up" "$T/dg.log"
check "release_alive [ops->release$X] (the release node survived its ops sessions)" kill -0 "$PID_app"

nb=$(grep -c '"event":"peer.banned"' "$ALERTS" 2>/dev/null)
check "no_ban [all] (bans: ${nb:-0})" [ "${nb:-0}" -eq 0 ]
grep -v '"handshake.bad_digest"' "$ALERTS" 2>/dev/null | grep -v '"filter.denied"' | sed 's/^/# other alert: /'
check "distguard_survived [all]" dg_alive
done_tests
