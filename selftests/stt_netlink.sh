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
#   - the same configuration in another netns is not a duplicate.

source "$(dirname "$0")/lib.sh"

NL=$STT_SELFTESTS/stt_nl.py

ktap_header
stt_require timeout
stt_have python3 || [ -x /usr/bin/python3 ] || ktap_skip_all "python3 missing"
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
[ "$STT_KIND" = stt ] || ktap_skip_all "STT_KIND=$STT_KIND: this test is for stt only"
ktap_plan 29

if stt_plugin; then
	ktap_pass "iproute2 plugin loads (IP_LIB_DIR=$IP_LIB_DIR)"
else
	ktap_fail "iproute2 plugin loads (IP_LIB_DIR=$IP_LIB_DIR)"
	ktap_bail "the plugin does not load"
fi
setup_ns NS NS2 || ktap_bail "cannot create netns"

# ip link help stt: usage naming every option.
help_ok()
{
	local out opt rc=0

	out=$(ip link help stt 2>&1)
	ktap_info "ip link help stt:"
	ktap_info "$out"
	for opt in remote local key dstport ttl tos; do
		grep -qw "$opt" <<<"$out" || { ktap_info "usage lacks '$opt'"; rc=1; }
	done
	return "$rc"
}
ktap_result "ip link help stt names remote, local, key, dstport, ttl, tos" help_ok

# link_json NS DEV: ip -j -d link show DEV as one JSON object.
link_json()
{
	ip -n "$1" -j -d link show dev "$2" 2>/dev/null |
		stt_python -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[0]))'
}

# json_check NS DEV PYEXPR: PYEXPR over l (link) and d (info_data) is true.
json_check()
{
	local js

	js=$(link_json "$1" "$2") || { ktap_info "no JSON for $2"; return 1; }
	stt_python -c '
import json, sys
l = json.loads(sys.argv[1])
d = l.get("linkinfo", {}).get("info_data", {})
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print("# check failed: %s" % sys.argv[2])
    print("# linkinfo: %s" % json.dumps(l.get("linkinfo")))
sys.exit(0 if ok else 1)
' "$js" "$3"
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
	json_check "$NS" stt0 'l["linkinfo"]["info_kind"] == "stt" and
d.get("remote") == "192.0.2.2" and d.get("local") == "192.0.2.1" and
d.get("key") == "0x1122334455667788" and str(d.get("dstport")) == "7471"'
ktap_result "ip -j -d link show: ttl 64, tos 0x10" \
	json_check "$NS" stt0 'str(d.get("ttl")) == "64" and
str(d.get("tos")) in ("16", "0x10", "lowdelay")'

ktap_result "create stt1 with remote only" \
	ip -n "$NS" link add stt1 type stt remote 192.0.2.3
ktap_result "defaults: dstport 7471, mtu 1500, max_mtu 65463, ttl auto, tos 0" \
	json_check "$NS" stt1 'str(d.get("dstport")) == "7471" and l.get("mtu") == 1500 and
l.get("max_mtu") == 65463 and str(d.get("ttl")) in ("0", "auto") and
str(d.get("tos")) in ("0", "0x0", "0x00", "default", "None") and "remote" in d'
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
	json_check "$NS" stt2 'str(d.get("ttl")) in ("0", "auto") and
str(d.get("tos")) in ("inherit", "1", "0x1", "0x01") and int(d.get("key"), 16) == 7 and
str(d.get("dstport")) == "7472"'

###########################################################################
# Refused configurations
###########################################################################

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

short_attrs()
{
	local rc=0 a

	for a in REMOTE=hex:c000 LOCAL=hex:c00002 KEY=hex:11223344 \
		PORT=hex:1d TTL=hex: TOS=hex:; do
		raw_refused "short ${a%%=*}" "$NS" bad6 REMOTE=ip:192.0.2.10 "$a" ||
			rc=1
	done
	return "$rc"
}
ktap_result "attributes too short (remote, local, key, dstport, ttl, tos): refused with a message" \
	short_attrs

long_attrs()
{
	local rc=0 a

	for a in REMOTE=hex:c00002ffff LOCAL=hex:c0000201ffffffff \
		KEY=hex:112233445566778899aa PORT=hex:1d2f0000 TTL=u16:64 \
		TOS=u32:16; do
		raw_refused "long ${a%%=*}" "$NS" bad7 REMOTE=ip:192.0.2.11 "$a" ||
			rc=1
	done
	return "$rc"
}
ktap_result "attributes too long (remote, local, key, dstport, ttl, tos): refused with a message" \
	long_attrs

ktap_result "raw netlink with correct attributes creates a device (control)" \
	bash -c 'ip netns exec "$1" "$2" ok0 REMOTE=ip:192.0.2.12 KEY=u64:12 PORT=be16:7471 >/dev/null &&
		ip -n "$1" -d link show dev ok0 | grep -q "remote 192.0.2.12"' _ "$NS" "$NL"

devs_expected()
{
	local have

	have=$(ip -n "$NS" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		sort | tr '\n' ' ')
	ktap_info "devices in $NS: $have"
	[ "$have" = "lo ok0 stt0 stt1 stt2 stt3 stt4 " ]
}
ktap_result "no refused device was left behind" devs_expected
ktap_result "devices deleted with ip link del" \
	bash -c 'for d in ok0 stt0 stt1 stt2 stt3 stt4; do
		ip -n "$1" link del "$d" || exit 1; done' _ "$NS"
ktap_result "module still loaded" stt_module_loaded
check_dmesg
ktap_finished
