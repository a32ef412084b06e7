#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of tools/bench/profile.sh: plain TCP over a veth pair, then
# the same TCP through stt, in one offload profile of make bench.  For
# each kind it runs iperf3 and prints "PROFILE-BEGIN KIND" and, PROF_SECS
# later, "PROFILE-END KIND", between which the host samples the vCPUs
# over QEMU's gdbstub; then the kind's throughput.  First it prints the
# kernel's and the modules' text symbols ("PROFILE-KSYM address name
# [module]") for the symbolizer.
#
#   tools/vm-run KVER -- tools/bench/profile-guest.sh -k build/KVER/stt.ko
#
# PROF_PROFILE (nic-tso), PROF_SECS (8).

set -u
KO=""
while getopts "k:" o; do
	case $o in k) KO=$OPTARG ;; *) exit 2 ;; esac
done
PROFILE=${PROF_PROFILE:-nic-tso}
SECS=${PROF_SECS:-8}
# shellcheck source=tools/bench/profiles.sh
source "$(dirname "$0")/profiles.sh"
[ -n "${PROFILE_ARGS[$PROFILE]:-}" ] || { echo "profile: unknown profile $PROFILE"; exit 2; }

say() { echo "profile: $*"; }
IP_LIB_DIR=${IP_LIB_DIR:-$(cd "$(dirname "$0")/../iproute2" && pwd)}
export IP_LIB_DIR
A=prof-a B=prof-b
cleanup() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; }
trap cleanup EXIT

modprobe -q veth
if [ -n "$KO" ] && [ ! -d /sys/module/stt ]; then
	for d in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe -q "$d"; done
	insmod "$KO" || exit 1
fi
ip netns add "$A" && ip netns add "$B" || exit 1
ip link add veth_a netns "$A" type veth peer name veth_b netns "$B" || exit 1
for end in "$A 1 2 veth_a" "$B 2 1 veth_b"; do
	read -r ns me peer dev <<<"$end"
	ip -n "$ns" -batch - <<-EOT || exit 1
		addr add 192.0.2.$me/24 dev $dev
		link set $dev up
		link set lo up
		link add tun0 type stt remote 192.0.2.$peer local 192.0.2.$me key 42
		addr add 10.0.0.$me/24 dev tun0
		link set tun0 up
	EOT
	# shellcheck disable=SC2086 # the profile's words
	ip netns exec "$ns" ethtool -K "$dev" ${PROFILE_ARGS[$PROFILE]} 2>/dev/null
done
ip netns exec "$A" ping -q -c 2 -W 2 10.0.0.2 >/dev/null || { say "no tunnel"; exit 1; }
say "kernel $(uname -r), profile $PROFILE, $SECS s per kind"
# Debian's System.map is a stub: the symbolizer takes the guest's own
# text symbols (with nokaslr, as the host samples them).
awk '$2 ~ /^[tT]$/ { print "PROFILE-KSYM", $1, $3, $4 }' /proc/kallsyms

# run KIND DST: iperf3 for SECS + 4 s, the host samples SECS s of it.
run()
{
	local kind=$1 dst=$2 out

	ip netns exec "$B" timeout $((SECS + 60)) iperf3 -s -1 -B "$dst" >/dev/null 2>&1 &
	sleep 1
	ip netns exec "$A" timeout $((SECS + 40)) iperf3 -c "$dst" -t $((SECS + 4)) -J \
		>"/tmp/prof-$kind.json" 2>&1 &
	sleep 2
	echo "PROFILE-BEGIN $kind"
	sleep "$SECS"
	echo "PROFILE-END $kind"
	wait
	out=$(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "/tmp/prof-$kind.json" 2>/dev/null)
	say "$kind: ${out:-?} Mbit/s (under sampling)"
}
run plain 192.0.2.2
run stt 10.0.0.2
