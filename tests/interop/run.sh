#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make interop: OTP 25 (the host), OTP 27 (Debian trixie) and OTP 29 (Debian
# forky), each of the latter two in a cached debootstrapped root, and
# Elixir 1.14 (on 25) and 1.20 (on 29) through distguard.  Runs every
# tests/interop/t_*.sh, prints their ok/not ok lines, a table per suite of
# each check x direction/version (columns PEER->NODE: "25->29" is an OTP 25
# peer reaching an OTP 29 node behind distguard), the time each took, and
# ends with "N passed, N failed".  Nothing is skipped: a part that cannot
# run here fails with its reason.
set -u
cd "$(dirname "$0")/../.."
BUILD=${DG_BUILD:-build}
export DG_BUILD="$BUILD" DG_ROOT="$(pwd)"
# The release an e2e suite's nodes run is each interop script's choice
# (t_api27.sh sets DG_OTP itself): one left in the caller's environment
# must not move every other suite's nodes too.
unset DG_OTP
log=$(mktemp -d /tmp/dg-interop.XXXXXX)
pass=0
fail=0

# table FILE: the suite's "ok - CHECK [COLUMN] ..." lines as a table.
table() {
	awk '
	    /^(ok|not ok) - [^ ]+ \[[^]]+\]/ {
	        res = ($1 == "ok") ? "ok" : "FAIL"
	        line = $0; sub(/^(ok|not ok) - /, "", line)
	        name = line; sub(/ \[.*/, "", name)
	        col = line; sub(/^[^[]*\[/, "", col); sub(/\].*/, "", col)
	        if (!(name in seen_r)) { seen_r[name] = 1; rows[++nr] = name }
	        if (!(col in seen_c)) { seen_c[col] = 1; cols[++nc] = col }
	        k = name SUBSEP col
	        cell[k] = (k in cell && cell[k] == "FAIL") ? "FAIL" : res
	    }
	    END {
	        if (nr == 0) exit
	        w = 8; for (i = 1; i <= nr; i++) if (length(rows[i]) > w) w = length(rows[i])
	        printf "# %-" w "s", "check"
	        for (j = 1; j <= nc; j++) printf " | %-*s", (length(cols[j]) > 4 ? length(cols[j]) : 4), cols[j]
	        printf "\n"
	        for (i = 1; i <= nr; i++) {
	            printf "# %-" w "s", rows[i]
	            for (j = 1; j <= nc; j++) {
	                k = rows[i] SUBSEP cols[j]
	                printf " | %-*s", (length(cols[j]) > 4 ? length(cols[j]) : 4), (k in cell) ? cell[k] : "-"
	            }
	            printf "\n"
	        }
	    }' "$1"
}

T0=$(date +%s)
echo "# columns: PEER->NODE (25->29: an OTP 25 peer reaching an OTP 29 node behind distguard;"
echo "#   ex: an elixir --sname node; release: a mix release node; ops: its bin/app rpc and remote nodes;"
echo "#   ex29, release29: the same with Elixir 1.20 on OTP 29)"
# The roots first, once, so their build time (first run only) shows apart;
# both at once (their builds wait mostly on the mirror).
t=$(date +%s)
for suite in trixie forky; do
	sh scripts/otp-root.sh "$suite" build > "$log/root-$suite.out" 2>&1 &
	eval "rootpid_$suite=$!"
done
for suite in trixie:27 forky:29; do
	s=${suite%:*} v=${suite#*:}
	eval "wait \$rootpid_$s"
	rc=$?
	out=$(cat "$log/root-$s.out")
	if [ "$rc" -eq 0 ]; then
		echo "# $s root: $(echo "$out" | tail -n 1) (ready after $(( $(date +%s) - t )) s; $(tr '\n' ' ' < "$(echo "$out" | tail -n 1)/.distguard-stamp"))"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok - the Debian $s root for OTP $v could not be built (scripts/otp-root.sh $s build): every OTP $v check below fails"
		fail=$((fail + 1))
	fi
done
for f in tests/interop/t_*.sh; do
	name=$(basename "$f" .sh)
	out="$log/$name.out"
	echo "# interop/$name"
	t=$(date +%s)
	timeout -k 5 400 bash "$f" > "$out" 2>&1
	rc=$?
	grep -E '^(ok|not ok) ' "$out"
	p=$(grep -c '^ok ' "$out")
	fl=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then
		echo "not ok - interop/$name exited with status $rc"
		fl=1
	fi
	if [ "$fl" -ne 0 ]; then
		echo "# --- output of $name (last 40 lines) ---"
		tail -n 40 "$out" | sed 's/^/#   /'
	fi
	echo "# interop/$name: $p passed, $fl failed in $(( $(date +%s) - t )) s"
	table "$out"
	pass=$((pass + p))
	fail=$((fail + fl))
done
rm -rf "$log"
echo "# interop: $(( $(date +%s) - T0 )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
