# SPDX-License-Identifier: Apache-2.0
# tests/interop/lib.sh - shared by the interop suites (sourced, bash), on
# top of tests/e2e/lib.sh (work directory, ports, trap, ok/not ok).
#
# Nodes of three OTP releases: 25 is the host's Debian erl, 27 is Debian
# trixie's and 29 Debian forky's erl, each run chrooted in the root
# scripts/otp-root.sh builds and caches (the work directory $T is bound at
# the same path inside, so all share marker files and logs; the network is
# the host's).  Each release runs beams compiled by its own erlc.
#
# Result lines carry their column in brackets, "ok - CHECK [COLUMN] ...",
# from which tests/interop/run.sh builds the table.

. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
OTP_ROOT="$ROOT/scripts/otp-root.sh"
# The releases under test: 25 (the host), 27 (trixie), 29 (forky).
OTPS="25 27 29"
# otp_suite VERSION: the Debian suite whose root runs that release
otp_suite() { case $1 in 27) echo trixie ;; 29) echo forky ;; esac; }
# The test modules and distguard_epmd, copied into $T so that the chroots
# see them too; each release compiles them with its own erlc into
# $T/vVERSION (OTP 29 refuses beams of OTP 25: "please re-compile").
# tests/e2e/lib.sh compiled dgt into $T, on the code path of every node
# (ERL_COMMON): that OTP 25 beam goes, so that each release finds its own.
rm -f "$T/dgt.beam"
mkdir -p "$T/src" && cp "$ROOT/tests/interop/iop.erl" "$ROOT/tests/e2e/dgt.erl" \
    "$ROOT/erl/distguard_epmd.erl" "$ROOT/erl/distguard.erl" "$T/src/"

# in_root VERSION [-t SECS] -- CMD...: CMD run in that release's root,
# with $T bound at the same path.
in_root() {
	local v=$1; shift
	sh "$OTP_ROOT" "$(otp_suite "$v")" exec -b "$T" "$@"
}

# compile_for VERSION: the test modules and distguard_epmd, by that
# release's own erlc, into $T/vVERSION.
compile_for() {
	local v=$1
	mkdir -p "$T/v$v"
	[ -f "$T/v$v/iop.beam" ] && [ -f "$T/v$v/dgt.beam" ] && [ -f "$T/v$v/distguard_epmd.beam" ] &&
	    [ -f "$T/v$v/distguard.beam" ] && return 0
	if [ "$v" = 25 ]; then
		erlc -o "$T/v$v" "$T/src/iop.erl" "$T/src/dgt.erl" "$T/src/distguard_epmd.erl" "$T/src/distguard.erl"
	else
		in_root "$v" -t 120 -- erlc -o "$T/v$v" "$T/src/iop.erl" "$T/src/dgt.erl" "$T/src/distguard_epmd.erl" "$T/src/distguard.erl"
	fi
}

# The roots must be there (building them when absent); a machine that
# cannot build one fails here, loudly.  Sets ROOT_27, ROOT_29 (and
# TRIXIE_ROOT, the same as ROOT_27).
interop_root() {
	local out v s
	for v in $OTPS; do
		s=$(otp_suite "$v")
		if [ -n "$s" ]; then
			if ! out=$(sh "$OTP_ROOT" "$s" build 2>&1); then
				echo "$out" | sed 's/^/# /'
				not_ok "the Debian $s root (OTP $v) is available (scripts/otp-root.sh $s build failed)"
				return 1
			fi
			eval "ROOT_$v=\$(echo \"\$out\" | tail -n 1)"
			# chroot, a mount namespace and bind mounts need root (CAP_SYS_ADMIN)
			if ! out=$(sh "$OTP_ROOT" "$s" exec -t 20 -- erl -noshell -eval \
			    'io:format("otp ~s~n", [erlang:system_info(otp_release)]), halt().' 2>&1) ||
			    ! grep -q "^otp $v" <<<"$out"; then
				echo "$out" | sed 's/^/# /'
				eval "not_ok \"OTP $v runs chrooted in \$ROOT_$v (unshare, mount --bind and chroot need root)\""
				return 1
			fi
		fi
		compile_for "$v" > "$T/erlc$v.log" 2>&1 || {
			sed 's/^/# /' "$T/erlc$v.log"
			not_ok "the test modules compile with OTP $v's erlc"
			return 1
		}
	done
	TRIXIE_ROOT=$ROOT_27
}

# erl_cmd VERSION: sets ERLV to the command line of that release's erl
# (for 27 and 29 an exec chain, so the PID a caller gets is erl's), with
# that release's beams first in the code path, and VMOD to the flags that
# load distguard_epmd in that release (OTP 27 and later have the kernel
# parameter; OTP 29 refuses -epmd_module given with it, and 27 deprecates
# -epmd_module).
erl_cmd() {
	case $1 in
	25) ERLV=(erl -pa "$T/v25"); VMOD=(-epmd_module distguard_epmd) ;;
	27|29) ERLV=(sh "$OTP_ROOT" "$(otp_suite "$1")" exec -b "$T" -- erl -pa "$T/v$1")
	    VMOD=(-kernel epmd_module distguard_epmd) ;;
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
