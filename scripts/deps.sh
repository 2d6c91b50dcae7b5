#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs, from Debian packages, whatever distguard needs to build and test
# and is missing.  Cheap when everything is present: it only tests files.
# As root it runs apt-get; otherwise it prints the command to run.
# `deps.sh interop` also installs what `make interop` needs on the host
# (Elixir, rebar3, debootstrap for the OTP 27 and 29 roots).
set -u

missing=""
need() {	# need FILE PACKAGE: PACKAGE provides FILE
	[ -e "$1" ] || missing="$missing $2"
}

ei_h=$(ls -d /usr/lib/erlang/lib/erl_interface-*/include/ei.h 2>/dev/null | head -n 1)

need /usr/include/ev.h libev-dev
need /usr/include/sodium.h libsodium-dev
need /usr/include/nettle/md5.h nettle-dev
# the local guard (epmd/localguard.c): libnftables, and nft for the tests
need /usr/include/nftables/libnftables.h libnftables-dev
need /usr/sbin/nft nftables
need /usr/bin/erl erlang-base
need "${ei_h:-/nonexistent/ei.h}" erlang-dev
need /usr/bin/epmd erlang-base
need /usr/bin/cc gcc
need /usr/bin/make make
need /usr/bin/clang clang
need /usr/bin/timeout coreutils
need /usr/bin/socat socat
# bench/run.sh section 2: HAProxy (splice) beside socat as a relay
need /usr/sbin/haproxy haproxy
need /usr/bin/python3 python3
# tests/vectors/link_check.py: the link vectors, recomputed independently
need /usr/lib/python3/dist-packages/cryptography python3-cryptography
need /usr/bin/pkg-config pkg-config
# systemd's readiness protocol through sd_notify (daemon/notify.c; without
# it the Makefile builds distguard's own sender of the same protocol)
need /usr/include/systemd/sd-daemon.h libsystemd-dev
# bench/hosts.sh: OTP's TLS distribution, and the certificates it makes
ssl_beam=$(ls -d /usr/lib/erlang/lib/ssl-*/ebin/inet_tls_dist.beam 2>/dev/null | head -n 1)
need "${ssl_beam:-/nonexistent/inet_tls_dist.beam}" erlang-ssl
need /usr/bin/openssl openssl
# promtool validates the metrics exposition in the tests
need /usr/bin/promtool prometheus
# make test's t_localguard2 and t_audit build a mix release.
need /usr/bin/elixir elixir
need /usr/bin/mix elixir
if [ "${1:-}" = interop ]; then
	# tests/interop/t_rebar3.sh: rebar3 releases on the host's OTP
	need /usr/bin/rebar3 rebar3
	need /usr/sbin/debootstrap debootstrap
	need /usr/bin/unshare util-linux
	need /usr/bin/flock util-linux
fi
# The Debian package and its test (tests/e2e/t_package.sh): the build,
# a bookworm root to install it into, and the unit's static check.
need /usr/bin/dpkg-buildpackage dpkg-dev
need /usr/bin/dh debhelper
need /usr/bin/fakeroot fakeroot
need /usr/sbin/debootstrap debootstrap
need /usr/bin/systemd-analyze systemd
need /usr/bin/setpriv util-linux
# tests/e2e/t_package.sh: the package's lintian check
need /usr/bin/lintian lintian
# libFuzzer and the sanitizer runtimes for clang
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
	missing="$missing libclang-rt-dev"

[ -z "$missing" ] && exit 0

# de-duplicate
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
	echo "distguard: missing packages:$missing" >&2
	echo "distguard: install them with: sudo apt-get install -y $missing" >&2
	exit 1
fi
echo "distguard: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet.
apt-get update -q >/dev/null 2>&1 || apt-get update
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	apt-get install -y $missing
