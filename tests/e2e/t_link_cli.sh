#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the link key commands (distguard keygen, pubkey, sign) and
# the configuration entries they feed ({host_key}, {link}, {trust},
# {revoked}), through `distguard check`.  No daemon, no node: the links
# themselves are not wired yet.
. "$(dirname "$0")/lib.sh"

K="$T/keys"
mkdir -p "$K"

for c in keygen pubkey sign; do
	check "distguard $c --help" bash -c "'$DG' $c --help | grep -q '^usage: distguard $c'"
done
check "distguard --help lists keygen, pubkey, sign" \
    bash -c "'$DG' --help | grep -q '^  keygen' && '$DG' --help | grep -q '^  pubkey' && '$DG' --help | grep -q '^  sign'"
"$DG" keygen >/dev/null 2>&1; rc=$?
check "keygen without -o is a usage error (exit 2)" [ "$rc" -eq 2 ]

# keygen: mode 0600 whatever the umask, the public key printed
pk=$( umask 000; "$DG" keygen -o "$K/host.key" ); rc=$?
check "keygen writes a key (exit 0)" [ "$rc" -eq 0 ]
check "keygen prints the public key, dg1: and 43 base64url characters ($pk)" \
    grep -Eqx 'dg1:[A-Za-z0-9_-]{43}' <<<"$pk"
check "the key file is mode 0600 under umask 000 ($(stat -c %a "$K/host.key"))" \
    [ "$(stat -c %a "$K/host.key")" = 600 ]
check "pubkey prints the same key" [ "$("$DG" pubkey "$K/host.key")" = "$pk" ]

# never overwrites
sum=$(sha256sum < "$K/host.key")
out=$("$DG" keygen -o "$K/host.key" 2>&1); rc=$?
check "keygen refuses to overwrite (exit 1: $out)" [ "$rc" -eq 1 ]
check "the refusal says so" grep -q "refusing to overwrite" <<<"$out"
check "the existing key is unchanged" [ "$(sha256sum < "$K/host.key")" = "$sum" ]
ln -s "$K/elsewhere" "$K/link.key"
"$DG" keygen -o "$K/link.key" >/dev/null 2>&1; rc=$?
check "keygen does not write through a symlink" \
    bash -c "[ $rc -ne 0 ] && [ ! -e '$K/elsewhere' ]"

# pubkey checks the file as cookie files are checked
chmod 640 "$K/host.key"
out=$("$DG" pubkey "$K/host.key" 2>&1); rc=$?
check "pubkey refuses a key file group can read (exit $rc: $out)" \
    bash -c "[ $rc -eq 1 ] && grep -q 'has mode 0640' <<<'$out'"
chmod 600 "$K/host.key"
if [ "$(id -u)" -eq 0 ]; then
	cp -p "$K/host.key" "$K/theirs.key"
	chown nobody "$K/theirs.key"
	out=$("$DG" pubkey "$K/theirs.key" 2>&1); rc=$?
	check "pubkey refuses a key file owned by someone else (exit $rc: $out)" \
	    bash -c "[ $rc -eq 1 ] && grep -q 'owned by uid' <<<'$out'"
	rm -f "$K/theirs.key"
fi
printf 'distguard-host-key-v1\ndg1s:garbage\n' > "$K/bad.key"; chmod 600 "$K/bad.key"
check "pubkey refuses a damaged key file" not "$DG" pubkey "$K/bad.key"

# sign: a cluster key certifies the host key
"$DG" keygen -o "$K/cluster.key" > "$K/cluster.pub"
"$DG" sign --cluster-key "$K/cluster.key" --host hostA --pubkey "$pk" \
    --days 30 --names '*@hostA' 'web@*.a.example' > "$K/cert.out" 2> "$K/cert.err"; rc=$?
check "sign prints a certificate (exit $rc)" \
    bash -c "[ $rc -eq 0 ] && grep -Eqx 'dgc1:[A-Za-z0-9_-]+' '$K/cert.out'"
check "sign names the certificate id and its end ($(cat "$K/cert.err"))" \
    grep -Eq '^certificate cert:[0-9a-f]{32} for host hostA, valid until 20[0-9-]+T' "$K/cert.err"
certid=$(grep -Eo 'cert:[0-9a-f]{32}' "$K/cert.err")
"$DG" sign --cluster-key "$K/cluster.key" --host hostA --pubkey "$pk" --days 30 \
    -o "$K/host.cert" 2>/dev/null
check "sign -o writes the certificate file" grep -Eqx 'dgc1:[A-Za-z0-9_-]+' "$K/host.cert"
"$DG" sign --cluster-key "$K/cluster.key" --host hostA --pubkey "$pk" --days 30 \
    -o "$K/host.cert" 2>/dev/null; rc=$?
check "sign -o refuses to overwrite" [ "$rc" -eq 1 ]
for bad in "--days 0" "--days 3651" "--days x" "--host bad@host" "--pubkey dg1:short" \
    "--names nopattern"; do
	# shellcheck disable=SC2086
	set -- --cluster-key "$K/cluster.key" --host hostA --pubkey "$pk" --days 30 $bad
	"$DG" sign "$@" >/dev/null 2>&1; rc=$?
	check "sign refuses $bad (exit 2)" [ "$rc" -eq 2 ]
done
chmod 644 "$K/cluster.key"
check "sign refuses a cluster key others can read" \
    not bash -c "'$DG' sign --cluster-key '$K/cluster.key' --host hostA --pubkey '$pk' --days 1 >/dev/null 2>&1"
chmod 600 "$K/cluster.key"

# the configuration takes what the commands made
"$DG" keygen -o "$K/peer.key" > "$K/peer.pub"
write_conf "{host_key, {file, \"$K/host.key\"}, [{certificate, {file, \"$K/host.cert\"}}]}." \
    "{link, \"hostB\", \"$(cat "$K/peer.pub")\", [{names, [\"*@hostB\"]}]}." \
    "{trust, \"$(cat "$K/cluster.pub")\"}." \
    "{revoked, [\"$certid\"]}." \
    "{plaintext, deny}." \
    '{default, deny}.'
out=$("$DG" check -c "$CONF" 2>&1)
check "check accepts the keys, certificate and entries ($out)" [ "$out" = "configuration OK" ]
write_conf "{host_key, {file, \"$K/host.key\"}}." \
    "{link, \"hostB\", \"$pk\"}." '{default, deny}.'
out=$("$DG" check -c "$CONF" 2>&1)
check "check refuses this host's own key in a {link} entry, naming the line" \
    grep -Eq "^$CONF:[0-9]+: link: this is the key of this host" <<<"$out"
write_conf "{link, \"hostB\", \"$(cat "$K/peer.pub")\"}." '{default, deny}.'
out=$("$DG" check -c "$CONF" 2>&1)
check "check refuses a {link} without {host_key}" \
    grep -q "link entries need {host_key" <<<"$out"
exit 0
