#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Open vSwitch's type=stt port options, checked on the wire, and what
# happens around the port: an ovs-vswitchd restart, a classic stt device on
# the port OVS uses, and rmmod in every order.  Debian's own OVS 3.1
# (ovsdb-server, ovs-vswitchd) runs in A's netns, as in stt_ovs.sh.
#
# OVS implements every option of a kernel-datapath tunnel port in
# userspace: on transmit its flow's set(tunnel(...)) action carries
# tun_id=out_key, src=local_ip, tos, ttl and the DF flag, and stt_sys_<port>
# (an external stt device) sends with what the action says; on receive it
# matches the frame's metadata (Context ID, outer addresses) against
# in_key, remote_ip and local_ip.  So every option is checked where it
# shows: in a capture of the underlay (veth_a), decoded here from the
# pcap's bytes (tshark's STT dissector is a heuristic for port 7471 only,
# and tshark 4.0 has no "-d tcp.port==N,stt"); the 7471 capture is also
# decoded by tshark, as a cross-check of the decoder.
#
#  1. defaults: a port with remote_ip and key only sends to 7471, from the
#     route's source, TOS 0, TTL 64, DF set, Context ID = key; an inner
#     ECT(1) packet with DSCP 46 leaves with outer TOS 0x01;
#  2. a port with dst_port=7480 local_ip=192.0.2.11 tos=0x28 ttl=33
#     df_default=false in_key=K_IN out_key=K_OUT, talking to B's external
#     stt device (an lwtunnel route sends with K_IN): each option on the
#     wire, one point each, and B's replies carry K_IN;
#  3. the same port with tos=inherit, df_default=true and no ttl: the inner
#     DSCP (ping -Q) in the outer header, DF set, TTL 64;
#  4. in_key on receive: frames from B with another Context ID reach
#     stt_sys_7480 but OVS delivers none, and says so in its log; nor
#     frames with in_key sent to A's address other than local_ip;
#  5. ovs-vswitchd killed (SIGKILL) and started again on the same database
#     while a ping runs through the port: bounded loss, the port is back
#     without an error, the new ovs-vswitchd.log has no ERR line;
#  6. a classic stt device on 7471 next to OVS's stt_sys_7471 in the same
#     netns: both carry traffic (the classic device takes its own remote
#     and key, the rest goes to OVS); a second external device on 7471 is
#     refused with a clear message, and so is an OVS port on a port that
#     an external device already holds;
#  7. rmmod: openvswitch and stt are refused while vport-stt is loaded,
#     vport-stt while its ports exist; after ovs-dpctl del-dp, vport-stt
#     then openvswitch unload cleanly and stt's own devices still work.
#
# Skips only without openvswitch.ko in the kernel under test, without the
# OVS programs, or when vport-stt.ko was not built for this kernel.

source "$(dirname "$0")/lib.sh"

KEY=0x5354540000000001
K_IN=0x00000000000a1111
K_OUT=0x00000000000b2222
K_BAD=0x00000000000c3333
K9=0x0000000000000999
LOCAL2=192.0.2.11

ktap_header
stt_require ovs-vsctl ovs-vswitchd ovsdb-server ovsdb-tool ovs-appctl ovs-dpctl \
	dumpcap tshark ping
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_require_vport
# What the kernel would autoload for ovs-vswitchd (request_module may not
# work here): the netfilter netlink socket for conntrack (without it the
# log has "netlink_socket|ERR|fcntl: Protocol not supported"), and the
# kernel's own geneve port, the restart's reference.
modprobe -qa nfnetlink nf_conntrack_netlink vport-geneve 2>/dev/null
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 39

OVS=$TMP/ovs
mkdir -p "$OVS"
export OVS_RUNDIR=$OVS OVS_LOGDIR=$OVS OVS_DBDIR=$OVS OVS_SYSCONFDIR=$OVS

# Cleanup, in this order: the daemons, the datapath (its ports hold
# vport-stt), then vport-stt.
stop_ovs()
{
	local f

	for f in "$OVS/ovs-vswitchd.pid" "$OVS/ovsdb-server.pid"; do
		[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	[ -n "${NS_A:-}" ] && ip netns exec "$NS_A" ovs-dpctl del-dp ovs-system 2>/dev/null
	return 0
}
unload_vport() { rmmod vport-stt 2>/dev/null; }
STT_CLEANUP_HOOKS+=(stop_ovs unload_vport)

stt_load_vport

# B: stt0 (classic, KEY, 7471) for OVS's port p0; sttx (external, 7480) for
# the port with every option, which sends to A's $LOCAL2 with K_IN through
# an lwtunnel route; stt9 (classic, K9, 7471) for A's classic stt9.
setup_ns NS_A NS_B || ktap_bail "cannot create the netns"
# shellcheck disable=SC2015 # any step failing bails
stt_try ip link add "$UL_A" netns "$NS_A" type veth peer name "$UL_B" netns "$NS_B" &&
	stt_try ip -n "$NS_A" -batch - <<-EOF &&
		addr add $UL_IP_A/24 dev $UL_A
		addr add $LOCAL2/24 dev $UL_A
		link set $UL_A up
	EOF
	stt_try ip -n "$NS_B" -batch - <<-EOF || ktap_bail "cannot build B"
		addr add $UL_IP_B/24 dev $UL_B
		link set $UL_B up
		link add stt0 type stt remote $UL_IP_A local $UL_IP_B key $KEY
		addr add 10.0.0.2/24 dev stt0
		link set stt0 up
		link add sttx type stt external dstport 7480
		addr add 10.0.2.2/24 dev sttx
		link set sttx up
		route add 10.0.2.1/32 encap ip id $K_IN dst $LOCAL2 dev sttx
		link add stt9 type stt remote $UL_IP_A local $UL_IP_B key $K9
		addr add 10.0.9.2/24 dev stt9
		link set stt9 up
	EOF

ovs_start() { stt_ovs_switchd "$NS_A" "$OVS" "$@"; }
vsctl() { nsx "$NS_A" ovs-vsctl --db="unix:$OVS/db.sock" --timeout=30 "$@"; }
if stt_ovs_db "$NS_A" "$OVS" && vsctl --no-wait init && ovs_start; then
	ktap_pass "ovsdb-server and ovs-vswitchd run in A"
else
	tail -5 "$OVS"/*.log 2>/dev/null | ktap_info
	ktap_bail "cannot start Open vSwitch in A"
fi

# port_ok IFACE: the Interface has an OpenFlow port and no error.
port_ok()
{
	local err ofport

	err=$(vsctl get interface "$1" error 2>/dev/null)
	ofport=$(vsctl get interface "$1" ofport 2>/dev/null)
	[ "$err" = '[]' ] && [ "$ofport" -gt 0 ] 2>/dev/null
}
port_state() { ktap_info "$1: error $(vsctl get interface "$1" error 2>&1), ofport $(vsctl get interface "$1" ofport 2>&1)"; }

# pcap_stt FILE: every IPv4 TCP packet of an Ethernet pcap as "src dst tos
# ttl df dport context_id", tos in hex, context_id as 0x + 16 hex digits
# on a frame's first segment (TCP SEQ's low 16 bits, the offset, 0), "-"
# on the others.
pcap_stt()
{
	stt_python - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
if len(d) < 24:
    sys.exit(0)
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off = 24
while off + 16 <= len(d):
    incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
    p = d[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(p) < 54 or p[12:14] != b"\x08\x00" or p[23] != 6:
        continue
    ip = p[14:]
    ihl = (ip[0] & 15) * 4
    tcp = ip[ihl:struct.unpack(">H", ip[2:4])[0]]
    dport, seq = struct.unpack(">HI", tcp[2:8])
    pl = tcp[(tcp[12] >> 4) * 4:]
    ctx = "-"
    if seq & 0xffff == 0 and len(pl) >= 18:
        ctx = "0x%016x" % struct.unpack(">Q", pl[8:16])[0]
    print("%d.%d.%d.%d" % tuple(ip[12:16]), "%d.%d.%d.%d" % tuple(ip[16:20]),
          "0x%02x" % ip[1], ip[8], (ip[6] >> 6) & 1, dport, ctx)
PY
}

# capture NAME NS_PING DST [ping args]: 3 pings from NS_PING to DST (which
# must all come back) while veth_a is captured; the decoded packets in
# $TMP/NAME.txt.  Returns the ping's status.
capture()
{
	local name=$1 ns=$2 dst=$3 rc=1

	shift 3
	if stt_cap_start "$NS_A" "$UL_A" "$TMP/$name.pcap" tcp 200 60; then
		stt_ping "$ns" "$dst" 3 56 "$@"
		rc=$?
		stt_cap_stop
	fi
	pcap_stt "$TMP/$name.pcap" >"$TMP/$name.txt" 2>&1
	ktap_info "$name: captured (src dst tos ttl df dport context_id):" \
		"$(sort "$TMP/$name.txt" | uniq -c)"
	return "$rc"
}

# every FILE SRC DST AWK-COND: at least 3 packets from SRC to DST in FILE,
# and AWK-COND (on $3 tos, $4 ttl, $5 df, $6 dport, $7 context_id; the
# context_id only on first segments) holds for each.
every()
{
	awk -v s="$2" -v d="$3" '
		$1 == s && $2 == d { n++; if (!('"$4"')) bad++ }
		END { exit !(n >= 3 && !bad) }' "$1"
}

###########################################################################
# 1. Defaults: remote_ip and key only.
###########################################################################

vsctl add-br br0 -- add-port br0 p0 -- set interface p0 type=stt \
	options:remote_ip="$UL_IP_B" options:key="$KEY" >/dev/null 2>&1
stt_wait_for 20 port_ok p0
port_state p0
stt_try ip -n "$NS_A" -batch - <<-EOF
	addr add 10.0.0.1/24 dev br0
	link set br0 up
EOF
ktap_result "p0 (remote_ip, key): ping through OVS to B's stt0 while veth_a is captured" \
	capture p0 "$NS_A" 10.0.0.2
ktap_check "p0 defaults on the wire: dport 7471, outer src $UL_IP_A, TOS 0, TTL 64, DF set, Context ID = key" \
	"$(every "$TMP/p0.txt" "$UL_IP_A" "$UL_IP_B" \
		"\$3 == \"0x00\" && \$4 == 64 && \$5 == 1 && \$6 == 7471 && \$7 == \"$KEY\"" && echo 0)"
# tshark's own STT dissector on the same capture (port 7471).
TS=$(stt_decode "$TMP/p0.pcap" -Y "stt && ip.src == $UL_IP_A" -T fields \
	-e stt.context_id | sort | uniq -c)
ktap_info "tshark: Context IDs A -> B: $TS"
ktap_check "tshark decodes p0's frames as STT with Context ID $KEY" \
	"$(awk -v k="$KEY" '{ n += $1; if ($2 != k) bad++ }
		END { exit !(n >= 3 && !bad) }' <<<"$TS" && echo 0)"

# tos unset (0): OVS hands the datapath tos = 0 | the inner ECN field, so
# an ECT(1) inner packet comes with tunnel tos 1, which must not be read as
# "inherit" (the kernel's vxlan and geneve take a metadata tos literally):
# only the ECN field goes outside, never the inner DSCP.
ktap_result "p0: ping with inner TOS 0xb9 (DSCP 46, ECT(1)) while veth_a is captured" \
	capture p0ecn "$NS_A" 10.0.0.2 -Q 0xb9
ktap_check "p0, tos unset, inner TOS 0xb9: outer TOS 0x01 (inner ECN only, not the inner DSCP)" \
	"$(every "$TMP/p0ecn.txt" "$UL_IP_A" "$UL_IP_B" '$3 == "0x01"' && echo 0)"

###########################################################################
# 2. Every option at once, each checked on its own.
###########################################################################

vsctl add-br br2 -- add-port br2 p2 -- set interface p2 type=stt \
	options:remote_ip="$UL_IP_B" options:local_ip="$LOCAL2" \
	options:dst_port=7480 options:in_key="$K_IN" options:out_key="$K_OUT" \
	options:tos=0x28 options:ttl=33 options:df_default=false >/dev/null 2>&1
stt_wait_for 20 port_ok p2
port_state p2
# No ARP: with in_key != out_key, B's ARP reply (sent back with the key
# it came with) would not reach br2.
MAC_BR2=$(nsx "$NS_A" cat /sys/class/net/br2/address)
MAC_X=$(nsx "$NS_B" cat /sys/class/net/sttx/address)
stt_try ip -n "$NS_A" -batch - <<-EOF
	addr add 10.0.2.1/24 dev br2
	link set br2 up
	neigh replace 10.0.2.2 lladdr $MAC_X dev br2 nud permanent
EOF
stt_try ip -n "$NS_B" neigh replace 10.0.2.1 lladdr "$MAC_BR2" dev sttx nud permanent
DP=$(nsx "$NS_A" ovs-appctl dpctl/show 2>&1)
ktap_info "$DP"
ktap_check "dpctl/show lists stt_sys_7471 and stt_sys_7480" \
	"$(grep -q 'port [0-9]*: stt_sys_7471' <<<"$DP" &&
		grep -q 'port [0-9]*: stt_sys_7480' <<<"$DP" && echo 0)"
ktap_result "p2 (every option): 3 of 3 pings br2 -> B's sttx, replies accepted with in_key" \
	capture p2 "$NS_A" 10.0.2.2
F=$TMP/p2.txt
ktap_check "dst_port=7480: A's frames go to TCP port 7480" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$6 == 7480' && echo 0)"
ktap_check "local_ip=$LOCAL2: outer source $LOCAL2, none from $UL_IP_A to 7480" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" 1 &&
		! awk -v s="$UL_IP_A" '$1 == s && $6 == 7480 { f = 1 } END { exit !f }' "$F" &&
		echo 0)"
ktap_check "tos=0x28: outer TOS 0x28 (DSCP 10)" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$3 == "0x28"' && echo 0)"
ktap_check "ttl=33: outer TTL 33" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$4 == 33' && echo 0)"
ktap_check "df_default=false: outer DF clear" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$5 == 0' && echo 0)"
ktap_check "out_key=$K_OUT: Context ID on the wire = out_key" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" "\$7 == \"$K_OUT\"" && echo 0)"
ktap_check "in_key=$K_IN: B's replies to $LOCAL2:7480 carry in_key" \
	"$(every "$F" "$UL_IP_B" "$LOCAL2" "\$6 == 7480 && \$7 == \"$K_IN\"" && echo 0)"

###########################################################################
# 3. tos=inherit, df_default=true, ttl back to its default.
###########################################################################

vsctl set interface p2 options:tos=inherit options:df_default=true -- \
	remove interface p2 options ttl >/dev/null 2>&1
stt_wait_for 20 port_ok p2
port_state p2
ktap_result "p2 with tos=inherit df_default=true: 3 of 3 pings with inner TOS 0xb8" \
	capture p2b "$NS_A" 10.0.2.2 -Q 0xb8
F=$TMP/p2b.txt
ktap_check "tos=inherit: the inner DSCP (0xb8, EF) in the outer header" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$3 == "0xb8"' && echo 0)"
ktap_check "df_default=true: outer DF set; ttl removed: TTL 64 (OVS's default)" \
	"$(every "$F" "$LOCAL2" "$UL_IP_B" '$5 == 1 && $4 == 64' && echo 0)"

###########################################################################
# 4. in_key on receive: another Context ID is not delivered.
###########################################################################

rx_pkts() { nsx "$NS_A" cat /sys/class/net/stt_sys_7480/statistics/rx_packets; }
# ping_none NS DST: 5 pings, none answered (not stt_ping: it waits 15 s
# for the first reply, which must not come).
ping_none()
{
	local out

	out=$(nsx "$1" ping -q -c 5 -i 0.2 -W 1 "$2" 2>&1)
	ktap_info "$(grep 'packets transmitted' <<<"$out")"
	grep -q '^5 packets transmitted, 0 received' <<<"$out"
}
stt_try ip -n "$NS_B" route change 10.0.2.1/32 encap ip id "$K_BAD" dst "$LOCAL2" dev sttx
RX0=$(rx_pkts)
if stt_cap_start "$NS_A" "$UL_A" "$TMP/bad.pcap" tcp 200 60; then
	ping_none "$NS_B" 10.0.2.1
	RC=$?
	stt_cap_stop
fi
pcap_stt "$TMP/bad.pcap" >"$TMP/bad.txt" 2>&1
ktap_info "bad: captured (src dst tos ttl df dport context_id):" \
	"$(sort "$TMP/bad.txt" | uniq -c)"
RX1=$(rx_pkts)
ktap_info "stt_sys_7480 rx_packets: +$((RX1 - RX0))"
ktap_check "a Context ID other than in_key ($K_BAD): on the wire and received by stt_sys_7480, but not delivered (0 of 5 pings)" \
	"$([ "${RC:-1}" = 0 ] && every "$TMP/bad.txt" "$UL_IP_B" "$LOCAL2" "\$7 == \"$K_BAD\"" &&
		[ $((RX1 - RX0)) -ge 3 ] &&
		! awk -v d="$UL_IP_B" '$2 == d && $6 == 7480 { f = 1 } END { exit !f }' "$TMP/bad.txt" &&
		echo 0)"
LOGBAD=$(grep 'receive tunnel port not found' "$OVS/ovs-vswitchd.log" | tail -1)
ktap_info "ovs-vswitchd.log: ${LOGBAD:-nothing}"
ktap_check "ovs-vswitchd.log: receive tunnel port not found, tun_id=$K_BAD" \
	"$(grep -q "tun_id=$(printf '0x%x' "$K_BAD")" <<<"$LOGBAD" && echo 0)"
# local_ip on receive: the right key to A's other address is not p2's.
stt_try ip -n "$NS_B" route change 10.0.2.1/32 encap ip id "$K_IN" dst "$UL_IP_A" dev sttx
RX0=$(rx_pkts)
ping_none "$NS_B" 10.0.2.1
RC=$?
RX1=$(rx_pkts)
ktap_info "stt_sys_7480 rx_packets: +$((RX1 - RX0))"
ktap_check "local_ip=$LOCAL2 on receive: in_key sent to $UL_IP_A reaches stt_sys_7480 but is not delivered (0 of 5 pings)" \
	"$([ "$RC" = 0 ] && [ $((RX1 - RX0)) -ge 5 ] && echo 0)"
stt_try ip -n "$NS_B" route change 10.0.2.1/32 encap ip id "$K_IN" dst "$LOCAL2" dev sttx
ktap_result "back to in_key and local_ip: B -> br2 3 of 3" stt_ping "$NS_B" 10.0.2.1 3

###########################################################################
# 5. ovs-vswitchd killed and restarted while traffic runs.
###########################################################################

# The kernel's own geneve port on br0, for comparison: what OVS does to
# its datapath port on a restart, it does to genev_sys_6081 too.
vsctl add-port br0 g0 -- set interface g0 type=geneve \
	options:remote_ip=192.0.2.98 >/dev/null 2>&1
stt_wait_for 20 port_ok g0
port_state g0
ifx() { nsx "$NS_A" cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
IFX0=$(ifx stt_sys_7471)
GFX0=$(ifx genev_sys_6081)
# 15 s of pings, STT_SLOW times that on a slow kernel, where the restart
# itself takes longer: on the debug kernel A's neighbour entry for B
# failed during it and ping counted errors.  No -w: ping would end at the
# first error.
PINGS=$((75 * STT_SLOW))
nsx "$NS_A" timeout $((PINGS / 5 + 60)) ping -q -i 0.2 -c "$PINGS" 10.0.0.2 \
	>"$TMP/restart-ping" 2>&1 &
PING=$!
stt_track_pid "$PING"
stt_sleep 3
kill -9 "$(cat "$OVS/ovs-vswitchd.pid")"
stt_sleep 2
ovs_start ovs-vswitchd2
RESTART=$?
stt_wait_for 30 port_ok p0
wait "$PING"
SUM=$(grep 'packets transmitted' "$TMP/restart-ping")
ktap_info "ping across the restart: $SUM"
ktap_check "ovs-vswitchd restarted (SIGKILL, same db): ping across it loses at most 20%" \
	"$([ "$RESTART" = 0 ] && awk -v n="$PINGS" '/packets transmitted/ {
		exit !($1 == n && $4 >= 0.8 * $1) }' "$TMP/restart-ping" && echo 0)"
IFX1=$(ifx stt_sys_7471)
GFX1=$(ifx genev_sys_6081)
same() { if [ "$1" = "$2" ]; then echo kept; else echo recreated; fi; }
ktap_info "ifindex before/after: stt_sys_7471 $IFX0/${IFX1:-gone} ($(same "$IFX0" "$IFX1")), genev_sys_6081 ${GFX0:-none}/${GFX1:-gone} ($(same "$GFX0" "$GFX1"))"
port_state p0
port_state p2
ERRS=$(grep -E '\|(ERR|EMER)\|' "$OVS/ovs-vswitchd.log" "$OVS/ovs-vswitchd2.log")
[ -n "$ERRS" ] && ktap_info "$ERRS"
ktap_check "after the restart: p0 and p2 up with no error, stt_sys_7471 there ($(same "$IFX0" "$IFX1"), as OVS treats genev_sys_6081), no ERR in either ovs-vswitchd.log" \
	"$(port_ok p0 && port_ok p2 && [ -n "$IFX1" ] &&
		{ [ -z "$GFX0" ] || [ "$(same "$IFX0" "$IFX1")" = "$(same "$GFX0" "$GFX1")" ]; } &&
		[ -z "$ERRS" ] && echo 0)"
ktap_result "after the restart: p2 still works (3 of 3)" stt_ping "$NS_A" 10.0.2.2 3
# The reference goes, so that only vport-stt holds openvswitch below.
vsctl del-port br0 g0 >/dev/null 2>&1
stt_wait_for 10 eval '! ip -n "$NS_A" link show genev_sys_6081 >/dev/null 2>&1'
[ -d /sys/module/vport_geneve ] && rmmod vport-geneve

###########################################################################
# 6. A classic stt device on OVS's port number, in the same netns.
###########################################################################

ktap_result "classic stt9 (key $K9, dstport 7471) created next to stt_sys_7471" \
	stt_try ip -n "$NS_A" -batch - <<-EOF
		link add stt9 type stt remote $UL_IP_B local $UL_IP_A key $K9 dstport 7471
		addr add 10.0.9.1/24 dev stt9
		link set stt9 up
	EOF
ktap_result "shared 7471: ping over classic stt9 3 of 3" stt_ping "$NS_A" 10.0.9.2 3
ktap_result "shared 7471: ping over OVS's p0 3 of 3" stt_ping "$NS_A" 10.0.0.2 3
OUT=$(ip -n "$NS_A" link add ext1 type stt external dstport 7471 2>&1)
RC=$?
ktap_info "ip link add ext1 type stt external dstport 7471: exit $RC: $OUT"
ktap_check "a second external device on 7471 is refused: \"An external STT device already uses this dstport\"" \
	"$([ "$RC" != 0 ] && grep -q 'An external STT device already uses this dstport' <<<"$OUT" && echo 0)"
stt_try ip -n "$NS_A" link add ext2 type stt external dstport 7490
vsctl add-port br2 p90 -- set interface p90 type=stt \
	options:remote_ip=192.0.2.99 options:dst_port=7490 >/dev/null 2>&1
stt_wait_for 10 eval '[ "$(vsctl get interface p90 error 2>/dev/null)" != "[]" ]'
ERR=$(vsctl get interface p90 error 2>/dev/null)
ktap_info "p90 (dst_port 7490, held by ext2): error $ERR"
ktap_check "an OVS port on a dstport an external device holds: Interface error \"... (Device or resource busy)\", ext2 untouched" \
	"$(grep -q 'Device or resource busy' <<<"$ERR" &&
		ip -n "$NS_A" -d link show ext2 | grep -q 'stt external.*dstport 7490' && echo 0)"
vsctl del-port br2 p90 >/dev/null 2>&1
ip -n "$NS_A" link del ext2

###########################################################################
# 7. rmmod in every order.
###########################################################################

rmmod_refused()
{
	if rmmod "$1" 2>/dev/null; then
		ktap_info "rmmod $1 succeeded"
		return 1
	fi
}
ktap_result "rmmod openvswitch with vport-stt loaded: refused" rmmod_refused openvswitch
ktap_result "rmmod stt with vport-stt loaded: refused" rmmod_refused stt
ktap_result "rmmod vport-stt with its ports in the datapath: refused" rmmod_refused vport-stt
stop_ovs
ktap_check "ovs-dpctl del-dp: stt_sys_7471 and stt_sys_7480 are gone" \
	"$(! ip -n "$NS_A" link show stt_sys_7471 >/dev/null 2>&1 &&
		! ip -n "$NS_A" link show stt_sys_7480 >/dev/null 2>&1 && echo 0)"
ktap_result "then rmmod openvswitch with vport-stt still loaded: refused" \
	rmmod_refused openvswitch
ktap_result "then rmmod vport-stt, then rmmod openvswitch: both clean" \
	eval 'rmmod vport-stt && rmmod openvswitch'
ktap_result "stt.ko's own device still works: ping over stt9 3 of 3" \
	stt_ping "$NS_A" 10.0.9.2 3

check_dmesg
ktap_finished
