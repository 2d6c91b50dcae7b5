#!/bin/sh
# scripts/spdx.sh [--check] [FILE...] - the licence tag of distguard's
# sources.  Adds "SPDX-License-Identifier: Apache-2.0" (LICENSE) to every
# source file that lacks it: C and headers, Erlang, shell, Python,
# Makefiles, and any other file that starts with a #! line for one of
# those.  The tag goes on the first line, or on the second after a #! line,
# in the file's own comment syntax.  A file that already names an
# SPDX-License-Identifier in its first five lines is left alone, so running
# it twice changes nothing.
#
#   --check   changes nothing; lists the files that lack the tag and exits
#             1 if there is any (0 when all have it).
#
# Without FILE arguments it works on the files git tracks (test data,
# fuzzing seeds and captures are not sources).  Run it from anywhere in
# the tree.
set -eu
TAG="SPDX-License-Identifier: Apache-2.0"

check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
case ${1:-} in -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '/^# SPDX-License-Identifier: /d; $d; s/^# \{0,1\}//'; exit 0 ;; esac
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

# style FILE: the comment style of FILE's kind (c, erl, hash), or nothing
# for a file that is not a source.
style() {
	case $1 in
	tests/fuzz/seeds/*|tests/vectors/captures/*|bench/results/*) return 0 ;;
	*.c|*.h) echo c; return 0 ;;
	*.erl|*.hrl|*.app.src|*.escript) echo erl; return 0 ;;
	*.sh|*.py|Makefile|*/Makefile|*.mk) echo hash; return 0 ;;
	esac
	# Other files: by their #! line (debian/rules, maintainer scripts, .ci/run).
	first=$(head -n 1 "$1" 2>/dev/null | tr -d '\0' | head -c 200)
	case $first in
	'#!'*sh|'#!'*sh' '*|'#!'*python*|'#!'*make*|'#!'*escript*) echo hash ;;
	esac
}

has_tag() { head -n 5 "$1" | grep -q 'SPDX-License-Identifier:'; }

# add FILE STYLE: the tag, in place (the file keeps its inode and mode).
add() {
	case $2 in
	c) line="/* $TAG */" ;;
	erl) line="%% $TAG" ;;
	*) line="# $TAG" ;;
	esac
	tmp=$(mktemp)
	if head -n 1 "$1" | grep -q '^#!'; then
		{ head -n 1 "$1"; echo "$line"; tail -n +2 "$1"; } > "$tmp"
	else
		{ echo "$line"; cat "$1"; } > "$tmp"
	fi
	cat "$tmp" > "$1"
	rm -f "$tmp"
}

if [ $# -eq 0 ]; then
	set -- $(git ls-files)
fi
missing=0
for f in "$@"; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	s=$(style "$f")
	[ -n "$s" ] || continue
	has_tag "$f" && continue
	if [ "$check" = 1 ]; then
		echo "spdx: no licence tag: $f"
		missing=$((missing + 1))
	else
		add "$f" "$s"
		echo "spdx: tagged $f"
	fi
done
if [ "$check" = 1 ] && [ "$missing" -gt 0 ]; then
	echo "spdx: $missing file(s) lack \"$TAG\" (scripts/spdx.sh adds it)" >&2
	exit 1
fi
exit 0
