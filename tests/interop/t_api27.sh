#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop: the runtime API's end-to-end suites (issue 21) with every node
# on OTP 27 (Debian trixie's, chrooted); API_OTP=29 (t_api29.sh) runs
# them on OTP 29 (forky's, with Elixir 1.20).  The suites are the e2e
# scripts themselves, run unchanged under DG_OTP (tests/e2e/lib.sh and
# tests/interop/shim/): the protected nodes, their peers and the clients
# a node starts at run time are that release's, distguard is the host's.
# The same checks as make test's on OTP 25, not a copy of them that could
# drift.
#
# Each suite's lines come out as "ok - SUITE [27] CHECK", so that run.sh
# tables them (a row per suite, a column per release: FAIL if any check
# failed).  A suite that cannot run, dies without a failure line, or
# prints no check fails here; its skips ("# skip ...", the Elixir check
# where the root has no Elixir) stay comments, never passes.  Each suite
# must show a protected node of its own reporting that otp_release
# (lib.sh's otp_is, which node_start runs for its nodes): one that does
# not - a lib.sh without DG_OTP, a node started some other way - fails.
#
# API_SUITES: a new suite joins by adding its name (tests/e2e/NAME.sh).
# The four take some 150 s on OTP 27 and on 29 here (t_handler_msg
# some 60 s of it); run.sh gives a script 400 s:
# past some 300 s, split the list into a second script.
set -u
# DG_ROOT (run.sh sets it to this repository) may name another checkout:
# its suites, its build, its lib.sh (an older one shows up as no proof).
cd "${DG_ROOT:-$(dirname "$0")/../..}" || exit 1
V=${API_OTP:-27}
API_SUITES=${API_SUITES:-"t_api t_api_agree t_api_contain t_handler_msg"}
DG_ROOT=$(pwd)
export DG_BUILD=${DG_BUILD:-build} DG_ROOT
fails=0
out=$(mktemp -d /tmp/dg-api-otp.XXXXXX)
trap 'rm -rf "$out"' EXIT

# The root of that release, as make interop's run.sh has built it (or
# builds it here, once): a machine without one fails every suite here.
if ! got=$(sh scripts/otp-root.sh "$V" otp 2>&1) || [ "$got" != "$V" ]; then
	echo "$got" | sed 's/^/# /'
	echo "not ok - roots [$V] the Debian root of OTP $V runs (scripts/otp-root.sh $V otp: $got)"
	exit 1
fi

for s in $API_SUITES; do
	f="tests/e2e/$s.sh"
	if [ ! -f "$f" ]; then
		echo "not ok - $s [$V] $f exists"
		fails=$((fails + 1))
		continue
	fi
	t0=$(date +%s)
	DG_OTP=$V timeout -k 5 200 bash "$f" > "$out/$s.out" 2>&1
	rc=$?
	# "ok - CHECK" -> "ok - SUITE [V] CHECK"; everything else a comment.
	sed -E "s/^(ok|not ok) - /\\1 - $s [$V] /; t; s/^# ?/# $s: /; t; s/^/# $s: /" "$out/$s.out"
	p=$(grep -c '^ok - ' "$out/$s.out")
	n=$(grep -c '^not ok - ' "$out/$s.out")
	if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
		echo "not ok - $s [$V] ended with status $rc without saying why"
		n=1
	fi
	if [ "$p" -eq 0 ] && [ "$n" -eq 0 ]; then
		echo "not ok - $s [$V] ran no check"
		n=1
	fi
	if ! grep -q '^ok - the protected node reports otp_release "'"$V"'"' "$out/$s.out"; then
		echo "not ok - $s [$V] no check showed its protected node on OTP $V (lib.sh's otp_is; node_start does it)"
		n=$((n + 1))
	fi
	echo "# $s with DG_OTP=$V: $p passed, $n failed in $(( $(date +%s) - t0 )) s"
	fails=$((fails + n))
done
[ "$fails" -eq 0 ]
