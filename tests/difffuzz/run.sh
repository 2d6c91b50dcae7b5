#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/difffuzz/run.sh [smoke|long|N] [SEED]: the differential fuzzer
# (dgdiff.erl) against this host's OTP, and against the OTP 27 and 29
# roots of scripts/otp-root.sh (or scripts/trixie-root.sh) when they are
# there.  smoke: 30,000 cases (make test); long: 1,500,000 per OTP (two
# terms each; about two in three reach both decoders).
# Prints "ok - ..." / "not ok - ..." per OTP; exits non-zero on a
# difference.
set -u
cd "$(dirname "$0")/../.."
BUILD=${DG_BUILD:-build}
case ${1:-smoke} in
smoke) N=30000 ;;
long) N=1500000 ;;
*) N=$1 ;;
esac
SEED=${2:-$(date +%s)}
HELPER="$(pwd)/$BUILD/tests/dg_read"
[ -x "$HELPER" ] || { echo "not ok - difffuzz: $HELPER missing (make all)"; exit 1; }
W=$(mktemp -d /tmp/dg-diff.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0

# one LABEL ERL...: compiles and runs dgdiff with that erl (a command
# line: the host's erl, or erl inside an OTP root).
one() {
	label=$1; helper=$2; shift 2
	out="$W/$(echo "$label" | tr ' ' _)"
	mkdir -p "$out"
	"$@" -noshell -eval "
	    {ok, _} = compile:file(\"$(pwd)/tests/difffuzz/dgdiff.erl\", [{outdir, \"$out\"}]),
	    halt()." > "$out/compile" 2>&1 || true
	if timeout -k 5 3600 "$@" +t 5000000 -noshell -pa "$out" \
	    -eval "dgdiff:main([\"$helper\", \"$N\", \"$SEED\"])" > "$out/log" 2>&1; then
		echo "ok - difffuzz $label: $(grep '^dgdiff:' "$out/log")"
	else
		echo "not ok - difffuzz $label: $(grep '^dgdiff:' "$out/log")"
		cat "$out/compile" | head -n 5 | sed 's/^/#   /'
		head -n 60 "$out/log" | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}

one "OTP $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')" "$HELPER" erl
# Inside a root there is no sanitizer runtime: an ASan build's reader
# gives way there to the release build's (make test builds both).
RHELPER=$HELPER
if ldd "$HELPER" 2>/dev/null | grep -q libasan; then
	RHELPER="$(pwd)/build/tests/dg_read"
	[ -x "$RHELPER" ] || RHELPER=""
fi
# Other OTPs: the cached Debian roots (scripts/otp-root.sh, or the older
# scripts/trixie-root.sh for OTP 27 alone), only when already built: a
# test does not debootstrap.  DG_DIFF_OTPS=0 skips them.
CACHE=${DG_INTEROP_CACHE:-/var/cache/distguard-interop}
ROOTSH=${DG_OTP_ROOT_SH:-scripts/otp-root.sh}
for suite in trixie forky; do
	[ "${DG_DIFF_OTPS:-1}" = 1 ] || break
	if ! ls -d "$CACHE/$suite"-*/usr/bin/erl > /dev/null 2>&1; then
		echo "# difffuzz: no cached $suite root in $CACHE: not run"
		continue
	fi
	if [ -f "$ROOTSH" ]; then
		set -- sh "$ROOTSH" "$suite" exec
	elif [ "$suite" = trixie ] && [ -f scripts/trixie-root.sh ]; then
		set -- sh scripts/trixie-root.sh exec
	else
		echo "# difffuzz: no scripts/otp-root.sh to enter the $suite root: not run"
		continue
	fi
	rel=$("$@" -b "$(pwd)" -t 60 -- erl -noshell -eval \
	    'io:format("~s", [erlang:system_info(otp_release)]), halt().' 2>/dev/null)
	if [ -z "$RHELPER" ]; then
		echo "# difffuzz: no reader without ASan for the $suite root: not run"
		continue
	fi
	one "OTP ${rel:-?} ($suite)" "$RHELPER" "$@" -b "$(pwd)" -b "$W" -t 3600 -- erl
done
[ "$fails" -eq 0 ]
