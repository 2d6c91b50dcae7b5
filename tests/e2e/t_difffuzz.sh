#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The differential fuzzer's small run (issue 26, item 2): 30,000 generated
# and mutated control messages and payloads read by distguard
# (tests/difffuzz/dg_read) and by this host's OTP, and by OTP 27 and 29
# when their cached roots are there (tests/difffuzz/run.sh says which ran).
# `make fuzz` runs 1,500,000 per OTP.
set -u
ROOT=${DG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT" || exit 1
DG_BUILD=${DG_BUILD:-build} nice sh tests/difffuzz/run.sh smoke
