#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the small defects of issue 23, item 7, on the command line.
#   - every usage error is one line saying what is wrong and where the help
#     is ("try 'distguard CMD --help'"), never the whole help; --help lists
#     --version;
#   - `distguard test` exits with the verdict: 0 allow, 1 deny, 2 drop;
#   - {require_flags, ['MANDATORY_29']} is accepted (OTP 29 requires the
#     26..28 set);
#   - the connection log shows {default, [Rule]} as written;
#   - `distguard grants --json` is one JSON object, its strings valid UTF-8;
#   - without a {cookie, ...} entry, the daemon reads $HOME/.erlang.cookie
#     as root and a reload after the drop to {user, ...} (which cannot
#     reach $HOME, as nobody cannot reach /root) still works.
. "$(dirname "$0")/lib.sh"
DG_EGRESS=optional
cd "$T" || exit 1

# ---- usage errors: one line each --------------------------------------------
check "--help lists --version" bash -c "'$DG' --help | grep -q -- '--version'"
check "--version prints the version" bash -c "'$DG' --version | grep -Eq '^distguard [0-9]+\.[0-9]+'"
# one_line STATUS ARGS...: exits STATUS, says one line on stderr, with a hint
one_line() {
	local want=$1 out rc
	shift
	out=$("$DG" "$@" 2>&1 >/dev/null); rc=$?
	echo "# distguard $*: [$rc] $out"
	[ "$rc" -eq "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
	    grep -q "try 'distguard" <<<"$out"
}
check "no command: one line" one_line 2
check "an unknown command: one line" one_line 2 frobnicate
for c in run check stats reload grants; do
	check "$c with a bad option: one line" one_line 2 $c --bogus
done
check "grant without arguments: one line" one_line 2 grant
check "grant without --reason: one line" one_line 2 grant 'p@*' '[ping]' --for 1m
check "grant with a bad duration: one line" one_line 2 grant 'p@*' '[ping]' --for x --reason r
check "revoke without an id: one line" one_line 2 revoke
check "keygen without -o: one line" one_line 2 keygen
check "pubkey without a file: one line" one_line 2 pubkey
check "sign without arguments: one line" one_line 2 sign
check "test without arguments: one line, no verdict (3)" one_line 3 test
check "test with a bad option: one line, no verdict (3)" one_line 3 test -c x --bogus

# ---- the documents ----------------------------------------------------------------
check "the example configuration no longer says links are NOT IN FORCE" \
    not grep -qi "not in force" "$ROOT/examples/distguard.conf"
for w in grant grants revoke metrics json direction "exit status"; do
	check "distguard(8) covers $w" grep -qi -- "$w" "$ROOT/man/distguard.8"
done
for w in metrics grants local_guard local_users keep_on_reload MANDATORY_29 alerts; do
	check "distguard.conf(5) covers $w" grep -q -- "$w" "$ROOT/man/distguard.conf.5"
done
# Every document a man page cites is one the package ships
# (/usr/share/doc/distguard/NAME.md, from README.md and docs/*.md).
cited=$(grep -ohE '(/usr/share/doc/distguard/[A-Za-z]+\.md|docs/[A-Za-z]+\.md|[A-Z]+\.md)' \
    "$ROOT/man/distguard.8" "$ROOT/man/distguard.conf.5" | sort -u)
echo "# cited: $(tr '\n' ' ' <<<"$cited")"
missing=""
for c in $cited; do
	n=${c##*/}
	case $c in docs/*) missing="$missing $c(source-tree path)"; continue ;; esac
	[ "$n" = README.md ] && [ -f "$ROOT/README.md" ] && continue
	[ -f "$ROOT/docs/$n" ] || missing="$missing $c"
done
check "the man pages cite only shipped documents (${missing:-all shipped})" [ -z "$missing" ]
check "make install ships README.md and docs/*.md" \
    grep -q 'INSTALL) -m 0644 README.md docs/\*.md $(DESTDIR)$(DOCDIR)/' "$ROOT/Makefile"
check "postinst says what happens to nodes of a stock epmd, and how to migrate" \
    sh -c "sh -n '$ROOT/debian/distguard.postinst' &&
	grep -q 'erl_epmd:register_node' '$ROOT/debian/distguard.postinst' &&
	grep -q 'Migrating a host that runs the' '$ROOT/debian/distguard.postinst' &&
	grep -q '^## Migrating a host that runs the stock epmd' '$ROOT/docs/SERVICE.md'"

# ---- test: the verdict is the exit status -------------------------------------
write_conf '{peer, "d@*", [{drop, send}, {allow, reg_send, [gw]}]}.' \
    '{default, [ping, replies]}.' \
    "{handshake, [{require_flags, ['MANDATORY_29']}]}."
check "check accepts {require_flags, ['MANDATORY_29']}" "$DG" check -c "$CONF"
tv() { "$DG" test -c "$CONF" "$@" >/dev/null 2>&1; echo $?; }
check "test: allow exits 0" [ "$(tv "d@$HOST" reg_send gw)" = 0 ]
check "test: deny exits 1" [ "$(tv "d@$HOST" reg_send other)" = 1 ]
check "test: drop exits 2" [ "$(tv "d@$HOST" send)" = 2 ]
check "test: a configuration that does not load exits 3" [ "$(tv -c /nonexistent "d@$HOST" send)" = 3 ]

# ---- the daemon on $HOME/.erlang.cookie, reloaded after the privilege drop ----
# Without {cookie, ...} the default is $HOME/.erlang.cookie.  As root, HOME
# is a directory only root may enter (as /root), so the daemon's user
# cannot reach it after the drop.
sed -i '/^{cookie, {file,/d' "$CONF"
check "the configuration has no cookie entry" not grep -q '^{cookie' "$CONF"
DGHOME=$(mktemp -d /tmp/dg-labels-home.XXXXXX)
CLEANUPS+=("rm -rf '$DGHOME'")
chmod 700 "$DGHOME"
printf '%s' "$COOKIE" > "$DGHOME/.erlang.cookie"; chmod 400 "$DGHOME/.erlang.cookie"
HOME="$DGHOME" dg_start || exit 1
if [ "$(id -u)" -eq 0 ]; then
	check "the daemon's user ($DG_RUN_USER) cannot reach \$HOME" \
	    not su -s /bin/sh "$DG_RUN_USER" -c "test -r '$DGHOME/.erlang.cookie'"
else
	echo "# not root: the daemon does not drop privileges here; the reload runs as the same user"
fi
out=$(HOME="$DGHOME" timeout 10 "$DG" reload -c "$CONF" 2>&1)
echo "$out" | sed 's/^/# reload: /'
check "reload after the drop works on the cookie read at start" grep -qx reloaded <<<"$out"
check "the log says the cookie read at start is kept" \
    grep -q "default cookie read at start is kept" "$T/dg.log"

# ---- the connection log: {default, [Rule]} as written ---------------------------
node_start b || exit 1
r=$(node_eval a 'net_adm:ping(Node)')
check "a pings b ($r)" [ "$r" = pong ]
check "the connection log shows the default rules as written" \
    grep -q "policy: no {peer} entry matches; default \[ping, replies\] (line" "$T/dg.log"
check "no placeholder [Rule] in the log" not grep -qF "[Rule]" "$T/dg.log"

# ---- the README's first node command, as written -------------------------------
# Its ERL_LIBS (where make install puts the library) points here at a lib
# directory holding this build's distguard_epmd; its port is this test's.
readme_block() {
	awk -v first="$1" '
	    /^```/ { if (inb) { if (want) exit; inb = 0; next } inb = 1; start = 1; next }
	    inb && start { start = 0; if ($0 == first) want = 1 }
	    inb && want { print }
	' "$ROOT/README.md"
}
blk=$(readme_block '# distguard_epmd is the OTP library distguard: ERL_LIBS finds it where')
check "the README's first node command is found" grep -q "^erl -sname b " <<<"$blk"
check "it uses ERL_LIBS, no -pa, no distguard-VERSION" \
    sh -c "grep -q '^export ERL_LIBS=' <<'B'
$blk
B
! grep -Eq -- '-pa|distguard-VERSION' <<'B'
$blk
B"
mkdir -p "$T/lib/distguard/ebin"
cp "$EBIN"/* "$T/lib/distguard/ebin/"
give_files
run=$(sed -e "s|^export ERL_LIBS=.*|export ERL_LIBS='$T/lib'|" \
    -e "s|-sname b |-sname rdme |; s|-epmd_port 4369|-epmd_port $EPMD_PORT|" \
    -e "s|-epmd_module distguard_epmd\$|-epmd_module distguard_epmd -setcookie $COOKIE -noshell -eval 'timer:sleep(3000), halt()'|" <<<"$blk")
echo "$run" | sed 's/^/# run: /'
(eval "timeout -k 2 20 bash -c \"\$run\"") > "$T/rdme.log" 2>&1 &
PIDS+=("$!")
check "the README's node registers, mediated by distguard_epmd" \
    wait_for "$T/dg.log" "node rdme registered.*mediated .distguard_epmd." 15

# ---- grants --json -------------------------------------------------------------
check "grants --json without grants: an empty list" \
    bash -c "'$DG' grants -c '$CONF' --json | python3 -c 'import json,sys; assert json.load(sys.stdin) == {\"grants\": []}'"
# (a reason is valid UTF-8 without controls, grant_text_ok: invalid bytes
# are tests/unit/test_json.c's and tests/fuzz/fuzz_json.c's)
reason=$(printf 'caf\xc3\xa9 "q" \\ \xe2\x82\xac \xf0\x9f\x98\x80')
out=$("$DG" grant -c "$CONF" 'ops*@*' '[allow_all]' --for 60s --reason "$reason" 2>&1)
check "a grant with UTF-8, quotes and a backslash in its reason ($out)" grep -q "^granted " <<<"$out"
"$DG" grants -c "$CONF" --json > "$T/grants.json" 2>&1
sed 's/^/# /' "$T/grants.json"
check "grants --json is valid UTF-8 and JSON, fields as documented" python3 - "$T/grants.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")                       # strict: no invalid byte passes
g = json.loads(raw)["grants"]
assert len(g) == 1, g
g = g[0]
assert {"id", "peer", "seconds_left", "until", "uid", "pid", "verified",
        "reason", "rules"} <= set(g), g
assert g["peer"] == "ops*@*" and g["rules"] == "[allow_all]", g
assert g["verified"] is True and 0 < g["seconds_left"] <= 60, g
# valid UTF-8 as it is (raw bytes, not \u escapes), JSON's own escapes
assert g["reason"] == 'caf\u00e9 "q" \\ \u20ac \U0001f600', repr(g["reason"])
assert b'caf\xc3\xa9 \\"q\\" \\\\ \xe2\x82\xac \xf0\x9f\x98\x80' in raw, raw
PY
check "the policy.grant alert is valid JSON and names the pattern as peer" python3 - "$ALERTS" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
for line in raw.decode("utf-8").splitlines():
    a = json.loads(line)
    if a["event"] == "policy.grant":
        assert a["peer"] == "ops*@*" and a["node"] == "", a
        assert 'caf\u00e9 "q" \\ \u20ac \U0001f600' in a["detail"], a
        sys.exit(0)
sys.exit(1)
PY
check "the daemon is alive" dg_alive
done_tests
