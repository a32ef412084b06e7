#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ethtool on the stt device:
#   - ethtool -i: driver stt, the module's version, bus-info stt:REMOTE:PORT;
#   - ethtool -k lists tso, gso, tx-checksumming, sg and gro as changeable;
#   - a matrix: each of tso, gso, tx-checksumming, sg off (gro on for the
#     underlay, off for stt0: the non-default) on both ends' stt0, then on
#     both ends' veth, one cell at a time.  In every cell ethtool -k must
#     show the setting, and ping plus a sha256-checked 2 MiB TCP transfer
#     must get through; every setting goes back and ethtool -k must match
#     the start;
#   - tso off on stt0: the stack segments inner TCP before stt0 encapsulates
#     it.  Shown on the wire (tshark: the STT header's MSS field is 0 in
#     every frame, and no frame is larger than the inner MTU) and in the
#     counters (stt0's tx_bytes / tx_packets stays under 1514 + 4 and
#     tx_sw_segmented does not move); with tso on the same transfer has
#     frames with MSS 1448 and averages far more than one MTU per frame.

source "$(dirname "$0")/lib.sh"

XFER_MIB=2
XFER_PORT=5310

ktap_header
stt_require ethtool ping ss timeout dumpcap tshark mergecap
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 26

if stt_topo_setup; then
	ktap_pass "topology: two netns, veth underlay, $TUN in each"
else
	ktap_fail "topology: two netns, veth underlay, $TUN in each"
	ktap_bail "cannot build the topology"
fi

###########################################################################
# ethtool -i, ethtool -k
###########################################################################

drvinfo_ok()
{
	local out want_ver rc=0

	out=$(nsx "$NS_A" ethtool -i "$TUN" 2>&1)
	ktap_info "$out"
	want_ver=$(modinfo -F version "$STT_KO" 2>/dev/null)
	grep -qx "driver: stt" <<<"$out" || { ktap_info "driver is not stt"; rc=1; }
	if [ -z "$want_ver" ] || ! grep -qx "version: $want_ver" <<<"$out"; then
		ktap_info "version is not the module's ($want_ver)"
		rc=1
	fi
	grep -qx "bus-info: stt:$UL_IP_B:$STT_PORT" <<<"$out" ||
		{ ktap_info "bus-info is not stt:$UL_IP_B:$STT_PORT"; rc=1; }
	return "$rc"
}
ktap_result "ethtool -i: driver stt, the module's version, bus-info stt:$UL_IP_B:$STT_PORT" \
	drvinfo_ok

# feature NS DEV NAME: what ethtool -k shows for NAME ("on", "off [fixed]").
feature()
{
	nsx "$1" ethtool -k "$2" 2>/dev/null |
		awk -F': ' -v n="$3" '{ k = $1; sub(/^[ \t]+/, "", k) }
			k == n { print $2; exit }'
}

changeable()
{
	local f v rc=0

	for f in tcp-segmentation-offload generic-segmentation-offload \
		tx-checksumming scatter-gather generic-receive-offload; do
		v=$(feature "$NS_A" "$TUN" "$f")
		ktap_info "$TUN $f: $v"
		[ "$v" = on ] || rc=1
	done
	# The sub-features are not [fixed] either.
	for f in tx-tcp-segmentation tx-tcp6-segmentation tx-checksum-ip-generic \
		tx-scatter-gather; do
		v=$(feature "$NS_A" "$TUN" "$f")
		[ "$v" = on ] || { ktap_info "$TUN $f: $v"; rc=1; }
	done
	return "$rc"
}
ktap_result "ethtool -k: tso, gso, tx-checksumming, sg, gro on and changeable" \
	changeable

###########################################################################
# The matrix
###########################################################################

FILE=$TMP/data
stt_make_file "$FILE" "$XFER_MIB"

# xfer: FILE from A to B's inner address over TCP; the receiver's sha256
# and byte count must match.
xfer() { stt_xfer "$NS_B" "$IN_IP_B" "$NS_A" "$FILE" "$XFER_PORT" 60 >/dev/null; }

# ethtool -k of every device, one line each: the state to come back to.
all_features()
{
	local ns dev

	for ns in "$NS_A" "$NS_B"; do
		for dev in "$TUN" "$UL_A" "$UL_B"; do
			ip -n "$ns" link show dev "$dev" >/dev/null 2>&1 || continue
			nsx "$ns" ethtool -k "$dev" 2>/dev/null |
				sed "s/^/${ns%-*} $dev /"
		done
	done
}
all_features >"$TMP/features.start"
# "ethtool -K DEV tso on" also turns on tx-tcp-mangleid-segmentation, which
# the core makes changeable with TSO but leaves off: put it back too.
MANGLEID=$(feature "$NS_A" "$TUN" tx-tcp-mangleid-segmentation)
tso_back()
{
	set_both stt tso on &&
		set_both stt tx-tcp-mangleid-segmentation "${MANGLEID%% *}"
}

# set_both WHICH ethtool-args: on both ends' stt0 (WHICH=stt) or veth.
set_both()
{
	local which=$1

	shift
	if [ "$which" = stt ]; then
		nsx "$NS_A" ethtool -K "$TUN" "$@" &&
			nsx "$NS_B" ethtool -K "$TUN" "$@"
	else
		nsx "$NS_A" ethtool -K "$UL_A" "$@" &&
			nsx "$NS_B" ethtool -K "$UL_B" "$@"
	fi
}

# is_both WHICH FEATURE VALUE
is_both()
{
	local a b

	if [ "$1" = stt ]; then
		a=$(feature "$NS_A" "$TUN" "$2")
		b=$(feature "$NS_B" "$TUN" "$2")
	else
		a=$(feature "$NS_A" "$UL_A" "$2")
		b=$(feature "$NS_B" "$UL_B" "$2")
	fi
	[ "$a" = "$3" ] && [ "$b" = "$3" ] && return 0
	ktap_info "$1 $2: A $a, B $b, want $3"
	return 1
}

# cell WHICH SHORT LONG VALUE: set SHORT to VALUE on WHICH, check that
# ethtool -k says so, run traffic, restore.
cell()
{
	local which=$1 short=$2 long=$3 val=$4 rc=0 back=on

	[ "$val" = on ] && back=off
	stt_snap "$NS_B" "$TUN" "$TMP/b0"
	set_both "$which" "$short" "$val" || rc=1
	is_both "$which" "$long" "$val" || rc=1
	stt_ping "$NS_A" "$IN_IP_B" 2 || rc=1
	stt_ping "$NS_A" "$IN_IP_B" 2 3000 || rc=1
	xfer || rc=1
	stt_snap "$NS_B" "$TUN" "$TMP/b1"
	ktap_info "$which $short $val: B rx_frames +$(stt_delta "$TMP/b0" "$TMP/b1" rx_frames)," \
		"fastpath +$(stt_delta "$TMP/b0" "$TMP/b1" rx_fastpath_frames)," \
		"reasm +$(stt_delta "$TMP/b0" "$TMP/b1" rx_reasm_frames)"
	if [ "$which $short" = "stt tso" ]; then
		tso_back || rc=1
	else
		set_both "$which" "$short" "$back" || rc=1
	fi
	return "$rc"
}

baseline() { stt_ping "$NS_A" "$IN_IP_B" 2 && xfer; }
if baseline; then
	ktap_pass "defaults: ping and a sha256-checked ${XFER_MIB} MiB transfer"
else
	ktap_fail "defaults: ping and a sha256-checked ${XFER_MIB} MiB transfer"
	ktap_bail "no traffic with the default settings"
fi

for spec in "tso tcp-segmentation-offload off" \
	"gso generic-segmentation-offload off" \
	"tx tx-checksumming off" \
	"sg scatter-gather off" \
	"gro generic-receive-offload off"; do
	read -r short long val <<<"$spec"
	ktap_result "stt0 $short $val on both ends: ethtool -k shows it, ping and transfer flow" \
		cell stt "$short" "$long" "$val"
done
# tx-checksumming and sg off also drop tso (the core's rules, as for
# any netdevice): shown above by traffic, here by ethtool.
dep_ok()
{
	local rc=0

	set_both stt tx off
	is_both stt tcp-segmentation-offload off || rc=1
	set_both stt tx on
	set_both stt sg off
	is_both stt tcp-segmentation-offload off || rc=1
	set_both stt sg on
	is_both stt tcp-segmentation-offload on || rc=1
	return "$rc"
}
ktap_result "stt0: tx-checksumming off or sg off turns tso off; back on, tso returns" dep_ok

UL_GRO=$(feature "$NS_B" "$UL_B" generic-receive-offload)
UL_GRO_FLIP=on
[ "$UL_GRO" = on ] && UL_GRO_FLIP=off
for spec in "tso tcp-segmentation-offload off" \
	"gso generic-segmentation-offload off" \
	"tx tx-checksumming off" \
	"sg scatter-gather off" \
	"gro generic-receive-offload $UL_GRO_FLIP"; do
	read -r short long val <<<"$spec"
	ktap_result "veth $short $val on both ends: ethtool -k shows it, ping and transfer flow" \
		cell veth "$short" "$long" "$val"
done

# Two at once, the combinations that change the data path the most.
pair()
{
	local rc=0

	set_both stt tso off || rc=1
	set_both veth tso off gro on || rc=1
	is_both stt tcp-segmentation-offload off || rc=1
	is_both veth tcp-segmentation-offload off || rc=1
	stt_ping "$NS_A" "$IN_IP_B" 2 || rc=1
	xfer || rc=1
	tso_back
	set_both veth tso on gro "$UL_GRO"
	return "$rc"
}
ktap_result "stt0 tso off with veth tso off and gro on: transfer flows" pair

all_features >"$TMP/features.end"
restored()
{
	diff -u "$TMP/features.start" "$TMP/features.end" | ktap_info
	cmp -s "$TMP/features.start" "$TMP/features.end"
}
ktap_result "every ethtool -k setting is back to its start" restored

###########################################################################
# tso off on stt0: inner TCP is segmented before encapsulation
###########################################################################

# capture_xfer NAME: capture STT on veth_a during a transfer; counters
# of A's stt0 before and after.  Leaves the decoded table in NAME.tsv.
capture_xfer()
{
	local name=$1 rc=0

	stt_snap "$NS_A" "$TUN" "$TMP/$name.a0"
	stt_cap_start "$NS_A" "$UL_A" "$TMP/$name.pcap" "tcp dst port $STT_PORT" \
		100000 120 || return 1
	xfer || rc=1
	stt_snap "$NS_A" "$TUN" "$TMP/$name.a1"
	stt_cap_stop
	stt_decode "$TMP/$name.pcap" -o stt.reassemble:FALSE -T fields \
		-E separator=/t -E occurrence=f -Y 'stt.pkt_len' \
		-e stt.pkt_len -e stt.mss >"$TMP/$name.tsv"
	ktap_info "$name: $(wc -l <"$TMP/$name.tsv") STT frames captured on $UL_A" \
		"(veth tso on: one captured packet per frame)"
	return "$rc"
}

# mss_summary NAME: "frames frames_with_mss max_mss max_frame_len"
mss_summary()
{
	awk -F'\t' '{ n++; if ($2 + 0 > 0) m++; if ($2 + 0 > mx) mx = $2 + 0
		      if ($1 + 0 > fl) fl = $1 + 0 }
		END { printf "%d %d %d %d\n", n, m, mx, fl }' "$TMP/$1.tsv"
}

# avg NAME: stt0's tx_bytes / tx_packets (inner frames) during NAME.
avg_frame()
{
	local b p

	b=$(stt_delta "$TMP/$1.a0" "$TMP/$1.a1" link.tx_bytes)
	p=$(stt_delta "$TMP/$1.a0" "$TMP/$1.a1" link.tx_packets)
	[ "${p:-0}" -gt 0 ] || { echo 0; return; }
	echo $((b / p))
}

set_both veth tso on >/dev/null 2>&1
if capture_xfer tso_on; then
	ktap_pass "tso on: transfer captured"
else
	ktap_fail "tso on: transfer captured"
fi
read -r N_ON M_ON MSS_ON LEN_ON <<<"$(mss_summary tso_on)"
AVG_ON=$(avg_frame tso_on)
ktap_info "tso on: $N_ON frames, $M_ON with an MSS (max $MSS_ON), largest frame $LEN_ON," \
	"stt0 average inner frame $AVG_ON bytes," \
	"tx_gso_frames +$(stt_delta "$TMP/tso_on.a0" "$TMP/tso_on.a1" tx_gso_frames)"
if [ "$N_ON" -eq 0 ] && ! tshark -G fields 2>/dev/null | grep -qP '\tstt\.mss\t'; then
	ktap_skip_all "this tshark has no STT dissector"
fi
ktap_check "tso on: frames carry the inner MSS (1448) and are larger than the MTU" \
	"$([ "$M_ON" -gt 0 ] && [ "$MSS_ON" -eq 1448 ] && [ "$LEN_ON" -gt 1532 ] && echo 0)"
ktap_check "tso on: stt0 sends more than one MTU per frame on average" \
	"$([ "$AVG_ON" -gt 1518 ] && echo 0)"

set_both stt tso off
if capture_xfer tso_off; then
	ktap_pass "tso off: transfer captured"
else
	ktap_fail "tso off: transfer captured"
fi
read -r N_OFF M_OFF MSS_OFF LEN_OFF <<<"$(mss_summary tso_off)"
AVG_OFF=$(avg_frame tso_off)
SWSEG=$(stt_delta "$TMP/tso_off.a0" "$TMP/tso_off.a1" tx_sw_segmented)
ktap_info "tso off: $N_OFF frames, $M_OFF with an MSS (max $MSS_OFF), largest frame $LEN_OFF," \
	"stt0 average inner frame $AVG_OFF bytes, tx_sw_segmented +$SWSEG," \
	"tx_gso_frames +$(stt_delta "$TMP/tso_off.a0" "$TMP/tso_off.a1" tx_gso_frames)"
tso_back
ktap_check "tso off: no frame carries an MSS, none is larger than 18 + 1514 bytes" \
	"$([ "$N_OFF" -gt 100 ] && [ "$M_OFF" -eq 0 ] && [ "$LEN_OFF" -le 1532 ] && echo 0)"
ktap_check "tso off: stt0's average frame is at most one MTU (the stack segmented first)" \
	"$([ "$AVG_OFF" -gt 0 ] && [ "$AVG_OFF" -le 1518 ] && echo 0)"
ktap_check "tso off: the stack, not stt's fallback, segmented (tx_sw_segmented +0)" \
	"$([ "$SWSEG" = 0 ] && echo 0)"
# The transfer's payload is random: decoded as data, so that no heuristic
# dissector takes a stretch of it for a (malformed) protocol of its own.
STT_DECODE_ARGS="-d tcp.port==$XFER_PORT,data"
ktap_result "tso on and off: no STT expert info in either capture (tshark)" \
	stt_expert_clean "$TMP/tso_on.pcap" "$TMP/tso_off.pcap"

check_dmesg
ktap_finished
