#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: a live STT tunnel between two network namespaces, in a VM.
#
#   KVER=6.12 tools/demo.sh        (what "make demo" runs)
#
# Builds nothing: expects build/$KVER/stt.ko and tools/iproute2/link_stt.so
# (run "make" first).  Boots the kernel KVER (a version or a prefix such
# as 6.1 / 6.12; default: the newest installed) with tools/vm-run and, in
# the VM, builds two "hosts" A and B from network namespaces joined by a
# veth pair, puts an STT tunnel on top, and shows: the device, a ping, the
# throughput over the tunnel next to the plain underlay, and the STT
# segments on the wire as tshark decodes them.  The topology comes from
# selftests/lib.sh, shared with the selftests.  Any step that fails (a
# missing helper, a lost ping, no throughput, an empty capture, tshark
# failing) ends the demo with a non-zero status; selftests/stt_demo.sh runs
# it in the suite and checks what each section shows.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

###########################################################################
# On the host: check what was built and boot the VM
###########################################################################

if [ "${1:-}" != --in-vm ]; then
	cd "$REPO" || exit 1
	if [ -z "${KVER:-}" ]; then
		KVER=$(tools/vm-run --list 2>/dev/null | tail -1)
	fi
	FULL=$(tools/vm-run --resolve "$KVER" 2>/dev/null) || {
		echo "demo: no bootable kernel matches KVER=$KVER" \
			"(have: $(tools/vm-run --list 2>/dev/null | tr '\n' ' '))" >&2
		exit 1
	}
	[ -f "build/$FULL/stt.ko" ] || {
		echo "demo: build/$FULL/stt.ko missing: run 'make KVER=$FULL' first" >&2
		exit 1
	}
	[ -f tools/iproute2/link_stt.so ] || {
		echo "demo: tools/iproute2/link_stt.so missing: run 'make plugin' first" >&2
		exit 1
	}
	echo "demo: booting $FULL in a VM (TCG: give it a minute)"
	exec tools/vm-run "$FULL" -- tools/demo.sh --in-vm
fi

###########################################################################
# In the VM
###########################################################################

# shellcheck source=SCRIPTDIR/../selftests/lib.sh
source "$REPO/selftests/lib.sh"

SECS=${STT_DEMO_SECS:-5}
STEP=0

heading()
{
	STEP=$((STEP + 1))
	echo
	echo "=================================================================="
	echo " $STEP. $*"
	echo "=================================================================="
}

# show CMD...: print "$ CMD" and run it, indented.
show()
{
	echo "\$ $*"
	"$@" 2>&1 | sed 's/^/    /'
}

# tshark shows the STT source port ("stream id") in hex: column 5.
decimal_sport()
{
	local f

	# "|", not tab, as IFS: empty fields must not collapse.
	tr '\t' '|' | while IFS='|' read -r -a f; do
		[[ ${f[4]} == 0x* ]] && f[4]=$((f[4]))
		(IFS=$'\t'; printf '%s\n' "${f[*]}")
	done
}

die()
{
	echo "demo: $*" >&2
	exit 1
}

heading "Load stt.ko and point ip at the STT plugin"
STT_KO=$(stt_ko_path)
echo "kernel $(uname -r); module $STT_KO"
modinfo "$STT_KO" | grep -E '^(description|version|srcversion|vermagic):' | sed 's/^/    /'
[ -f "$STT_KO" ] || die "no module $STT_KO"
stt_load_module >/dev/null || die "insmod $STT_KO failed"
stt_plugin >/dev/null || die "ip does not load $IP_LIB_DIR/link_stt.so"
echo "IP_LIB_DIR=$IP_LIB_DIR (ip loads link_stt.so from there)"
show ip link help stt
modprobe -qa veth inet_diag tcp_diag 2>/dev/null

heading "Two hosts: netns A and B, joined by a veth pair (the underlay)"
cat <<EOF
    A: $UL_A $UL_IP_A/24, $TUN $IN_IP_A/24      B: $UL_B $UL_IP_B/24, $TUN $IN_IP_B/24
    $TUN: STT, Context ID (key) $STT_KEY, TCP destination port $STT_PORT
Commands run:
EOF
# shellcheck disable=SC2119 # no inner MTU: the default
STT_VERBOSE=1 STT_VERBOSE_PREFIX="    \$ " stt_topo_setup || die "cannot build the topology"
echo "(A is netns $NS_A, B is netns $NS_B)"

heading "The tunnel device in A"
show ip -n "$NS_A" -d link show dev "$TUN"
echo
echo "Its netlink attributes as JSON (ip -j -d link show):"
ip -n "$NS_A" -j -d link show dev "$TUN" | stt_python -c '
import json, sys
print("    " + json.dumps(json.load(sys.stdin)[0]["linkinfo"]))'

heading "Ping B from A across the tunnel"
# One request per ping, as lib.sh's stt_ping does: once a reply has come,
# ping -c N waits only about twice the slowest round trip after its last
# request, and ping -c N -w S stops at N replies, whichever requests they
# answer; under emulation a reply can be later than either allows.
echo "\$ ip netns exec $NS_A ping -c 1 -W 15 $IN_IP_B    # three times"
for n in 1 2 3; do
	out=$(ip netns exec "$NS_A" ping -c 1 -W 15 "$IN_IP_B" 2>&1)
	reply=$(grep " bytes from $IN_IP_B: " <<<"$out")
	if [ -z "$reply" ]; then
		printf '%s\n' "$out" | sed 's/^/    /'
		die "ping $n got no reply in 15 s"
	fi
	echo "    ping $n: $reply"
done

heading "Throughput: iperf3 ${SECS}s over the tunnel and over the plain underlay"
echo "(TCG emulation: absolute numbers mean little; compare the two)"
STT_MBPS=$(stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" "$SECS")
PLAIN_MBPS=$(stt_iperf "$NS_B" "$UL_IP_B" "$NS_A" "$SECS")
printf '    %-36s %10s Mbit/s\n' "STT tunnel   10.0.0.1 -> 10.0.0.2" "${STT_MBPS:-failed}" \
	"plain veth   192.0.2.1 -> 192.0.2.2" "${PLAIN_MBPS:-failed}"
echo "    STT/plain: $(stt_ratio "$STT_MBPS" "$PLAIN_MBPS")"
awk -v s="${STT_MBPS:-0}" -v p="${PLAIN_MBPS:-0}" 'BEGIN { exit !(s > 0 && p > 0) }' ||
	die "iperf3 moved no data"

heading "On the wire: STT segments decoded by tshark"
cat <<'EOF'
With TSO off on the underlay veth, each STT frame (18-byte STT header +
inner Ethernet frame) leaves as TCP segments of at most 1460 bytes.
The TCP header is STT's: SEQ = frame length << 16 | offset (shown as
pkt_len and seg_off), ACK = frame id (pkt_id), PSH on the last segment.
Only the first segment of a frame carries the STT header (version,
flags, L4 offset, MSS, Context ID).  A 3000-byte ping leaves as three
inner IP fragments: two 1532-byte frames of two segments each, then a
small frame of one segment.
EOF
stt_tmpdir TMP || die "no temp dir"
nsx "$NS_A" ethtool -K "$UL_A" tso off >/dev/null
nsx "$NS_B" ethtool -K "$UL_B" tso off >/dev/null
PCAP=$TMP/demo.pcap
stt_cap_start "$NS_A" "$UL_A" "$PCAP" "tcp dst port $STT_PORT" 60 20 ||
	die "dumpcap did not start on $UL_A"
stt_ping "$NS_A" "$IN_IP_B" 2 3000 >/dev/null || die "3000-byte ping lost replies"
stt_cap_stop
[ -s "$PCAP" ] || die "the capture is empty"
echo
echo "\$ tshark -r demo.pcap -o ip.try_heuristic_first:TRUE -o stt.reassemble:FALSE -T fields ..."
table=$(timeout 120 tshark -n -r "$PCAP" -o ip.try_heuristic_first:TRUE \
	-o stt.reassemble:FALSE -T fields -E header=y \
	-E separator=/t -E occurrence=f \
	-e frame.number -e ip.src -e ip.dst -e ip.len -e stt.stream_id \
	-e stt.pkt_len -e stt.seg_off -e stt.pkt_id -e stt.tcp.flags.psh \
	-e stt.version -e stt.flags -e stt.l4offset -e stt.mss \
	-e stt.context_id -Y 'frame.number <= 8' 2>"$TMP/tshark.err") ||
	die "tshark failed: $(head -3 "$TMP/tshark.err")"
# At least one frame of two segments, each with pkt_len, seg_off, pkt_id.
awk -F'\t' 'NR > 1 && $6 != "" && $7 != "" && $8 != "" { n[$8]++ }
	END { for (id in n) if (n[id] >= 2) exit 0; exit 1 }' <<<"$table" ||
	die "tshark decoded no frame of two STT segments"
printf '%s\n' "$table" | decimal_sport |
	sed -e '1s/frame.number/no/; 1s/stt\.stream_id/srcport/' \
		-e '1s/stt\.tcp\.flags\.psh/psh/; 1s/stt\.//g' |
	column -t -s $'\t' | sed 's/^/    /'
echo
echo "The same packets with tshark reassembling each frame and decoding the"
echo "inner one in the packet that completes it:"
out=$(timeout 120 tshark -n -r "$PCAP" -o ip.try_heuristic_first:TRUE \
	-Y 'frame.number <= 8' 2>"$TMP/tshark.err") ||
	die "tshark failed: $(head -3 "$TMP/tshark.err")"
printf '%s\n' "$out" | sed 's/^/    /'

heading "Counters"
echo "B's tunnel device (ethtool -S), then B's netns (/proc/net/stt):"
nsx "$NS_B" ethtool -S "$TUN" | sed 's/^/    /'
nsx "$NS_B" cat /proc/net/stt | sed 's/^/    /'
echo
echo "demo done: the namespaces are removed on exit."
