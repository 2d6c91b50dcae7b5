#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/depcheck.py: clean on the tree, and each kind of forbidden include,
# put into a copy of the tree, is found with its FILE:LINE.
set -u
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }

if out=$(python3 scripts/depcheck.py 2>&1); then
	ok "the tree is clean: $out"
else
	nok "the tree is clean"; printf '%s\n' "$out" | sed 's/^/# /'
fi

W=$(mktemp -d /tmp/dg-depcheck.XXXXXX)
trap 'rm -rf "$W"' EXIT
# bad NAME FILE LINE-TO-ADD EXPECTED-TEXT: the copy with LINE added to FILE
# must fail, naming FILE and the reason.
bad() {
	name=$1 file=$2 line=$3 want=$4
	rm -rf "$W/t" && mkdir -p "$W/t/scripts"
	for d in include core conf link handshake filter epmd proxy daemon; do
		cp -r "$d" "$W/t/$d"
	done
	printf '%s\n' "$line" >> "$W/t/$file"
	# a circle needs its other half
	[ "$name" = circle ] && printf '#include "cyc_a.h"\n' > "$W/t/proxy/cyc_b.h"
	out=$(python3 scripts/depcheck.py "$W/t" 2>&1); rc=$?
	if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "^depcheck: $file:[0-9]*: .*$want"; then
		ok "$name: $(printf '%s\n' "$out" | grep -m1 "^depcheck: $file")"
	elif [ "$name" = circle ] && [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "$want"; then
		ok "$name: $(printf '%s\n' "$out" | grep -m1 "$want")"
	else
		nok "$name (exit $rc)"; printf '%s\n' "$out" | sed 's/^/# /'
	fi
}
bad "core runs up to daemon" core/log.c '#include "daemon/cmd.h"' "runs up a floor"
bad "filter runs up to proxy" filter/rules.c '#include "proxy/session.h"' "runs up a floor"
bad "conf runs up to filter" conf/conf.c '#include "filter/rules.h"' "runs up a floor"
bad "epmd runs sideways to filter" epmd/epmd_srv.c '#include "filter/rules.h"' "runs sideways"
bad "include/ names a module" include/dg.h '#include "core/alert.h"' "shared vocabulary"
bad "a bare name of another module" proxy/relay.c '#include "rules.h"' "by its path"
bad "no such header" daemon/main.c '#include "filter/nothere.h"' "no such header"
bad circle proxy/cyc_a.h '#include "cyc_b.h"' "includes form a circle: proxy/cyc_a.h -> proxy/cyc_b.h -> proxy/cyc_a.h"
