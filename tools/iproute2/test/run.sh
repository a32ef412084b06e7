#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side test of link_stt.so with the system's ip, no stt module needed.
#
#   parse_opt:  the netlink attributes ip sends are captured by the
#               fake_dump.so shim (STT_DUMP_TX) before the kernel refuses
#               the unknown kind;
#   print_opt:  a vxlan device in a scratch netns is dumped with its kind
#               and IFLA_INFO_DATA rewritten to stt attributes by the shim
#               (STT_FAKE_ATTRS), so ip runs the plugin's print code.
#
# Needs root (netns) and, for the print tests, the vxlan module.
# Usage: tools/iproute2/test/run.sh        (exit 0 = all passed)
#
# $IP (a command, maybe with arguments) and each case's ARGS are split on
# purpose.
# shellcheck disable=SC2086

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGDIR=$(dirname "$HERE")
IP=${IP:-ip}
NS=stt-plugtest-$$
SHIM=$HERE/fake_dump.so
fails=0 passes=0

make -s -C "$PLUGDIR" >/dev/null || exit 1
${CC:-cc} -Wall -Wextra -O2 -fPIC -shared -I"$PLUGDIR/../../include/uapi" \
	-o "$SHIM" "$HERE/fake_dump.c" -ldl || exit 1

export IP_LIB_DIR=$PLUGDIR
$IP netns add "$NS" || exit 1
trap '$IP netns del "$NS" 2>/dev/null' EXIT

ok()   { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# expect_tx "ARGS" "tx: ..."   -- args parse and produce these attributes
expect_tx() {
	local out
	out=$(STT_DUMP_TX=1 LD_PRELOAD=$SHIM \
	      $IP -n "$NS" link add stt0 type stt $1 2>&1 | grep '^tx:')
	if [ "$out" = "$2" ]; then ok; else fail "link add type stt $1: got '$out', want '$2'"; fi
}

# expect_err "ARGS" "fixed string in stderr"   -- rejected before sending
expect_err() {
	local out rc
	out=$(STT_DUMP_TX=1 LD_PRELOAD=$SHIM \
	      $IP -n "$NS" link add stt0 type stt $1 2>&1); rc=$?
	if [ $rc -eq 0 ] || grep -q '^tx:' <<<"$out" ||
	   ! grep -qF -- "$2" <<<"$out"; then
		fail "link add type stt $1: rc=$rc, out='$out', want '$2'"
	else
		ok
	fi
}

# --- help ------------------------------------------------------------
if $IP link help stt 2>&1 | grep -q '^Usage: \.\.\. stt { remote ADDR | external }'; then
	ok
else
	fail "ip link help stt"
fi
if $IP link help stt 2>&1 | grep -q 'see ip-link-stt(8)\.$'; then
	ok
else
	fail "ip link help stt points to ip-link-stt(8)"
fi
if env -u IP_LIB_DIR $IP link help stt 2>&1 | grep -q 'Usage: \.\.\. stt '; then
	fail "plugin found without IP_LIB_DIR (stale install?)"
else
	ok
fi

# --- parse_opt: accepted -------------------------------------------------
# Attribute payloads in wire order: 1 remote, 2 local, 3 key (host order,
# little endian here), 4 dstport (be16), 5 ttl, 6 tos, 8 remote6, 9 local6,
# 10 srcport range (two be16), 11 ttl_inherit (sent with every ttl).
expect_tx "remote 192.0.2.2 key 0x1122334455667788" \
	"tx: 1:c0000202 3:8877665544332211"
expect_tx "remote 192.0.2.2 local 192.0.2.1 key 0x1122334455667788 dstport 7471 ttl auto tos inherit" \
	"tx: 1:c0000202 2:c0000201 3:8877665544332211 4:1d2f 5:00 6:01 11:00"
expect_tx "tos 0x10 ttl 64 dstport 80 key 18446744073709551615 local any remote 10.1.2.3" \
	"tx: 1:0a010203 2:00000000 3:ffffffffffffffff 4:0050 5:40 6:10 11:00"
expect_tx "rem 192.0.2.2 id 7 ttl 0 dsfield 0x2e" \
	"tx: 1:c0000202 3:0700000000000000 5:00 6:2e 11:00"
expect_tx "remote 192.0.2.2 ttl inherit" \
	"tx: 1:c0000202 5:00 11:01"
expect_tx "remote 192.0.2.2 key 0 tos 0 dstport 0xffff" \
	"tx: 1:c0000202 3:0000000000000000 4:ffff 6:00"
expect_tx "remote 2001:db8::1 local 2001:db8::2" \
	"tx: 8:20010db8000000000000000000000001 9:20010db8000000000000000000000002"
expect_tx "remote 2001:db8::1 local any" \
	"tx: 2:00000000 8:20010db8000000000000000000000001"
expect_tx "remote 239.1.1.1" "tx: 1:ef010101"
expect_tx "remote ff05::7471" "tx: 8:ff050000000000000000000000007471"
expect_tx "remote 192.0.2.2 srcport 50000 50003" \
	"tx: 1:c0000202 10:c350c353"
expect_tx "srcport 1 65535 remote 192.0.2.2" \
	"tx: 1:c0000202 10:0001ffff"
# 15: external, a flag (no payload).
expect_tx "external" "tx: 15:"
expect_tx "ext dstport 7472 srcport 50000 50003" "tx: 4:1d30 10:c350c353 15:"

# --- parse_opt: rejected -------------------------------------------------
expect_err "remote bogus"			'argument "bogus" is wrong: invalid remote'
expect_err "remote 192.0.2.2 dstport 0"	'argument "0" is wrong: invalid dstport'
expect_err "remote 192.0.2.2 dstport 65536"	'invalid dstport'
expect_err "remote 192.0.2.2 key 0xzz"	'argument "0xzz" is wrong: invalid key'
expect_err "remote 192.0.2.2 key -1"	'invalid key'
expect_err "remote 192.0.2.2 key 0x"	'invalid key'
expect_err "remote 192.0.2.2 key 18446744073709551616" 'invalid key'
expect_err "remote 192.0.2.2 ttl 256"	'invalid ttl'
expect_err "remote 192.0.2.2 ttl inheri"	'invalid ttl'
expect_err "remote 192.0.2.2 ttl inherit ttl 5" 'duplicate "ttl"'
expect_err "remote 192.0.2.2 tos 0x100"	'invalid tos'
expect_err "remote 192.0.2.2 tos nonsense"	'invalid tos'
expect_err "remote 0.0.0.0"			'invalid remote'
expect_err "remote ::ffff:192.0.2.2"		'invalid remote address'
expect_err "remote 2001:db8::1 remote 192.0.2.2"	'duplicate "remote"'
expect_err "remote 192.0.2.2 local 239.0.0.1" 'invalid local'
expect_err "remote 192.0.2.2 remote 192.0.2.3" 'duplicate "remote"'
expect_err "remote 192.0.2.2 key 1 id 2"	'duplicate "id"'
expect_err "remote 192.0.2.2 dstport"	'Command line is not complete'
expect_err "key 5"				'remote endpoint not specified'
expect_err "remote 192.0.2.2 frobnicate"	'unknown option "frobnicate"'
expect_err "help"				'Usage: ... stt { remote ADDR | external }'
expect_err "external external"		'duplicate "external"'
expect_err "dstport 7472"			'remote endpoint not specified (remote ADDR or external)'
expect_err "remote 192.0.2.2 srcport 0 10"	'argument "0" is wrong: invalid srcport'
expect_err "remote 192.0.2.2 srcport 10 5"	'argument "5" is wrong: invalid srcport'
expect_err "remote 192.0.2.2 srcport 10 65536" 'invalid srcport'
expect_err "remote 192.0.2.2 srcport 10"	'Command line is not complete'

# --- print_opt ---------------------------------------------------------
# expect_show "ATTRS" "text after 'stt '" 'JSON info_data'
expect_show() {
	local text json
	text=$(STT_FAKE_ATTRS=$1 LD_PRELOAD=$SHIM \
	       $IP -n "$NS" -d link show vx0 | sed -n 's/^ *stt //p')
	text=${text%% addrgenmode*}
	if [ "$text" = "$2" ]; then ok; else fail "show [$1]: got '$text', want '$2'"; fi
	json=$(STT_FAKE_ATTRS=$1 LD_PRELOAD=$SHIM \
	       $IP -n "$NS" -j -d link show vx0 |
	       python3 -c 'import json, sys
li = json.load(sys.stdin)[0]["linkinfo"]
assert li["info_kind"] == "stt", li
print(json.dumps(li.get("info_data"), separators=(",", ":")))')
	if [ "$json" = "$3" ]; then ok; else fail "json [$1]: got '$json', want '$3'"; fi
}

if $IP -n "$NS" link add vx0 type vxlan id 5 dstport 4789 \
	remote 192.0.2.9 2>/dev/null; then
	expect_show "1:c0000202 2:c0000201 3:8877665544332211 4:1d2f 5:00 6:01" \
		"remote 192.0.2.2 local 192.0.2.1 key 0x1122334455667788 dstport 7471 ttl auto tos inherit" \
		'{"remote":"192.0.2.2","local":"192.0.2.1","key":"0x1122334455667788","dstport":7471,"ttl":0,"tos":"0x1"}'
	expect_show "1:c0000202 2:00000000 3:0000000000000000 4:0050 5:40 6:00" \
		"remote 192.0.2.2 local any key 0x0 dstport 80 ttl 64 tos 0x0" \
		'{"remote":"192.0.2.2","local":"any","key":"0x0","dstport":80,"ttl":64,"tos":"0x0"}'
	expect_show "1:c0000202 5:ff 6:b8" \
		"remote 192.0.2.2 ttl 255 tos 0xb8" \
		'{"remote":"192.0.2.2","ttl":255,"tos":"0xb8"}'
	expect_show "1:c0000202 10:c350c353" \
		"remote 192.0.2.2 srcport 50000 50003" \
		'{"remote":"192.0.2.2","port_range":{"low":50000,"high":50003}}'
	expect_show "1:c0000202 5:00 11:01" \
		"remote 192.0.2.2 ttl inherit" \
		'{"remote":"192.0.2.2","ttl":0,"ttl_inherit":true}'
	expect_show "1:c0000202 5:00 11:00" \
		"remote 192.0.2.2 ttl auto" \
		'{"remote":"192.0.2.2","ttl":0,"ttl_inherit":false}'
	expect_show "15: 4:1d2f 5:00 6:00" \
		"external dstport 7471 ttl auto tos 0x0" \
		'{"external":true,"dstport":7471,"ttl":0,"tos":"0x0"}'
	# Short (malformed) attributes are skipped, not read past.
	expect_show "1:c00002 2:c0000201 3:88776655 4:1d 5: 6: 10:c350 11:" \
		"local 192.0.2.1" \
		'{"local":"192.0.2.1"}'
else
	echo "SKIP: print_opt tests (cannot create a vxlan device)"
fi

rm -f "$SHIM"
echo "link_stt: $passes passed, $fails failed"
[ $fails -eq 0 ]
