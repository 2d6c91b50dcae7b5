#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: a rebar3 (relx) release behind distguard, configured only by the
# README's recipe (the blocks of "A rebar3 release behind distguard",
# extracted verbatim), built and run twice: by Debian's rebar3 3.19 on the
# host's OTP 25 (column ops->rebar25) and by rebar3 3.28 on OTP 29 in the
# forky root (ops->rebar29).  Through distguard, under the README's policy
# and ops cookie: bin/app daemon (which returns), ping, pid, rpc, eval,
# remote_console (an Erlang shell on the release node, driven through a
# pty) and stop.  relx's helpers are erl_call -R (a C node asking for a
# dynamic name: distguard gives it one, docs/HANDSHAKE.md) and a remote
# shell `-sname undefined@host -dist_listen false` (distguard_epmd dials
# only this host's listeners for a node that does not listen).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
interop_root || exit 1
command -v rebar3 >/dev/null 2>&1 ||
    { not_ok "rebar3 is installed on the host (Debian's rebar3; scripts/deps.sh interop installs it) [ops->rebar25]"; }
README="$ROOT/README.md"

# readme_block FIRSTLINE: the fenced block of README.md whose first line is
# FIRSTLINE, without the fences (as t_elixir.sh).
readme_block() {
	awk -v first="$1" '
	    /^```/ { if (inb) { if (want) exit; inb = 0; next } inb = 1; start = 1; next }
	    inb && start { start = 0; if ($0 == first) want = 1 }
	    inb && want { print }
	' "$README"
}
VMARGS=$(readme_block '## config/vm.args (rebar3): the release node behind distguard')
RELX=$(readme_block '%% rebar.config (relx): the same for a rebar3 release')
OPSENV=$(readme_block '# the environment of every bin/app command of a rebar3 release')
DGCONF=$(readme_block '%% distguard.conf: the rebar3 release app@host, its ops tools')
for b in VMARGS RELX OPSENV DGCONF; do
	check "recipe_block_$b [recipe] (README block found)" [ -n "${!b}" ]
done
# relx's helpers never read vm.args' -epmd_port: the one port setting is
# ERL_EPMD_PORT, for the node and the helpers alike (without it, and
# distguard on another port, bin/app daemon waits for ever).
check "recipe_epmd_port [recipe] (ERL_EPMD_PORT in the operator's environment, no -epmd_port in vm.args)" \
    eval 'grep -q "^export ERL_EPMD_PORT=" <<<"$OPSENV" && ! grep -v "^#" <<<"$VMARGS" | grep -q -- "-epmd_port"'

printf 'opscookie' > "$T/ops.cookie"; chmod 600 "$T/ops.cookie"
printf '%s' "$COOKIE" > "$T/notops.cookie"; chmod 600 "$T/notops.cookie"
write_conf "$(sed "s#/etc/distguard/ops.cookie#$T/ops.cookie#g" <<<"$DGCONF")"
"$DG" check -c "$CONF" >/dev/null 2>&1 || { "$DG" check -c "$CONF" | sed 's/^/# /'; not_ok "recipe_policy_check [recipe] (the README's distguard policy passes distguard check)"; exit 1; }
ok "recipe_policy_check [recipe] (the README's distguard policy passes distguard check)"
dg_start || exit 1

# The OTP library as the package installs it, found through ERL_LIBS;
# each release gets the beam of its own erlc.
make -s -C "$ROOT" BUILD="$BUILD" install-erlang DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>&1
LIBDIR=$(ls -d "$T"/inst/usr/lib/erlang/lib/distguard-* 2>/dev/null | head -n 1)
[ -n "$LIBDIR" ] || { not_ok "make install-erlang installs the distguard library [recipe]"; exit 1; }

# The operator's environment, from the README: ERL_EPMD_PORT (distguard's
# port here) and RELX_COOKIE (the ops cookie file, here $T/ops.cookie).
opsenv() {	# opsenv COOKIEFILE: the README's exports, as env arguments
	local c=$1
	eval "$(sed -e "s#4369#$EPMD_PORT#g" -e "s#/etc/distguard/ops.cookie#$c#g" \
	    -e 's/^export /local /' <<<"$OPSENV")"
	OPS_ENV=(ERL_EPMD_PORT="$ERL_EPMD_PORT" RELX_COOKIE="$RELX_COOKIE"
	    PIPE_DIR="$T/pipes$V/")
}
# The release nodes bin/app daemon starts (under run_erl): this test's own,
# found by their release directory under $T, stopped whatever happens.
# (run_erl detaches them from this shell, so PIDS cannot hold them.)
release_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != $$ ] && tr '\0' ' ' < "$p/cmdline" 2>/dev/null |
		    grep -q -- "$T/r[0-9]*/app/_build/\|$T/pipes" &&
		    echo "${p#/proc/}"
	done
}
CLEANUPS+=('for p in $(release_pids); do kill -9 "$p"; done')

# gone PID SECS: PID ends within SECS seconds
gone() {
	local i
	[ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null || return 1
	for i in $(seq 1 $(($2 * 5))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	return 1
}

# rebar_run V: the whole sequence for OTP V's rebar3, column ops->rebarV.
rebar_run() {
	local v=$1 col="ops->rebar$1" EXEC=() dir="$T/r$1" r rc t0 app pidf
	[ "$v" = 29 ] && EXEC=(sh "$OTP_ROOT" forky exec -b "$T" --)
	mkdir -p "$dir/home" && printf '%s' "$COOKIE" > "$dir/home/.erlang.cookie" &&
	    chmod 400 "$dir/home/.erlang.cookie"
	# rx [VAR=VALUE...] -- CMD...: CMD of this release, run in $dir/app.
	rx() {
		local vars=()
		while [ "$1" != -- ]; do vars+=("$1"); shift; done
		shift
		"${EXEC[@]}" env HOME="$dir/home" "${vars[@]}" sh -c 'cd "$0" 2>/dev/null || cd /; exec "$@"' "$dir/app" "$@"
	}
	echo "# rebar3 $v: $(rx -- rebar3 version 2>&1 | tail -n 1)"
	(cd "$dir" && rx -- sh -c "cd '$dir' && rebar3 new release app" > "$dir/new.log" 2>&1)
	[ -d "$dir/app" ] || { sed 's/^/# /' "$dir/new.log" | tail -n 5; not_ok "rebar3_new [$col]"; return 1; }
	printf '%s\n' "$VMARGS" > "$dir/app/config/vm.args"
	{ echo '{erl_opts, [debug_info]}.'; echo '{deps, []}.'; printf '%s\n' "$RELX"; } > "$dir/app/rebar.config"
	mkdir -p "$dir/lib" && cp -r "$LIBDIR" "$dir/lib/" &&
	    cp "$T/v$v/distguard_epmd.beam" "$dir"/lib/distguard-*/ebin/
	t0=$(date +%s)
	rx ERL_LIBS="$dir/lib" -- timeout 300 rebar3 release > "$dir/release.log" 2>&1
	rc=$?
	echo "# rebar3 release ($v): rc $rc in $(( $(date +%s) - t0 )) s"
	[ $rc -eq 0 ] || tail -n 15 "$dir/release.log" | sed 's/^/# /'
	check "release_builds [$col] (rebar3 release with the README's rebar.config and vm.args)" [ $rc -eq 0 ] || return 1
	app="$dir/app/_build/default/rel/app/bin/app"
	check "release_has_distguard [$col] (distguard-VERSION is one of the release's libraries)" \
	    eval 'ls -d "$dir"/app/_build/default/rel/app/lib/distguard-*/ebin/distguard_epmd.beam >/dev/null 2>&1'
	V=$v opsenv "$T/ops.cookie"
	# bin/app CMD as the operator, with the README's environment; 40 s
	# at most each.
	ops() { timeout -k 2 40 "${EXEC[@]}" env HOME="$dir/home" "${OPS_ENV[@]}" "$app" "$@"; }

	t0=$(date +%s)
	ops daemon > "$dir/daemon.out" 2>&1
	rc=$?
	check "daemon [$col] (bin/app daemon returns once the node answers, in $(( $(date +%s) - t0 )) s: rc $rc)" [ $rc -eq 0 ]
	check "release_registers [$col] (the release node app registers with distguard, mediated)" \
	    wait_for "$T/dg.log" "node app registered from .*; mediated" 20
	check "erl_call_dynamic [$col] (relx's erl_call -R was given a name by distguard)" \
	    grep -q "dyn-[0-9a-f]\{8\}-app@[^ ]* -> app@$HOST: up" "$T/dg.log"
	r=$(ops ping 2>&1)
	check "ping [$col] (bin/app ping: $r)" [ "$r" = pong ]
	pidf=$(ops pid 2>&1)
	check "pid [$col] (bin/app pid names the release's beam: $pidf)" \
	    eval '[ "$pidf" -gt 0 ] 2>/dev/null && tr "\\0" " " < "/proc/$pidf/cmdline" | grep -q -- "-sname app"'
	r=$(ops rpc erlang node 2>&1)
	check "rpc [$col] (bin/app rpc erlang node: $r)" [ "$r" = "app@$HOST" ]
	r=$(ops rpc os cmd '["touch '"$T"'/rpc_denied_'"$v"'"]' 2>&1)
	check "rpc_denied [$col] (an MFA outside the policy is refused: $(echo "$r" | head -c 60))" \
	    eval '[ ! -e "$T/rpc_denied_$v" ] && ! grep -q "^\\[\\]" <<<"$r"'
	r=$(ops eval "file:write_file(\"$T/eval_marker_$v\", atom_to_list(node())), node()." 2>&1)
	check "eval [$col] (bin/app eval on app@$HOST: $r)" \
	    eval '[ "$r" = "app@$HOST" ] && [ "$(cat "$T/eval_marker_$v" 2>/dev/null)" = "app@$HOST" ]'
	r=$(timeout -k 2 40 "${EXEC[@]}" env HOME="$dir/home" ERL_EPMD_PORT="$EPMD_PORT" \
	    RELX_COOKIE="$(cat "$T/notops.cookie")" "$app" ping 2>&1)
	check "ops_cookie_needed [$col] (with the cluster cookie instead: $r)" [ "$r" != pong ]
	check "ops_cookie_needed_alert [$col] (handshake.bad_digest for a dyn-*-app name)" \
	    wait_for "$ALERTS" "\"handshake.bad_digest\".*\"dyn-[0-9a-f]*-app@" 5

	# remote_console: the release node's Erlang shell, in a terminal.
	r=$(timeout -k 2 50 python3 "$ROOT/tests/interop/pty_drive.py" 40 \
	    "\\(app@$HOST\\)1> " "file:write_file(\"$T/remote_marker_$v\", atom_to_list(node())), wrote." \
	    "^wrote" -- "${EXEC[@]}" env HOME="$dir/home" TERM=xterm "${OPS_ENV[@]}" "$app" remote_console 2>&1)
	echo "$r" | grep . | tail -n 6 | sed 's/^/# remote_console: /'
	check "remote_console [$col] (an expression typed in bin/app remote_console ran on app@$HOST)" \
	    [ "$(cat "$T/remote_marker_$v" 2>/dev/null)" = "app@$HOST" ]
	check "remote_console_hidden [$col] (its dyn-*-app node came up hidden through the listener)" \
	    grep -q "dyn-[0-9a-f]\{8\}-app@[^ ]* -> app@$HOST: up, flags .*(hidden)" "$T/dg.log"

	if [ "$v" = 25 ]; then
		# distguard_epmd in a node that does not listen: this host's
		# listeners only; another host is refused before any lookup.
		r=$(timeout -k 2 30 erl -sname "dyn-00000025-app" -setcookie opscookie \
		    -start_epmd false -epmd_port "$EPMD_PORT" -dist_listen false -hidden \
		    -epmd_module distguard_epmd -pa "$T/v25" -noshell -eval "
		    io:format(\"=> ~p ~p~n\", [erpc:call('app@$HOST', erlang, node, [], 5000),
		        net_adm:ping('app@elsewhere.invalid')]), halt()." 2>&1)
		check "dial_only [$col] (a non-listening node with distguard_epmd reaches app@$HOST, not another host: $(grep '^=>' <<<"$r"))" \
		    eval 'grep -q "^=> app@$HOST pang" <<<"$r" && grep -q "reaches only the nodes of this host" <<<"$r"'
	fi
	r=$(ops stop 2>&1)
	rc=$?
	check "stop [$col] (bin/app stop: rc $rc, $r)" [ $rc -eq 0 ]
	check "stopped [$col] (the release's beam $pidf is gone)" gone "$pidf" 10
	# Whatever happened, nothing of this release outlives the test.
	[ -n "$pidf" ] && [ "$pidf" -gt 0 ] 2>/dev/null && kill -9 "$pidf" 2>/dev/null
	return 0
}

command -v rebar3 >/dev/null 2>&1 && rebar_run 25
rebar_run 29

nb=$(grep -c '"event":"peer.banned"' "$ALERTS" 2>/dev/null)
check "no_ban [all] (bans: ${nb:-0})" [ "${nb:-0}" -eq 0 ]
grep -v '"handshake.bad_digest"' "$ALERTS" 2>/dev/null | sed 's/^/# alert: /' | head -n 20
check "distguard_survived [all]" dg_alive
done_tests
