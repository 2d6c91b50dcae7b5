#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/build-deb.sh OUTDIR - builds the Debian package from a copy of
# the working tree (dpkg-buildpackage writes its results next to the
# source directory, so the copy keeps them out of the tree's parent) and
# leaves the .deb and .buildinfo/.changes in OUTDIR.
#   DEB_BUILD_OPTIONS=nocheck skips the unit tests of the package build.
set -eu
out=${1:?usage: build-deb.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/dg-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/distguard"
# The tracked files as they are now, edits included (no build/, no .git).
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf -) | tar -xf - -C "$work/distguard"
(cd "$work/distguard" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; log in $out/build.log" >&2
	exit 1
}
rm -f "$out"/distguard_*.deb "$out"/distguard-dbgsym_*.deb
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
ls "$out"/distguard_*.deb
