#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds and runs every libFuzzer harness, tests/fuzz/fuzz_<name>.c, linked
# with all library sources (as the Makefile builds them, minus daemon/main.c)
# under ASan + UBSan.  Seeds come from tests/fuzz/seeds/<name>/ (read only;
# new inputs go to build/fuzz/corpus/<name>/).
#
#   sh tests/fuzz/run.sh smoke   FUZZ_SMOKE_SECONDS (5) per harness
#   sh tests/fuzz/run.sh long    FUZZ_SECONDS (600) per harness, and a
#                                summary in build/fuzz/summary.txt
#
# Prints "ok - fuzz/<name> (<execs> execs)" or "not ok - fuzz/<name>" per
# harness; exits non-zero if any harness failed to build or found a crash
# (the input is kept in build/fuzz/artifacts/).  FUZZ_CC picks the compiler
# (clang), FUZZ_ONLY=<name> runs one harness.
set -u
cd "$(dirname "$0")/../.."

MODE=${1:-smoke}
case $MODE in
smoke)	SECS=${FUZZ_SMOKE_SECONDS:-5} ;;
long)	SECS=${FUZZ_SECONDS:-600} ;;
*)	echo "usage: $0 smoke|long" >&2; exit 2 ;;
esac

CC=${FUZZ_CC:-clang}
OUT=build/fuzz
EI=$(ls -d /usr/lib/erlang/lib/erl_interface-* 2>/dev/null | sort -V | tail -n 1)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -D_REENTRANT \
-Iinclude -I. -Icore -Iconf -Ilink -Ihandshake -Ifilter -Iepmd -Iproxy -Idaemon -I$EI/include"
LIBS="-L$EI/lib -lei -lev -lsodium -lnettle -lnftables -lpthread -lm"

mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts" "$OUT/log"
fail=0
summary="$OUT/summary.txt"
[ "$MODE" = long ] && : >"$summary"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "not ok - fuzz (no $CC)"
	exit 1
fi

# The library, once: instrumented for coverage but without libFuzzer's main.
objs=""
libok=1
for src in core/*.c conf/*.c link/*.c handshake/*.c filter/*.c epmd/*.c proxy/*.c daemon/*.c; do
	[ -f "$src" ] || continue
	[ "$src" = daemon/main.c ] && continue
	obj="$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
	    [ -n "$(find include core conf link handshake filter epmd proxy daemon -name '*.h' \
	    -newer "$obj" 2>/dev/null | head -n 1)" ]; then
		if ! $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" \
		    "$src" 2>"$OUT/log/build.err"; then
			echo "# build of $src failed:"
			sed 's/^/#   /' "$OUT/log/build.err" | head -n 20
			libok=0
			continue
		fi
	fi
	objs="$objs $obj"
done
# The embedded default configuration, generated as the Makefile does.
gen="$OUT/gen/conf_default.c"
if [ ! -f "$gen" ] || [ examples/distguard.conf -nt "$gen" ]; then
	sh scripts/gen-conf-default.sh examples/distguard.conf "$gen"
fi
if ! $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$OUT/obj/gen_conf_default.o" \
    "$gen" 2>"$OUT/log/build.err"; then
	echo "# build of $gen failed:"
	sed 's/^/#   /' "$OUT/log/build.err" | head -n 20
	libok=0
fi
objs="$objs $OUT/obj/gen_conf_default.o"

for h in tests/fuzz/fuzz_*.c; do
	[ -f "$h" ] || continue
	name=$(basename "$h" .c | sed 's/^fuzz_//')
	[ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
	bin="$OUT/fuzz_$name"
	log="$OUT/log/$name.log"
	if [ "$libok" -ne 1 ] || ! $CC $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" \
	    "$h" $objs $LIBS 2>"$log"; then
		echo "not ok - fuzz/$name (build failed)"
		sed 's/^/#   /' "$log" | head -n 20
		fail=1
		continue
	fi
	corpus="$OUT/corpus/$name"
	mkdir -p "$corpus"
	seeds=""
	[ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
	# -timeout: one input taking seconds is a finding (a loop driven by
	# a peer's count); rss_limit: so is memory use.
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" \
	    "$corpus" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		echo "ok - fuzz/$name (${execs} execs)"
		[ "$MODE" = long ] && echo "$name ${execs} execs ${SECS}s ok" >>"$summary"
	else
		echo "not ok - fuzz/$name (exit $rc)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
		    head -n 10 | sed 's/^/#   /'
		[ "$MODE" = long ] && echo "$name ${execs:-0} execs ${SECS}s FAILED" >>"$summary"
		fail=1
	fi
done
[ "$MODE" = long ] && echo "# summary in $summary"
exit $fail
