#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the link protocol's test vectors, checked by a second,
# independent implementation.  test_link replays the fixed-seed exchange
# of docs/LINKS.md and records it; the recording must equal the committed
# fuzz seeds (so they are a real, current exchange), and
# tests/vectors/link_check.py, written from docs/LINKS.md with Python's
# hashlib and python3-cryptography, must derive the same bytes, open the
# same seals, verify the same signatures and reach the same record keys.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/seeds/link_hs" "$T/seeds/link_rec" "$T/seeds/link_cert"
DG_LINK_SEEDS="$T/seeds" "$HELPERS/test_link" > "$T/test_link.out" 2>&1
check "test_link records the vector exchange" grep -q '^ok - test_vectors' "$T/test_link.out"
for f in initiator_msg2 responder_msg1_msg3; do
	check "the committed seed $f is that exchange" \
	    cmp -s "$T/seeds/link_hs/$f" "$ROOT/tests/fuzz/seeds/link_hs/$f"
done
python3 "$ROOT/tests/vectors/link_check.py" "$T/seeds/link_hs" > "$T/py.out" 2>&1; rc=$?
cat "$T/py.out"
check "the independent implementation agrees (exit $rc)" \
    bash -c "[ $rc -eq 0 ] && [ \$(grep -c '^ok - ' '$T/py.out') -ge 17 ]"
exit 0
