#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rtnetlink interface, through the iproute2 plugin and through raw
# netlink (stt_nl.py):
#   - the plugin loads and prints its usage (ip link help stt);
#   - every attribute comes back with its configured value, in
#     ip -d link show and in ip -j -d link show; defaults (dstport 7471,
#     MTU 1500, max MTU 65463) and ttl auto / tos inherit;
#   - bad configurations are refused with an extack message ("Error: ...")
#     and leave no device behind: no remote, a duplicate (local, remote,
#     key, dstport) in the same netns, dstport 0, attributes of the wrong
#     length, an MTU above the maximum.
#   - the same configuration in another netns is not a duplicate;
#   - ip -j -d link show answers jq queries on info_data;
#   - changelink (ip link set DEV type stt ...): ttl and tos change and read
#     back; key, dstport, remote and local change on a live tunnel, traffic
#     stops while only one end has changed and flows again once both have
#     (the receive lookup follows the new key/port/addresses); a change to
#     a duplicate, to dstport 0 or to a multicast remote without dev is
#     refused with an extack message and changes nothing; ttl/tos/key flipped while iperf3
#     runs;
#   - ttl inherit: read back as "ttl inherit" and ttl_inherit true in
#     JSON, cleared by "ttl 64"; TTL_INHERIT 2 refused (raw netlink);
#   - srcport MIN MAX: default 49152 65535, read back in text and JSON
#     (port_range.low/high), changed by changelink; MIN 0 and MIN > MAX
#     refused with an extack message (raw netlink), by ip too;
#   - df set|unset|inherit and dscp-decap copy|ignore: defaults unset and
#     ignore, every value read back after a changelink (text as geneve:
#     "df unset" only in JSON), out-of-range values refused (raw netlink
#     and ip).  What they do on the wire is stt_qos.sh's.

source "$(dirname "$0")/lib.sh"

NL=$STT_SELFTESTS/stt_nl.py

ktap_header
stt_require timeout jq ethtool iperf3 ping ss
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
ktap_plan 70
# The module's reference count before any netlink request: every request
# below that takes a reference (a device, a dump) must give it back.
REFCNT0=$(cat /sys/module/stt/refcnt)

if stt_plugin; then
	ktap_pass "iproute2 plugin loads (IP_LIB_DIR=$IP_LIB_DIR)"
else
	ktap_fail "iproute2 plugin loads (IP_LIB_DIR=$IP_LIB_DIR)"
	ktap_bail "the plugin does not load"
fi
setup_ns NS NS2 || ktap_bail "cannot create netns"
# What a new netns has before the test adds anything: lo, and where ip_gre,
# ip6_tunnel, sit and the like are built in (make debug-kernel's), their
# fallback devices (gre0, sit0, ...).
devs() { ip -n "$NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'; }
NS_DEVS=$(devs)

# ip link help stt: usage naming every option.
help_ok()
{
	local out opt rc=0

	out=$(ip link help stt 2>&1)
	ktap_info "ip link help stt:"
	ktap_info "$out"
	for opt in remote local key dstport ttl tos srcport df dscp-decap dev external; do
		grep -qw "$opt" <<<"$out" || { ktap_info "usage lacks '$opt'"; rc=1; }
	done
	return "$rc"
}
ktap_result "ip link help stt names remote, local, key, dstport, ttl, tos, srcport, df, dscp-decap, dev, external" help_ok

# json_check NS DEV EXPR: the jq EXPR over $l (the link) and $d (its
# info_data) is true.
json_check()
{
	jq_link "$1" "$2" ".[0] as \$l | (\$l.linkinfo.info_data // {}) as \$d | $3"
}

# jq_link NS DEV FILTER: jq -e FILTER on ip -j -d link show DEV is true.
jq_link()
{
	local js

	js=$(ip -n "$1" -j -d link show dev "$2" 2>&1) || { ktap_info "$js"; return 1; }
	jq -e "$3" <<<"$js" >/dev/null && return 0
	ktap_info "jq -e '$3' is false on $2; info_data:"
	ktap_info "$(jq -c '.[0].linkinfo.info_data' <<<"$js" 2>&1)"
	return 1
}

# dev_absent NS DEV
dev_absent() { ! ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

# expect_refused DESC NS DEV CMD...: CMD fails with "Error: <message>"
# (the kernel's extack, or ip's own "Error: argument ... is wrong") and DEV
# does not exist afterwards.  With ANY_MSG=1 any message will do (the
# plugin refuses a missing remote itself, before the kernel sees it).
expect_refused()
{
	local desc=$1 ns=$2 dev=$3 out rc msg

	shift 3
	out=$("$@" 2>&1)
	rc=$?
	msg=$(sed -n 's/^Error: *//p' <<<"$out" | head -1)
	[ "${ANY_MSG:-0}" = 1 ] && [ -z "$msg" ] && msg=$(head -1 <<<"$out")
	ktap_info "$desc: exit $rc: $(head -2 <<<"$out" | tr '\n' ' ')"
	if [ "$rc" -ne 0 ] && [ -n "$msg" ] && dev_absent "$ns" "$dev"; then
		ktap_pass "$desc"
	else
		[ "$rc" -eq 0 ] && ktap_info "the command succeeded"
		[ -z "$msg" ] && ktap_info "no 'Error: <message>' line"
		dev_absent "$ns" "$dev" || ktap_info "$dev exists"
		ip -n "$ns" link del "$dev" 2>/dev/null
		ktap_fail "$desc"
	fi
}

# raw_refused DESC NS DEV ATTRS...: stt_nl.py gets an error with a
# non-empty extack message and creates nothing.
raw_refused()
{
	local desc=$1 ns=$2 dev=$3 out rc

	shift 3
	out=$(nsx "$ns" "$NL" "$dev" "$@" 2>&1)
	rc=$?
	RAW_OUT=$out
	ktap_info "$desc: $out"
	if [ "$rc" -eq 1 ] && [[ $out == *"msg='"?* ]] && dev_absent "$ns" "$dev"; then
		return 0
	fi
	[ "$rc" -eq 0 ] && ip -n "$ns" link del "$dev" 2>/dev/null
	return 1
}

###########################################################################
# Attributes round-trip
###########################################################################

ktap_result "create stt0 with remote, local, key, dstport, ttl, tos" \
	ip -n "$NS" link add stt0 type stt remote 192.0.2.2 local 192.0.2.1 \
	key "$STT_KEY" dstport 7471 ttl 64 tos 0x10

DETAIL=$(ip -n "$NS" -d link show dev stt0 2>&1)
ktap_info "ip -d link show stt0:"
ktap_info "$DETAIL"
text_ok()
{
	local want rc=0

	for want in "stt " "remote 192.0.2.2" "local 192.0.2.1" \
		"key $STT_KEY" "dstport 7471" "ttl 64"; do
		grep -qF -- "$want" <<<"$DETAIL" || { ktap_info "missing '$want'"; rc=1; }
	done
	grep -qE 'tos (0x10|16|lowdelay)( |$)' <<<"$DETAIL" ||
		{ ktap_info "missing 'tos 0x10'"; rc=1; }
	return "$rc"
}
ktap_result "ip -d link show prints every attribute with its value" text_ok

ktap_result "ip -j -d link show: info_kind stt, remote, local, key, dstport" \
	json_check "$NS" stt0 '$l.linkinfo.info_kind == "stt" and
$d.remote == "192.0.2.2" and $d.local == "192.0.2.1" and
$d.key == "0x1122334455667788" and ($d.dstport | tostring) == "7471"'
ktap_result "ip -j -d link show: ttl 64, tos 0x10" \
	json_check "$NS" stt0 '($d.ttl | tostring) == "64" and
($d.tos | tostring | IN("16", "0x10", "lowdelay"))'

ktap_result "create stt1 with remote only" \
	ip -n "$NS" link add stt1 type stt remote 192.0.2.3
ktap_result "defaults: dstport 7471, mtu 1500, max_mtu 65463, ttl auto, tos 0" \
	json_check "$NS" stt1 '($d.dstport | tostring) == "7471" and $l.mtu == 1500 and
$l.max_mtu == 65463 and ($d.ttl | tostring | IN("0", "auto")) and
($d.tos | tostring | IN("0", "0x0", "0x00", "default", "null")) and ($d | has("remote"))'
ktap_result "srcport default 49152 65535 (text and jq port_range)" \
	bash -c 'ip -n "$1" -d link show dev stt1 | grep -q "srcport 49152 65535 " &&
		ip -n "$1" -j -d link show dev stt1 | jq -e ".[0].linkinfo.info_data.port_range |
		.low == 49152 and .high == 65535" >/dev/null' _ "$NS"
ktap_result "ttl_inherit default false (jq)" \
	jq_link "$NS" stt1 '.[0].linkinfo.info_data.ttl_inherit == false'
df_default()
{
	jq_link "$NS" stt1 '.[0].linkinfo.info_data |
		.df == "unset" and .dscp_decap == "ignore"' &&
		! ip -n "$NS" -d link show dev stt1 | grep -qE " df |dscp-decap"
}
ktap_result "df unset and dscp-decap ignore by default (jq; text shows neither)" \
	df_default
ktap_result "mtu 65463 (the maximum) accepted" \
	ip -n "$NS" link set stt1 mtu 65463
expect_refused "mtu 65464 refused" "$NS" stt-none \
	ip -n "$NS" link set stt1 mtu 65464

ktap_result "create stt2 with ttl auto, tos inherit, dstport 7472" \
	ip -n "$NS" link add stt2 type stt remote 192.0.2.4 local 192.0.2.1 \
	key 7 ttl auto tos inherit dstport 7472
ktap_info "$(ip -n "$NS" -d link show dev stt2 2>&1)"
ktap_result "ttl auto and tos inherit read back (text and JSON)" \
	bash -c 'ip -n "$1" -d link show dev stt2 | grep -q "tos inherit" &&
		{ ip -n "$1" -d link show dev stt2 | grep -q "ttl auto" ||
		  ip -n "$1" -d link show dev stt2 | grep -qw "ttl 0"; }' _ "$NS"
ktap_result "ip -j: ttl auto/0, tos inherit, key 7, dstport 7472" \
	json_check "$NS" stt2 '($d.ttl | tostring | IN("0", "auto")) and
($d.tos | tostring | IN("inherit", "1", "0x1", "0x01")) and
($d.key | tostring | IN("0x7", "0x07", "0x0000000000000007")) and
($d.dstport | tostring) == "7472"'

ktap_result "create stt5 with srcport 50000 50003" \
	ip -n "$NS" link add stt5 type stt remote 192.0.2.5 srcport 50000 50003
ktap_info "$(ip -n "$NS" -d link show dev stt5 2>&1)"
ktap_result "srcport 50000 50003 reads back (text and jq port_range)" \
	bash -c 'ip -n "$1" -d link show dev stt5 | grep -q "srcport 50000 50003 " &&
		ip -n "$1" -j -d link show dev stt5 | jq -e ".[0].linkinfo.info_data.port_range |
		.low == 50000 and .high == 50003" >/dev/null' _ "$NS"
ktap_result "srcport 7000 7000 (one port) accepted" \
	ip -n "$NS" link set stt5 type stt srcport 7000 7000
ktap_result "changelink: srcport 7000 7000 reads back, remote kept" \
	bash -c 'ip -n "$1" -j -d link show dev stt5 | jq -e ".[0].linkinfo.info_data |
		.port_range.low == 7000 and .port_range.high == 7000 and
		.remote == \"192.0.2.5\"" >/dev/null' _ "$NS"

ttl_inherit_rt()
{
	stt_try ip -n "$NS" link set stt5 type stt ttl inherit || return 1
	ip -n "$NS" -d link show dev stt5 | grep -q "ttl inherit " ||
		{ ktap_info "no 'ttl inherit' in ip -d link show"; return 1; }
	jq_link "$NS" stt5 '.[0].linkinfo.info_data | .ttl_inherit == true and .ttl == 0' ||
		return 1
	stt_try ip -n "$NS" link set stt5 type stt ttl 64 || return 1
	ip -n "$NS" -d link show dev stt5 | grep -q "ttl 64 " &&
		jq_link "$NS" stt5 '.[0].linkinfo.info_data | .ttl_inherit == false and .ttl == 64'
}
ktap_result "changelink: ttl inherit reads back (text, jq ttl_inherit), ttl 64 clears it" \
	ttl_inherit_rt

# df_rt: every df value and dscp-decap copy/ignore, read back as text
# and JSON after a changelink; the remote stays.
df_rt()
{
	local v

	for v in set inherit unset; do
		stt_try ip -n "$NS" link set stt5 type stt df "$v" || return 1
		jq_link "$NS" stt5 ".[0].linkinfo.info_data |
			.df == \"$v\" and .remote == \"192.0.2.5\"" ||
			{ ktap_info "jq: df is not $v"; return 1; }
		if [ "$v" = unset ]; then
			! ip -n "$NS" -d link show dev stt5 | grep -q " df "
		else
			ip -n "$NS" -d link show dev stt5 | grep -q " df $v "
		fi || { ktap_info "text: df $v not shown as geneve does"; return 1; }
	done
	stt_try ip -n "$NS" link set stt5 type stt dscp-decap copy || return 1
	if ! ip -n "$NS" -d link show dev stt5 | grep -q "dscp-decap copy " ||
		! jq_link "$NS" stt5 '.[0].linkinfo.info_data.dscp_decap == "copy"'; then
		ktap_info "dscp-decap copy does not read back"
		return 1
	fi
	stt_try ip -n "$NS" link set stt5 type stt dscp-decap ignore &&
		jq_link "$NS" stt5 '.[0].linkinfo.info_data.dscp_decap == "ignore"'
}
ktap_result "changelink: df set/inherit/unset and dscp-decap copy/ignore read back (text, jq)" \
	df_rt

###########################################################################
# jq on ip -j -d link show
###########################################################################

ktap_result "jq: .[0].linkinfo.info_data of stt0 has remote, local, key, dstport, ttl, tos" \
	jq_link "$NS" stt0 '.[0].linkinfo.info_kind == "stt" and
	(.[0].linkinfo.info_data | .remote == "192.0.2.2" and .local == "192.0.2.1" and
	 .key == "0x1122334455667788" and .dstport == 7471 and .ttl == 64 and .tos == "0x10")'
ktap_result "jq: stt2 ttl 0 (auto), tos 0x1 (inherit), key 0x7, dstport 7472" \
	jq_link "$NS" stt2 '.[0].linkinfo.info_data |
	.ttl == 0 and .tos == "0x1" and .key == "0x7" and .dstport == 7472'

###########################################################################
# Refused configurations
###########################################################################

# raw_msg DESC NS DEV WANT ATTRS...: raw_refused, and the extack message
# contains WANT.
raw_msg()
{
	local desc=$1 ns=$2 dev=$3 want=$4

	shift 4
	RAW_OUT=""
	raw_refused "$desc" "$ns" "$dev" "$@" || return 1
	[[ $RAW_OUT == *"$want"* ]] && return 0
	ktap_info "the message lacks '$want'"
	return 1
}
ktap_result "srcport 0 10: refused with an extack message (raw netlink)" \
	raw_msg "srcport 0 10" "$NS" bad8 "must not start at 0" \
	REMOTE=ip:192.0.2.13 PORT_RANGE=hex:0000000a
ktap_result "srcport 50001 50000: refused with an extack message (raw netlink)" \
	raw_msg "srcport 50001 50000" "$NS" bad9 "low port is above" \
	REMOTE=ip:192.0.2.13 PORT_RANGE=hex:c351c350
ktap_result "ttl_inherit 2: refused with an extack message (raw netlink)" \
	raw_refused "ttl_inherit 2" "$NS" bad12 REMOTE=ip:192.0.2.13 TTL_INHERIT=u8:2
ktap_result "df 3: refused with an extack message (raw netlink)" \
	raw_refused "df 3" "$NS" bad14 REMOTE=ip:192.0.2.13 DF=u8:3
ktap_result "dscp_decap 2: refused with an extack message (raw netlink)" \
	raw_refused "dscp_decap 2" "$NS" bad15 REMOTE=ip:192.0.2.13 DSCP_DECAP=u8:2
expect_refused "df maybe: refused (ip)" "$NS" bad16 \
	ip -n "$NS" link add bad16 type stt remote 192.0.2.13 df maybe
expect_refused "ttl 256: refused (ip)" "$NS" bad13 \
	ip -n "$NS" link add bad13 type stt remote 192.0.2.13 ttl 256
expect_refused "srcport 50001 50000: refused (ip)" "$NS" bad10 \
	ip -n "$NS" link add bad10 type stt remote 192.0.2.13 srcport 50001 50000
expect_refused "srcport 0 10: refused (ip)" "$NS" bad11 \
	ip -n "$NS" link add bad11 type stt remote 192.0.2.13 srcport 0 10

ANY_MSG=1 expect_refused "no remote: refused by ip with a message" "$NS" bad0 \
	ip -n "$NS" link add bad0 type stt local 192.0.2.1 key 5
ktap_result "no remote: refused with an extack message (raw netlink)" \
	raw_refused "no remote (raw)" "$NS" bad1 LOCAL=ip:192.0.2.1 KEY=u64:5

expect_refused "duplicate (local, remote, key, dstport) in one netns: refused" \
	"$NS" bad2 ip -n "$NS" link add bad2 type stt remote 192.0.2.2 \
	local 192.0.2.1 key "$STT_KEY" dstport 7471
ktap_result "same endpoints with another key: accepted" \
	ip -n "$NS" link add stt3 type stt remote 192.0.2.2 local 192.0.2.1 \
	key 0x1122334455667789 dstport 7471
ktap_result "same endpoints with another dstport: accepted" \
	ip -n "$NS" link add stt4 type stt remote 192.0.2.2 local 192.0.2.1 \
	key "$STT_KEY" dstport 7473
ktap_result "same configuration in another netns: accepted" \
	ip -n "$NS2" link add stt0 type stt remote 192.0.2.2 local 192.0.2.1 \
	key "$STT_KEY" dstport 7471
ktap_result "duplicate refused with an extack message (raw netlink)" \
	raw_refused "duplicate (raw)" "$NS" bad3 REMOTE=ip:192.0.2.2 \
	LOCAL=ip:192.0.2.1 KEY=u64:"$STT_KEY" PORT=be16:7471

expect_refused "dstport 0: refused (ip)" "$NS" bad4 \
	ip -n "$NS" link add bad4 type stt remote 192.0.2.9 key 9 dstport 0
ktap_result "dstport 0: refused with an extack message (raw netlink)" \
	raw_refused "dstport 0 (raw)" "$NS" bad5 REMOTE=ip:192.0.2.9 PORT=be16:0

# raw_each DESC NS DEV BASE ATTR...: one raw request per ATTR (with the
# BASE attribute), all from one stt_nl.py --batch (one python start, not
# one per request): each must be refused with an extack message, and DEV
# must not exist afterwards.
raw_each()
{
	local desc=$1 ns=$2 dev=$3 base=$4 a rc=0 i=0 res=()

	shift 4
	mapfile -t res < <(printf "$dev $base %s\n" "$@" | nsx "$ns" "$NL" --batch 2>&1)
	for a in "$@"; do
		ktap_info "$desc ${a%%=*}: ${res[i]:-no answer}"
		[[ ${res[i]:-} == "error="*"msg='"?* ]] || rc=1
		i=$((i + 1))
	done
	if ! dev_absent "$ns" "$dev"; then
		ktap_info "$dev exists"
		ip -n "$ns" link del "$dev" 2>/dev/null
		rc=1
	fi
	return "$rc"
}
ktap_result "attributes too short (remote, local, key, dstport, ttl, tos, srcport, df, dscp_decap, link): refused with a message" \
	raw_each short "$NS" bad6 REMOTE=ip:192.0.2.10 REMOTE=hex:c000 \
	LOCAL=hex:c00002 KEY=hex:11223344 PORT=hex:1d TTL=hex: TOS=hex: \
	PORT_RANGE=hex:c350 TTL_INHERIT=hex: DF=hex: DSCP_DECAP=hex: LINK=hex:0100
ktap_result "attributes too long (remote, local, key, dstport, ttl, tos, srcport, df, dscp_decap, link): refused with a message" \
	raw_each long "$NS" bad7 REMOTE=ip:192.0.2.11 REMOTE=hex:c00002ffff \
	LOCAL=hex:c0000201ffffffff KEY=hex:112233445566778899aa \
	PORT=hex:1d2f0000 TTL=u16:64 TOS=u32:16 PORT_RANGE=hex:c350c3530000 \
	TTL_INHERIT=u16:1 DF=u16:1 DSCP_DECAP=u16:1 LINK=hex:010000000000

ktap_result "raw netlink with correct attributes creates a device (control)" \
	bash -c 'ip netns exec "$1" "$2" ok0 REMOTE=ip:192.0.2.12 KEY=u64:12 PORT=be16:7471 >/dev/null &&
		ip -n "$1" -d link show dev ok0 | grep -q "remote 192.0.2.12"' _ "$NS" "$NL"

devs_expected()
{
	local have want

	have=$(devs | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$NS_DEVS" ok0 stt0 stt1 stt2 stt3 stt4 stt5 | sort | tr '\n' ' ')
	ktap_info "devices in $NS: $have"
	[ "$have" = "$want" ] || { ktap_info "expected: $want"; return 1; }
}
ktap_result "no refused device was left behind" devs_expected
ktap_result "devices deleted with ip link del" \
	bash -c 'for d in ok0 stt0 stt1 stt2 stt3 stt4 stt5; do
		ip -n "$1" link del "$d" || exit 1; done' _ "$NS"
###########################################################################
# changelink on a live tunnel
###########################################################################

if stt_topo_setup; then
	ktap_pass "changelink: topology (two netns, veth underlay, $TUN in each)"
else
	ktap_fail "changelink: topology (two netns, veth underlay, $TUN in each)"
	ktap_bail "cannot build the topology"
fi

# Quick ping A -> B: 2 tries, 1 s each.
ping_ab() { nsx "$NS_A" ping -q -c 2 -i 0.3 -W 1 "$IN_IP_B" >/dev/null 2>&1; }
# Traffic flows (retry for a few seconds: ARP, the route cache).
flows() { stt_wait_for 15 ping_ab; }
# Traffic does not flow.
blocked() { ! ping_ab && ! ping_ab; }

# change NS EXPECT OPTIONS...: ip link set $TUN type stt OPTIONS in NS,
# then EXPECT (flows or blocked) must hold.
change()
{
	local ns=$1 expect=$2

	shift 2
	stt_try ip -n "$ns" link set "$TUN" type stt "$@" && "$expect"
}

ktap_result "changelink: traffic flows before any change" flows

ttl_tos()
{
	change "$NS_A" flows ttl 42 tos 0x20 &&
		jq_link "$NS_A" "$TUN" ".[0].linkinfo.info_data | .ttl == 42 and
		.tos == \"0x20\" and .remote == \"$UL_IP_B\" and
		.local == \"$UL_IP_A\" and .key == \"$STT_KEY\" and .dstport == $STT_PORT"
}
ktap_result "changelink: ttl 42 tos 0x20 on A, traffic flows, the rest unchanged (jq)" \
	ttl_tos

text_auto_inherit()
{
	local out

	change "$NS_A" flows ttl auto tos inherit || return 1
	out=$(ip -n "$NS_A" -d link show dev "$TUN")
	ktap_info "$out"
	grep -q "ttl auto" <<<"$out" && grep -q "tos inherit" <<<"$out" &&
		jq_link "$NS_A" "$TUN" '.[0].linkinfo.info_data | .ttl == 0 and .tos == "0x1"'
}
ktap_result "changelink: back to ttl auto, tos inherit (text and jq), traffic flows" \
	text_auto_inherit

no_dev_before=$(stt_proc_val "$NS_B" rx_no_device)
ktap_result "changelink: key 0x99 on A only: traffic stops" \
	change "$NS_A" blocked key 0x99
no_dev_after=$(stt_proc_val "$NS_B" rx_no_device)
ktap_info "B rx_no_device: $no_dev_before -> $no_dev_after"
ktap_check "changelink: B counts A's frames with the new key in rx_no_device" \
	"$([ "${no_dev_after:-0}" -gt "${no_dev_before:-0}" ] && echo 0)"
ktap_result "changelink: key 0x99 on B too: traffic flows" \
	change "$NS_B" flows key 0x99
ktap_result "changelink: jq reads key 0x99 on both ends" \
	bash -c 'for ns in "$1" "$2"; do ip -n "$ns" -j -d link show dev "$3" |
		jq -e ".[0].linkinfo.info_data.key == \"0x99\"" >/dev/null || exit 1
		done' _ "$NS_A" "$NS_B" "$TUN"

ktap_result "changelink: dstport 7480 on A only: traffic stops" \
	change "$NS_A" blocked dstport 7480
ktap_result "changelink: dstport 7480 on B too: traffic flows" \
	change "$NS_B" flows dstport 7480

ip -n "$NS_A" addr add 192.0.2.11/24 dev "$UL_A"
ip -n "$NS_B" addr add 192.0.2.12/24 dev "$UL_B"
ktap_result "changelink: A local 192.0.2.11 remote 192.0.2.12 only: traffic stops" \
	change "$NS_A" blocked local 192.0.2.11 remote 192.0.2.12
ktap_result "changelink: B local 192.0.2.12 remote 192.0.2.11 too: traffic flows" \
	change "$NS_B" flows local 192.0.2.12 remote 192.0.2.11
BUS=$(nsx "$NS_A" ethtool -i "$TUN" 2>&1 | sed -n 's/^bus-info: //p')
ktap_info "A: ethtool -i $TUN: bus-info: $BUS"
ktap_check "changelink: ethtool -i bus-info follows (stt:192.0.2.12:7480)" \
	"$([ "$BUS" = "stt:192.0.2.12:7480" ] && echo 0)"

# expect_change_refused DESC NS DEV JQ CMD...: CMD fails with "Error: ..."
# and DEV's info_data still satisfies JQ.
expect_change_refused()
{
	local desc=$1 ns=$2 dev=$3 jqf=$4 out rc

	shift 4
	out=$("$@" 2>&1)
	rc=$?
	ktap_info "$desc: exit $rc: $(head -2 <<<"$out" | tr '\n' ' ')"
	if [ "$rc" -ne 0 ] && { grep -q "^Error: ." <<<"$out" ||
		[[ $out == *"msg='"?* ]]; } && jq_link "$ns" "$dev" "$jqf"; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc"
	fi
}

stt_try ip -n "$NS_A" link add stt1 type stt remote 192.0.2.50 key 5
UNCHANGED='.[0].linkinfo.info_data | .remote == "192.0.2.50" and .local == "any" and
	.key == "0x5" and .dstport == 7471'
expect_change_refused "changelink: to a duplicate of stt0's (local, remote, key, dstport): refused, unchanged" \
	"$NS_A" stt1 "$UNCHANGED" ip -n "$NS_A" link set stt1 type stt \
	remote 192.0.2.12 local 192.0.2.11 key 0x99 dstport 7480
expect_change_refused "changelink: dstport 0 (raw netlink): refused with extack, unchanged" \
	"$NS_A" stt1 "$UNCHANGED" nsx "$NS_A" "$NL" --change stt1 PORT=be16:0
expect_change_refused "changelink: multicast remote without dev (raw netlink): refused with extack, unchanged" \
	"$NS_A" stt1 "$UNCHANGED" nsx "$NS_A" "$NL" --change stt1 REMOTE=ip:224.0.0.1
expect_change_refused "changelink: a 2-byte key (raw netlink): refused with extack, unchanged" \
	"$NS_A" stt1 "$UNCHANGED" nsx "$NS_A" "$NL" --change stt1 KEY=hex:1122
expect_change_refused "changelink: srcport 60000 59999 (raw netlink): refused with extack, range unchanged" \
	"$NS_A" stt1 "$UNCHANGED and .port_range.low == 49152 and .port_range.high == 65535" \
	nsx "$NS_A" "$NL" --change stt1 PORT_RANGE=hex:ea60ea5f
ktap_result "changelink: raw netlink change of ttl alone (control), remote kept" \
	bash -c 'ip netns exec "$1" "$2" --change stt1 TTL=u8:9 >/dev/null &&
		ip -n "$1" -j -d link show dev stt1 |
		jq -e ".[0].linkinfo.info_data | .ttl == 9 and .remote == \"192.0.2.50\"" >/dev/null' \
	_ "$NS_A" "$NL"
ktap_result "changelink: ip link set stt1 type stt (no options) succeeds" \
	ip -n "$NS_A" link set stt1 type stt

# While iperf3 runs A -> B: ttl and tos flip on A; key flips on both ends
# (a rehash each time: frames between the two changes are lost and TCP
# resends them).
flip_loop()
{
	local i k

	for i in $(seq 1 20); do
		ip -n "$NS_A" link set "$TUN" type stt ttl $((30 + i % 2)) \
			tos $((i % 2 ? 0x20 : 1)) || return 1
		if [ $((i % 5)) = 0 ]; then
			k=$((i % 10 ? 0x99 : 0x98))
			ip -n "$NS_A" link set "$TUN" type stt key "$k" || return 1
			ip -n "$NS_B" link set "$TUN" type stt key "$k" || return 1
		fi
		stt_sleep 0.1
	done
}
under_traffic()
{
	local mbps rc=0

	flip_loop &
	local lpid=$!

	mbps=$(stt_iperf "$NS_B" "$IN_IP_B" "$NS_A" 5) || rc=1
	wait "$lpid" || { ktap_info "a change failed"; rc=1; }
	ktap_info "iperf3 while changing: ${mbps:-failed} Mbit/s"
	# Both ends end on the same key: traffic flows afterwards.
	flows || rc=1
	return "$rc"
}
ktap_result "changelink: ttl/tos/key changed 20 times under iperf3, data flows, then ping" \
	under_traffic

refcnt_back()
{
	local n

	n=$(cat /sys/module/stt/refcnt 2>/dev/null)
	ktap_info "stt refcnt: $REFCNT0 before the netlink tests, ${n:-none} now"
	[ -n "$n" ] && [ "$n" = "$REFCNT0" ]
}
ktap_result "module reference count back to its value before the tests ($REFCNT0)" \
	refcnt_back
check_dmesg
ktap_finished
