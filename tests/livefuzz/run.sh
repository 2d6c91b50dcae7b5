#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tests/livefuzz/run.sh - the long run of the admitted-set live fuzzer
# (make fuzz-live; make fuzz runs it too).  One distguard under the
# embedded default policy plus an allow-list (tests/livefuzz/lf.sh), node B
# of the OTP release LIVEFUZZ_OTP, and two runs: a peer under the default
# policy, then one under the allow-list.  On a failure the batch is saved
# and shrunk (B restarted for each step) into build/livefuzz/repro/.
#
#   LIVEFUZZ_OTP=25|27|29      B's release (27: Debian trixie, 29: forky, chrooted;
#                              the root is built on first use, needs root)
#   LIVEFUZZ_MESSAGES=160000   messages of the default-policy run (0: none)
#   LIVEFUZZ_ALLOW_MESSAGES=40000   messages of the allow-list run (0: none)
#   LIVEFUZZ_SECONDS=900       time bound of each run
#   LIVEFUZZ_SEED=1            the seed (same seed, same messages)
#   LIVEFUZZ_CLASSES, LIVEFUZZ_ALLOW_CLASSES
#                              the classes of each run (tests/livefuzz/gen.py;
#                              default: its DEFAULT_MIX, which leaves out
#                              KNOWN_CRASHERS)
#   LIVEFUZZ_SHRINK=0          do not shrink a failing batch
#   LIVEFUZZ_REPRO=1           instead of fuzzing, replay each reproducer in
#                              tests/livefuzz/repro/ against a fresh B:
#                              "ok - repro NAME: B fine" once its class is
#                              fixed, "not ok - ... reproduces: ..." before
#
# Prints "ok - ..." / "not ok - ..." per run with "admitted N of M", and
# a total; exits non-zero on a failure.
. "$(dirname "$0")/../e2e/lib.sh"
. "$ROOT/tests/livefuzz/lf.sh"
cd "$T" || exit 1
OTP=${LIVEFUZZ_OTP:-25}
SEED=${LIVEFUZZ_SEED:-1}
SECS=${LIVEFUZZ_SECONDS:-900}
REPRO="$ROOT/build/livefuzz/repro"
mkdir -p "$REPRO"
SHRINK=--shrink
[ "${LIVEFUZZ_SHRINK:-1}" = 0 ] && SHRINK=

if [ "$OTP" != 25 ]; then
	r=$(lf_otp_root)
	if ! out=$(sh "$r" "$OTP" build 2>&1); then
		echo "$out" | sed 's/^/# /' | tail -n 5
		not_ok "the OTP $OTP root is available ($r $OTP build)"
		exit 1
	fi
	echo "# OTP $OTP root: $(echo "$out" | tail -n 1)"
fi

lf_conf
dg_start || exit 1

if [ "${LIVEFUZZ_REPRO:-0}" = 1 ]; then
	while read -r line; do
		case $line in
		"repro "*": B fine") ok "${line} (OTP $OTP)" ;;
		"repro "*) not_ok "${line} (OTP $OTP)" ;;
		*) echo "# $line" ;;
		esac
	done < <(lf_repro "$OTP" "$ROOT"/tests/livefuzz/repro/*.lfr 2>&1 | grep -v '^# shrink step')
	done_tests
	exit
fi

total=0
one() {	# one POLICY NAME MESSAGES [classes]
	local pol=$1 name=$2 n=$3 cls=$4 out line adm
	[ "$n" -gt 0 ] || return 0
	out=$(lf_run "$OTP" "$pol" "$name" "$SEED" "$n" "$SECS" $SHRINK \
	    --repro-dir "$REPRO" ${cls:+--classes "$cls"} 2>&1)
	echo "$out" | grep '^# ' | grep -v '^# livefuzz' | tail -n 12
	line=$(grep '^livefuzz ' <<<"$out" | tail -n 1)
	[ -n "$line" ] || echo "$out" | tail -n 15 | sed 's/^/# /'
	check "live fuzz OTP $OTP, $pol policy, seed $SEED: ${line:-no result line}" \
	    grep -q '^livefuzz ok: admitted' <<<"$line"
	adm=$(sed -n 's/^livefuzz [a-zA-Z]*: admitted \([0-9]*\) of.*/\1/p' <<<"$line")
	total=$((total + ${adm:-0}))
}
one default fz "${LIVEFUZZ_MESSAGES:-160000}" "${LIVEFUZZ_CLASSES:-}"
one allow al "${LIVEFUZZ_ALLOW_MESSAGES:-40000}" "${LIVEFUZZ_ALLOW_CLASSES:-}"
echo "# OTP $OTP: admitted $total messages in all"
check "the daemon is alive" dg_alive
done_tests
