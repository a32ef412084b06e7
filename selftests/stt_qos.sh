#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The outer header options, as tshark sees them on the underlay:
#
# 1. srcport: 1,000 inner UDP flows (one inner source port each, two
#    packets per flow) from A to B; every outer source port (the STT
#    dissector's stream ID) is in the default 49152-65535, both packets of
#    a flow share one, and the flows' ports are uniform over 64 buckets
#    (chi-square, 63 degrees of freedom, p > 0.001: statistic < 103.44).
#    Then "srcport 50000 50003" by changelink: 100 flows use exactly
#    those four ports, each of them.  A TCP stream keeps its outer source
#    port across retransmission timeouts (netem drops all of A's packets
#    for at least 2 s, until A's socket has timed out; TCP rehashes the
#    sender's sk_txhash on each timeout, TcpTimeoutRehash), and the stream
#    recovers.
# 2. ttl inherit: an inner ping with TTL 33 leaves with outer TTL 33; an
#    inner ARP request (not IP) with the route's default, 64.  df unset,
#    set and inherit (vxlan/geneve semantics) against inner DF set and
#    clear; tos N (Pipe) and tos inherit (Uniform) against an inner DSCP.
# 3. dscp-decap copy on B: the outer DSCP reaches the inner header B
#    delivers, the inner ECN field stays; dscp-decap ignore leaves it.

source "$(dirname "$0")/lib.sh"

ktap_header
stt_require ethtool ping timeout dumpcap tshark mergecap
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_plugin || { echo "Bail out! iproute2 plugin does not load"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 16

if stt_topo_setup; then
	ktap_pass "topology: two netns, veth underlay, $TUN in each"
else
	ktap_fail "topology: two netns, veth underlay, $TUN in each"
	ktap_bail "cannot build the topology"
fi
# Real segments on the wire, one per small frame.
nsx "$NS_A" ethtool -K "$UL_A" tso off gso off >/dev/null
stt_ping "$NS_A" "$IN_IP_B" 2 >/dev/null

# cap_start FILE COUNT SECS: capture A's STT segments (not B's) on UL_A.
cap_start()
{
	stt_cap_start "$NS_A" "$UL_A" "$1" \
		"tcp dst port $STT_PORT and src host $UL_IP_A" "$2" "$3"
}

# udp_flows N [PKTS]: N inner UDP flows A -> B (source ports 20000..),
# PKTS packets each (default 2), to B's discard port.
udp_flows()
{
	nsx "$NS_A" "$STT_PY" -c '
import socket, sys, time
n, pkts = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((sys.argv[3], 20000 + i))
        for p in range(pkts):
            s.sendto(b"stt-qos", (sys.argv[4], 9))
    if i % 25 == 24:
        time.sleep(0.02)
' "$1" "${2:-2}" "$IN_IP_A" "$IN_IP_B"
}

# ports FILE: "inner-udp-sport outer-sport" per captured inner UDP packet.
ports()
{
	stt_decode "$1" -Y "udp.dstport == 9" -T fields -e udp.srcport \
		-e stt.stream_id -E occurrence=f
}

###########################################################################
# 1. srcport
###########################################################################

PCAP=$TMP/sport.pcap
if cap_start "$PCAP" 2000 40; then
	udp_flows 1000 2
	stt_cap_stop
fi
ports "$PCAP" >"$TMP/sport.txt"
ktap_info "default srcport: $(wc -l <"$TMP/sport.txt") inner UDP packets captured"

# sport_check LO HI MINFLOWS: every outer port in [LO, HI], one port per
# flow, at least MINFLOWS flows seen; prints the flows' ports to
# $TMP/flowports.
sport_check()
{
	stt_python - "$@" "$TMP/sport.txt" "$TMP/flowports" <<'EOF'
import sys
lo, hi, minflows = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
flows, bad, split = {}, 0, 0
for line in open(sys.argv[4]):
    f = line.split()
    if len(f) != 2:
        continue
    # tshark shows the stream ID (the outer source port) in hex.
    inner, outer = int(f[0], 0), int(f[1], 0)
    if not lo <= outer <= hi:
        bad += 1
    if flows.setdefault(inner, outer) != outer:
        split += 1
vals = list(flows.values())
print("# flows: %d, outer ports %s-%s, out of [%d, %d]: %d packets, "
      "flows on two ports: %d" % (len(flows), min(vals, default="-"),
      max(vals, default="-"), lo, hi, bad, split))
with open(sys.argv[5], "w") as f:
    f.write("\n".join(str(v) for v in vals) + "\n")
sys.exit(0 if len(flows) >= minflows and not bad and not split else 1)
EOF
}
ktap_result "srcport default: every outer source port in 49152-65535, one per inner flow (>= 990 of 1000 flows)" \
	sport_check 49152 65535 990

chi_square()
{
	stt_python - "$TMP/flowports" <<'EOF'
import sys
ports = [int(l) for l in open(sys.argv[1]) if l.strip()]
n, k = len(ports), 64
width = (65535 - 49152 + 1) // k
obs = [0] * k
for p in ports:
    obs[(p - 49152) // width] += 1
exp = max(n, 1) / k
stat = sum((o - exp) ** 2 / exp for o in obs)
print("# chi-square over %d buckets of %d ports, %d flows: %.2f "
      "(critical value at p = 0.001, 63 dof: 103.44); buckets: %s"
      % (k, width, n, stat, " ".join(map(str, obs))))
sys.exit(0 if n >= 990 and stat < 103.44 else 1)
EOF
}
ktap_result "srcport default: flows uniform over 64 buckets (chi-square < 103.44, p > 0.001)" \
	chi_square

narrow()
{
	stt_try ip -n "$NS_A" link set "$TUN" type stt srcport 50000 50003 ||
		return 1
	ip -n "$NS_A" -d link show dev "$TUN" | grep -q "srcport 50000 50003" ||
		{ ktap_info "ip -d link show lacks srcport 50000 50003"; return 1; }
	PCAP=$TMP/narrow.pcap
	cap_start "$PCAP" 200 30 || return 1
	udp_flows 100 2
	stt_cap_stop
	ports "$PCAP" >"$TMP/sport.txt"
	sport_check 50000 50003 99 || return 1
	local used

	used=$(sort -u "$TMP/flowports" | tr '\n' ' ')
	ktap_info "ports used: $used"
	[ "$used" = "50000 50001 50002 50003 " ]
}
ktap_result "srcport 50000 50003 (changelink): 100 flows use exactly those 4 ports, all of them" \
	narrow
stt_try ip -n "$NS_A" link set "$TUN" type stt srcport 49152 65535

# tcpext NS NAME: a TcpExt counter of NS.
tcpext()
{
	nsx "$1" awk -v n="$2" '$1 == "TcpExt:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "TcpExt:" { print $c[n] + 0 }' /proc/net/netstat
}

# A paced TCP stream from A to B over stt0 with a blackout on A's
# underlay in the middle, held until A's socket has timed out at least
# once.  A is the sender and the accepting side (iperf3 -R: the client in
# B receives), whose socket rehashes its sk_txhash on each retransmission
# timeout (net.core.txrehash); the outer source port, a hash of the inner
# headers, must not move.  A's inner neighbour is pinned so that no ARP
# frame joins the capture.
#
# Nothing here depends on how fast the VM is: dumpcap took over 10 s to
# start in a sanitizer VM beside three others, and a fixed-length stream
# with a fixed blackout could end before the blackout began.  The stream
# runs until the test is done with it, and the blackout lasts until the
# timeout it is there to cause has happened.
rto_sent()
{
	nsx "$NS_A" ss -tinH state established '( sport = :5206 )' |
		grep -o 'bytes_sent:[0-9]*' | cut -d: -f2 | sort -n | tail -n1
}

# rto_kill NS: SIGTERM to the iperf3 processes in NS ($! of a backgrounded
# nsx is a subshell, not iperf3).
rto_kill()
{
	local pid

	for pid in $(ip netns pids "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = iperf3 ] && kill "$pid"
	done
	return 0
}

# rto_quiet: no connected socket of A on port 5206 (TIME-WAIT sends
# nothing).
rto_quiet()
{
	! nsx "$NS_A" ss -tanH '( sport = :5206 )' | grep -qvE '^(TIME-WAIT|LISTEN)'
}

rto_port()
{
	local mac t0 t1 o0 o1 ports cpid spid cap=$TMP/rto.pcap ok=0
	local i sent=0 before after

	modprobe -q sch_netem 2>/dev/null
	mac=$(nsx "$NS_B" cat "/sys/class/net/$TUN/address")
	stt_try ip -n "$NS_A" neigh replace "$IN_IP_B" lladdr "$mac" dev "$TUN" \
		nud permanent || return 1
	nsx "$NS_A" timeout 300 iperf3 -s -1 -B "$IN_IP_A" -p 5206 >/dev/null 2>&1 &
	spid=$!
	stt_track_pid "$spid"
	stt_sleep 1
	nsx "$NS_B" timeout 300 iperf3 -c "$IN_IP_A" -p 5206 -R -t 240 -b 20M \
		--connect-timeout 5000 >"$TMP/rto.iperf" 2>&1 &
	cpid=$!
	stt_track_pid "$cpid"
	# The blackout must hit the stream, not its connect.
	for i in $(seq 1 100); do
		sent=$(rto_sent)
		[ "${sent:-0}" -ge 1000000 ] && break
		stt_sleep 0.2
	done
	if [ "${sent:-0}" -lt 1000000 ]; then
		ktap_info "the stream did not start (A's bytes_sent ${sent:-0})"
		ok=1
	fi
	cap_start "$cap" 20000 300 || ok=1
	t0=$(tcpext "$NS_A" TcpTimeoutRehash) o0=$(tcpext "$NS_A" TCPTimeouts)
	stt_sleep 1
	stt_try ip netns exec "$NS_A" tc qdisc add dev "$UL_A" root netem loss 100% ||
		ok=1
	# At least 2 s, and until A has timed out (the first RTO comes after
	# about 200 ms plus the RTT; 30 s is for a starved VM).
	stt_sleep 2
	for i in $(seq 1 140); do
		[ "$(tcpext "$NS_A" TCPTimeouts)" -gt "$o0" ] && break
		stt_sleep 0.2
	done
	stt_try ip netns exec "$NS_A" tc qdisc del dev "$UL_A" root || ok=1
	# The stream must recover: 1 MB more after the blackout, in the
	# capture too.
	before=$(rto_sent)
	for i in $(seq 1 150); do
		after=$(rto_sent)
		[ "${after:-0}" -ge $((${before:-0} + 1000000)) ] && break
		stt_sleep 0.2
	done
	if [ "${after:-0}" -lt $((${before:-0} + 1000000)) ]; then
		ktap_info "the stream did not recover after the blackout" \
			"(A's bytes_sent ${before:-0} -> ${after:-0})"
		ok=1
	fi
	t1=$(tcpext "$NS_A" TcpTimeoutRehash) o1=$(tcpext "$NS_A" TCPTimeouts)
	stt_cap_stop
	# End the stream before the next captures: the client's socket
	# closes with unread data (an RST to A), the server exits, and none
	# of A's sockets on 5206 may still be sending.
	rto_kill "$NS_B"
	wait "$cpid" 2>/dev/null
	stt_wait_for 20 rto_quiet ||
		{ ktap_info "A still has sockets on 5206: $(nsx "$NS_A" ss -tanH '( sport = :5206 )')"; ok=1; }
	rto_kill "$NS_A"
	wait "$spid" 2>/dev/null
	ip -n "$NS_A" neigh del "$IN_IP_B" dev "$TUN" 2>/dev/null
	# The outer TCP source port of every captured segment, counted.
	ports=$(stt_python - "$cap" <<'PY'
import collections, struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off, c = 24, collections.Counter()
while off + 16 <= len(d):
    incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
    p = d[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(p) >= 38 and p[12:14] == b"\x08\x00":
        c[struct.unpack(">H", p[14 + (p[14] & 15) * 4:][:2])[0]] += 1
print(" ".join("%d:%d" % kv for kv in sorted(c.items())))
PY
)
	ktap_info "A: TCPTimeouts +$((o1 - o0)), TcpTimeoutRehash +$((t1 - t0));" \
		"outer source ports (port:segments): ${ports:-none}"
	# iperf3's control connection is an inner flow of its own, with a
	# few segments; a port per timeout would split the stream's
	# thousands over several.
	[ "$ok" = 0 ] && [ $((t1 - t0)) -ge 1 ] &&
		[ "$(tr ' ' '\n' <<<"$ports" | awk -F: '$2 >= 100' | grep -c .)" = 1 ]
}
ktap_result "srcport: one outer source port for a TCP stream across retransmission timeouts (sk_txhash rehashed; one port with >= 100 segments)" \
	rto_port

###########################################################################
# 2. ttl inherit, df (IPv4 underlay) and the Diffserv models on
#    encapsulation, one capture: each case is told apart by its inner
#    IPv4 total length (ping -s SIZE: SIZE + 28).
###########################################################################

# fields FILE FILTER: "outer-ttl,inner-ttl outer-df,inner-df inner-iplen
# outer-dscp,inner-dscp" per captured segment matching FILTER (outer
# first).
fields()
{
	stt_decode "$1" -Y "$2" -T fields -e ip.ttl -e ip.flags.df -e ip.len \
		-e ip.dsfield.dscp -E occurrence=a -E aggregator=,
}

# hdr_ping SIZE [ping args]: HDR_COUNT (2) inner pings A -> B of SIZE
# bytes.
hdr_ping()
{
	local size=$1

	shift
	nsx "$NS_A" ping -q -c "${HDR_COUNT:-2}" -i 0.2 -W 2 -s "$size" "$@" \
		"$IN_IP_B" >/dev/null
}

# set_a OPTIONS...: changelink on A's stt0.
set_a()
{
	stt_try ip -n "$NS_A" link set "$TUN" type stt "$@"
}

# Inner length: what A is set to, what the inner packet carries.
#   100  ttl inherit, inner TTL 33
#   200  df unset (the default), inner DF
#   201  df set, inner no DF
#   202  df inherit, inner DF
#   203  df inherit, inner no DF
#   204  tos 0x28 (Pipe), inner DSCP 46 (0xb8)
#   205  tos inherit (Uniform), inner DSCP 46
PCAP=$TMP/hdr.pcap
if cap_start "$PCAP" 80 90; then
	set_a ttl inherit
	hdr_ping 72 -t 33
	ip -n "$NS_A" neigh flush dev "$TUN"
	hdr_ping 73 -t 34
	set_a ttl auto
	hdr_ping 172 -M "do"
	set_a df set
	hdr_ping 173 -M dont
	set_a df inherit
	hdr_ping 174 -M "do"
	hdr_ping 175 -M dont
	set_a df unset tos 0x28
	hdr_ping 176 -Q 0xb8
	set_a tos inherit
	hdr_ping 177 -Q 0xb8
	set_a tos 0
	stt_cap_stop
fi
fields "$PCAP" "icmp.type == 8" >"$TMP/hdr.txt"
fields "$PCAP" "arp" >"$TMP/arp.txt"
ktap_info "echo requests (outer,inner TTL; outer,inner DF; outer,inner IP length; outer,inner DSCP):"
ktap_info "$(cat "$TMP/hdr.txt")"
ktap_info "ARP requests: $(cat "$TMP/arp.txt")"

# ttl_ok: pings of inner length 100 (TTL 33) are outer TTL 33; inner ARP
# falls back to the route's default hop limit.
ttl_ok()
{
	local deflt

	deflt=$(nsx "$NS_A" sysctl -n net.ipv4.ip_default_ttl)
	awk -F'\t' -v d="$deflt" '
		{ split($1, t, ","); split($3, l, ",") }
		l[2] == 100 { n++; if (t[1] != 33 || t[2] != 33) bad++ }
		END { exit !(n >= 2 && !bad) }' "$TMP/hdr.txt" || return 1
	ktap_info "route default TTL: $deflt"
	[ -s "$TMP/arp.txt" ] && awk -F'\t' -v d="$deflt" '
		{ split($1, t, ","); if (t[1] != d) bad++ }
		END { exit bad }' "$TMP/arp.txt"
}
ktap_result "ttl inherit: inner TTL 33 -> outer TTL 33 (ping -t 33); inner ARP -> route default" \
	ttl_ok

# hdr_is LEN COL OUTER INNER: both echo requests of inner length LEN have
# column COL (2: DF, 4: DSCP) = OUTER,INNER.
hdr_is()
{
	awk -F'\t' -v len="$1" -v col="$2" -v want="$3,$4" '
		{ split($3, l, ",") }
		l[2] == len { n++; if ($col != want) bad++ }
		END { exit !(n >= 2 && !bad) }' "$TMP/hdr.txt"
}
ktap_result "df unset (default): inner DF -> outer DF clear" hdr_is 200 2 0 1
ktap_result "df set: inner no DF -> outer DF set" hdr_is 201 2 1 0
ktap_result "df inherit: inner DF -> outer DF set; inner no DF -> outer DF clear" \
	eval 'hdr_is 202 2 1 1 && hdr_is 203 2 0 0'
ktap_result "tos 0x28 (Pipe): inner DSCP 46 -> outer DSCP 10" hdr_is 204 4 10 46
ktap_result "tos inherit (Uniform): inner DSCP 46 -> outer DSCP 46" hdr_is 205 4 46 46

###########################################################################
# 3. dscp-decap copy (Uniform model on egress, RFC 2983): A sends with
#    tos 0x28 (outer DSCP 10); B's stt0 must deliver the inner packet with
#    DSCP 10 when B copies, its own DSCP when it does not, and the inner
#    ECN field untouched either way.  Read off a capture on B's stt0.
###########################################################################

PCAP=$TMP/decap.pcap
if stt_cap_start "$NS_B" "$TUN" "$PCAP" "icmp[icmptype] == icmp-echo" 40 60; then
	set_a tos 0x28
	stt_try ip -n "$NS_B" link set "$TUN" type stt dscp-decap copy
	hdr_ping 272 -Q 0x00
	hdr_ping 273 -Q 0x01
	stt_try ip -n "$NS_B" link set "$TUN" type stt dscp-decap ignore
	hdr_ping 274 -Q 0x01
	set_a tos 0
	stt_cap_stop
fi
# "tos iplen" of every inner IPv4 packet B's stt0 delivered.
stt_pcap_ip4 "$PCAP" >"$TMP/decap.txt"
ktap_info "inner echo requests at B (TOS, IP length): $(tr '\n' ';' <"$TMP/decap.txt")"

# decap_is LEN TOS: both inner packets of length LEN arrived with TOS.
decap_is()
{
	awk -v len="$1" -v tos="$2" '
		$2 == len { n++; if ($1 != tos) bad++ }
		END { exit !(n >= 2 && !bad) }' "$TMP/decap.txt"
}
ktap_result "dscp-decap copy: inner DSCP 0 arrives with the outer DSCP 10 (TOS 0x28)" \
	decap_is 300 40
ktap_result "dscp-decap copy: inner ECT(1) keeps its ECN field (TOS 0x29)" \
	decap_is 301 41
ktap_result "dscp-decap ignore: inner TOS 0x01 arrives unchanged" \
	decap_is 302 1

ktap_result "no STT expert info in any capture above (tshark)" \
	stt_expert_clean "$TMP"/*.pcap

check_dmesg
ktap_finished
