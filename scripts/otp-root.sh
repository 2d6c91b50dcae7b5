#!/bin/sh
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
	PACKAGES=erlang-base,elixir ;;
-h|--help|"")
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	[ -n "$SUITE" ]; exit ;;
*) die "unknown suite $SUITE (trixie, forky; see --help)" ;;
esac
shift
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

build() {
	[ -x "$ROOTDIR/usr/bin/erl" ] && [ -f "$ROOTDIR/.distguard-stamp" ] && return 0
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
