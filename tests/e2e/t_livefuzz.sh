#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the admitted-set live fuzzer, small run (issue 18, item 2).
#
# A crafted peer with the cookie does a real handshake through distguard
# to B (OTP 25, tests/livefuzz/lfnode.erl) and sends messages of the
# shapes distguard admits - mutated captures and type-directed variants
# (tests/livefuzz/gen.py) - in batches; after each batch the observer
# checks that B lives, its kernel servers keep their pids, global answers
# within a second and the atom count stays within its bound.  Seeded
# (LIVEFUZZ_SEED, default 1): the same seed sends the same messages.
# Under the embedded default and under an allow-list; each run prints
# "admitted N of M" from distguard's own counters.
#
# The default mix leaves out the classes that crash B through distguard
# on main (tests/livefuzz/gen.py KNOWN_CRASHERS; docs/SECURITY.md, "Live
# fuzzing of admitted messages"); LIVEFUZZ_CLASSES names the classes to
# run instead, LIVEFUZZ_ALLOW_CLASSES those of the allow-list run.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/livefuzz/lf.sh"
cd "$T" || exit 1
SEED=${LIVEFUZZ_SEED:-1}

lf_conf
dg_start || exit 1

res() {	# res NAME OUTPUT: one check from a run's result line
	local line
	line=$(grep '^livefuzz ' <<<"$2" | tail -n 1)
	[ -n "$line" ] || echo "$2" | tail -n 15 | sed 's/^/# /'
	echo "$2" | grep '^# ' | tail -n 5
	echo "# $line"
	check "$1: ${line:-no result line}" grep -q '^livefuzz ok: admitted [1-9]' <<<"$line"
}

out=$(lf_run 25 default fz "$SEED" "${LIVEFUZZ_SMALL:-20000}" 40 \
    ${LIVEFUZZ_CLASSES:+--classes "$LIVEFUZZ_CLASSES"} 2>&1)
res "live fuzz, embedded default, OTP 25, seed $SEED" "$out"
adm=$(sed -n 's/^livefuzz ok: admitted \([0-9]*\) of.*/\1/p' <<<"$out")
check "most of what the default-policy run sent was admitted (${adm:-0})" \
    [ "${adm:-0}" -ge 1000 ]

out=$(lf_run 25 allow al "$SEED" "${LIVEFUZZ_SMALL_ALLOW:-8000}" 25 \
    ${LIVEFUZZ_ALLOW_CLASSES:+--classes "$LIVEFUZZ_ALLOW_CLASSES"} 2>&1)
res "live fuzz, allow-list (gateway, my_api:handle/1), OTP 25, seed $SEED" "$out"

check "the daemon is alive" dg_alive
check "no sanitizer report in the daemon's log" \
    not grep -q "AddressSanitizer\|runtime error" "$T/dg.log"
done_tests
