#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Open vSwitch's own "stt" port type (ovs-vsctl ... type=stt), as Debian's
# openvswitch-switch 3.1 asks the kernel for it: OVS_VPORT_CMD_NEW, type 106,
# which vport-stt.ko (built next to stt.ko) answers with an external stt
# device named stt_sys_<port>.
#
# A runs ovsdb-server and ovs-vswitchd (its own run directory, in its netns)
# with a bridge br0, whose internal port holds 10.0.0.1; B has classic stt
# devices.  In-VM request_module does not work here, so the test loads
# vport-stt.ko itself, as modprobe would on "vport-type-106".
#
#  1. type=stt with remote_ip and key: the port comes up with no error, the
#     datapath shows stt_sys_7471, which is an external stt device on 7471;
#  2. 5 of 5 pings and an iperf3 run between br0 and B's stt0;
#  3. a second port, remote_ip=flow key=flow dst_port=7472, steered by
#     OpenFlow set_field:...->tun_dst and ->tun_id and matched on tun_id on
#     receive: 5 of 5 pings between br1 (10.0.1.1) and B's stt1
#     (dstport 7472, its own key);
#  4. make bench-ovs's kinds (tools/bench/bench-guest.sh, one short wire
#     round): OVS over stt, geneve, vxlan and gre, two bridges in two more
#     netns, each carries an iperf3 stream, ovs-stt's through stt_sys_7471;
#  5. rmmod vport-stt while its ports exist is refused, so is rmmod stt
#     while vport-stt is loaded; deleting a port removes its device, and
#     once both are gone rmmod vport-stt succeeds;
#  6. dmesg clean.
#
# Skips only without openvswitch.ko in the kernel under test, when that
# openvswitch.ko has no vport plug-in interface (Linux 7.x; docs/ovs.md),
# without the OVS programs, or when vport-stt.ko was not built for this
# kernel (the build says why: tools/ovs-layout.sh).

source "$(dirname "$0")/lib.sh"

KEY=0x5354540000000001
KEY1=0x5354540000000099

ktap_header
stt_require ovs-vsctl ovs-vswitchd ovsdb-server ovsdb-tool ovs-appctl ovs-ofctl \
	iperf3 ping
stt_require_vport
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 19

# The module, as modprobe vport-type-106 would load it.
unload_vport() { rmmod vport-stt 2>/dev/null; }
STT_CLEANUP_HOOKS+=(unload_vport)
stt_load_vport

setup_ns NS_A NS_B || ktap_bail "cannot create the netns"
# shellcheck disable=SC2015 # any step failing bails
stt_try ip link add "$UL_A" netns "$NS_A" type veth peer name "$UL_B" netns "$NS_B" &&
	stt_try ip -n "$NS_A" -batch - <<-EOF &&
		addr add $UL_IP_A/24 dev $UL_A
		link set $UL_A up
	EOF
	stt_try ip -n "$NS_B" -batch - <<-EOF || ktap_bail "cannot build B"
		addr add $UL_IP_B/24 dev $UL_B
		link set $UL_B up
		link add stt0 type stt remote $UL_IP_A local $UL_IP_B key $KEY
		addr add 10.0.0.2/24 dev stt0
		link set stt0 up
		link add stt1 type stt remote $UL_IP_A local $UL_IP_B key $KEY1 dstport 7472
		addr add 10.0.1.2/24 dev stt1
		link set stt1 up
	EOF

# ovsdb-server and ovs-vswitchd of A, in A, with their own files.
OVS=$TMP/ovs
mkdir -p "$OVS"
export OVS_RUNDIR=$OVS OVS_LOGDIR=$OVS OVS_DBDIR=$OVS OVS_SYSCONFDIR=$OVS
vsctl() { nsx "$NS_A" ovs-vsctl --db="unix:$OVS/db.sock" --timeout=30 "$@"; }
ofctl() { nsx "$NS_A" ovs-ofctl "$@"; }
if stt_ovs_db "$NS_A" "$OVS" && vsctl --no-wait init &&
	stt_ovs_switchd "$NS_A" "$OVS"; then
	ktap_pass "ovsdb-server and ovs-vswitchd run in A"
else
	tail -5 "$OVS"/*.log 2>/dev/null | ktap_info
	ktap_bail "cannot start Open vSwitch in A"
fi

###########################################################################
# 1. type=stt, fixed remote and key.
###########################################################################

# port_ok IFACE: the Interface has an OpenFlow port and no error.
port_ok()
{
	local err ofport

	err=$(vsctl get interface "$1" error 2>/dev/null)
	ofport=$(vsctl get interface "$1" ofport 2>/dev/null)
	ktap_info "$1: error $err, ofport $ofport"
	[ "$err" = '[]' ] && [ "$ofport" -gt 0 ] 2>/dev/null
}

vsctl add-br br0 -- add-port br0 stt0 -- set interface stt0 type=stt \
	options:remote_ip="$UL_IP_B" options:key="$KEY" >/dev/null 2>&1
stt_wait_for 20 port_ok stt0 >/dev/null
ktap_result "type=stt remote_ip=$UL_IP_B key=$KEY: the port is up with no error" port_ok stt0

DP=$(nsx "$NS_A" ovs-appctl dpctl/show 2>&1)
ktap_info "$DP"
ktap_check "dpctl/show lists stt_sys_7471" \
	"$(grep -q 'port [0-9]*: stt_sys_7471' <<<"$DP" && echo 0)"
INFO=$(ip -n "$NS_A" -d link show stt_sys_7471 2>&1)
ktap_info "$INFO"
ktap_check "stt_sys_7471 is an external stt device on port 7471, up" \
	"$(grep -q 'stt external.*dstport 7471' <<<"$INFO" &&
		grep -q '[<,]UP[,>]' <<<"$INFO" && echo 0)"

###########################################################################
# 2. Traffic between br0 and B's stt0.
###########################################################################

stt_try ip -n "$NS_A" -batch - <<-EOF
	addr add 10.0.0.1/24 dev br0
	link set br0 up
EOF
ktap_result "ping br0 (OVS) -> B's stt0: 5 of 5" stt_ping "$NS_A" 10.0.0.2 5
MBPS=$(stt_iperf "$NS_B" 10.0.0.2 "$NS_A" 3)
ktap_info "iperf3 br0 -> stt0: ${MBPS:-0} Mbit/s"
ktap_check "iperf3 br0 (OVS) -> B's stt0 moves data" \
	"$(awk -v m="${MBPS:-0}" 'BEGIN { exit !(m > 0) }' && echo 0)"

###########################################################################
# 3. remote_ip=flow key=flow on dst_port 7472, steered by OpenFlow.
###########################################################################

vsctl add-br br1 -- add-port br1 flow0 -- set interface flow0 type=stt \
	options:remote_ip=flow options:key=flow options:dst_port=7472 >/dev/null 2>&1
stt_wait_for 20 port_ok flow0 >/dev/null
ok=1
if port_ok flow0; then
	ofctl del-flows br1 &&
		ofctl add-flow br1 "in_port=LOCAL,actions=set_field:$UL_IP_B->tun_dst,set_field:$KEY1->tun_id,output:flow0" &&
		ofctl add-flow br1 "in_port=flow0,tun_id=$KEY1,actions=LOCAL" &&
		stt_try ip -n "$NS_A" -batch - <<-EOF && ok=0
			addr add 10.0.1.1/24 dev br1
			link set br1 up
		EOF
fi
ktap_check "remote_ip=flow key=flow dst_port=7472: port up, flows set_field tun_dst/tun_id, match tun_id" "$ok"
ktap_result "ping br1 -> B's stt1 (key $KEY1, port 7472) through the flows: 5 of 5" \
	stt_ping "$NS_A" 10.0.1.2 5
FLOWS=$(ofctl dump-flows br1 2>&1)
ktap_info "$FLOWS"
ktap_check "the tun_id flow matched the replies (n_packets > 0)" \
	"$(grep "tun_id=$KEY1" <<<"$FLOWS" | grep -q 'n_packets=[1-9]' && echo 0)"

###########################################################################
# 4. make bench-ovs's kinds, one short round.
###########################################################################

if stt_bench_guest wire ovs-stt ovs-geneve ovs-vxlan ovs-gre; then
	ktap_result "bench-ovs kind ovs-stt: iperf3 between two OVS bridges over type=stt, through B's stt_sys_7471 (rx_frames > 0)" \
		stt_bench_moved ovs-stt
	for k in ovs-geneve ovs-vxlan ovs-gre; do
		ktap_result "bench-ovs kind $k: iperf3 between two OVS bridges over type=${k#ovs-}" \
			stt_bench_moved "$k"
	done
else
	for k in ovs-stt ovs-geneve ovs-vxlan ovs-gre; do
		ktap_skip "bench-ovs kind $k: tools/bench/ is not next to the selftests"
	done
fi

###########################################################################
# 5. Module references and port deletion.
###########################################################################

if rmmod vport-stt 2>/dev/null; then
	ktap_fail "rmmod vport-stt with two ports in use is refused"
	insmod "$VPORT_KO"
else
	ktap_pass "rmmod vport-stt with two ports in use is refused"
fi
if rmmod stt 2>/dev/null; then
	ktap_fail "rmmod stt while vport-stt is loaded is refused"
	stt_load_module
else
	ktap_pass "rmmod stt while vport-stt is loaded is refused"
fi
vsctl del-port br0 stt0 -- del-port br1 flow0 >/dev/null 2>&1
stt_wait_for 20 eval '! ip -n "$NS_A" link show stt_sys_7471 >/dev/null 2>&1 &&
	! ip -n "$NS_A" link show stt_sys_7472 >/dev/null 2>&1'
ktap_check "deleting the ports removes stt_sys_7471 and stt_sys_7472" \
	"$(! ip -n "$NS_A" link show stt_sys_7471 >/dev/null 2>&1 &&
		! ip -n "$NS_A" link show stt_sys_7472 >/dev/null 2>&1 && echo 0)"
ktap_result "then rmmod vport-stt succeeds" rmmod vport-stt

check_dmesg
ktap_finished
