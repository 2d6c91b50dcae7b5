#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Interop battery: OTP 25 (the host), OTP 27 (Debian trixie) and OTP 29
# (Debian forky) through distguard, in every direction: each release as the
# peer of each release's protected node.  Columns are PEER->NODE, e.g. "25->27": an OTP 25 peer
# reaching an OTP 27 node behind distguard.  25->25 is the baseline.
#
# Per column one peer runs iop:battery/2 (ping, allowed and denied erpc,
# gen_server call, a 5 MiB binary, link, monitor, global, the halt attack)
# against the protected node; this script adds what is seen from outside:
# the marker file, the node's process, the negotiated flags, the alerts.
. "$(dirname "$0")/lib.sh"
# The peers p* are stock nodes standing in for peers of other hosts (the
# battery needs them visible, for global): they register only because
# they listen, so this suite accepts unmediated registrations.  The
# protected nodes n* run distguard_epmd (vnode_start).
DG_EGRESS=off
cd "$T" || exit 1
interop_root || exit 1

# Peers p* may: ping, sync global, get replies, link and monitor, call the
# named services and three harmless MFAs.  Nothing else (no os:cmd, no
# erlang:apply, no erlang:halt).  The protected nodes n* may answer peers
# that they connect to themselves (local<->local: both directions).
write_conf \
    '{peer, "p*@*", [ping, global, replies, {allow, link}, {allow, monitor},
        {allow, reg_send, [dgt_gs, echo, digest]},
        {allow, spawn_request, [{erlang, node, 0}, {iop, victim, 0},
                                {global, whereis_name, 1}, {erlang, process_info, 2}]}]}.' \
    '{peer, "n*@*", [ping, global, replies]}.'
dg_start || exit 1

vnode_start 25 n25 240 'iop:protected(240)' || exit 1
vnode_start 27 n27 240 'iop:protected(240)' || exit 1
vnode_start 29 n29 240 'iop:protected(240)' || exit 1
for v in $OTPS; do
	check "otp${v}_node [nodes] (n$v really runs OTP $v)" \
	    grep -q "otp $v" <(veval "$v" "v$v" 20 'io:format("otp ~s~n", [erlang:system_info(otp_release)])')
done

CHECKS="ping erpc_allowed erpc_denied gen_server_call binary_5mib link monitor global halt_attack"
for pv in $OTPS; do
	for nv in $OTPS; do
		col="$pv->$nv"
		peer=p${pv}x$nv node=n$nv
		marker="$T/marker_$peer"
		t0=$(date +%s%N)
		veval "$pv" "$peer" 90 "iop:battery('$node@$HOST', \"$marker\")" > "$T/$peer.out"
		echo "# $col: battery in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
		sed 's/^/#   /' "$T/$peer.out" | grep -v '^#   IOP ' | head -n 20
		for c in $CHECKS; do
			line=$(grep "^IOP $c " "$T/$peer.out" | head -n 1)
			if [ -z "$line" ]; then
				not_ok "$c [$col] (no result: the battery did not get there)"
			elif [ "$(echo "$line" | cut -d' ' -f3)" = ok ]; then
				ok "$c [$col] (${line#IOP $c ok })"
			else
				not_ok "$c [$col] (${line#IOP $c fail })"
			fi
		done
		sleep 0.3
		check "erpc_denied_marker [$col] (os:cmd never ran: no $marker)" [ ! -e "$marker" ]
		check "erpc_denied_alerted [$col] (filter.denied for os:cmd/1)" \
		    wait_for "$ALERTS" "\"filter.denied\".*$peer@$HOST.*os:cmd/1" 3
		check "halt_attack_alerted [$col] (filter.denied for erlang:halt/0)" \
		    wait_for "$ALERTS" "\"filter.denied\".*$peer@$HOST.*erlang:halt/0" 3
		check "halt_fun_alerted [$col] (filter.denied for the erpc:cast of fun erlang:halt/0)" \
		    wait_for "$ALERTS" "\"filter.denied\".*$peer@$HOST.*erlang:apply/2" 3
		eval "npid=\$PID_$node"
		check "node_alive [$col] ($node's process is still there after the attack)" kill -0 "$npid"
		fl=$(dflags "$peer" "$node")
		echo "# $col: negotiated flags $fl"
		check "flags_v4nc_unlinkid [$col] (V4_NC and UNLINK_ID negotiated: $fl)" \
		    [ -n "$fl" -a $(( ${fl:-0} & (1 << 34) )) -ne 0 -a $(( ${fl:-0} & 0x2000000 )) -ne 0 ]
	done
done
n=$(grep -c '"event":"peer.banned"' "$ALERTS" 2>/dev/null)
check "no_ban [all] (no peer.banned in the whole battery: ${n:-0})" [ "${n:-0}" -eq 0 ]
check "distguard_survived [all]" dg_alive
# The OTP 27 and 29 nodes' /proc and /dev binds live in their own mount
# namespaces: none of them shows in the host's mount table, even while they
# run.
for v in 27 29; do
	eval "r=\$ROOT_$v pid=\$PID_n$v"
	check "no_leaked_mounts [all] (nothing under $r in the host's mounts)" \
	    not grep -q " $r/" /proc/self/mounts
	check "otp${v}_chrooted [nodes] (n$v's root is the $(otp_suite "$v") root)" \
	    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$r" -o \
	      "$(readlink "/proc/$(pgrep -P "$pid" | head -n 1)/root" 2>/dev/null)" = "$r" ]
done
done_tests
