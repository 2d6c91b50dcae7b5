#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A Debian root of one suite with that suite's Erlang/OTP (and, for forky,
# Elixir and rebar3), for the interop suite (tests/interop/) and for anyone
# who needs another OTP release than the host's.  Debian packages only:
# debootstrap from the host's own Debian mirror (the one apt is configured
# with), through apt's proxy if it has one.  Each root is cached outside the
# repository, keyed by a version stamp, so later runs (and CI on the same
# machine) reuse it.
#
#   otp-root.sh SUITE path         the root's directory (built when absent)
#   otp-root.sh SUITE build        builds it when absent; prints its path
#   otp-root.sh SUITE otp          the OTP release of its erl (e.g. 29)
#   otp-root.sh SUITE exec [-b DIR]... [-t SECS] -- CMD [ARGS...]
#                                  runs CMD chrooted in the root, with /proc
#                                  and /dev bind-mounted and DIR (absolute)
#                                  bound at the same path, in a private mount
#                                  namespace (the mounts vanish with the last
#                                  process; nothing leaks into the host's
#                                  mounts), sharing the host's network.
#                                  The PID of CMD is this script's PID (exec
#                                  all the way), so a caller can kill it.
#
# Suites: trixie (OTP 27), forky (OTP 29, Elixir 1.20, rebar3 3.28).
# SUITE may also be given as the OTP release it stands for: 27, 29.
# forky is Debian testing: its Release file may be past its Valid-Until
# date on a frozen mirror; debootstrap does not check that date, and apt
# inside the root is configured with Acquire::Check-Valid-Until "false".
#
# DG_INTEROP_CACHE overrides the cache directory (default
# /var/cache/distguard-interop).  Needs root (debootstrap, chroot, mounts).
set -eu

die() { echo "otp-root: $*" >&2; exit 1; }

SUITE=${1:-}
case $SUITE in
27|trixie)
	# Bump a STAMP when the package list or the way the root is made changes.
	SUITE=trixie STAMP=v1 OTP=27 PACKAGES=erlang-base ;;
29|forky)
	SUITE=forky STAMP=v1 OTP=29
	PACKAGES=erlang-base,elixir
	# rebar3 (3.28) goes in afterwards, with apt (see add_apt_packages).
	APT_PACKAGES=rebar3 ;;
-h|--help|"")
	sed -n '2,/^set -eu/p' "$0" | sed '/^# SPDX-License-Identifier: /d; $d; s/^# \{0,1\}//'
	[ -n "$SUITE" ]; exit ;;
*) die "unknown suite $SUITE (trixie, forky; see --help)" ;;
esac
shift
APT_PACKAGES=${APT_PACKAGES:-}
CACHE=${DG_INTEROP_CACHE:-/var/cache/distguard-interop}
ROOTDIR="$CACHE/$SUITE-$STAMP"

# The Debian mirror apt uses here: the first URI of a source whose suites
# are plain Debian ones (not -security), from deb822 or one-line files.
host_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		    /^URIs:/ { u = $2 }
		    /^Suites:/ { s = $0 }
		    /^$/ { if (u != "" && s !~ /security/ && u ~ /debian\/?$/) { print u; exit } u = ""; s = "" }
		    END { if (u != "" && s !~ /security/ && u ~ /debian\/?$/) print u }
		' "$f"
	done | head -n 1 | grep . && return 0
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	    awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(http|https|ftp):/ && $i ~ /debian\/?$/) { print $i; exit } }' |
	    head -n 1 | grep .
}

# apt's proxy, if one is configured.
apt_proxy() {
	apt-config dump 2>/dev/null |
	    sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1
}

# The debootstrap script for SUITE: its own, or sid's for a testing suite
# named after the host's debootstrap was released (forky on bookworm).
deboot_script() {
	d=/usr/share/debootstrap/scripts
	if [ -f "$d/$SUITE" ]; then echo "$d/$SUITE"
	elif [ -f "$d/sid" ]; then echo "$d/sid"
	else die "this debootstrap knows neither $SUITE nor sid"
	fi
}

# in_chroot DIR CMD...: CMD in root DIR with /proc, in a private mount
# namespace, with the host's resolver and apt's proxy (for apt-get).
in_chroot() {
	d=$1; shift
	cp /etc/resolv.conf "$d/etc/resolv.conf" 2>/dev/null || :
	unshare --mount --propagation private -- /bin/sh -c '
	    r=$1; shift
	    mount -t proc proc "$r/proc" && exec chroot "$r" "$@"' in_chroot "$d" \
	    /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	    DEBIAN_FRONTEND=noninteractive ${proxy:+http_proxy=$proxy} "$@"
}

# add_apt_packages DIR: APT_PACKAGES, installed by apt inside the root.
# rebar3 depends on common_test, whose debugger and observer depend on
# erlang-wx, which brings GTK, WebKit and Mesa (some 400 MB, and packages
# debootstrap cannot configure: dconf-service).  None of them is of use
# headless, so an empty package stands in for erlang-wx, at the version of
# the root's erlang-base (what the Erlang packages require); wx, debugger
# and observer's windows do not work in this root, nothing else changes.
add_apt_packages() {
	d=$1
	[ -n "$APT_PACKAGES" ] || return 0
	ver=$(chroot "$d" dpkg-query -W -f '${Version}' erlang-base) || return 1
	arch=$(chroot "$d" dpkg --print-architecture) || return 1
	w=$(mktemp -d)
	mkdir -p "$w/pkg/DEBIAN"
	cat > "$w/pkg/DEBIAN/control" <<-CTL
	Package: erlang-wx
	Version: $ver
	Architecture: $arch
	Maintainer: distguard developers <dev@distguard.invalid>
	Description: empty stand-in for erlang-wx (distguard's interop root)
	 scripts/otp-root.sh installs it so that rebar3 comes without GTK.
	CTL
	dpkg-deb --build "$w/pkg" "$d/tmp/erlang-wx-standin.deb" >/dev/null || { rm -rf "$w"; return 1; }
	rm -rf "$w"
	in_chroot "$d" dpkg -i /tmp/erlang-wx-standin.deb || return 1
	# Held, or apt replaces it with the real one of the same version.
	in_chroot "$d" apt-mark hold erlang-wx || return 1
	rm -f "$d/tmp/erlang-wx-standin.deb"
	# shellcheck disable=SC2086
	in_chroot "$d" apt-get -q -o Acquire::Check-Valid-Until=false update &&
	    in_chroot "$d" apt-get -q -y --no-install-recommends install $APT_PACKAGES || return 1
	rm -rf "$d/var/lib/apt/lists/"* "$d/var/cache/apt/archives/"*.deb
	: > "$d/etc/resolv.conf"
}

# The packages that apt adds are there (a root of the same stamp built
# before they were listed gets them in place).
apt_packages_present() {
	for p in $APT_PACKAGES; do
		chroot "$ROOTDIR" dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || return 1
	done
}

build() {
	if [ -x "$ROOTDIR/usr/bin/erl" ] && [ -f "$ROOTDIR/.distguard-stamp" ]; then
		apt_packages_present && return 0
		add_in_place
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "building the root needs root (debootstrap)"
	command -v debootstrap >/dev/null 2>&1 || {
		echo "otp-root: installing debootstrap" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		    debootstrap >/dev/null || die "apt-get install debootstrap failed"
	}
	script=$(deboot_script)
	mirror=$(host_mirror) || die "no Debian mirror found in /etc/apt/sources.list*"
	proxy=$(apt_proxy)
	mkdir -p "$CACHE"
	# One build of a suite at a time (CI and a developer may start together).
	exec 9> "$CACHE/.lock-$SUITE"
	flock -w 2400 9 || die "timed out waiting for another build of the $SUITE root"
	[ -f "$ROOTDIR/.distguard-stamp" ] && return 0
	tmp="$ROOTDIR.build.$$"
	rm -rf "$tmp"
	echo "otp-root: debootstrap $SUITE from $mirror${proxy:+ via $proxy} into $ROOTDIR (once)" >&2
	t0=$(date +%s)
	log="$CACHE/build-$SUITE.log"
	if ! env ${proxy:+http_proxy=$proxy} timeout 2400 debootstrap --variant=minbase \
	    --include="$PACKAGES" "$SUITE" "$tmp" "$mirror" "$script" > "$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -rf "$tmp"
		die "debootstrap failed (log: $log)"
	fi
	# Keep the root small: the package cache is not needed.  apt inside
	# the root must accept a testing Release past its Valid-Until.
	rm -rf "$tmp/var/cache/apt/archives/"*.deb
	echo 'Acquire::Check-Valid-Until "false";' > "$tmp/etc/apt/apt.conf.d/99distguard-valid-until"
	if ! add_apt_packages "$tmp" >> "$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -rf "$tmp"
		die "apt-get install $APT_PACKAGES in the root failed (log: $log)"
	fi
	otp=$(chroot "$tmp" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp /usr/bin/erl -noshell -eval \
	    'io:format("~s", [erlang:system_info(otp_release)]), halt().' 2>/dev/null) ||
	    die "erl does not run in the new root"
	[ "$otp" = "$OTP" ] || die "the $SUITE root has OTP $otp, not $OTP"
	echo "$SUITE $STAMP otp $otp built $(date -u +%FT%TZ) in $(( $(date +%s) - t0 )) s from $mirror" \
	    > "$tmp/.distguard-stamp"
	rm -rf "$ROOTDIR"
	mv "$tmp" "$ROOTDIR"
	cat "$ROOTDIR/.distguard-stamp" >&2
	# Roots of older stamps are not used any more.
	for old in "$CACHE/$SUITE"-*; do
		[ "$old" != "$ROOTDIR" ] && [ -f "$old/.distguard-stamp" ] && rm -rf "$old"
	done
	return 0
}

# add_in_place: APT_PACKAGES into an existing root, under the build lock.
add_in_place() {
	[ "$(id -u)" -eq 0 ] || die "adding $APT_PACKAGES to the root needs root"
	proxy=$(apt_proxy)
	exec 9> "$CACHE/.lock-$SUITE"
	flock -w 2400 9 || die "timed out waiting for another build of the $SUITE root"
	apt_packages_present && return 0
	echo "otp-root: adding $APT_PACKAGES to $ROOTDIR (once)" >&2
	t0=$(date +%s)
	log="$CACHE/build-$SUITE.log"
	add_apt_packages "$ROOTDIR" >> "$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get install $APT_PACKAGES failed (log: $log)"; }
	echo "added $APT_PACKAGES $(date -u +%FT%TZ) in $(( $(date +%s) - t0 )) s" >> "$ROOTDIR/.distguard-stamp"
}

run_in_root() {
	binds=""
	limit=0
	while [ $# -gt 0 ]; do
		case $1 in
		-b) binds="$binds $2"; shift 2 ;;
		-t) limit=$2; shift 2 ;;
		--) shift; break ;;
		*) die "exec: unknown option $1" ;;
		esac
	done
	[ $# -gt 0 ] || die "exec: no command"
	[ -f "$ROOTDIR/.distguard-stamp" ] || build
	# In the new mount namespace: bind, then chroot; every step execs, so
	# the caller's PID ends up being CMD's.
	# shellcheck disable=SC2016
	exec unshare --mount --propagation private -- /bin/sh -c '
	    set -e
	    r=$1 binds=$2 limit=$3; shift 3
	    mount --bind /proc "$r/proc"
	    mount --rbind /dev "$r/dev"
	    [ -e "$r/etc/hosts" ] || : > "$r/etc/hosts"
	    mount --bind /etc/hosts "$r/etc/hosts"
	    for d in $binds; do
	        mkdir -p "$r$d"
	        mount --bind "$d" "$r$d"
	    done
	    if [ "$limit" -gt 0 ]; then
	        exec chroot "$r" /usr/bin/env -i HOME=/tmp LANG=C.UTF-8 \
	            PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout -k 2 "$limit" "$@"
	    fi
	    exec chroot "$r" /usr/bin/env -i HOME=/tmp LANG=C.UTF-8 \
	        PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' "otp-root-$SUITE" "$ROOTDIR" "$binds" "$limit" "$@"
}

case ${1:-} in
path|build) build; echo "$ROOTDIR" ;;
otp) build; sed -n 's/.* otp \([0-9]*\) .*/\1/p' "$ROOTDIR/.distguard-stamp" ;;
exec) shift; run_in_root "$@" ;;
*) die "unknown command ${1:-(none)} for $SUITE (see --help)" ;;
esac
