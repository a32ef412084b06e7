#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything stt's build, demo, lint and test suite need on Debian 12:
# bookworm's kernels with headers (6.1, 6.12, 6.12 PREEMPT_RT), the trixie
# tree with trixie-backports' kernel (7.x, tools/trixie-tree.sh), QEMU and
# the tools the selftests run.  The test VM has no network: whatever it
# runs is installed here, on the host.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (sudo $0)" >&2
	exit 1
fi

PACKAGES=(
	# kernels to test against, with headers to build stt.ko
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	# the trixie tree for 7.x (tools/trixie-tree.sh)
	debootstrap
	gcc make libc6-dev libelf-dev bc sparse
	# the VM: QEMU (TCG), a static busybox for the initramfs, module tools
	qemu-system-x86 busybox-static kmod cpio zstd xz-utils
	# used by the selftests inside the VM (the host's / is the guest's)
	iproute2 ethtool iperf3 iputils-ping tshark jq python3 procps
	bsdextrautils
	# stt_firewall.sh: a stateful nftables ruleset, conntrack's table
	nftables conntrack
	# stt_external.sh: a tc eBPF program that sets the tunnel key
	clang
	# pictures: tools/flood-plot.py (matplotlib), make bench's charts (gnuplot)
	python3-matplotlib gnuplot-nox
	# make check-dkms: dkms builds stt.ko for each kernel on the host;
	# man (and groff for tools/check-docs.py) for the installed ip-link-stt(8)
	dkms man-db groff-base
	# make lint: the shell scripts
	shellcheck
	# vport-stt.ko: pahole reads openvswitch.ko's layouts (tools/ovs-layout.sh);
	# stt_ovs.sh runs Debian's own Open vSwitch in the VM
	dwarves openvswitch-switch
	# stt_ovn.sh: OVN 23.03's ovn-northd, NB/SB schemas and ovn-controller
	ovn-central ovn-host
	# make debug-kernel (tools/debug-kernel/build.sh)
	flex bison libssl-dev
)

export DEBIAN_FRONTEND=noninteractive
# The kernels are only booted by QEMU with our own initramfs: skip initrds.
export INITRD=No

retry()
{
	local i

	for i in 1 2 3; do
		"$@" && return 0
		echo "install-deps: '$*' failed (try $i of 3)" >&2
		sleep $((i * 10))
	done
	return 1
}

start=$SECONDS
# tshark asks whether non-root users may capture; answer it up front.
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
	debconf-set-selections
echo "install-deps: apt-get update"
retry apt-get -q update || exit 1
# Open vSwitch's and OVN's services must not start on the host: the
# selftests run their own ovsdb-server, ovs-vswitchd, ovn-northd and
# ovn-controller in the VM's netns.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
echo "install-deps: installing ${#PACKAGES[@]} packages"
retry apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 \
	install "${PACKAGES[@]}"
rc=$?
[ "$own_policy" = 1 ] && rm -f "$policy"
[ "$rc" = 0 ] || exit 1
echo "install-deps: packages done after $((SECONDS - start)) s"
"$(dirname "${BASH_SOURCE[0]}")"/trixie-tree.sh || exit 1
echo "install-deps: done after $((SECONDS - start)) s"
