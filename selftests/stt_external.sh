#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# External (collect_md) mode: one device for every remote and context ID,
# with the endpoints and the key of each frame taken from its metadata.
#
#        B  ul 192.0.2.2      stt0 remote 192.0.2.1    key 42           10.0.0.2
#   A == C  ul 198.51.100.3   stt0 remote 198.51.100.1 key 0x1_0000002A 10.0.0.3
#        D  ul 2001:db8:d::4  stt0 remote 2001:db8:d::1 key 43          10.0.0.4
#
# A has one "external" stt0 (10.0.0.1) and a veth to each of B, C and D.
# The inner neighbours are static (an external device has nowhere to send
# an ARP request that no metadata addresses).  Checked:
#   - netlink: "external" reads back (text, JSON, ethtool bus-info); a
#     second external device on a port, endpoints or a key next to
#     "external", a classic device turned external and an external
#     device's new dstport are refused with extack messages;
#   - TX from lwtunnel routes ("encap ip id 42 dst ..."): A reaches B, C
#     (the full 64-bit ID) and D (IPv6 underlay, "encap ip6");
#   - RX metadata: tc flower enc_key_id / enc_src_ip on A's ingress count
#     exactly the frames each peer sent; C's 0x1_0000002A matches
#     enc_key_id 42, the 32 bits flower carries;
#   - isolation: frames A sends to B with context 43 never reach B's
#     context-42 device (B counts them in rx_no_device);
#   - TX from tc "tunnel_key set" and from bpf_skb_set_tunnel_key();
#   - a frame with no metadata is dropped and counted (tx_dropped);
#   - a classic device on the same port takes its exact (local, remote,
#     key) from the external device, which gets them back when it goes;
#   - ip rule tun_id sees the received Context ID, all 64 bits of it;
#   - Open vSwitch (tools/stt-ovs.py as the datapath's client, stt0 a
#     port): set(tunnel) + output sends, the userspace action's egress
#     key (ndo_fill_metadata_dst) names the source address and the source
#     port the frames really leave with, IPv4 and IPv6; a received frame
#     comes up as a miss with its tunnel key.

source "$(dirname "$0")/lib.sh"

A_MAC=02:53:54:00:00:01
MAC=([2]=02:53:54:00:00:02 [3]=02:53:54:00:00:03 [4]=02:53:54:00:00:04)
UL=([2]=192.0.2.2 [3]=198.51.100.3 [4]=2001:db8:d::4)
UL_A=([2]=192.0.2.1 [3]=198.51.100.1 [4]=2001:db8:d::1)
KEY=([2]=42 [3]=0x10000002a [4]=43)
COUNT=5

ktap_header
stt_require ethtool ping timeout jq tc
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
for m in cls_flower act_tunnel_key act_gact sch_ingress cls_bpf; do
	modprobe -q "$m" 2>/dev/null
done
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 15

# peer N NS: host N's underlay, its classic stt0 and A's neighbour entry.
peer()
{
	local n=$1 ns=$2 ul=${UL[$1]} ula=${UL_A[$1]} pfx=24 nodad=""

	[[ $ul == *:* ]] && pfx=64 nodad=nodad
	stt_try ip link add "ul$n" netns "$NS_A" type veth peer name ul netns "$ns" ||
		return 1
	if [ "$pfx" = 64 ]; then
		nsx "$NS_A" sysctl -qw "net.ipv6.conf.ul$n.disable_ipv6=0" >/dev/null &&
			nsx "$ns" sysctl -qw net.ipv6.conf.ul.disable_ipv6=0 >/dev/null ||
			return 1
	fi
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		addr add $ula/$pfx dev ul$n $nodad
		link set ul$n up
		neigh add 10.0.0.$n lladdr ${MAC[$n]} dev stt0 nud permanent
	EOF
	stt_try ip -n "$ns" -batch - <<-EOF
		addr add $ul/$pfx dev ul $nodad
		link set ul up
		link add stt0 address ${MAC[$n]} type stt remote $ula local $ul key ${KEY[$n]}
		addr add 10.0.0.$n/24 dev stt0
		link set stt0 up
		neigh add 10.0.0.1 lladdr $A_MAC dev stt0 nud permanent
	EOF
}

topo()
{
	setup_ns NS_A NS_B NS_C NS_D || return 1
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		link add stt0 address $A_MAC type stt external
		addr add 10.0.0.1/24 dev stt0
		link set stt0 up
	EOF
	peer 2 "$NS_B" && peer 3 "$NS_C" && peer 4 "$NS_D" || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 192.0.2.2 >/dev/null &&
		stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 2001:db8:d::4 >/dev/null
}

if topo; then
	ktap_pass "topology: external stt0 on A, classic devices on B, C, D"
else
	ktap_fail "topology: external stt0 on A, classic devices on B, C, D"
	ktap_bail "cannot build the topology"
fi

# ---- configuration ------------------------------------------------------

readback()
{
	local text json bus

	text=$(ip -n "$NS_A" -d link show stt0)
	json=$(ip -n "$NS_A" -j -d link show stt0 |
		jq -c '.[0].linkinfo.info_data | {external, dstport, remote}')
	bus=$(nsx "$NS_A" ethtool -i stt0 | sed -n 's/^bus-info: //p')
	ktap_info "json $json, bus-info $bus"
	grep -q 'stt external dstport 7471 ' <<<"$text" &&
		[ "$json" = '{"external":true,"dstport":7471,"remote":null}' ] &&
		[ "$bus" = stt:external:7471 ]
}
ktap_result "external reads back: ip -d (text, JSON) and ethtool -i" readback

# refused WANT CMD...: CMD fails with WANT in its error message.
refused()
{
	local want=$1 out

	shift
	if out=$("$@" 2>&1); then
		ktap_info "accepted: $*"
		return 1
	fi
	grep -qF -- "$want" <<<"$out" && return 0
	ktap_info "$*: $out"
	return 1
}

refusals()
{
	refused "An external STT device already uses this dstport" \
		ip -n "$NS_A" link add stt9 type stt external &&
	refused "takes remote, local and key from each packet's metadata" \
		ip -n "$NS_A" link add stt9 type stt external remote 192.0.2.2 dstport 7472 &&
	refused "takes remote, local and key from each packet's metadata" \
		ip -n "$NS_A" link add stt9 type stt external key 5 dstport 7472 &&
	refused "cannot become external" \
		ip -n "$NS_B" link set stt0 type stt external &&
	refused "dstport of an external STT device cannot change" \
		ip -n "$NS_A" link set stt0 type stt dstport 7472 &&
	refused "takes remote, local and key" \
		ip -n "$NS_A" link set stt0 type stt key 7 &&
	# Another port is another story; the port is free again once deleted.
	stt_try ip -n "$NS_A" link add stt9 type stt external dstport 7472 &&
	stt_try ip -n "$NS_A" link del stt9 &&
	stt_try ip -n "$NS_A" link add stt9 type stt external dstport 7472 &&
	stt_try ip -n "$NS_A" link set stt9 type stt ttl 9 &&
	stt_try ip -n "$NS_A" link del stt9
}
ktap_result "refused with extack: a second external per port, endpoints or key with external, classic to external, a new dstport" \
	refusals

# ---- lwtunnel TX, flower RX ----------------------------------------------

stt_try ip -n "$NS_A" -batch - <<-EOF
	route add 10.0.0.2/32 encap ip id 42 dst 192.0.2.2 dev stt0
	route add 10.0.0.3/32 encap ip id 0x10000002a dst 198.51.100.3 dev stt0
	route add 10.0.0.4/32 encap ip6 id 43 dst 2001:db8:d::4 dev stt0
EOF
stt_try tc -n "$NS_A" -batch - <<-EOF
	qdisc add dev stt0 clsact
	filter add dev stt0 ingress prio 1 protocol ip flower enc_key_id 43 action pass
	filter add dev stt0 ingress prio 2 protocol ip flower enc_key_id 42 enc_src_ip 192.0.2.2 action pass
	filter add dev stt0 ingress prio 3 protocol ip flower enc_key_id 42 enc_src_ip 198.51.100.3 action pass
EOF

# hits PRIO: packets tc counted on A's ingress filter PRIO.
hits()
{
	tc -n "$NS_A" -s -j filter show dev stt0 ingress prio "$1" |
		jq '[.[] | .options.actions[]?.stats.packets // empty] | add // 0'
}

# tx NS: the stt0 tx_packets of a peer.
tx() { nsx "$1" cat /sys/class/net/stt0/statistics/tx_packets; }
# rx NS [DEV]: DEV's (default stt0) rx_packets in NS.
rx() { nsx "$1" cat "/sys/class/net/${2:-stt0}/statistics/rx_packets"; }

lwt_ping()
{
	stt_ping "$NS_A" 10.0.0.2 "$COUNT" && stt_ping "$NS_A" 10.0.0.3 "$COUNT" &&
		stt_ping "$NS_A" 10.0.0.4 "$COUNT"
}
t2=$(tx "$NS_B") t3=$(tx "$NS_C") t4=$(tx "$NS_D")
ktap_result "lwtunnel: A reaches B (id 42), C (id 0x1_0000002A) and D (IPv6 underlay)" lwt_ping

flower()
{
	local h1 h2 h3 d2 d3 d4

	h1=$(hits 1) h2=$(hits 2) h3=$(hits 3)
	d2=$(($(tx "$NS_B") - t2)) d3=$(($(tx "$NS_C") - t3)) d4=$(($(tx "$NS_D") - t4))
	ktap_info "flower hits: key 43 $h1, key 42 from B $h2, key 42 from C $h3;" \
		"frames sent: B $d2, C $d3, D $d4"
	[ "$d2" -ge "$COUNT" ] && [ "$h1" = "$d4" ] && [ "$h2" = "$d2" ] &&
		[ "$h3" = "$d3" ]
}
ktap_result "RX metadata: flower enc_key_id/enc_src_ip count each peer's frames; 0x1_0000002A matches enc_key_id 42" \
	flower

# ---- isolation -----------------------------------------------------------

isolation()
{
	local nd0 nd1 rx0 rx1

	nd0=$(stt_proc_val "$NS_B" rx_no_device)
	rx0=$(rx "$NS_B")
	stt_try ip -n "$NS_A" route change 10.0.0.2/32 encap ip id 43 dst 192.0.2.2 dev stt0 ||
		return 1
	nsx "$NS_A" ping -q -c "$COUNT" -i 0.2 -W 1 10.0.0.2 >/dev/null 2>&1 &&
		{ ktap_info "pings with context 43 reached B"; return 1; }
	nd1=$(stt_proc_val "$NS_B" rx_no_device)
	rx1=$(rx "$NS_B")
	ktap_info "B: rx_no_device $nd0 -> $nd1, stt0 rx_packets $rx0 -> $rx1"
	stt_try ip -n "$NS_A" route change 10.0.0.2/32 encap ip id 42 dst 192.0.2.2 dev stt0 ||
		return 1
	[ "$rx1" = "$rx0" ] && [ $((nd1 - nd0)) -ge "$COUNT" ] &&
		stt_ping "$NS_A" 10.0.0.2 3
}
ktap_result "isolation: context 43 never reaches B's context-42 device (rx_no_device)" isolation

# ---- tc tunnel_key and eBPF TX -------------------------------------------

tunnel_key()
{
	local h

	stt_try ip -n "$NS_A" route del 10.0.0.2/32 || return 1
	stt_try tc -n "$NS_A" -batch - <<-EOF || return 1
		filter add dev stt0 egress prio 1 protocol ip flower dst_ip 10.0.0.2 action tunnel_key set src_ip 192.0.2.1 dst_ip 192.0.2.2 id 42 dst_port 7471
	EOF
	stt_ping "$NS_A" 10.0.0.2 "$COUNT" || return 1
	h=$(tc -n "$NS_A" -s -j filter show dev stt0 egress prio 1 |
		jq '[.[] | .options.actions[]?.stats.packets // empty] | add // 0')
	ktap_info "tunnel_key filter: $h packets"
	[ "$h" -ge "$COUNT" ]
}
ktap_result "tc tunnel_key set id 42 dst_ip 192.0.2.2: A reaches B" tunnel_key

ebpf()
{
	local obj=$TMP/tunkey.o out

	if ! out=$(clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu \
		-DSTT_REMOTE=0xc0000202 -DSTT_ID=42 \
		-c "$STT_SELFTESTS/stt_tunkey.bpf.c" -o "$obj" 2>&1); then
		ktap_info "clang: $out"
		return 1
	fi
	stt_try tc -n "$NS_A" -batch - <<-EOF || return 1
		filter del dev stt0 egress prio 1
		filter add dev stt0 egress prio 1 bpf da obj $obj sec tc
	EOF
	stt_ping "$NS_A" 10.0.0.2 "$COUNT"
}
if stt_have clang; then
	ktap_result "eBPF bpf_skb_set_tunnel_key (tc egress): A reaches B" ebpf
else
	ktap_skip "eBPF bpf_skb_set_tunnel_key (tc egress): A reaches B" "clang missing"
fi
stt_try tc -n "$NS_A" filter del dev stt0 egress prio 1

no_metadata()
{
	local d0 d1

	d0=$(nsx "$NS_A" cat /sys/class/net/stt0/statistics/tx_dropped)
	nsx "$NS_A" ping -q -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null 2>&1 &&
		{ ktap_info "pings without metadata passed"; return 1; }
	d1=$(nsx "$NS_A" cat /sys/class/net/stt0/statistics/tx_dropped)
	ktap_info "tx_dropped $d0 -> $d1"
	[ $((d1 - d0)) -ge 3 ]
}
ktap_result "no metadata: frames dropped and counted in tx_dropped" no_metadata

# ---- a classic device beside the external one ------------------------------

coexist()
{
	local h0 h1 rx0 rx1

	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		route add 10.0.0.2/32 encap ip id 42 dst 192.0.2.2 dev stt0
		link add stt1 type stt remote 192.0.2.2 local 192.0.2.1 key 42
		link set stt1 up
	EOF
	h0=$(hits 2)
	rx0=$(rx "$NS_A" stt1)
	# Replies from B to A's external device's frames: B's frames match stt1.
	nsx "$NS_A" ping -q -c "$COUNT" -i 0.2 -W 1 10.0.0.2 >/dev/null 2>&1
	h1=$(hits 2)
	rx1=$(rx "$NS_A" stt1)
	ktap_info "with stt1: stt1 rx_packets $rx0 -> $rx1, external's B filter $h0 -> $h1"
	[ $((rx1 - rx0)) -ge "$COUNT" ] && [ "$h1" = "$h0" ] || return 1
	stt_try ip -n "$NS_A" link del stt1 || return 1
	stt_ping "$NS_A" 10.0.0.2 "$COUNT" || return 1
	h1=$(hits 2)
	ktap_info "stt1 deleted: external's B filter $h0 -> $h1"
	[ $((h1 - h0)) -ge "$COUNT" ]
}
ktap_result "a classic device's exact match wins over the external device on the same port" coexist

# ---- ip rule tun_id --------------------------------------------------------

# B and C route 10.9.9.9 through A; A forwards by "ip rule tun_id 42"
# (table 100: prohibit) or else the main table (unreachable).  The rule
# compares all 64 bits: C's 0x1_0000002A is not 42 here.
tun_id_rule()
{
	local b c

	nsx "$NS_A" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || return 1
	stt_try ip -n "$NS_A" -batch - <<-EOF || return 1
		rule add pref 100 tun_id 42 lookup 100
		route add prohibit 10.9.9.9/32 table 100
		route add unreachable 10.9.9.9/32
	EOF
	stt_try ip -n "$NS_B" route add 10.9.9.9/32 via 10.0.0.1 dev stt0 &&
		stt_try ip -n "$NS_C" route add 10.9.9.9/32 via 10.0.0.1 dev stt0 ||
		return 1
	b=$(nsx "$NS_B" ping -c 1 -W 2 10.9.9.9 2>&1 | grep -m1 '^From')
	c=$(nsx "$NS_C" ping -c 1 -W 2 10.9.9.9 2>&1 | grep -m1 '^From')
	ktap_info "B: $b; C: $c"
	[[ $b == *"Packet filtered"* ]] && [[ $c == *"Destination Host Unreachable"* ]]
}
ktap_result "ip rule tun_id 42 routes B's frames by table 100; C's 0x1_0000002A not (64-bit match)" \
	tun_id_rule

# ---- Open vSwitch -----------------------------------------------------------

# A's external stt0 as a port of a kernel datapath, driven over generic
# netlink by tools/stt-ovs.py as ovs-vswitchd would drive it.  The
# datapath goes (and stt0 back to the stack) when each run ends.
ovs() { nsx "$NS_A" python3 "$STT_REPO/tools/stt-ovs.py" "$@"; }

# ovs_egress ID DST COUNT WANT: COUNT frames through set(tunnel) +
# userspace(egress_tun_port) + output; every egress key must be WANT, in
# which "PORT" stands for one source port, left in OVS_PORT.
ovs_egress()
{
	local out re line

	OVS_PORT=""
	if ! out=$(ovs egress stt0 "$1" "$2" "$3" 2>&1); then
		ktap_info "stt-ovs egress: $out"
		return 1
	fi
	re=${4//./\\.}
	re="^egress ${re//PORT/([0-9]+)}$"
	while read -r line; do
		[[ $line =~ $re ]] || { ktap_info "stt-ovs: $line (want: $4)"; return 1; }
		[ -z "$OVS_PORT" ] || [ "$OVS_PORT" = "${BASH_REMATCH[1]}" ] ||
			{ ktap_info "source port $OVS_PORT, then ${BASH_REMATCH[1]}"; return 1; }
		OVS_PORT=${BASH_REMATCH[1]}
	done <<<"$out"
	[ "$(wc -l <<<"$out")" = "$3" ] && [ "$OVS_PORT" -ge 49152 ]
}

# The first frame names the source port (the same frame hashes to the
# same port); B's underlay then counts the next frames on exactly that
# port, and B's stt0 receives them.
ovs_fill4()
{
	local want="id=42 src=192.0.2.1 dst=192.0.2.2 tp_src=PORT tp_dst=7471 ttl=64"
	local port p rx0 rx1 h

	ovs_egress 42 192.0.2.2 1 "$want" || return 1
	port=$OVS_PORT
	stt_try tc -n "$NS_B" -batch - <<-EOF || return 1
		qdisc add dev ul clsact
		filter add dev ul ingress prio 1 protocol ip flower src_ip 192.0.2.1 ip_proto tcp src_port $port dst_port 7471 action pass
	EOF
	rx0=$(rx "$NS_B")
	ovs_egress 42 192.0.2.2 "$COUNT" "$want" || return 1
	p=$OVS_PORT
	rx1=$(rx "$NS_B")
	h=$(tc -n "$NS_B" -s -j filter show dev ul ingress prio 1 |
		jq '[.[] | .options.actions[]?.stats.packets // empty] | add // 0')
	ktap_info "egress key: id 42, src 192.0.2.1, tp_src $port then $p;" \
		"B's ul: $h packets from port $port, B's stt0 rx $rx0 -> $rx1"
	[ "$p" = "$port" ] && [ "$h" = "$COUNT" ] && [ $((rx1 - rx0)) = "$COUNT" ]
}

ovs_fill6()
{
	local want="id=43 src=2001:db8:d::1 dst=2001:db8:d::4 tp_src=PORT tp_dst=7471 ttl=64"
	local rx0 rx1

	rx0=$(rx "$NS_D")
	ovs_egress 43 2001:db8:d::4 "$COUNT" "$want" || return 1
	rx1=$(rx "$NS_D")
	ktap_info "egress key: id 43, src 2001:db8:d::1, tp_src $OVS_PORT;" \
		"D's stt0 rx $rx0 -> $rx1"
	[ $((rx1 - rx0)) = "$COUNT" ]
}

# A frame B sends to A's datapath port: a miss upcall whose flow key has
# the tunnel metadata stt0 attached.
ovs_miss()
{
	local out=$TMP/ovs-listen pid line

	ovs listen stt0 30 >"$out" 2>&1 &
	pid=$!
	if ! stt_wait_for 20 grep -q '^ready$' "$out"; then
		wait "$pid"
		ktap_info "stt-ovs listen: $(cat "$out")"
		return 1
	fi
	nsx "$NS_B" ping -q -c 1 -W 1 10.0.0.1 >/dev/null 2>&1
	wait "$pid"
	line=$(grep -v '^ready$' "$out")
	ktap_info "stt-ovs: $line"
	[[ $line =~ ^miss\ id=42\ src=192\.0\.2\.2\ dst=192\.0\.2\.1\ tp_src=[0-9]+\ tp_dst=7471\ ttl=64$ ]]
}

modprobe -q openvswitch 2>/dev/null
if ! stt_module_present openvswitch; then
	ovs_skip="no openvswitch module"
elif ! stt_have python3; then
	ovs_skip="python3 missing"
fi
if [ -z "${ovs_skip:-}" ]; then
	ktap_result "Open vSwitch: set(tunnel(id 42, dst B)) + userspace(egress_tun_port) + output: ndo_fill_metadata_dst reports src 192.0.2.1 and the source port the frames leave with" \
		ovs_fill4
	ktap_result "Open vSwitch: over the IPv6 underlay (id 43, dst D) the egress key names src 2001:db8:d::1; D receives" \
		ovs_fill6
	ktap_result "Open vSwitch: B's frame reaches the datapath as a miss with tunnel key id 42, src B, dst A, tp_dst 7471" \
		ovs_miss
else
	for t in "ndo_fill_metadata_dst, IPv4" "ndo_fill_metadata_dst, IPv6" "RX miss upcall"; do
		ktap_skip "Open vSwitch: $t" "$ovs_skip"
	done
fi

check_dmesg
ktap_finished
