#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the command line contract and `make run`'s embedded default.
. "$(dirname "$0")/lib.sh"

# --help everywhere
check "distguard --help" bash -c "'$DG' --help | grep -q '^usage: distguard COMMAND'"
for c in run check stats reload test grant grants revoke; do
	check "distguard $c --help" bash -c "'$DG' $c --help | grep -q '^usage: distguard $c'"
done
check "an unknown command fails with usage" not bash -c "'$DG' frobnicate 2>/dev/null"

# check: OK, or every error as FILE:LINE: message, non-zero exit
write_conf '{default, deny}.'
check "check prints configuration OK" bash -c "'$DG' check -c '$CONF' | grep -qx 'configuration OK'"
cat > "$T/bad.conf" <<'CONF'
{epmd, [{port, 99999}]}.
{frobnicate, 1}.
{listen, [{ports, {5000, 4000}}]}.
CONF
out=$("$DG" check -c "$T/bad.conf" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "check exits non-zero on errors" [ "$rc" -ne 0 ]
check "each error names file and line (1)" grep -q "^$T/bad.conf:1: " <<<"$out"
check "each error names file and line (2)" grep -q "^$T/bad.conf:2: " <<<"$out"
check "each error names file and line (3)" grep -q "^$T/bad.conf:3: " <<<"$out"
chmod 644 "$T/cookie"
out=$("$DG" check -c "$CONF" 2>&1); rc=$?
check "a cookie file readable by others is refused ($out)" [ "$rc" -ne 0 ]
chmod 600 "$T/cookie"

# The embedded default: `make run` is `distguard run` without -c.
check "make run runs the daemon on the embedded default (no -c)" \
    bash -c "cd '$ROOT' && make -n run BUILD='$BUILD' | grep -qx './$BUILD/distguard run '"
mkdir -p "$T/home"
# Port 4369 is the host's to share: as root the run gets a network
# namespace of its own (loopback up), whatever runs on the host's 4369.
NS=() IN=()
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	NS=(unshare --net sh -c 'ip link set lo up && exec "$@"' sh)
fi
if [ ${#NS[@]} -eq 0 ] && (exec 3<>/dev/tcp/127.0.0.1/4369) 2>/dev/null; then
	not_ok "port 4369 is free for the embedded default run (taken, and no namespace of its own without root)"
else
	HOME="$T/home" "${NS[@]}" "$DG" run > "$T/default.log" 2>&1 &
	p=$!; PIDS+=("$p")
	[ ${#NS[@]} -gt 0 ] && IN=(nsenter --net="/proc/$p/ns/net")
	wait_for "$T/default.log" "distguard running" 10
	check "the daemon runs on the embedded default (epmd 4369)" \
	    grep -q "configuration <embedded>, epmd port 4369" "$T/default.log"
	check "it created \$HOME/.erlang.cookie, mode 0400" \
	    [ "$(stat -c %a "$T/home/.erlang.cookie" 2>/dev/null)" = 400 ]
	out=$("${IN[@]}" timeout 10 epmd -names 2>&1)
	check "the stock epmd client talks to it ($out)" grep -q "up and running on port 4369" <<<"$out"
	kill -TERM "$p"
	wait_for "$T/default.log" "stopped" 5
	check "SIGTERM stops it cleanly" grep -q "info: stopped" "$T/default.log"
fi
done_tests
