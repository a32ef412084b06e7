#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# STT across a hostile network: three netns, A - R - B, with R routing
# between two veth pairs (underlay MTU 1500) and netem on R's egress
# towards B and towards A (data and ACKs both suffer).  No TSO on the
# senders and no GRO anywhere, so every frame crosses R as real segments
# and B reassembles them.
#
#   netns A                  netns R                      netns B
#   stt0 10.0.0.1            (forwarding)                 stt0 10.0.0.2
#   veth_a 192.0.2.1 --- veth_ra 192.0.2.254
#                            veth_rb 198.51.100.254 --- veth_b 198.51.100.2
#
# Cells (netem on both of R's egress veths):
#   loss      loss 1%
#   reorder   delay 1ms reorder 25% 50%
#   dup       duplicate 5%
#   corrupt   corrupt 0.1%
#   all       the four together
#
# In each cell a 64 MiB file goes A -> B over TCP on the inner addresses
# and must arrive with the same sha256.  Then the counters must explain
# the fault, as far as the fault implies it:
#   every cell     no overlaps, no frame-length changes, no malformed
#                  segment (overrun, short, zero length, version, TCP
#                  options, truncated, L4 offset), no unknown key
#   loss           B: reasm_timeouts > 0 (a frame that lost a segment)
#   reorder        B: reasm_out_of_order > 0 (a segment queued left of
#                  the highest offset its frame had so far)
#   dup            B: reasm_duplicates > 0
#   corrupt        B: rx_csum_errors > 0 (a flipped bit in the TCP header
#                  or payload fails the outer checksum)
#   all            all of the above
#   not corrupt    rx_csum_errors == 0;  not dup: reasm_duplicates == 0
# and netem must have done what the cell asks, on both of R's egresses, by
# its own counts (tc -s qdisc; each cell starts with a new qdisc):
#   loss           "dropped" > 0
#   reorder        "requeues" > 0 (netem counts each packet it sends ahead
#                  of the delayed ones as a requeue)
#   dup            duplicates > 0: netem counts none, so they are its "Sent"
#                  packets + "dropped" - the packets R received for that
#                  egress (rx_packets of R's other veth); this must exceed
#                  0.5% of those received (5% are asked), so that a packet
#                  or two of R's own (ARP) cannot pass for duplicates
#   all            all three
# (netem counts no corruption: B's rx_csum_errors is the evidence.)  A cell
# whose netem cannot be set fails.
# The rest is printed.  (Timeouts are not asserted away in the other cells:
# netem's delayed dequeue runs on whichever CPU its timer or the next
# enqueue is on, and on veth a segment is received on the CPU that sent
# it, so with 2 CPUs a frame's segments can be split across CPUs and both
# halves expire.  With one vCPU the reorder cell sees no timeout.)  After each cell, once the reassembly timeout has
# passed: reasm_bytes == 0 and the segment identity holds in A and B.

source "$(dirname "$0")/lib.sh"

MIB=${STT_FAULTS_MIB:-64}
XFER_TIMEOUT=${STT_FAULTS_TIMEOUT:-300}
UL_IP_RA=192.0.2.254
UL_IP_RB=198.51.100.254
UL_IP_B2=198.51.100.2
LIMIT="limit 100000"

CELLS=(loss reorder dup corrupt all)
declare -A NETEM=(
	[loss]="loss 1%"
	[reorder]="delay 1ms reorder 25% 50%"
	[dup]="duplicate 5%"
	[corrupt]="corrupt 0.1%"
	[all]="loss 1% delay 1ms reorder 25% 50% duplicate 5% corrupt 0.1%"
)

ktap_header
stt_require ethtool ss timeout tc sha256sum
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
[ -x "$STT_PY" ] || ktap_skip_all "python3 missing"
modprobe -qa sch_netem 2>/dev/null
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan $((2 + 3 * ${#CELLS[@]} + 1))

topo()
{
	local x

	setup_ns NS_A NS_R NS_B || return 1
	stt_try ip link add "$UL_A" netns "$NS_A" mtu 1500 type veth \
		peer name veth_ra netns "$NS_R" mtu 1500 || return 1
	stt_try ip link add "$UL_B" netns "$NS_B" mtu 1500 type veth \
		peer name veth_rb netns "$NS_R" mtu 1500 || return 1
	stt_try ip -n "$NS_A" addr add "$UL_IP_A/24" dev "$UL_A" || return 1
	stt_try ip -n "$NS_R" addr add "$UL_IP_RA/24" dev veth_ra || return 1
	stt_try ip -n "$NS_R" addr add "$UL_IP_RB/24" dev veth_rb || return 1
	stt_try ip -n "$NS_B" addr add "$UL_IP_B2/24" dev "$UL_B" || return 1
	for x in "$NS_A:$UL_A" "$NS_R:veth_ra" "$NS_R:veth_rb" "$NS_B:$UL_B"; do
		stt_try ip -n "${x%%:*}" link set "${x#*:}" up || return 1
	done
	stt_try ip -n "$NS_A" route add 198.51.100.0/24 via "$UL_IP_RA" || return 1
	stt_try ip -n "$NS_B" route add 192.0.2.0/24 via "$UL_IP_RB" || return 1
	stt_try nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || return 1

	stt_try stt_add_tunnel "$NS_A" "$TUN" "$UL_IP_A" "$UL_IP_B2" || return 1
	stt_try stt_add_tunnel "$NS_B" "$TUN" "$UL_IP_B2" "$UL_IP_A" || return 1
	stt_try ip -n "$NS_A" addr add "$IN_IP_A/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_B" addr add "$IN_IP_B/24" dev "$TUN" || return 1
	stt_try ip -n "$NS_A" link set "$TUN" up || return 1
	stt_try ip -n "$NS_B" link set "$TUN" up || return 1
	stt_wait_for 10 nsx "$NS_A" ping -c 1 -W 1 "$UL_IP_B2" >/dev/null ||
		{ ktap_info "underlay ping A -> B through R fails"; return 1; }
	stt_ping "$NS_A" "$IN_IP_B" 3
}
if topo; then
	ktap_pass "topology: A - R - B, STT between A and B through R"
else
	ktap_fail "topology: A - R - B, STT between A and B through R"
	ktap_bail "cannot build the topology"
fi

# Senders segment in software; nobody coalesces.
offloads()
{
	local rc=0

	nsx "$NS_A" ethtool -K "$UL_A" tso off gro off || rc=1
	nsx "$NS_B" ethtool -K "$UL_B" tso off gro off || rc=1
	nsx "$NS_R" ethtool -K veth_ra gro off || rc=1
	nsx "$NS_R" ethtool -K veth_rb gro off || rc=1
	ktap_info "A $UL_A: $(nsx "$NS_A" ethtool -k "$UL_A" | grep -E '^(tcp-segmentation-offload|generic-receive-offload):' | tr -s '\n ' ' ')"
	return "$rc"
}
ktap_result "offloads: tso off on A's and B's veths, gro off on every veth" offloads

stt_make_file "$TMP/data.bin" "$MIB" || ktap_bail "cannot make the test file"

tcp_retrans()
{
	nsx "$1" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $c["RetransSegs"] }' /proc/net/snmp
}

# netem_counts DEV: "SENT_PKTS DROPPED REQUEUES" of R's netem on DEV
# (nothing when there is no netem there).
netem_counts()
{
	tc -n "$NS_R" -s qdisc show dev "$1" 2>/dev/null | awk '
		/^qdisc netem/ { n = 1; next }
		n && /Sent/ {
			gsub(/[(),]/, " ")
			for (i = 1; i < NF; i++) {
				if ($i == "pkt") s = $(i - 1)
				if ($i == "dropped") d = $(i + 1)
				if ($i == "requeues") r = $(i + 1)
			}
			print s, d, r; exit
		}'
}

# rx_pkts DEV: rx_packets of R's DEV.
rx_pkts() { nsx "$NS_R" cat "/sys/class/net/$1/statistics/rx_packets"; }

# netem_check EGRESS INGRESS: print EGRESS's netem counts; record in BAD
# what the cell asked of netem there and did not happen.  $RX0[INGRESS]
# holds INGRESS's rx_packets at the start of the cell.
netem_check()
{
	local eg=$1 in=$2 sent dropped req rx dups

	read -r sent dropped req < <(netem_counts "$eg")
	if ! [[ $sent =~ ^[0-9]+$ && $dropped =~ ^[0-9]+$ && $req =~ ^[0-9]+$ ]]; then
		BAD+=("R $eg: no netem counts")
		return
	fi
	rx=$(($(rx_pkts "$in") - ${RX0[$in]}))
	dups=$((sent + dropped - rx))
	ktap_info "$CELL: netem on R's $eg: sent $sent, dropped $dropped," \
		"requeues $req; $rx in on $in, so duplicates $dups"
	case " ${NETEM[$CELL]} " in *" loss "*)
		[ "$dropped" -gt 0 ] || BAD+=("R $eg: netem dropped 0, loss asked") ;;
	esac
	case " ${NETEM[$CELL]} " in *" reorder "*)
		[ "$req" -gt 0 ] || BAD+=("R $eg: netem requeues 0, reorder asked") ;;
	esac
	case " ${NETEM[$CELL]} " in *" duplicate "*)
		[ $((dups * 200)) -gt "$rx" ] ||
			BAD+=("R $eg: $dups duplicates of $rx packets, duplicate asked") ;;
	esac
}

set_netem()
{
	local dev rc=0

	for dev in veth_ra veth_rb; do
		# shellcheck disable=SC2086 # netem arguments are a word list
		tc -n "$NS_R" qdisc replace dev "$dev" root netem $1 $LIMIT || rc=1
	done
	return "$rc"
}

# d SIDE NAME: delta of a counter in this cell, A or B.
d()
{
	local v

	v=$(stt_delta "$TMP/$CELL.${1}0" "$TMP/$CELL.${1}1" "$2")
	echo "${v:-missing}"
}

# Expectation helpers: record what is wrong in BAD.
want_gt0()
{
	local v

	v=$(d "$1" "$2")
	[[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] && return 0
	BAD+=("$1 $2 +$v, expected > 0")
}

want_eq0()
{
	local v

	v=$(d "$1" "$2")
	[ "$v" = 0 ] && return 0
	BAD+=("$1 $2 +$v, expected 0")
}

NEVER="proc.reasm_overlaps proc.reasm_len_mismatch proc.rx_seg_overrun
proc.rx_short_frame proc.rx_zero_len proc.rx_bad_version proc.rx_bad_doff
proc.rx_truncated proc.rx_no_device rx_bad_l4_offset rx_bad_offload"

SUMMARY=()
for CELL in "${CELLS[@]}"; do
	ktap_info "---- cell $CELL: netem ${NETEM[$CELL]} on R's egress to A and to B"
	declare -A RX0=([veth_ra]=$(rx_pkts veth_ra) [veth_rb]=$(rx_pkts veth_rb))
	NETEM_OK=1
	set_netem "${NETEM[$CELL]}" || NETEM_OK=0
	stt_snap "$NS_A" "$TUN" "$TMP/$CELL.A0"
	stt_snap "$NS_B" "$TUN" "$TMP/$CELL.B0"
	rtx0=$(tcp_retrans "$NS_A")

	if secs=$(stt_xfer "$NS_B" "$IN_IP_B" "$NS_A" "$TMP/data.bin" \
		"$STT_XFER_PORT" "$XFER_TIMEOUT"); then
		ktap_info "$CELL: $MIB MiB in ${secs}s" \
			"($(awk -v s="$secs" -v m="$MIB" 'BEGIN { printf "%.1f", m * 8.388608 / s }') Mbit/s)"
		ktap_pass "$CELL: $MIB MiB A -> B arrived intact (sha256) in ${secs}s"
	else
		secs=fail
		ktap_fail "$CELL: $MIB MiB A -> B arrived intact (sha256)"
	fi
	rtx=$(($(tcp_retrans "$NS_A") - rtx0))
	ktap_info "$CELL: A's TCP retransmitted $rtx segments"
	BAD=()
	[ "$NETEM_OK" = 1 ] || BAD+=("tc qdisc replace ... netem ${NETEM[$CELL]} failed")
	netem_check veth_rb veth_ra
	netem_check veth_ra veth_rb
	# Nothing more for the reassembly tables to finish: take the netem
	# delay away, let the timeouts pass.
	tc -n "$NS_R" qdisc del dev veth_ra root 2>/dev/null
	tc -n "$NS_R" qdisc del dev veth_rb root 2>/dev/null
	stt_wait_reasm_idle "$NS_B"
	stt_wait_reasm_idle "$NS_A"
	stt_snap "$NS_A" "$TUN" "$TMP/$CELL.A1"
	stt_snap "$NS_B" "$TUN" "$TMP/$CELL.B1"

	for side in B A; do
		ktap_info "$CELL: $side: segments +$(d $side proc.rx_segments)," \
			"frames +$(d $side rx_frames) (fastpath +$(d $side rx_fastpath_frames)," \
			"reasm +$(d $side rx_reasm_frames)), rx_skbs +$(d $side rx_skbs);" \
			"timeouts +$(d $side proc.reasm_timeouts), evictions +$(d $side proc.reasm_evictions)," \
			"duplicates +$(d $side proc.reasm_duplicates), csum errors +$(d $side proc.rx_csum_errors)," \
			"dropped segs +$(d $side proc.reasm_dropped_segs), mem drops +$(d $side proc.reasm_mem_drops)," \
			"overlaps +$(d $side proc.reasm_overlaps), out of order +$(d $side proc.reasm_out_of_order)"
	done
	SUMMARY+=("$(printf '%-8s %8s %9s %9s %9s %9s %9s %7s' "$CELL" "$secs" \
		"$(d B rx_reasm_frames)" "$(d B proc.reasm_timeouts)" \
		"$(d B proc.reasm_duplicates)" "$(d B proc.rx_csum_errors)" \
		"$(d B proc.reasm_dropped_segs)" "$rtx")")

	for n in $NEVER; do
		want_eq0 B "$n"
		want_eq0 A "$n"
	done
	case $CELL in
	loss)
		want_gt0 B proc.reasm_timeouts
		;;
	reorder)
		want_gt0 B proc.reasm_out_of_order
		v=$(d B proc.reasm_timeouts)
		[ "$v" != 0 ] && ktap_info "reorder: $v frames timed out with no" \
			"segment lost: netem's delayed dequeue runs on either CPU, so" \
			"one frame's segments can reach B on two CPUs (never mixed," \
			"both halves expire)"
		;;
	dup)
		want_gt0 B proc.reasm_duplicates
		;;
	corrupt)
		want_gt0 B proc.rx_csum_errors
		;;
	all)
		want_gt0 B proc.reasm_timeouts
		want_gt0 B proc.reasm_out_of_order
		want_gt0 B proc.reasm_duplicates
		want_gt0 B proc.rx_csum_errors
		;;
	esac
	if [ "$CELL" != corrupt ] && [ "$CELL" != all ]; then
		want_eq0 B proc.rx_csum_errors
		want_eq0 A proc.rx_csum_errors
	fi
	if [ "$CELL" != dup ] && [ "$CELL" != all ]; then
		want_eq0 B proc.reasm_duplicates
		want_eq0 A proc.reasm_duplicates
	fi
	case $CELL in
	loss) desc="loss: B timed out frames that lost a segment" ;;
	reorder) desc="reorder: B queued segments out of order (reasm_out_of_order)" ;;
	dup) desc="dup: B dropped exact duplicates quietly" ;;
	corrupt) desc="corrupt: B caught corrupted segments by the outer checksum" ;;
	all) desc="all: timeouts, out-of-order segments, duplicates and checksum errors in B" ;;
	esac
	if [ ${#BAD[@]} -eq 0 ]; then
		ktap_pass "$desc; netem did it; no overlap, length change or malformed segment"
	else
		printf '%s\n' "${BAD[@]}" | ktap_info
		ktap_fail "$desc; netem did it; no overlap, length change or malformed segment"
	fi

	if stt_check_identity "$NS_B" && stt_check_identity "$NS_A"; then
		ktap_pass "$CELL: reasm_bytes back to 0, segment identity holds in B and A"
	else
		ktap_fail "$CELL: reasm_bytes back to 0, segment identity holds in B and A"
	fi
done

ktap_info "summary (B's counters; TCG: times are relative)"
ktap_info "$(printf '%-8s %8s %9s %9s %9s %9s %9s %7s' cell secs reasm timeouts dups csum_err drop_segs retrans)"
printf '%s\n' "${SUMMARY[@]}" | ktap_info
ktap_info "$(nsx "$NS_B" cat /proc/net/stt 2>/dev/null | tr -s "\n " " ")"

check_dmesg
ktap_finished
