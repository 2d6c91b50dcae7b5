#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the distguard test suite and prints one closing line,
# "N passed, N failed".  Every test prints "ok - name" or "not ok - name";
# a test program that dies without printing its own result counts as one
# failure.  DG_BUILD names the build directory (build or build/asan);
# DG_ONLY=unit|e2e|fuzz runs one part.
set -u
cd "$(dirname "$0")/.."
BUILD=${DG_BUILD:-build}
ONLY=${DG_ONLY:-all}
export DG_BUILD="$BUILD" DG_ROOT="$(pwd)"
# Fail fast on sanitizer findings, and keep leak checks on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log=$(mktemp -d /tmp/dg-run.XXXXXX)
pass=0
fail=0

run_one() {	# run_one NAME TIMEOUT CMD...
	name=$1; limit=$2; shift 2
	out="$log/$(echo "$name" | tr '/ ' '__').out"
	echo "# $name"
	timeout -k 5 "$limit" "$@" >"$out" 2>&1
	rc=$?
	grep -E '^(ok|not ok) ' "$out"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "# --- output of $name (last 40 lines) ---"
		tail -n 40 "$out" | sed 's/^/#   /'
	fi
	pass=$((pass + p))
	fail=$((fail + f))
}

if [ "$ONLY" = all ] || [ "$ONLY" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" 300 "$t"
	done
	# the include rules of the floors (scripts/depcheck.py, make depcheck)
	run_one "unit/depcheck" 120 sh tests/unit/t_depcheck.sh
fi
if [ "$ONLY" = all ] || [ "$ONLY" = fuzz ]; then
	run_one "fuzz-smoke" 600 sh tests/fuzz/run.sh smoke
fi
if [ "$ONLY" = all ] || [ "$ONLY" = e2e ]; then
	for t in tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		run_one "e2e/$(basename "$t" .sh)" 600 bash "$t"
	done
fi

rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
