# tests/interop/lib.sh - shared by the interop suites (sourced, bash), on
# top of tests/e2e/lib.sh (work directory, ports, trap, ok/not ok).
#
# Nodes of two OTP releases: 25 is the host's Debian erl, 27 is Debian
# trixie's erl run chrooted in the root scripts/trixie-root.sh builds and
# caches (the work directory $T is bound at the same path inside, so both
# share beams, marker files and logs; the network is the host's).
#
# Result lines carry their column in brackets, "ok - CHECK [COLUMN] ...",
# from which tests/interop/run.sh builds the table.

. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
TRIXIE="$ROOT/scripts/trixie-root.sh"
erlc -o "$T" "$ROOT/tests/interop/iop.erl" >/dev/null 2>&1 || echo "# erlc iop.erl failed"
# distguard_epmd for the protected nodes, copied into $T so that OTP 27's
# chroot sees it too (an OTP 25 beam loads in OTP 27).
mkdir -p "$T/dgebin" && cp "$EBIN"/*.beam "$T/dgebin/" 2>/dev/null ||
    echo "# distguard_epmd not copied from $EBIN"

# The trixie root must be there (building it when absent); a machine that
# cannot build it fails here, loudly.
interop_root() {
	local out
	if ! out=$(sh "$TRIXIE" build 2>&1); then
		echo "$out" | sed 's/^/# /'
		not_ok "the Debian trixie root (OTP 27) is available (scripts/trixie-root.sh build failed)"
		return 1
	fi
	TRIXIE_ROOT=$(echo "$out" | tail -n 1)
	# chroot, a mount namespace and bind mounts need root (CAP_SYS_ADMIN)
	if ! out=$(sh "$TRIXIE" exec -t 20 -- erl -noshell -eval \
	    'io:format("otp ~s~n", [erlang:system_info(otp_release)]), halt().' 2>&1) ||
	    ! grep -q '^otp 27' <<<"$out"; then
		echo "$out" | sed 's/^/# /'
		not_ok "OTP 27 runs chrooted in $TRIXIE_ROOT (unshare, mount --bind and chroot need root)"
		return 1
	fi
}

# erl_cmd VERSION: sets ERLV to the command line of that release's erl
# (for 27 an exec chain, so the PID a caller gets is erl's), and VMOD to
# the flags that load distguard_epmd in that release (OTP 27 has the
# kernel parameter; -epmd_module is deprecated there).
erl_cmd() {
	case $1 in
	25) ERLV=(erl); VMOD=(-epmd_module distguard_epmd -pa "$T/dgebin") ;;
	27) ERLV=(sh "$TRIXIE" exec -b "$T" -- erl)
	    VMOD=(-kernel epmd_module distguard_epmd -pa "$T/dgebin") ;;
	*) echo "erl_cmd: no OTP $1" >&2; return 1 ;;
	esac
}

# vnode_start VERSION NAME LIFE EXPR [erl args...]: a long-lived node of
# that release behind distguard, evaluating EXPR (which prints "dgt ready"
# and lives LIFE seconds); waits until distguard registered it.  These are
# the protected nodes: they run distguard_epmd unless NODE_MOD=0.
vnode_start() {
	local v=$1 name=$2 life=$3 expr=$4; shift 4
	erl_cmd "$v" || return 1
	[ "${NODE_MOD:-1}" = 1 ] || VMOD=()
	timeout -k 2 $((life + 20)) "${ERLV[@]}" -sname "$name" "${ERL_COMMON[@]}" "${VMOD[@]}" "$@" \
	    -eval "$expr" > "$T/$name.log" 2>&1 &
	PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for "$T/dg.log" "node $name registered" 30 || { not_ok "node $name (OTP $v) registered"; return 1; }
	wait_for "$T/$name.log" "dgt ready" 30 || { not_ok "node $name (OTP $v) ready"; return 1; }
}

# veval VERSION NAME SECS EXPR [erl args...]: a short-lived node of that
# release that evaluates EXPR and halts; its output on stdout.
veval() {
	local v=$1 name=$2 secs=$3 expr=$4; shift 4
	erl_cmd "$v" || return 1
	timeout -k 2 "$secs" "${ERLV[@]}" -sname "$name" "${ERL_COMMON[@]}" "$@" \
	    -eval "$expr, halt()." 2>&1
}

# dflags NAME_FROM NAME_TO: the flags distguard logged for that connection
dflags() {
	sed -n "s/.* $1@$HOST -> $2@$HOST: up, flags \(0x[0-9a-f]*\).*/\1/p" "$T/dg.log" | tail -n 1
}
