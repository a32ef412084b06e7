# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The offload profiles of make bench (issue 6), for bench-guest.sh and
# profile-guest.sh: ethtool -K arguments per profile, on both underlay
# veths.  Every tunnel segmentation offload is off in every profile: veth
# claims them all, which would hand vxlan/geneve/gretap GSO skbs through
# whole and flatter them.  Source this file.

TNL_OFF="tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off
tx-gre-segmentation off tx-gre-csum-segmentation off tx-ipxip4-segmentation off
tx-ipxip6-segmentation off tx-gso-partial off"
# shellcheck disable=SC2034 # used by the scripts that source this
declare -A PROFILE_ARGS=(
	[nic-tso]="tso on gso on gro off sg on tx on $TNL_OFF"
	[wire]="tso off gso on gro on sg on tx on $TNL_OFF"
	[wire-nogro]="tso off gso on gro off sg on tx on $TNL_OFF"
	[none]="tso off gso off gro off tx off sg off $TNL_OFF"
	[wire-loss]="tso off gso on gro on sg on tx on $TNL_OFF"
)
# Profiles that also lose packets: a netem qdisc on both underlay veths
# (tc qdisc ... netem ARGS); every other profile runs without one.
# shellcheck disable=SC2034
declare -A PROFILE_NETEM=(
	[wire-loss]="loss 0.1%"
)
