# SPDX-License-Identifier: Apache-2.0
# tests/livefuzz/lf.sh - the live fuzzer's setup, shared by
# tests/e2e/t_livefuzz.sh (the small run of make test) and
# tests/livefuzz/run.sh (the long run of make fuzz / make fuzz-live).
# Sourced by bash after tests/e2e/lib.sh.
#
# One distguard, one protected node B (lfnode.erl: a gen_server `gateway`,
# the module my_api), three kinds of peer by name:
#   fz*     the embedded default policy (examples/distguard.conf's
#           {default, ...} line): ping, global, replies
#   al*     an allow-list with a name and an MFA, on top of the default:
#           {allow, reg_send, [gateway]}, {allow, spawn_request,
#           [{my_api, handle, 1}]}
#   lfobs*  the observer, allow_all (it reads B's state after each batch)

LF="$ROOT/tests/livefuzz"
mkdir -p "$T/lf"
erlc -o "$T/lf" "$LF/lfnode.erl" "$LF/my_api.erl" "$LF/lfobs.erl" >/dev/null 2>&1 ||
    echo "# erlc of tests/livefuzz/*.erl failed"
# distguard_epmd where an OTP 27 chroot sees it too ($T is bound there)
mkdir -p "$T/dgebin" && cp "$EBIN"/*.beam "$T/dgebin/" 2>/dev/null

# The peers stand in for nodes of other hosts (they are not mediated).
DG_EGRESS=off

lf_conf() {
	local default
	default=$(grep '^{default,' "$ROOT/examples/distguard.conf")
	write_conf "$default" \
	    "$(grep -A5 '^{handshake,' "$ROOT/examples/distguard.conf" | sed '/]}\./q')" \
	    '{peer, "al*@*", [ping, global, replies,
	                      {allow, reg_send, [gateway]},
	                      {allow, spawn_request, [{my_api, handle, 1}]}]}.' \
	    '{peer, "lfobs*@*", [allow_all]}.' "$@"
}

# The script of the OTP roots for releases other than the host's; its
# first argument is the suite, given as the release (27, 29).
lf_otp_root() {
	echo "$ROOT/scripts/otp-root.sh"
}

# lf_b_cmd VERSION LIFE: the shell command that runs B (OTP 25 is the
# host's erl, 27 the chrooted one) for LIFE seconds at most.
lf_b_cmd() {
	local v=$1 life=$2 erl mod
	case $v in
	25) erl="erl"; mod="-epmd_module distguard_epmd -pa $T/dgebin" ;;
	*)  erl="sh $(lf_otp_root) $v exec -b $T -- erl"
	    mod="-kernel epmd_module distguard_epmd -pa $T/dgebin" ;;
	esac
	echo "timeout -k 2 $((life + 10)) $erl -sname b $(printf '%q ' "${ERL_COMMON[@]}") $mod -pa $T/lf -eval 'lfnode:serve($life)'"
}

lf_obs_cmd() {
	echo "timeout -k 2 $(( ${1:-600} + 10 )) erl -sname lfobs -hidden $(printf '%q ' "${ERL_COMMON[@]}") -pa $T/lf -eval 'lfobs:main()'"
}

# lf_run VERSION POLICY NAME SEED MESSAGES SECONDS [livefuzz.py args...]
lf_run() {
	local v=$1 pol=$2 name=$3 seed=$4 n=$5 secs=$6; shift 6
	python3 "$LF/livefuzz.py" run --epmd "$EPMD_PORT" --b "b@$HOST" --cookie "$COOKIE" \
	    --ctl "$T/ctl.sock" --b-cmd "$(lf_b_cmd "$v" $((secs + 120)))" --b-log "$T/b.log" \
	    --obs-cmd "$(lf_obs_cmd $((secs + 120)))" --policy "$pol" --name "$name" \
	    --seed "$seed" --messages "$n" --seconds "$secs" --repro-dir "$T/repro" "$@"
}

# lf_repro VERSION FILE...: each reproducer against a fresh B of that release
lf_repro() {
	local v=$1; shift
	python3 "$LF/livefuzz.py" repro --epmd "$EPMD_PORT" --b "b@$HOST" --cookie "$COOKIE" \
	    --b-cmd "$(lf_b_cmd "$v" 120)" --b-log "$T/b.log" --obs-cmd "$(lf_obs_cmd 120)" "$@"
}
