#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# gen-conf-default.sh IN OUT - writes the C source of the embedded default
# configuration (conf_default_text, include/conf/conf.h) from IN, the text of
# examples/distguard.conf, so that the default exists once.  Called by the
# Makefile and tests/fuzz/run.sh; writes OUT atomically.
set -eu
in=$1
out=$2
mkdir -p "$(dirname "$out")"
{
	printf '/* Generated from %s by scripts/gen-conf-default.sh: do not edit. */\n' "$in"
	printf '#include "conf/conf.h"\n\nconst char conf_default_text[] =\n'
	# Backslashes and quotes escaped, each line a string ending in \n.
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$in"
	printf '\t"";\n'
} > "$out.tmp"
mv "$out.tmp" "$out"
