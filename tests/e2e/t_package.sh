#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end: the Debian package.  Builds it from the tree
# (dpkg-buildpackage -b -us -uc, scripts/build-deb.sh), installs it into a
# Debian bookworm root (debootstrapped once and cached outside the tree,
# used through an overlay so every run starts clean), checks what postinst
# set up, runs the installed daemon as the unit runs it (started as root,
# it drops to the package's distguard account), puts a real node behind
# it, reloads it, and purges the package, checking nothing is left.
#
# systemd: the machine's own PID 1 is not systemd, so the test boots the
# root's systemd as PID 1 of namespaces of its own and drives the service
# with systemctl (start at boot, reload, stop).  Where that cannot boot,
# the test fails that step, saying what was not exercised, and still runs
# the daemon with the unit's ExecStart in the directories the unit's
# RuntimeDirectory=, StateDirectory= and LogsDirectory= would create.
#
# The test runs in a private mount namespace (it re-executes itself under
# unshare), so its mounts vanish with it even if it is killed.
if [ "${DG_PKG_NS:-}" != 1 ]; then
	DG_PKG_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

CACHE=${DG_PKG_CACHE:-/var/cache/distguard-package}
SUITE=bookworm
# What the root needs besides minbase: the package's dependencies (so that
# dpkg -i needs no network) and systemd, for systemd-analyze.
# nftables and libnftables1: the local guard (v2: the v1 root lacks them).
INCLUDE=adduser,libev4,libsodium23,libnettle8,libnftables1,nftables,systemd
BASE="$CACHE/$SUITE-v2"
R=$(mktemp -d /tmp/dg-pkgroot.XXXXXX)
OVL=$(mktemp -d /tmp/dg-pkgovl.XXXXXX)

pkg_cleanup() {
	umount "$R/proc" 2>/dev/null
	umount "$R" 2>/dev/null
	rmdir "$R" 2>/dev/null
	rm -rf "$OVL"
	cleanup
}
trap pkg_cleanup EXIT
inroot() { chroot "$R" "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	not_ok "t_package needs root (dpkg, chroot, mounts)"
	exit 1
fi

# ---- build -------------------------------------------------------------------
t0=$(date +%s)
out=$(DEB_BUILD_OPTIONS=nocheck sh "$ROOT/scripts/build-deb.sh" "$T/deb" 2>&1); rc=$?
echo "$out" | tail -n 5 | sed 's/^/# /'
DEB=$(ls "$T"/deb/distguard_*_amd64.deb 2>/dev/null | head -n 1)
check "dpkg-buildpackage -b -us -uc builds the package ($(( $(date +%s) - t0 )) s)" \
    [ "$rc" -eq 0 -a -n "$DEB" ]
[ -n "$DEB" ] || exit 1
files=$(dpkg-deb -c "$DEB" | awk '{print $1, $2, $6}')
for f in ./usr/sbin/distguard ./lib/systemd/system/distguard.service \
    ./usr/share/man/man8/distguard.8.gz ./usr/share/man/man5/distguard.conf.5.gz \
    ./usr/share/doc/distguard/examples/distguard.conf ./etc/distguard/distguard.conf; do
	check "the package holds $f" grep -q " $f\$" <<<"$files"
done
check "the package holds distguard_epmd as the OTP library distguard-VERSION" \
    grep -Eq " ./usr/lib/erlang/lib/distguard-[0-9][0-9.]*/ebin/distguard_epmd.beam$" <<<"$files"
check "... with its distguard.app" \
    grep -Eq " ./usr/lib/erlang/lib/distguard-[0-9][0-9.]*/ebin/distguard.app$" <<<"$files"
# Shipped as Debian's policy wants (0644, lintian), narrowed by postinst
# to root:distguard 0640 (checked after the install below).
check "the configuration ships mode 0644" grep -q "^-rw-r--r-- root/root ./etc/distguard/distguard.conf$" <<<"$files"
check "the package holds the licence (copyright, Apache-2.0)" \
    grep -q " ./usr/share/doc/distguard/copyright$" <<<"$files"
# lintian, Debian's package checker: no error, no warning (informational
# tags are shown, not counted).
if command -v lintian >/dev/null 2>&1; then
	lint=$(lintian --display-info "$DEB" 2>&1 | grep -v 'running with root privileges')
	echo "$lint" | grep . | sed 's/^/#   lintian: /'
	ne=$(grep -c '^E: ' <<<"$lint"); nw=$(grep -c '^W: ' <<<"$lint")
	check "lintian: 0 errors, 0 warnings on the .deb ($ne errors, $nw warnings)" \
	    [ "$ne" -eq 0 -a "$nw" -eq 0 ]
else
	not_ok "lintian is installed (scripts/deps.sh installs it)"
fi
check "the configuration is a conffile" \
    bash -c "dpkg-deb -I '$DEB' conffiles | grep -qx /etc/distguard/distguard.conf"

# ---- the root ------------------------------------------------------------------
# Built once (a few minutes, from Debian's registry), then reused.
mkdir -p "$CACHE"
(
	flock 9
	if [ ! -e "$BASE/.complete" ]; then
		echo "# debootstrapping $SUITE into $BASE (once)"
		rm -rf "$BASE.tmp"
		debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" \
		    "$BASE.tmp" http://deb.debian.org/debian > "$CACHE/debootstrap.log" 2>&1 &&
		    touch "$BASE.tmp/.complete" && mv "$BASE.tmp" "$BASE"
	fi
) 9> "$CACHE/.lock"
if [ ! -e "$BASE/.complete" ]; then
	not_ok "a $SUITE root could be debootstrapped into $BASE (see $CACHE/debootstrap.log)"
	exit 1
fi
mkdir -p "$OVL/upper" "$OVL/work"
if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$OVL/upper,workdir=$OVL/work" "$R"; then
	not_ok "an overlay over the cached root could be mounted"
	exit 1
fi
mount -t proc proc "$R/proc"
# No service may start from a maintainer script in this root.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
cp "$DEB" "$R/tmp/"

# ---- install -------------------------------------------------------------------
out=$(inroot dpkg -i "/tmp/$(basename "$DEB")" 2>&1); rc=$?
echo "$out" | tail -n 5 | sed 's/^/# /'
check "dpkg -i installs the package (rc $rc)" [ "$rc" -eq 0 ]
check "dpkg reports it installed" \
    bash -c "chroot '$R' dpkg-query -W -f '\${Status}' distguard | grep -qx 'install ok installed'"
pw=$(inroot getent passwd distguard)
check "postinst created the system account distguard ($pw)" \
    grep -q '^distguard:x:[0-9]*:[0-9]*:[^:]*:/var/lib/distguard:/usr/sbin/nologin$' <<<"$pw"
DUID=$(cut -d: -f3 <<<"$pw"); DGID=$(cut -d: -f4 <<<"$pw")
check "it is a system uid ($DUID)" [ "${DUID:-0}" -gt 0 -a "${DUID:-0}" -lt 1000 ]
check "with a group of its own" [ "$(inroot getent group distguard | cut -d: -f3)" = "$DGID" ]
st() { inroot stat -c '%U:%G %a' "$1"; }
check "/etc/distguard is root:distguard 0750 ($(st /etc/distguard))" \
    [ "$(st /etc/distguard)" = "root:distguard 750" ]
check "distguard.conf is root:distguard 0640 ($(st /etc/distguard/distguard.conf))" \
    [ "$(st /etc/distguard/distguard.conf)" = "root:distguard 640" ]
check "the cookie is distguard:distguard 0400 ($(st /etc/distguard/cookie))" \
    [ "$(st /etc/distguard/cookie)" = "distguard:distguard 400" ]
PKG_COOKIE=$(cat "$R/etc/distguard/cookie")
check "the cookie is 20 random capital letters" grep -qxE '[A-Z]{20}' <<<"$PKG_COOKIE"
check "the unit is enabled (multi-user.target.wants)" \
    [ -L "$R/etc/systemd/system/multi-user.target.wants/distguard.service" ]
out=$(inroot distguard check -c /etc/distguard/distguard.conf 2>&1)
check "root: the installed configuration is OK ($out)" [ "$out" = "configuration OK" ]
out=$(inroot setpriv --reuid=distguard --regid=distguard --clear-groups \
    distguard check -c /etc/distguard/distguard.conf 2>&1)
check "distguard itself can read it and the cookie, as a reload must ($out)" \
    [ "$out" = "configuration OK" ]
out=$(inroot setpriv --reuid=nobody --regid=nogroup --clear-groups \
    distguard check -c /etc/distguard/distguard.conf 2>&1)
check "another account cannot ($out)" grep -q "Permission denied" <<<"$out"
check "the man pages are installed" \
    [ -e "$R/usr/share/man/man8/distguard.8.gz" -a -e "$R/usr/share/man/man5/distguard.conf.5.gz" ]

# ---- the unit ------------------------------------------------------------------
UNIT="$R/lib/systemd/system/distguard.service"
# --man=no: the root has no man(1) to check the Documentation= pages with.
out=$(inroot systemd-analyze verify --man=no /lib/systemd/system/distguard.service 2>&1); rc=$?
[ -n "$out" ] && echo "$out" | sed 's/^/# systemd-analyze: /'
check "systemd-analyze verify accepts the unit (rc $rc)" [ "$rc" -eq 0 ]
for d in ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' RuntimeDirectory=distguard \
    StateDirectory=distguard LogsDirectory=distguard \
    'ExecReload=/usr/sbin/distguard reload -c /etc/distguard/distguard.conf'; do
	check "the unit sets $d" grep -qx "$d" "$UNIT"
done
check "the service configuration puts the control socket under /run/distguard" \
    grep -qx '{control, "/run/distguard/control.sock"}.' "$R/etc/distguard/distguard.conf"

# ---- under systemd ---------------------------------------------------------------
# systemd booted as PID 1 of new PID, network, UTS and IPC namespaces in
# the root: the enabled unit starts at boot, exactly as shipped (0.0.0.0
# and port 4369 are this test's own network namespace, loopback only).
# Nodes join that namespace with nsenter.  Where systemd cannot boot, that
# fails, naming what was not exercised; the run as the unit does (next
# section) still follows.
SD=""
sd_boot() {
	local w i
	# A stand-in for a release's unit, ordered as docs/SERVICE.md says:
	# it tries 4369 once, as a node's first registration would.
	cat > "$R/etc/systemd/system/dg-release-probe.service" <<'UNIT'
[Unit]
Description=a release-like unit ordered after distguard
After=distguard.service
Wants=distguard.service
[Service]
Type=oneshot
ExecStart=/bin/bash -c 'if exec 3<>/dev/tcp/127.0.0.1/4369; then echo "first try: connected"; else echo "first try: refused"; fi'
[Install]
WantedBy=multi-user.target
UNIT
	ln -sf /etc/systemd/system/dg-release-probe.service \
	    "$R/etc/systemd/system/multi-user.target.wants/dg-release-probe.service"
	umount "$R/proc"
	mount -t tmpfs -o mode=0755 tmpfs "$R/run" || return 1
	mount --rbind /sys "$R/sys" || return 1
	ln -sf /lib/systemd/system/multi-user.target "$R/etc/systemd/system/default.target"
	unshare --pid --fork --net --uts --ipc --mount-proc="$R/proc" \
	    chroot "$R" /lib/systemd/systemd --system > "$T/systemd.log" 2>&1 &
	w=$!
	PIDS+=("$w")
	for i in $(seq 100); do
		SD=$(pgrep -P "$w" | head -n 1)
		[ -n "$SD" ] && [ -S "$R/run/systemd/private" ] && break
		sleep 0.1
	done
	[ -n "$SD" ] && [ -S "$R/run/systemd/private" ] || return 1
	PIDS+=("$SD")
}
sd_end() {
	[ -n "$SD" ] && kill -9 "$SD" 2>/dev/null
	sleep 0.3
	umount -R "$R/sys" 2>/dev/null
	umount "$R/run" 2>/dev/null
	mount -t proc proc "$R/proc"
}
insd() { nsenter --target "$SD" --mount --pid --net --uts --ipc --root --wd "$@"; }
innet() { nsenter --net="/proc/$SD/ns/net" "$@"; }
# The package's distguard_epmd, for the protected nodes (the shipped
# configuration refuses nodes without it).
PKG_EBIN=$(ls -d "$R"/usr/lib/erlang/lib/distguard-*/ebin | head -n 1)
# sd_node NAME EXPR: a peer in systemd's network namespace; it does not
# listen (a stand-in for a peer of another host: no registration).
sd_node() {
	innet timeout -k 2 40 erl -sname "$1" -setcookie "$PKG_COOKIE" -start_epmd false \
	    -epmd_port 4369 -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T" \
	    -dist_listen false \
	    -eval "$2" 2>&1
}
if sd_boot; then
	ok "systemd boots in the root (PID $SD)"
	for i in $(seq 50); do
		a=$(insd systemctl is-active distguard 2>&1)
		[ "$a" = active ] || [ "$a" = failed ] && break
		sleep 0.2
	done
	check "the enabled unit started at boot: systemctl is-active distguard ($a)" [ "$a" = active ]
	if [ "$a" != active ]; then
		insd systemctl status --no-pager distguard 2>&1 | sed 's/^/# /'
		insd journalctl --no-pager -u distguard 2>&1 | tail -n 20 | sed 's/^/# /'
	fi
	# Type=notify: "active" is systemd's word only after READY=1, which
	# distguard sends once every port is bound; its STATUS= line is
	# proof that the message came and was taken.
	t=$(insd systemctl show -p Type --value distguard)
	check "the unit is Type=notify ($t)" [ "$t" = notify ]
	st=$(insd systemctl show -p StatusText --value distguard)
	check "systemd got distguard's READY=1 and STATUS= ($st)" [ "$st" = serving ]
	# The release-like unit ordered After=distguard.service (below) made
	# one attempt on 4369 when it started: it must have connected.
	for i in $(seq 30); do
		rl=$(insd journalctl --no-pager -u dg-release-probe -o cat 2>/dev/null | grep -m1 'first try')
		[ -n "$rl" ] && break
		sleep 0.2
	done
	check "a unit ordered After=distguard.service reached port 4369 on its first try ($rl)" \
	    grep -q "first try: connected" <<<"$rl"
	MP=$(insd systemctl show -p MainPID --value distguard)
	# MainPID is systemd's view; the process is the same one seen from here
	# through its namespace's /proc.
	# The unit is "active" once the process runs; the drop comes after
	# its sockets are bound: give it up to 5 s to happen.
	for _ in $(seq 50); do
		ids=$(sed -n 's/^Uid:[[:space:]]*//p' "$R/proc/$MP/status" 2>/dev/null | tr -s ' \t' ' ' | sed 's/ $//')
		[ -z "$ids" ] && ids=$(insd sed -n 's/^Uid:[[:space:]]*//p' "/proc/$MP/status" | tr -s ' \t' ' ' | sed 's/ $//')
		[ "$ids" = "$DUID $DUID $DUID $DUID" ] && break
		sleep 0.1
	done
	check "the service's /proc/MainPID/status Uid is distguard's ($ids)" [ "$ids" = "$DUID $DUID $DUID $DUID" ]
	# The same process as this machine sees it, and the unit's sandbox
	# as the kernel applies it.
	HP=$(pgrep -f '^/usr/sbin/distguard run -c /etc/distguard/distguard.conf$' | head -n 1)
	ids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$HP/status" 2>/dev/null | tr -s ' \t' ' ' | sed 's/ $//')
	check "seen from this machine, /proc/$HP/status Uid is distguard's too ($ids)" \
	    [ "$ids" = "$DUID $DUID $DUID $DUID" ]
	check "NoNewPrivileges= is in force (NoNewPrivs: 1)" grep -qP '^NoNewPrivs:\t1$' "/proc/$HP/status"
	check "no capability is left after the drop (CapEff 0)" grep -qP '^CapEff:\t0{16}$' "/proc/$HP/status"
	check "RestrictAddressFamilies= installed a seccomp filter (Seccomp: 2)" grep -qP '^Seccomp:\t2$' "/proc/$HP/status"
	check "ProtectSystem=strict: /etc is read-only to the service, even for root" \
	    not nsenter --target "$HP" --mount --root touch /etc/distguard/probe
	check "while its LogsDirectory is writable" \
	    nsenter --target "$HP" --mount --root touch /var/log/distguard/probe
	insd touch /tmp/dg-probe
	check "PrivateTmp=: the service does not see the system's /tmp" \
	    not nsenter --target "$HP" --mount --root test -e /tmp/dg-probe
	check "its control socket is /run/distguard/control.sock" \
	    bash -c "nsenter --target $SD --mount --root stat -c '%U %F' /run/distguard/control.sock | grep -qx 'distguard socket'"
	innet ip link set lo up 2>/dev/null
	# nsenter itself, not a shell function, so that $! is the node's
	# process chain and the trap stops it.  In the service's PID
	# namespace too: its local guard's helper finds the registering
	# process in its own /proc (SECURITY.md 2.1), and a node outside the
	# namespace would be a process it cannot see.
	nsenter --net="/proc/$SD/ns/net" --pid="/proc/$SD/ns/pid" timeout -k 2 60 erl -sname sb -setcookie "$PKG_COOKIE" -start_epmd false \
	    -epmd_port 4369 -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T" \
	    -epmd_module distguard_epmd -pa "$PKG_EBIN" \
	    -eval "dgt:serve()" > "$T/sb.log" 2>&1 &
	SB=$!
	PIDS+=("$SB")
	wait_for "$T/sb.log" "dgt ready" 15
	r=$(sd_node sp1 "io:format(\"~p~n\", [net_adm:ping('sb@$HOST')]), halt()." | tail -n 1)
	check "a peer pings a node through the service, port 4369 as shipped ($r)" [ "$r" = pong ]
	r=$(sd_node sw1 "erlang:set_cookie(node(), wrong), io:format(\"~p~n\", [net_adm:ping('sb@$HOST')]), halt()." | tail -n 1)
	check "a wrong cookie is refused by the service ($r)" [ "$r" = pang ]
	jw() { nsenter --target "$SD" --mount --pid --root journalctl --no-pager -u distguard -o cat "$@"; }
	for i in $(seq 20); do jw -p warning | grep -q "alert handshake.bad_digest" && break; sleep 0.2; done
	check "journald took its alert line at priority warning (<4>)" \
	    bash -c "$(declare -f jw); SD=$SD; jw -p warning | grep -q 'alert handshake.bad_digest'"
	check "and no info line at that priority" \
	    not bash -c "$(declare -f jw); SD=$SD; jw -p warning | grep -q ': info: '"
	check "while info lines are there at info" \
	    bash -c "$(declare -f jw); SD=$SD; jw -p info | grep -q ': info: distguard running'"
	out=$(insd systemctl reload distguard 2>&1); rc=$?
	check "systemctl reload distguard succeeds (rc $rc$out)" [ "$rc" -eq 0 ]
	check "the service logged the reload (journal)" \
	    bash -c "nsenter --target $SD --mount --pid --root journalctl --no-pager -u distguard | grep -q 'reload: configuration from /etc/distguard/distguard.conf in force'"
	r=$(sd_node sp2 "io:format(\"~p~n\", [net_adm:ping('sb@$HOST')]), halt()." | tail -n 1)
	check "and serves after it ($r)" [ "$r" = pong ]
	out=$(insd systemctl stop distguard 2>&1); rc=$?
	a=$(insd systemctl is-active distguard 2>&1)
	check "systemctl stop distguard stops it ($a)" [ "$rc" -eq 0 -a "$a" = inactive ]
	check "systemd removed /run/distguard (RuntimeDirectory)" \
	    not bash -c "nsenter --target $SD --mount --root test -e /run/distguard"
	kill "$SB" 2>/dev/null
	sd_end
else
	not_ok "systemd boots in the root: it did not ($(tail -n 3 "$T/systemd.log" | tr '\n' ' ')), so systemctl start/reload/stop and the unit's sandbox at run time are NOT exercised here"
	sd_end
fi

# ---- run it as the unit does ----------------------------------------------------
# The unit's ExecStart, on the installed configuration with loopback
# addresses and this test's free ports instead of 0.0.0.0:4369 (tests stay
# on loopback); cookie, alerts, control socket and user as installed.
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "ExecStart runs the installed configuration ($EXEC)" \
    [ "$EXEC" = "/usr/sbin/distguard run -c /etc/distguard/distguard.conf" ]
TC=/etc/distguard/test.conf
sed -e "s|^{epmd, .*|{epmd, [{port, $EPMD_PORT}, {addresses, [\"127.0.0.1\"]}, {names_from, local}]}.|" \
    -e "s|^{listen, .*|{listen, [{address, \"127.0.0.1\"}, {ports, {$LMIN, $LMAX}}]}.|" \
    "$R/etc/distguard/distguard.conf" > "$R$TC"
inroot chown root:distguard "$TC"; inroot chmod 0640 "$TC"
check "the test configuration differs only in addresses and ports" \
    [ "$(diff "$R/etc/distguard/distguard.conf" "$R$TC" | grep -c '^[<>]')" = 4 ]
# What systemd would create for RuntimeDirectory=, StateDirectory=,
# LogsDirectory= (owned by the unit's user, root, as it has no User=).
install -d -m 0755 "$R/run/distguard"
install -d -m 0750 "$R/var/lib/distguard" "$R/var/log/distguard"
chroot "$R" ${EXEC/distguard.conf/test.conf} >> "$T/dg.log" 2>&1 &
DG_PID=$!
PIDS+=("$DG_PID")
wait_for "$T/dg.log" "distguard running" 10 || { not_ok "the installed daemon started"; exit 1; }
check "it dropped to distguard" grep -q "privileges dropped: user distguard (uid $DUID), group distguard (gid $DGID)" "$T/dg.log"
ids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$DG_PID/status" | tr -s ' \t' ' ' | sed 's/ $//')
check "/proc/PID/status Uid is distguard's ($ids)" [ "$ids" = "$DUID $DUID $DUID $DUID" ]
ids=$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$DG_PID/status" | tr -s ' \t' ' ' | sed 's/ $//')
check "/proc/PID/status Gid is distguard's ($ids)" [ "$ids" = "$DGID $DGID $DGID $DGID" ]
check "the control socket is in /run/distguard, distguard's" \
    [ "$(st /run/distguard/control.sock)" = "distguard:distguard 700" ]

# A node of this host behind it, with the package's cookie and the
# package's distguard_epmd (the installed configuration refuses nodes
# without it).  The peers do not listen: they stand in for peers of
# other hosts and register nowhere.
COOKIE=$PKG_COOKIE
ERL_COMMON=(-setcookie "$COOKIE" -start_epmd false -epmd_port "$EPMD_PORT"
	-kernel inet_dist_use_interface '{127,0,0,1}' -noshell -pa "$T")
ERL_MOD=(-epmd_module distguard_epmd -pa "$PKG_EBIN")
node_start b || exit 1
check "b registered mediated, with the package's distguard_epmd" \
    grep -q "node b registered from .*; mediated" "$T/dg.log"
r=$(EVAL_TIMEOUT=30 node_eval p1 "net_adm:ping(Node)" -dist_listen false | tail -n 1)
check "a peer pings a node through the packaged daemon ($r)" [ "$r" = pong ]
r=$(EVAL_TIMEOUT=30 node_eval n1 "net_adm:ping(Node)" | tail -n 1)
check "a stock node of this host is refused by the installed configuration ($r)" \
    eval '[ "$r" != pong ] && grep -q "ALIVE2_REQ for n1 refused: unmediated" "$T/dg.log"'
r=$(EVAL_TIMEOUT=30 node_eval w1 "erlang:set_cookie(node(), wrong), net_adm:ping(Node)" -dist_listen false | tail -n 1)
check "a wrong cookie is refused ($r)" [ "$r" = pang ]
check "the alert is in /var/log/distguard/alerts.jsonl" \
    wait_for "$R/var/log/distguard/alerts.jsonl" '"event":"handshake.bad_digest"' 5
out=$(inroot distguard stats -c "$TC" 2>&1)
check "distguard stats reaches it through /run/distguard/control.sock" grep -q "<- p1@" <<<"$out"
out=$(inroot distguard reload -c "$TC" 2>&1); rc=$?
check "distguard reload (the unit's ExecReload) reloads it as distguard ($out)" [ "$rc" -eq 0 ]
check "the daemon re-read the configuration and cookie" \
    grep -q "reload: configuration from $TC in force" "$T/dg.log"
r=$(EVAL_TIMEOUT=30 node_eval p2 "net_adm:ping(Node)" -dist_listen false | tail -n 1)
check "and still serves ($r)" [ "$r" = pong ]
kill -TERM "$DG_PID"
wait_for "$T/dg.log" "info: stopped" 5
check "SIGTERM (systemctl stop) stops it" grep -q "info: stopped" "$T/dg.log"
kill "$PID_b" 2>/dev/null
rm -f "$R$TC"

# ---- purge ---------------------------------------------------------------------
out=$(inroot dpkg --purge distguard 2>&1); rc=$?
echo "$out" | tail -n 3 | sed 's/^/# /'
check "dpkg --purge removes it (rc $rc)" [ "$rc" -eq 0 ]
check "dpkg no longer knows it" not bash -c "chroot '$R' dpkg-query -W distguard >/dev/null 2>&1"
for p in /etc/distguard /var/log/distguard /var/lib/distguard /run/distguard \
    /usr/sbin/distguard /lib/systemd/system/distguard.service \
    /etc/systemd/system/multi-user.target.wants/distguard.service \
    /usr/share/doc/distguard; do
	check "nothing left at $p" [ ! -e "$R$p" -a ! -L "$R$p" ]
done
left=$(inroot find / -xdev \( -user distguard -o -group distguard \) -print 2>/dev/null | head -n 5)
check "no file of the distguard account is left ($left)" [ -z "$left" ]
# Debian practice: a package does not delete the account it created
# (a reused uid would inherit stray files); it stays, owning nothing.
check "the account stays, as Debian practice has it" bash -c "chroot '$R' getent passwd distguard >/dev/null"
done_tests
