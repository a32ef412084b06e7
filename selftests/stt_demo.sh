#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo` is the first thing a user runs: run its in-VM part
# (tools/demo.sh --in-vm) here and check what each section shows.
#
#   - the demo exits 0 (it fails itself on a missing helper, a lost ping,
#     no throughput, an empty capture or a tshark error);
#   - the device section shows the tunnel's key and port (ip -d);
#   - the ping section: three pings, each answered;
#   - the throughput section: an STT/plain ratio above 0;
#   - the wire section: tshark's per-segment table has a frame of two
#     segments or more with pkt_len, seg_off and pkt_id, and the
#     reassembled decode shows the inner ICMP;
#   - the counters section: B's rx_frames above 0.

source "$(dirname "$0")/lib.sh"

ktap_header
stt_require tshark dumpcap iperf3 ping column
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 7

OUT=$TMP/demo.out
STT_DEMO_SECS=${STT_DEMO_SECS:-3} "$STT_REPO/tools/demo.sh" --in-vm >"$OUT" 2>&1
rc=$?
ktap_info "demo: $(wc -l <"$OUT") lines, exit $rc"
if [ "$rc" = 0 ]; then
	ktap_pass "make demo's VM part exits 0"
else
	tail -5 "$OUT" | ktap_info
	ktap_fail "make demo's VM part exits 0"
fi

# section NAME: the lines of the demo section whose heading has NAME.
section()
{
	awk -v n="$1" '/^ [0-9]+\. / { on = index($0, n) > 0; next } on' "$OUT"
}

ktap_result "device section: key $STT_KEY and dstport $STT_PORT in ip -d" \
	eval 'section "The tunnel device" | grep -q "key $STT_KEY.*dstport $STT_PORT\|dstport $STT_PORT.*key $STT_KEY"'
ktap_result "ping section: pings 1, 2 and 3 each answered" \
	eval 'section "Ping B from A" | grep -o "^    ping [123]: [0-9]* bytes from $IN_IP_B: " | sort -u | wc -l | grep -qx 3'
ratio=$(section "Throughput" | sed -n 's/.*STT\/plain: \([0-9.]*\).*/\1/p')
ktap_info "STT/plain: ${ratio:-none}"
ktap_result "throughput section: STT/plain ratio above 0" \
	awk -v r="${ratio:-0}" 'BEGIN { exit !(r > 0) }'

# The per-segment table: columns no, src, dst, len, srcport, pkt_len,
# seg_off, pkt_id, ...; a pkt_id on two rows is a frame of two segments.
segs()
{
	section "On the wire" | awk '$1 ~ /^[0-9]+$/ && NF >= 8 && $6 ~ /^[0-9]+$/ &&
		$7 ~ /^[0-9]+$/ { n[$8]++ } END { m = 0; for (i in n) if (n[i] > m) m = n[i]; print m }'
}
ktap_info "most segments of one frame in the table: $(segs)"
ktap_result "wire section: a frame of >= 2 segments with pkt_len, seg_off, pkt_id; inner ICMP decoded" \
	eval '[ "$(segs)" -ge 2 ] && section "On the wire" | grep -q "ICMP"'
ktap_result "counters section: B's rx_frames above 0" \
	eval 'section "Counters" | grep -Eq "^ *rx_frames: *[1-9]"'

check_dmesg
ktap_finished
