#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run by dkms before building (MAKE[0]) and installing (PRE_INSTALL), see
# dkms.conf: refuse next to a copy of stt.ko that "make install" put in
# /lib/modules/KVER/updates/.
kver=$1
for f in /lib/modules/"$kver"/updates/stt.ko*; do
	[ -e "$f" ] || continue
	echo "stt: $f was installed by 'make install'; remove it first" >&2
	echo "stt: (make uninstall KVER=$kver), then run dkms install again" >&2
	exit 1
done
exit 0
